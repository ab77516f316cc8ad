//! Files that appear whole: how every output of textdup reaches the disk.
//!
//! [`Commit`] stages a run's outputs under temporary names and puts them in
//! place together (see its module for the protocol and what a crash leaves);
//! [`check_output`] and [`check_distinct`] refuse outputs that would
//! overwrite an input or each other before a run spends its time.
//! Beneath every other layer but `error`: the pipeline's sketch files and
//! the cleaned corpus use it alike.

mod commit;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, OutputProblem, Result};

pub use commit::{
    recover, remove_stale_temporaries, remove_stale_temporaries_in, Commit, Destination, Existing,
    OutputFile, Receipt, Recovered, WrittenBack,
};

/// Writes one file at `path` with `fill`, atomically: a one-output
/// [`Commit`]. `fill` gets the temporary path to create.
pub fn write_file_atomically<T>(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let mut commit = Commit::new(existing);
    let value = match commit.file(path)? {
        Destination::Staged(tmp) => fill(&tmp)?,
        _ => {
            return Err(Error::Output {
                path: path.to_path_buf(),
                problem: OutputProblem::NotAFile,
            })
        }
    };
    drop(commit.commit(|| Ok(()))?);
    Ok(value)
}

/// Fills a folder at `path` with `fill`, atomically: a one-output
/// [`Commit`]. `fill` gets the temporary folder, created empty.
pub fn write_folder_atomically<T>(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let mut commit = Commit::new(existing);
    let tmp = commit.folder(path)?;
    let value = fill(&tmp)?;
    drop(commit.commit(|| Ok(()))?);
    Ok(value)
}

/// Refuses an output that is not a plain name, overlaps an input, or
/// exists as a regular file or folder (unless replacing). `-` (standard
/// output) and existing devices and FIFOs are fine: they are written as
/// streams.
pub fn check_output(inputs: &[PathBuf], out: &Path, existing: Existing) -> Result<()> {
    if out.as_os_str() == "-" {
        return Ok(());
    }
    let target = commit::resolve(out)?;
    let out_abs = absolute(&target);
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        let input_abs = absolute(input);
        if out_abs.starts_with(&input_abs) || input_abs.starts_with(&out_abs) {
            return Err(Error::OutputOverlapsInput {
                output: out.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    let regular = fs::metadata(&target).is_ok_and(|m| m.is_file() || m.is_dir())
        || fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink());
    if existing == Existing::Refuse && regular {
        return Err(Error::OutputExists {
            path: out.to_path_buf(),
        });
    }
    Ok(())
}

/// Refuses outputs that are the same path or inside one another.
pub fn check_distinct(outputs: &[&Path]) -> Result<()> {
    if outputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::Output {
            path: PathBuf::from("-"),
            problem: OutputProblem::StdoutTwice,
        });
    }
    // Standard output and devices can take any number of outputs.
    let outputs: Vec<&Path> = outputs.iter().copied().filter(|p| !is_stream(p)).collect();
    let resolved: Vec<PathBuf> = outputs.iter().map(|p| absolute(p)).collect();
    for (i, a) in resolved.iter().enumerate() {
        for (j, b) in resolved.iter().enumerate() {
            if i != j && a.starts_with(b) {
                return Err(Error::Output {
                    path: outputs[i].to_path_buf(),
                    problem: OutputProblem::Nested(outputs[j].to_path_buf()),
                });
            }
        }
    }
    Ok(())
}

/// The path with symbolic links and `..` resolved as far as it exists, so
/// that two spellings of one place compare equal.
pub(crate) fn absolute(path: &Path) -> PathBuf {
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

/// Whether output `path` is written as a stream rather than committed:
/// standard output (`-`), or a path that exists and is not a regular file
/// or folder (a device, FIFO or socket). Its links are followed by the
/// kernel, which also opens those that name no file (`/dev/stdout` to a
/// pipe reads `pipe:[…]`).
///
/// ```
/// use std::path::Path;
/// use textdup::output::is_stream;
///
/// assert!(is_stream(Path::new("-")));
/// assert!(is_stream(Path::new("/dev/null")));
/// assert!(!is_stream(Path::new("clusters.jsonl")));
/// ```
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == "-" || fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Err(Error::Interrupted)
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no debris");
        write_file_atomically(&path, Existing::Replace, |tmp| {
            fs::write(tmp, "new").map_err(|e| Error::io(tmp, e))
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn streams_are_not_outputs_that_exist() {
        assert!(check_output(&[], Path::new("/dev/null"), Existing::Refuse).is_ok());
        assert!(check_output(&[], Path::new("-"), Existing::Refuse).is_ok());
        let (a, b) = (Path::new("/dev/null"), Path::new("-"));
        assert!(check_distinct(&[a, a, b]).is_ok());
        assert!(
            check_distinct(&[b, b]).is_err(),
            "two outputs on stdout would mix"
        );
    }
}
