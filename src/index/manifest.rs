//! The manifest (which segments make the index, and the settings they were
//! made with) and the writer's lock.
//!
//! `manifest.json` is the index's single point of truth: a segment exists
//! for readers once the manifest lists it. Writers replace the manifest
//! whole (a temporary file, synced, renamed over it, the folder synced),
//! so a reader sees the index before a change or after it, never between,
//! and a writer killed at any moment leaves the index as it was: what it
//! wrote without publishing is swept away by the next writer.
//!
//! One writer at a time: `writer.lock` holds the writer's process id under
//! an advisory lock that the system drops when the process ends, however
//! it ends, so a killed writer never leaves the index locked.

use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::core::number;
use crate::error::{Error, IndexProblem, Result};
use crate::index::segment::SegmentMeta;
use crate::lsh::Banding;
use crate::minhash::HASH_SCHEME;
use crate::normalize::Normalization;
use crate::shingle::{Shingling, Unit};

pub(crate) const MANIFEST: &str = "manifest.json";
const LOCK: &str = "writer.lock";
const FORMAT: &str = "textdup index";
/// The manifest's format version; segments carry their own.
pub(crate) const VERSION: u32 = 1;

/// What decides an index's contents: the settings a run must share to use
/// it. Recorded in the manifest and in every segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The MinHash hash scheme ([`crate::HASH_SCHEME`]).
    pub scheme: String,
    /// Seed of the shingle hashes and permutations.
    pub seed: u64,
    /// MinHash permutations.
    pub permutations: u32,
    /// LSH bands.
    pub bands: u32,
    /// Rows per band.
    pub rows: u32,
    /// Normalization steps, as `--normalize` takes them.
    pub normalization: String,
    /// Shingle unit: `word` or `char`.
    pub unit: String,
    /// Units per shingle.
    pub ngram: u32,
    /// The similarity threshold matches are verified at.
    pub threshold: f64,
    /// Words per window when the index also holds every window of its
    /// documents (`index build --spans N`, for decontamination); `None`
    /// when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spans: Option<u32>,
}

impl Settings {
    /// The settings of a run with `config`, without span windows.
    ///
    /// An index whose runs verify exactly with `config`'s settings:
    /// `Settings { spans: Some(13), ..Settings::of(&config) }` also holds
    /// every 13-word window of its documents, for span queries.
    pub fn of(config: &Config) -> Settings {
        let banding = config.banding();
        Settings {
            scheme: HASH_SCHEME.to_string(),
            seed: config.seed,
            permutations: number(config.num_perm),
            bands: number(banding.bands),
            rows: number(banding.rows),
            normalization: config.normalization.describe(),
            unit: config.shingling.unit.name().to_string(),
            ngram: number(config.shingling.n),
            threshold: config.threshold,
            spans: None,
        }
    }

    /// One line that says them all: what each segment records.
    pub(crate) fn line(&self) -> String {
        let spans = self.spans.map_or(String::new(), |k| format!("; spans={k}"));
        format!(
            "scheme={}; seed={}; permutations={}; banding={}x{}; normalize={}; {} {}-grams; threshold={}{spans}",
            self.scheme,
            self.seed,
            self.permutations,
            self.bands,
            self.rows,
            self.normalization,
            self.unit,
            self.ngram,
            self.threshold
        )
    }

    /// `base` with these settings: what a run against the index uses for
    /// everything the index decides.
    pub fn apply(&self, base: &Config) -> Result<Config> {
        let normalization = Normalization::parse(&self.normalization).map_err(|e| {
            mismatch_error(Path::new(MANIFEST), &format!("unknown normalization: {e}"))
        })?;
        let unit = match self.unit.as_str() {
            "word" => Unit::Word,
            "char" => Unit::Char,
            other => {
                return Err(mismatch_error(
                    Path::new(MANIFEST),
                    &format!("unknown shingle unit {other:?}"),
                ))
            }
        };
        Ok(Config {
            normalization,
            shingling: Shingling {
                unit,
                n: self.ngram as usize,
            },
            num_perm: self.permutations as usize,
            seed: self.seed,
            threshold: self.threshold,
            banding: Some(Banding {
                bands: self.bands as usize,
                rows: self.rows as usize,
            }),
            ..base.clone()
        })
    }

    /// The settings that differ between the index (`self`) and a run, as
    /// (name, the index's value, the run's value).
    pub fn differences(&self, run: &Settings) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        let mut field = |name, a: String, b: String| {
            if a != b {
                out.push((name, a, b));
            }
        };
        field("hash scheme", self.scheme.clone(), run.scheme.clone());
        field("seed", self.seed.to_string(), run.seed.to_string());
        field(
            "permutations",
            self.permutations.to_string(),
            run.permutations.to_string(),
        );
        field(
            "banding",
            format!("{} bands × {} rows", self.bands, self.rows),
            format!("{} bands × {} rows", run.bands, run.rows),
        );
        field(
            "normalization",
            self.normalization.clone(),
            run.normalization.clone(),
        );
        field(
            "shingles",
            format!("{} {}-grams", self.unit, self.ngram),
            format!("{} {}-grams", run.unit, run.ngram),
        );
        field(
            "threshold",
            self.threshold.to_string(),
            run.threshold.to_string(),
        );
        let spans = |s: &Settings| s.spans.map_or("none".to_string(), |k| format!("{k} words"));
        field("span windows", spans(self), spans(run));
        out
    }
}

/// The manifest file's contents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: String,
    pub version: u32,
    pub settings: Settings,
    /// Bumped by every change: names the next segment.
    pub generation: u64,
    pub segments: Vec<SegmentMeta>,
}

impl Manifest {
    pub fn new(settings: Settings) -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            settings,
            generation: 0,
            segments: Vec::new(),
        }
    }

    /// Reads the manifest of the index at `dir`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let what = if dir.is_dir() {
                    "is not a textdup index (it has no manifest.json)"
                } else {
                    "does not exist (`textdup index build` makes an index)"
                };
                return Err(Error::Index {
                    path: dir.to_path_buf(),
                    problem: IndexProblem::Missing,
                    message: what.to_string(),
                });
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| Error::Index {
            path: path.clone(),
            problem: IndexProblem::Damaged,
            message: format!("cannot be read as an index manifest: {e}"),
        })?;
        if manifest.format != FORMAT {
            return Err(Error::Index {
                path,
                problem: IndexProblem::Damaged,
                message: format!(
                    "is not a textdup index manifest (format {:?})",
                    manifest.format
                ),
            });
        }
        if manifest.version != VERSION {
            return Err(Error::Index {
                path,
                problem: IndexProblem::Version,
                message: format!(
                    "is index format version {}; this textdup reads version {VERSION}",
                    manifest.version
                ),
            });
        }
        // Segment names are joined to the folder, and compaction unlinks
        // the old ones: a damaged manifest must not reach outside it.
        if let Some(bad) = manifest.segments.iter().find(|m| !is_segment_name(&m.file)) {
            return Err(Error::Index {
                path,
                problem: IndexProblem::Damaged,
                message: format!(
                    "names {:?}, which is not a segment of this folder",
                    bad.file
                ),
            });
        }
        Ok(manifest)
    }

    /// Replaces the manifest at `dir` with this one, atomically.
    pub fn publish(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        let tmp = dir.join(format!("{MANIFEST}.tmp-{}", std::process::id()));
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| Error::io(&tmp, e.into()))?;
        text.push(b'\n');
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(dir)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(&path, e)
        })
    }
}

/// Whether `name` is a plain segment file name: `seg-NNNNNN.tds`, no
/// folder in it.
pub(crate) fn is_segment_name(name: &str) -> bool {
    name.strip_prefix("seg-")
        .and_then(|rest| rest.strip_suffix(".tds"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Makes a rename inside `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The writer's lock on an index, held until dropped.
pub(crate) struct WriterLock {
    _file: File,
    #[cfg(not(unix))]
    path: PathBuf,
}

impl WriterLock {
    /// Takes the lock of the index at `dir`, or says who holds it.
    pub fn take(dir: &Path) -> Result<WriterLock> {
        let path = dir.join(LOCK);
        let mut file = lock_file(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor this function owns.
            let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if locked != 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::WouldBlock {
                    return Err(Error::io(&path, err));
                }
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(busy(dir, holder.trim()));
            }
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "{}", std::process::id());
        let _ = file.sync_all();
        Ok(WriterLock {
            _file: file,
            #[cfg(not(unix))]
            path,
        })
    }
}

#[cfg(unix)]
fn lock_file(path: &PathBuf) -> Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn lock_file(path: &PathBuf) -> Result<File> {
    // Without advisory locks the file's existence is the lock: a writer
    // that was killed leaves it, and the message says to remove it.
    match File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let holder = fs::read_to_string(path).unwrap_or_default();
            Err(busy(path.parent().unwrap_or(path), holder.trim()))
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(not(unix))]
impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn busy(dir: &Path, holder: &str) -> Error {
    let who = if holder.is_empty() {
        "another process".to_string()
    } else {
        format!("process {holder}")
    };
    Error::Index {
        path: dir.to_path_buf(),
        problem: IndexProblem::Busy,
        message: format!(
            "is being written by {who}; an index takes one writer at a time (queries may run meanwhile)"
        ),
    }
}

pub(crate) fn mismatch_error(path: &Path, message: &str) -> Error {
    Error::Index {
        path: path.to_path_buf(),
        problem: IndexProblem::Settings,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_segment_names_are_segments() {
        assert!(is_segment_name("seg-000001.tds"));
        for bad in [
            "seg-.tds",
            "seg-1.tds.tmp-7",
            "../seg-1.tds",
            "seg-1/../../x.tds",
            "manifest.json",
            "seg-a.tds",
        ] {
            assert!(!is_segment_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_manifest_naming_a_file_outside_the_index_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::new(Settings::of(&Config::default()));
        manifest.segments.push(SegmentMeta {
            file: "seg-1/../../victim.txt".to_string(),
            documents: 0,
            text_bytes: 0,
            size: 0,
            checks: String::new(),
        });
        manifest.publish(dir.path()).unwrap();
        let err = Manifest::read(dir.path()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Index {
                    problem: IndexProblem::Damaged,
                    ..
                }
            ),
            "{err}"
        );
    }
}
