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
//! that were skipped (unreadable lines, binary files) are not duplicates,
//! so they are carried over too: the cleaned corpus is the input minus the
//! removed documents, nothing else.
//!
//! Invariants: output goes to a temporary name beside the target and is
//! renamed into place only when complete; an existing output is replaced
//! only when asked; an output that overlaps an input is refused, so an
//! input is never overwritten or deleted.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::pipeline::{Progress, Stage};
use crate::read::{Compression, Files, Format, Source};
use crate::report::Report;

/// Counts of a write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written.
    pub files: u64,
    /// Documents removed from them.
    pub removed: u64,
}

/// Writes `files` minus the documents `report` removes to `out`.
///
/// With `replace`, an existing `out` is replaced; without it, refused.
pub fn write_corpus(
    files: &Files,
    report: &Report,
    out: &Path,
    replace: bool,
    progress: &dyn Progress,
) -> Result<Written> {
    check_output(files.roots(), out, replace)?;
    let single_file = files.roots().len() + usize::from(files.sources().iter().any(|s| s.stdin))
        == 1
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

    let tmp = temporary_sibling(out);
    let result = (|| {
        progress.begin(Stage::Write, Some(files.sources().len() as u64));
        let mut written = Written::default();
        if single_file {
            let source = &files.sources()[0];
            let lines = removed.get(&0).map_or(&[][..], Vec::as_slice);
            written.removed += copy_source(source, lines, &tmp)?;
            written.files += 1;
            progress.advance(1);
        } else {
            fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let mut seen = HashSet::new();
            for (i, source) in files.sources().iter().enumerate() {
                if !seen.insert(&source.relative) {
                    return Err(Error::OutputCollision {
                        path: source.relative.clone(),
                    });
                }
                let lines = removed.get(&(i as u32)).map_or(&[][..], Vec::as_slice);
                let target = tmp.join(&source.relative);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                let n = copy_source(source, lines, &target)?;
                written.removed += n;
                if target.exists() {
                    written.files += 1;
                }
                progress.advance(1);
            }
        }
        progress.end();
        Ok(written)
    })();
    let written = match result {
        Ok(written) => written,
        Err(e) => {
            remove_path(&tmp);
            return Err(e);
        }
    };
    if replace && fs::symlink_metadata(out).is_ok() {
        let removal = if out.is_dir() {
            fs::remove_dir_all(out)
        } else {
            fs::remove_file(out)
        };
        removal.map_err(|e| Error::io(out, e))?;
    }
    fs::rename(&tmp, out).map_err(|e| {
        remove_path(&tmp);
        Error::io(out, e)
    })?;
    Ok(written)
}

/// Writes `bytes` to `path` through a temporary sibling, so that a reader
/// never sees a half-written file and a failed run leaves no debris.
///
/// With `replace`, an existing file is replaced; without it, refused.
pub fn write_file_atomically(
    path: &Path,
    replace: bool,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    if !replace && fs::symlink_metadata(path).is_ok() {
        return Err(Error::OutputExists {
            path: path.to_path_buf(),
        });
    }
    let tmp = temporary_sibling(path);
    let result = File::create(&tmp).and_then(|file| {
        let mut out = BufWriter::new(file);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    match result.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            remove_path(&tmp);
            Err(Error::io(path, e))
        }
    }
}

/// Refuses an output that exists (unless replacing) or overlaps an input.
pub fn check_output(inputs: &[PathBuf], out: &Path, replace: bool) -> Result<()> {
    let out_abs = absolute(out);
    for input in inputs {
        let input_abs = absolute(input);
        if out_abs.starts_with(&input_abs) || input_abs.starts_with(&out_abs) {
            return Err(Error::OutputOverlapsInput {
                output: out.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    if !replace && fs::symlink_metadata(out).is_ok() {
        return Err(Error::OutputExists {
            path: out.to_path_buf(),
        });
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

fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.textdup-tmp-{}", std::process::id()))
}

fn remove_path(path: &Path) {
    // Best effort: this only cleans up our own temporary output.
    let _ = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
}

/// Copies one source to `target` minus `removed` lines (sorted; a 0 means
/// the whole file). Returns how many documents were left out.
fn copy_source(source: &Source, removed: &[u64], target: &Path) -> Result<u64> {
    if removed.is_empty() {
        fs::copy(&source.path, target).map_err(|e| Error::io(&source.path, e))?;
        return Ok(0);
    }
    if source.format == Format::Text || removed == [0] {
        return Ok(1);
    }
    let (compression, mut reader) =
        crate::read::open_decoded(&source.path).map_err(|e| Error::io(&source.path, e))?;
    let file = File::create(target).map_err(|e| Error::io(target, e))?;
    let mut writer: Box<dyn Write> = match compression {
        Compression::None => Box::new(BufWriter::new(file)),
        Compression::Gzip => Box::new(flate2::write::GzEncoder::new(
            BufWriter::new(file),
            flate2::Compression::default(),
        )),
        Compression::Zstd => Box::new(
            zstd::stream::write::Encoder::new(BufWriter::new(file), 0)
                .map_err(|e| Error::io(target, e))?
                .auto_finish(),
        ),
    };
    let left_out =
        filter_lines(&mut reader, &mut writer, removed).map_err(|e| Error::io(&source.path, e))?;
    // Dropping the writer finishes the compressed stream.
    drop(writer);
    Ok(left_out)
}

/// Copies lines from `reader` to `writer` except the (sorted, 1-based)
/// `removed` ones, byte for byte. Returns how many were left out.
fn filter_lines(
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
    removed: &[u64],
) -> io::Result<u64> {
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut next_removed = removed.iter().copied().peekable();
    let mut left_out = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if next_removed.peek() == Some(&number) {
            next_removed.next();
            left_out += 1;
            continue;
        }
        writer.write_all(&line)?;
    }
    writer.flush()?;
    Ok(left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_lines_keeps_bytes_exactly() {
        let mut input = io::Cursor::new(b"{\"a\":1}\r\n{\"b\": 2}\n\n{\"c\":3}".to_vec());
        let mut out = Vec::new();
        let left_out = filter_lines(&mut input, &mut out, &[2]).unwrap();
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
                    check_output(&inputs, &out, true),
                    Err(Error::OutputOverlapsInput { .. })
                ),
                "{}",
                out.display()
            );
        }
        let beside = dir.path().join("out");
        assert!(check_output(&inputs, &beside, false).is_ok());
        fs::create_dir(&beside).unwrap();
        assert!(matches!(
            check_output(&inputs, &beside, false),
            Err(Error::OutputExists { .. })
        ));
        assert!(check_output(&inputs, &beside, true).is_ok());
    }
}
