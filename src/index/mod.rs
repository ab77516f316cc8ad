//! Index: what earlier runs saw, kept on disk, so that new data is
//! deduplicated against it without reading it again.
//!
//! An index is a folder:
//!
//! ```text
//! archive.tdx/
//!   manifest.json     format version, settings, the segments in order
//!   seg-000001.tds    one immutable segment per `add` (see `segment`)
//!   seg-000002.tds
//!   writer.lock       the writing process's id, under an advisory lock
//! ```
//!
//! Documents are numbered by segment and place ([`IndexDoc`]), which is
//! the order they were added in: an indexed document is always earlier
//! than a new one, and a query decides as a one-shot run over the indexed
//! documents followed by the new ones would (see `query`).
//!
//! Writers ([`IndexWriter`]) take the lock, write a segment under a
//! temporary name, rename it, then publish a new manifest; readers
//! ([`Index::open`]) read the manifest and map its segments, and are never
//! blocked. Compaction writes one segment from all of them and publishes
//! it the same way.
//!
//! ```
//! use textdup::index::{AddOptions, Index, IndexWriter, Settings};
//! use textdup::{Config, Document, NoProgress, Resources};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("archive.tdx");
//! let text = "one two three four five six seven eight nine ten eleven twelve thirteen";
//! let old = vec![Document::new("old-1", text)];
//! let mut writer = IndexWriter::create(&path, &Settings::of(&Config::default()))?;
//! writer.add(&old, &AddOptions::default(), &Resources::default(), &NoProgress)?;
//! drop(writer);
//!
//! let index = Index::open(&path)?;
//! let new = vec![
//!     Document::new("new-1", format!("{text} fourteen")),
//!     Document::new("new-2", "something else entirely, nothing like the rest of them"),
//! ];
//! let matches = index.query(&new, &Resources::default(), &NoProgress)?;
//! assert_eq!(matches.matches().len(), 1);
//! assert_eq!(matches.id(matches.matches()[0].doc), "new-1");
//! // And where the time went, stage by stage.
//! let stages: Vec<&str> = matches.summary().stages.iter().map(|t| t.stage.name()).collect();
//! assert_eq!(stages[..2], ["sketching", "finding candidates"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod manifest;
mod query;
mod segment;
mod spans;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cluster::Keep;
use crate::config::{Config, Resources};
use crate::error::{Error, IndexProblem, Result};
use crate::lsh::BandKey;
use crate::progress::{check, Progress, Stage};
use crate::read::Corpus;
use crate::shingle::ShingleSet;
use crate::verify::Verification;

pub use manifest::Settings;
use manifest::{mismatch_error, sync_dir, Manifest, WriterLock, MANIFEST};
pub use query::{write_matches, Kept, Match, MatchSummary, Matches, SpanMatch};
use segment::{NewDoc, Segment, SegmentMeta, SegmentWriter, StoredDoc};

/// An indexed document: its segment (in manifest order) and its place in
/// it. Ordered as the documents were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexDoc {
    /// The segment, counted from 0 in manifest order.
    pub segment: u32,
    /// The document's place in the segment.
    pub local: u32,
}

/// An index opened for queries. Cheap to open: it reads the manifest and
/// each segment's footer and checks, and maps the rest.
pub struct Index {
    dir: PathBuf,
    manifest: Manifest,
    segments: Vec<Segment>,
}

impl Index {
    /// Opens the index at `path` for reading.
    ///
    /// # Errors
    /// [`Error::Index`] when there is no index there, or it is damaged or
    /// of another format version.
    pub fn open(path: impl AsRef<Path>) -> Result<Index> {
        let dir = path.as_ref();
        // A compaction may publish a new manifest and unlink the old
        // segments between our reading the manifest and opening them:
        // then the manifest is read again.
        let mut attempts = 0;
        loop {
            let manifest = Manifest::read(dir)?;
            match open_segments(dir, &manifest) {
                Ok(segments) => {
                    return Ok(Index {
                        dir: dir.to_path_buf(),
                        manifest,
                        segments,
                    })
                }
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound && attempts < 10 =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The settings the index was made with.
    pub fn settings(&self) -> &Settings {
        &self.manifest.settings
    }

    /// `base` with the index's settings in place of its own: what a run
    /// against this index uses.
    pub fn config(&self, base: &Config) -> Result<Config> {
        self.manifest.settings.apply(base)
    }

    /// Refuses a run whose `config` cannot use this index, naming every
    /// setting that differs.
    pub fn check(&self, config: &Config) -> Result<()> {
        config.validate()?;
        if config.verification != Verification::Exact {
            return Err(mismatch_error(
                &self.dir,
                "holds shingle sets for exact verification; a run against it verifies exactly (leave out --verify estimate)",
            ));
        }
        let run = Settings {
            spans: self.settings().spans,
            ..Settings::of(config)
        };
        let differences = self.settings().differences(&run);
        if differences.is_empty() {
            return Ok(());
        }
        let said: Vec<String> = differences
            .iter()
            .map(|(name, index, run)| format!("{name}: the index has {index}, this run {run}"))
            .collect();
        Err(mismatch_error(
            &self.dir,
            &format!(
                "was made with other settings ({}); run with the index's settings (leave the options out to use them) or build another index",
                said.join("; ")
            ),
        ))
    }

    /// How many documents the index holds.
    pub fn documents(&self) -> u64 {
        self.segments.iter().map(|s| u64::from(s.documents())).sum()
    }

    /// Counts, sizes and settings.
    pub fn stats(&self) -> Stats {
        let segments: Vec<SegmentStats> = self
            .manifest
            .segments
            .iter()
            .map(|m| SegmentStats {
                file: m.file.clone(),
                documents: u64::from(m.documents),
                text_bytes: m.text_bytes,
                bytes: m.size,
            })
            .collect();
        Stats {
            documents: segments.iter().map(|s| s.documents).sum(),
            text_bytes: segments.iter().map(|s| s.text_bytes).sum(),
            bytes: segments.iter().map(|s| s.bytes).sum(),
            generation: self.manifest.generation,
            settings: self.manifest.settings.clone(),
            segments,
        }
    }

    /// Matches `corpus` against the index with the index's settings and
    /// `keep` first: every new document that an indexed document or an
    /// earlier new one makes a duplicate. See [`Index::query_with`].
    pub fn query(
        &self,
        corpus: &dyn Corpus,
        resources: &Resources,
        progress: &dyn Progress,
    ) -> Result<Matches> {
        let config = self.config(&Config::default())?;
        self.query_with(corpus, &config, resources, progress)
    }

    /// Matches `corpus` against the index with `config`, which must have
    /// the index's settings ([`Index::check`]); its `keep` chooses among
    /// new documents that only duplicate each other. A new document is
    /// removed when it is in one cluster with an indexed document, or with
    /// an earlier new one that stays: what a one-shot run over the indexed
    /// documents followed by the new ones removes of the new ones.
    pub fn query_with(
        &self,
        corpus: &dyn Corpus,
        config: &Config,
        resources: &Resources,
        progress: &dyn Progress,
    ) -> Result<Matches> {
        self.check(config)?;
        resources.validate()?;
        Ok(query::query(self, corpus, config, resources, false, progress)?.matches)
    }

    /// The documents of `corpus` that share a window of the index's span
    /// length (`--spans N` at build) with an indexed document: with an
    /// index of evaluation data, the contaminated training documents.
    /// `config` must have the index's settings ([`Index::check`]).
    ///
    /// # Errors
    /// [`Error::Index`] when the index holds no span windows.
    pub fn spans(
        &self,
        corpus: &dyn Corpus,
        config: &Config,
        progress: &dyn Progress,
    ) -> Result<Matches> {
        self.check(config)?;
        let Some(k) = self.settings().spans else {
            return Err(mismatch_error(
                &self.dir,
                "holds no span windows: build it with --spans N (the window length in words, 13 for the usual decontamination)",
            ));
        };
        spans::span_query(self, corpus, config, k as usize, progress)
    }

    /// Checks every block of every segment against its checksum.
    pub fn verify(&self, progress: &dyn Progress) -> Result<Verified> {
        progress.begin(Stage::Verify, Some(self.segments.len() as u64));
        for segment in &self.segments {
            segment.check_all(&|| check(progress))?;
            // Every record must also decode: ids UTF-8, sets in order.
            for local in 0..segment.documents() {
                let doc = segment.doc(local)?;
                if !doc.set().windows(2).all(|w| w[0] < w[1]) {
                    return Err(segment::damaged(
                        segment.path(),
                        "has a shingle set out of order",
                    ));
                }
            }
            progress.advance(1);
        }
        progress.end();
        Ok(Verified {
            segments: self.segments.len() as u64,
            documents: self.documents(),
            bytes: self.manifest.segments.iter().map(|m| m.size).sum(),
        })
    }

    pub(crate) fn segment(&self, i: u32) -> &Segment {
        &self.segments[i as usize]
    }

    /// For each of `hashes` (ascending), the earliest indexed document
    /// whose normalized text has that hash. Each segment is walked once
    /// per chunk of hashes, galloping from one hash to the next.
    pub(crate) fn exact_sorted(&self, hashes: &[u128]) -> Result<Vec<Option<IndexDoc>>> {
        const CHUNK: usize = 1 << 14;
        let found: Vec<Vec<Option<IndexDoc>>> = hashes
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut cursors = vec![0usize; self.segments.len()];
                chunk
                    .iter()
                    .map(|&hash| {
                        for (i, segment) in self.segments.iter().enumerate() {
                            let (at, doc) = segment.exact_from(hash, cursors[i])?;
                            cursors[i] = at;
                            if let Some(local) = doc {
                                return Ok(Some(IndexDoc {
                                    segment: i as u32,
                                    local,
                                }));
                            }
                        }
                        Ok(None)
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        Ok(found.into_iter().flatten().collect())
    }

    /// The indexed members of the bucket of `key` in band `band`, each
    /// segment searched from its entry of `cursors`, which is moved to the
    /// bucket's end: keys looked up in ascending order walk each table
    /// once.
    pub(crate) fn bucket(
        &self,
        band: usize,
        key: BandKey,
        cursors: &mut [usize],
    ) -> Result<query::Bucket> {
        let mut ranges = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            let range = segment.bucket_from(band, key, cursors[i])?;
            cursors[i] = range.end;
            if !range.is_empty() {
                ranges.push((i as u32, range));
            }
        }
        Ok(query::Bucket::new(band, ranges))
    }

    pub(crate) fn doc(&self, doc: IndexDoc) -> Result<StoredDoc<'_>> {
        self.segments
            .get(doc.segment as usize)
            .ok_or_else(|| segment::damaged(&self.dir, "refers to a segment it does not have"))?
            .doc(doc.local)
    }

    pub(crate) fn doc_set(&self, doc: IndexDoc) -> Result<ShingleSet> {
        Ok(ShingleSet::from_sorted(self.doc(doc)?.set()))
    }
}

fn open_segments(dir: &Path, manifest: &Manifest) -> Result<Vec<Segment>> {
    let line = manifest.settings.line();
    let bands = manifest.settings.bands as usize;
    manifest
        .segments
        .iter()
        .map(|meta| Segment::open(dir, meta, &line, bands))
        .collect()
}

/// An index's counts and sizes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Documents indexed.
    pub documents: u64,
    /// Their original text, in bytes.
    pub text_bytes: u64,
    /// The segments' size on disk, in bytes.
    pub bytes: u64,
    /// Changes published so far.
    pub generation: u64,
    /// The settings the index was made with.
    pub settings: Settings,
    /// Each segment, in order.
    pub segments: Vec<SegmentStats>,
}

/// One segment's counts and size.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SegmentStats {
    /// Its file name in the index folder.
    pub file: String,
    /// Documents it holds.
    pub documents: u64,
    /// Their original text, in bytes.
    pub text_bytes: u64,
    /// Its size on disk, in bytes.
    pub bytes: u64,
}

/// What [`Index::verify`] checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Segments checked.
    pub segments: u64,
    /// Documents they hold.
    pub documents: u64,
    /// Bytes checked.
    pub bytes: u64,
}

/// How [`IndexWriter::add`] indexes new documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddOptions {
    /// Index every new document that is not an exact copy of one indexed
    /// or earlier, near-duplicates included. Default: only the documents
    /// that deduplication keeps.
    pub all: bool,
    /// Which of the new documents that only duplicate each other stays
    /// (and is indexed). Default: the first.
    pub keep: Keep,
}

/// What an `add` did.
#[derive(Clone, Debug, PartialEq)]
pub struct Added {
    /// The new documents against the index as it was.
    pub summary: MatchSummary,
    /// Documents indexed by this add.
    pub indexed: u64,
    /// Documents in the index after it.
    pub total: u64,
    /// The new segment's file, if any document was indexed.
    pub segment: Option<String>,
    /// How long writing the segment took.
    pub write_time: Duration,
}

/// What a compaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compacted {
    /// Segments before.
    pub before: usize,
    /// Segments after (1, or 0 for an empty index).
    pub after: usize,
    /// Documents, which compaction does not change.
    pub documents: u64,
    /// Bytes on disk before and after.
    pub bytes: (u64, u64),
}

/// The one writer of an index: holds its lock until dropped.
pub struct IndexWriter {
    index: Index,
    _lock: WriterLock,
}

impl IndexWriter {
    /// Makes a new, empty index at `path` with `settings` (see
    /// [`Settings::of`]) and opens it for writing. `path` must not exist,
    /// or be an empty folder.
    pub fn create(path: impl AsRef<Path>, settings: &Settings) -> Result<IndexWriter> {
        let dir = path.as_ref();
        settings.apply(&Config::default())?.validate()?;
        if let Some(k) = settings.spans {
            if !(2..=10_000).contains(&k) {
                return Err(Error::Config {
                    setting: crate::error::Setting::MinSpan,
                    problem: format!("span windows must be 2..=10000 words, got {k}"),
                });
            }
        }
        let exists = |message: &str| Error::Index {
            path: dir.to_path_buf(),
            problem: IndexProblem::Exists,
            message: message.to_string(),
        };
        match fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => return Err(exists("exists and is not a folder")),
            Ok(_) => {
                let mut entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
                if entries.next().is_some() {
                    return Err(exists(
                        "exists and is not empty; an index is made in a new folder",
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            Err(e) => return Err(Error::io(dir, e)),
        }
        let lock = WriterLock::take(dir)?;
        Manifest::new(settings.clone()).publish(dir)?;
        let index = Index::open(dir)?;
        Ok(IndexWriter { index, _lock: lock })
    }

    /// Makes a new index at `path` from `corpus`: [`IndexWriter::create`]
    /// and [`IndexWriter::add`], in a temporary folder renamed to `path`
    /// when complete, so a build that fails or is killed leaves nothing at
    /// `path`. `path` must not exist.
    pub fn build(
        path: impl AsRef<Path>,
        corpus: &dyn Corpus,
        settings: &Settings,
        options: &AddOptions,
        resources: &Resources,
        progress: &dyn Progress,
    ) -> Result<Added> {
        let path = path.as_ref();
        if fs::symlink_metadata(path).is_ok() {
            return Err(Error::OutputExists {
                path: path.to_path_buf(),
            });
        }
        crate::fsutil::write_folder_atomically(path, crate::fsutil::Existing::Refuse, |tmp| {
            let mut writer = IndexWriter::create(tmp, settings)?;
            writer.add(corpus, options, resources, progress)
        })
    }

    /// Opens the index at `path` for writing, waiting for no one: if
    /// another process writes to it, an [`Error::Index`] says which.
    pub fn open(path: impl AsRef<Path>) -> Result<IndexWriter> {
        let dir = path.as_ref();
        // The manifest must exist before a lock file is made in a folder
        // that may not be an index at all.
        Manifest::read(dir)?;
        let lock = WriterLock::take(dir)?;
        let index = Index::open(dir)?;
        sweep(dir, &index.manifest);
        Ok(IndexWriter { index, _lock: lock })
    }

    /// The index as this writer last published it.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Adds `corpus` to the index: each new document is matched against
    /// the index and the new documents before it, as
    /// [`Index::query_with`] does, and the ones that stay (all but exact
    /// copies with [`AddOptions::all`]) are written as a new segment,
    /// published atomically. The index's settings are used throughout.
    pub fn add(
        &mut self,
        corpus: &dyn Corpus,
        options: &AddOptions,
        resources: &Resources,
        progress: &dyn Progress,
    ) -> Result<Added> {
        resources.validate()?;
        let config = Config {
            keep: options.keep,
            ..self.index.config(&Config::default())?
        };
        let queried = query::query(&self.index, corpus, &config, resources, true, progress)?;
        let started = Instant::now();
        let chosen: Vec<u32> = (0..queried.docs.len() as u32)
            .filter(|&slot| {
                let s = slot as usize;
                if options.all {
                    queried.first[s] == Some(slot)
                } else {
                    !queried.removed[s]
                }
            })
            .collect();
        let mut added = Added {
            summary: queried.matches.summary.clone(),
            indexed: chosen.len() as u64,
            total: self.index.documents() + chosen.len() as u64,
            segment: None,
            write_time: Duration::ZERO,
        };
        if chosen.is_empty() {
            return Ok(added);
        }
        let docs = u32::try_from(chosen.len()).map_err(|_| Error::TooManyDocuments)?;
        let bands = self.index.settings().bands as usize;
        let mut manifest = self.index.manifest.clone();
        manifest.generation += 1;
        let name = format!("seg-{:06}.tds", manifest.generation);
        progress.begin(Stage::Write, Some(chosen.len() as u64));
        let meta = self.write_segment(&name, docs, bands, progress, |writer| {
            for (n, &slot) in chosen.iter().enumerate() {
                if n % 4096 == 0 {
                    check(progress)?;
                    progress.advance(n.min(4096) as u64);
                }
                let s = slot as usize;
                let doc = queried.docs[s];
                let windows = queried
                    .windows
                    .as_ref()
                    .map_or(Vec::new(), |w| w.u64s(slot));
                writer.push(&NewDoc {
                    id: queried.matches.id(doc),
                    bytes: queried.matches.bytes[doc.index()],
                    set: queried.spool.raw(slot),
                    exact: queried.exact[s],
                    keys: &queried.keys[s * bands..(s + 1) * bands],
                    windows: &windows,
                })?;
            }
            Ok(())
        })?;
        progress.end();
        manifest.segments.push(meta);
        self.publish(manifest)?;
        added.segment = Some(name);
        added.total = self.index.documents();
        added.write_time = started.elapsed();
        Ok(added)
    }

    /// Merges every segment into one, in order. Queries give the same
    /// answers before and after; each block is checked as it is read.
    pub fn compact(&mut self, progress: &dyn Progress) -> Result<Compacted> {
        let before = self.index.segments.len();
        let bytes_before: u64 = self.index.manifest.segments.iter().map(|m| m.size).sum();
        let documents = self.index.documents();
        if before <= 1 {
            return Ok(Compacted {
                before,
                after: before,
                documents,
                bytes: (bytes_before, bytes_before),
            });
        }
        let docs = u32::try_from(documents).map_err(|_| Error::TooManyDocuments)?;
        let bands = self.index.settings().bands as usize;
        let mut manifest = self.index.manifest.clone();
        manifest.generation += 1;
        let name = format!("seg-{:06}.tds", manifest.generation);
        let index = &self.index;
        progress.begin(Stage::Write, Some(documents));
        let meta = self.write_segment(&name, docs, bands, progress, |writer| {
            // Each segment's keys by document, gathered from its tables.
            let mut base = 0u32;
            for segment in &index.segments {
                check(progress)?;
                segment.check_all(&|| check(progress))?;
                let n = segment.documents() as usize;
                let mut exact = vec![0u128; n];
                for (hash, local) in segment.exact_entries()? {
                    *exact.get_mut(local as usize).ok_or_else(|| {
                        segment::damaged(segment.path(), "has an exact entry out of range")
                    })? = hash;
                }
                let mut keys = vec![0 as BandKey; n * bands];
                for band in 0..bands {
                    for (key, local) in segment.band_entries(band)? {
                        *keys.get_mut(local as usize * bands + band).ok_or_else(|| {
                            segment::damaged(segment.path(), "has a band entry out of range")
                        })? = key;
                    }
                }
                for local in 0..segment.documents() {
                    let doc = segment.doc(local)?;
                    let l = local as usize;
                    writer.push(&NewDoc {
                        id: doc.id,
                        bytes: doc.bytes,
                        set: doc.set_bytes,
                        exact: exact[l],
                        keys: &keys[l * bands..(l + 1) * bands],
                        windows: &[],
                    })?;
                }
                writer.add_windows(
                    segment
                        .window_entries()?
                        .into_iter()
                        .map(|(hash, local)| (hash, base + local)),
                );
                base += segment.documents();
                progress.advance(n as u64);
            }
            Ok(())
        })?;
        progress.end();
        let old: Vec<String> = manifest.segments.iter().map(|m| m.file.clone()).collect();
        manifest.segments = vec![meta];
        self.publish(manifest)?;
        // Readers that mapped the old segments keep their pages; new
        // readers see only the new manifest.
        for file in old {
            let _ = fs::remove_file(self.index.dir.join(file));
        }
        let bytes_after = self.index.manifest.segments.iter().map(|m| m.size).sum();
        Ok(Compacted {
            before,
            after: 1,
            documents: self.index.documents(),
            bytes: (bytes_before, bytes_after),
        })
    }

    /// Writes segment `name` with `fill`, under a temporary name renamed
    /// into place when complete. Not yet published.
    fn write_segment(
        &self,
        name: &str,
        docs: u32,
        bands: usize,
        progress: &dyn Progress,
        fill: impl FnOnce(&mut SegmentWriter) -> Result<()>,
    ) -> Result<SegmentMeta> {
        let dir = &self.index.dir;
        let tmp = dir.join(format!("{name}.tmp-{}", std::process::id()));
        let path = dir.join(name);
        let _ = fs::remove_file(&tmp);
        let line = self.index.manifest.settings.line();
        let written = (|| {
            let mut writer = SegmentWriter::create(&tmp, &line, docs, bands)?;
            fill(&mut writer)?;
            check(progress)?;
            let meta = writer.finish(name.to_string())?;
            fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
            Ok(meta)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Publishes `manifest` and reopens the index through it.
    fn publish(&mut self, manifest: Manifest) -> Result<()> {
        manifest.publish(&self.index.dir)?;
        self.index = Index::open(&self.index.dir)?;
        Ok(())
    }
}

/// Removes what killed writers left: segment files the manifest does not
/// list, and temporary files. Called with the lock held, so no writer is
/// making them now.
fn sweep(dir: &Path, manifest: &Manifest) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stray_segment =
            name.starts_with("seg-") && !manifest.segments.iter().any(|m| m.file == name);
        let stray_manifest = name.starts_with(&format!("{MANIFEST}.tmp-"));
        if stray_segment || stray_manifest {
            let _ = fs::remove_file(entry.path());
        }
    }
    let _ = sync_dir(dir);
}
