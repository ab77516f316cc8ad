//! Write: the cleaned corpus, in the shape of the input.
//!
//! Takes the corpus on disk ([`Files`]) and a run's [`Report`], and writes
//! the corpus without its removed documents:
//! - one input file (or standard input) → one output file of the same
//!   format and compression;
//! - folders or several files → an output folder that mirrors the inputs'
//!   relative paths.
//!
//! Text files are copied byte for byte; JSON Lines files are copied line by
//! line, each kept line exactly as it was (every field, key order and
//! spacing kept), and files with nothing removed are copied whole. Inputs
//! that were skipped (malformed lines, binary files) are not duplicates, so
//! they are carried over too: the cleaned corpus is the input minus the
//! removed documents. Hidden entries of input folders are neither read nor
//! copied. A source that cannot be copied (unreadable, or damaged past the
//! point where the reader stopped) is reported in [`Written::problems`] and
//! the rest is written.
//!
//! Invariants: output goes to a temporary name beside the target and is
//! renamed into place only when complete; an existing output is replaced
//! only when asked, and deleted only after its replacement is in place; an
//! output that overlaps an input (or a file inside one) is refused, so an
//! input is never overwritten or deleted.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::pipeline::{Progress, Stage};
use crate::read::{Compression, Files, Format, Skip, SkipReason, Source};
use crate::report::Report;

/// What to do when an output already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Fail with [`Error::OutputExists`].
    Refuse,
    /// Replace it once the new output is complete.
    Replace,
}

/// Counts of a write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written.
    pub files: u64,
    /// Documents removed from them.
    pub removed: u64,
    /// Sources that could not be copied, or not completely.
    pub problems: Vec<Skip>,
}

/// Writes `files` minus the documents `report` removes to `out`.
pub fn write_corpus(
    files: &Files,
    report: &Report,
    out: &Path,
    existing: Existing,
    progress: &dyn Progress,
) -> Result<Written> {
    check_output(files.roots(), out, existing)?;
    // A link inside an input folder may point into the output: replacing
    // the output must not delete what it points to.
    let out_abs = absolute(out);
    for source in files.sources().iter().filter(|s| !s.temporary) {
        let real = absolute(&source.path);
        if real.starts_with(&out_abs) {
            return Err(Error::OutputOverlapsInput {
                output: out.to_path_buf(),
                input: source.path.clone(),
            });
        }
    }
    let named_inputs =
        files.roots().len() + usize::from(files.sources().iter().any(|s| s.temporary));
    let single_file = named_inputs == 1
        && files.sources().len() == 1
        && files.roots().iter().all(|root| !root.is_dir());

    // Per source: the removed lines (JSON Lines) or 0 for a whole file.
    let mut removed: HashMap<u32, Vec<u64>> = HashMap::new();
    for removal in report.removed() {
        let origin = report.origins[removal.doc.index()];
        removed.entry(origin.source).or_default().push(origin.line);
    }
    for lines in removed.values_mut() {
        lines.sort_unstable();
    }
    let removed_lines = |i: usize| removed.get(&(i as u32)).map_or(&[][..], Vec::as_slice);

    progress.begin(Stage::Write, Some(files.sources().len() as u64));
    let mut written = Written::default();
    let copy =
        |source: &Source, lines: &[u64], target: &Path, written: &mut Written| -> Result<()> {
            match copy_source(source, lines, target)? {
                Outcome::Copied { removed, file } => {
                    written.removed += removed;
                    written.files += u64::from(file);
                }
                Outcome::Problem(reason) => written.problems.push(Skip {
                    source: source.name.clone(),
                    line: None,
                    reason,
                }),
            }
            progress.advance(1);
            Ok(())
        };
    if single_file {
        write_file_atomically(out, existing, |tmp| {
            copy(&files.sources()[0], removed_lines(0), tmp, &mut written)?;
            if fs::symlink_metadata(tmp).is_err() {
                // Nothing to copy: the output is an empty corpus.
                File::create(tmp).map_err(|e| Error::io(out, e))?;
            }
            Ok(())
        })?;
    } else {
        write_folder_atomically(out, existing, |tmp| {
            let mut seen = HashSet::new();
            for (i, source) in files.sources().iter().enumerate() {
                if !seen.insert(&source.relative) {
                    return Err(Error::OutputCollision {
                        path: source.relative.clone(),
                    });
                }
                let target = tmp.join(&source.relative);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                copy(source, removed_lines(i), &target, &mut written)?;
            }
            Ok(())
        })?;
    }
    progress.end();
    Ok(written)
}

/// Fills a temporary file beside `path` with `fill`, then renames it to
/// `path`: a reader never sees a half-written file, and a failure leaves
/// no debris and the old file (if any) in place.
pub fn write_file_atomically<T>(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    commit(path, existing, |tmp| fill(tmp))
}

/// Writes the output of `fill` through a `BufWriter` to `path`, atomically
/// (see [`write_file_atomically`]).
pub fn write_stream_atomically(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    write_file_atomically(path, existing, |tmp| {
        let file = File::create(tmp).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::new(file);
        fill(&mut out)
            .and_then(|()| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all())
            .map_err(|e| Error::io(path, e))
    })
}

/// Fills a temporary folder beside `path` with `fill`, then renames it to
/// `path` (see [`write_file_atomically`]).
pub fn write_folder_atomically<T>(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    commit(path, existing, |tmp| {
        fs::create_dir(tmp).map_err(|e| Error::io(path, e))?;
        fill(tmp)
    })
}

/// The shared protocol of the atomic writers: check, fill a temporary
/// sibling, move any old output aside, rename, then delete the old one.
fn commit<T>(path: &Path, existing: Existing, fill: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let name = plain_name(path)?;
    let exists = fs::symlink_metadata(path).is_ok();
    if exists && existing == Existing::Refuse {
        return Err(Error::OutputExists {
            path: path.to_path_buf(),
        });
    }
    let sibling =
        |tag: &str| path.with_file_name(format!(".{name}.textdup-{tag}-{}", std::process::id()));
    let tmp = sibling("tmp");
    let value = match fill(&tmp) {
        Ok(value) => value,
        Err(e) => {
            remove_path(&tmp);
            return Err(e);
        }
    };
    let old = sibling("old");
    if exists {
        if let Err(e) = fs::rename(path, &old) {
            remove_path(&tmp);
            return Err(Error::io(path, e));
        }
    }
    if let Err(e) = fs::rename(&tmp, path) {
        // Put the old output back; the new one is lost, the old is not.
        if exists {
            let _ = fs::rename(&old, path);
        }
        remove_path(&tmp);
        return Err(Error::io(path, e));
    }
    if exists {
        remove_path(&old);
    }
    Ok(value)
}

/// The last component of `path`, which must be a plain name: `.`, `..`
/// and `/` cannot be written through a temporary sibling, and replacing
/// them would delete the folder the user is standing in.
fn plain_name(path: &Path) -> Result<String> {
    match path.components().next_back() {
        Some(Component::Normal(name)) => Ok(name.to_string_lossy().into_owned()),
        _ => Err(Error::Config(format!(
            "{}: an output must end in a file or folder name",
            path.display()
        ))),
    }
}

/// Refuses an output that exists (unless replacing), is not a plain name,
/// or overlaps an input.
pub fn check_output(inputs: &[PathBuf], out: &Path, existing: Existing) -> Result<()> {
    plain_name(out)?;
    let out_abs = absolute(out);
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        let input_abs = absolute(input);
        if out_abs.starts_with(&input_abs) || input_abs.starts_with(&out_abs) {
            return Err(Error::OutputOverlapsInput {
                output: out.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    if existing == Existing::Refuse && fs::symlink_metadata(out).is_ok() {
        return Err(Error::OutputExists {
            path: out.to_path_buf(),
        });
    }
    Ok(())
}

/// Refuses outputs that are the same path or inside one another.
pub fn check_distinct(outputs: &[&Path]) -> Result<()> {
    let resolved: Vec<PathBuf> = outputs.iter().map(|p| absolute(p)).collect();
    for (i, a) in resolved.iter().enumerate() {
        for (j, b) in resolved.iter().enumerate() {
            if i != j && a.starts_with(b) {
                return Err(Error::Config(format!(
                    "{} and {} are the same output or inside one another",
                    outputs[i].display(),
                    outputs[j].display()
                )));
            }
        }
    }
    Ok(())
}

/// The path with symbolic links and `..` resolved as far as it exists, so
/// that two spellings of one place compare equal.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    // The output usually does not exist yet: resolve its parent.
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            absolute(parent).join(name)
        }
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

fn remove_path(path: &Path) {
    // Best effort: this only cleans up our own temporary or replaced output.
    let _ = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    };
}

/// What copying one source did.
enum Outcome {
    /// Copied, leaving out `removed` documents; `file` is false when the
    /// whole source was removed and nothing was written.
    Copied { removed: u64, file: bool },
    /// The source could not be read (completely): a problem to report,
    /// not a reason to stop.
    Problem(SkipReason),
}

/// Copies one source to `target` minus `removed` lines (sorted; a 0 means
/// the whole file). Failing to write the output is an error; failing to
/// read the source is an [`Outcome::Problem`].
fn copy_source(source: &Source, removed: &[u64], target: &Path) -> Result<Outcome> {
    let unreadable = |e: io::Error| Outcome::Problem(SkipReason::Unreadable(e.to_string()));
    if removed.is_empty() {
        let mut input = match File::open(&source.path) {
            Ok(file) => file,
            Err(e) => return Ok(unreadable(e)),
        };
        let mut output = File::create(target).map_err(|e| Error::io(target, e))?;
        return match copy_bytes(&mut input, &mut output) {
            Ok(()) => Ok(Outcome::Copied {
                removed: 0,
                file: true,
            }),
            Err(Failure::Read(e)) => Ok(unreadable(e)),
            Err(Failure::Write(e)) => Err(Error::io(target, e)),
        };
    }
    if source.format == Format::Text || removed == [0] {
        return Ok(Outcome::Copied {
            removed: 1,
            file: false,
        });
    }
    let (compression, mut reader) = match crate::read::open_decoded(&source.path) {
        Ok(opened) => opened,
        Err(e) => return Ok(unreadable(e)),
    };
    let file = File::create(target).map_err(|e| Error::io(target, e))?;
    let out = BufWriter::new(file);
    // Concrete encoders, finished explicitly: an error in the last block
    // (a full disk) must fail the copy, not vanish in a drop.
    let result = match compression {
        Compression::None => filter_into(&mut reader, out, removed, Ok),
        Compression::Gzip => filter_into(
            &mut reader,
            flate2::write::GzEncoder::new(out, flate2::Compression::default()),
            removed,
            |e| e.finish(),
        ),
        Compression::Zstd => {
            let encoder =
                zstd::stream::write::Encoder::new(out, 0).map_err(|e| Error::io(target, e))?;
            filter_into(&mut reader, encoder, removed, |e| e.finish())
        }
    };
    match result {
        Ok(left_out) => Ok(Outcome::Copied {
            removed: left_out,
            file: true,
        }),
        Err(Failure::Read(e)) => Ok(Outcome::Problem(SkipReason::Corrupt(format!(
            "copied up to the damage only: {e}"
        )))),
        Err(Failure::Write(e)) => Err(Error::io(target, e)),
    }
}

/// Copies all bytes and syncs, telling read failures from write failures.
fn copy_bytes(input: &mut File, output: &mut File) -> Result<(), Failure> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match io::Read::read(input, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        output.write_all(&buf[..n]).map_err(Failure::Write)?;
    }
    output.sync_all().map_err(Failure::Write)
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Filters lines into `writer`, finishes it with `finish`, and syncs the
/// file under it.
fn filter_into<W: Write>(
    reader: &mut dyn BufRead,
    mut writer: W,
    removed: &[u64],
    finish: impl FnOnce(W) -> io::Result<BufWriter<File>>,
) -> Result<u64, Failure> {
    let left_out = filter_lines(reader, &mut writer, removed)?;
    let file = finish(writer)
        .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
        .map_err(Failure::Write)?;
    file.sync_all().map_err(Failure::Write)?;
    Ok(left_out)
}

/// Copies lines from `reader` to `writer` except the (sorted, 1-based)
/// `removed` ones, byte for byte. Returns how many were left out.
fn filter_lines(
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
    removed: &[u64],
) -> Result<u64, Failure> {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut next_removed = removed.iter().copied().peekable();
    let mut left_out = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(Failure::Read)? == 0 {
            break;
        }
        number += 1;
        if next_removed.peek() == Some(&number) {
            next_removed.next();
            left_out += 1;
            continue;
        }
        writer.write_all(&line).map_err(Failure::Write)?;
    }
    writer.flush().map_err(Failure::Write)?;
    Ok(left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_lines_keeps_bytes_exactly() {
        let mut input = io::Cursor::new(b"{\"a\":1}\r\n{\"b\": 2}\n\n{\"c\":3}".to_vec());
        let mut out = Vec::new();
        let left_out = filter_lines(&mut input, &mut out, &[2]).ok().unwrap();
        assert_eq!(left_out, 1);
        assert_eq!(out, b"{\"a\":1}\r\n\n{\"c\":3}");
    }

    #[test]
    fn overlapping_outputs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir(&input).unwrap();
        let inputs = vec![input.clone()];
        for out in [input.clone(), input.join("out"), dir.path().to_path_buf()] {
            assert!(
                matches!(
                    check_output(&inputs, &out, Existing::Replace),
                    Err(Error::OutputOverlapsInput { .. })
                ),
                "{}",
                out.display()
            );
        }
        let beside = dir.path().join("out");
        assert!(check_output(&inputs, &beside, Existing::Refuse).is_ok());
        fs::create_dir(&beside).unwrap();
        assert!(matches!(
            check_output(&inputs, &beside, Existing::Refuse),
            Err(Error::OutputExists { .. })
        ));
        assert!(check_output(&inputs, &beside, Existing::Replace).is_ok());
    }

    #[test]
    fn outputs_must_be_plain_names() {
        for bad in [".", "..", "/", "a/.."] {
            assert!(
                check_output(&[], Path::new(bad), Existing::Replace).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn outputs_must_be_distinct() {
        let (a, b) = (Path::new("x/out"), Path::new("x/out/removed.jsonl"));
        assert!(check_distinct(&[a, b]).is_err());
        assert!(check_distinct(&[a, Path::new("x/out.removed.jsonl")]).is_ok());
    }

    #[test]
    fn a_failed_fill_keeps_the_old_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        let result: Result<()> = write_file_atomically(&path, Existing::Replace, |tmp| {
            fs::write(tmp, "half").unwrap();
            Err(Error::Config("boom".into()))
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no debris");
        write_stream_atomically(&path, Existing::Replace, |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }
}
