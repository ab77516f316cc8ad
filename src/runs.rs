//! Sorted runs on disk: how the band index and the span detector's
//! occurrences outgrow memory.
//!
//! A table over its memory budget is written out in parts ("runs"), each
//! sorted, as fixed-size little-endian records in a file of its own, and
//! read back as one sorted stream by a k-way merge. Runs are private to a
//! single process and live only in their owner's temporary folder, so their
//! format carries no header; the staged runs' sketch files are the
//! documented, durable format.
//!
//! Invariant: a merge yields exactly the records of its runs, in ascending
//! order; records are unique (they carry a document id), so the order does
//! not depend on which run a record came from.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What spilling cost: runs written and their bytes on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spilled {
    /// Times a table was written out.
    pub runs: u64,
    /// Bytes written to run files, merges included.
    pub bytes: u64,
}

impl std::ops::AddAssign for Spilled {
    fn add_assign(&mut self, other: Spilled) {
        self.runs += other.runs;
        self.bytes += other.bytes;
    }
}

/// A fixed-size record of a run.
pub(crate) trait Entry: Copy + Ord + Send + Sync {
    /// Bytes on disk; at most 32.
    const SIZE: usize;
    /// Writes the record to `out[..SIZE]`, little-endian.
    fn put(&self, out: &mut [u8]);
    /// Reads a record written by [`Entry::put`].
    fn get(bytes: &[u8]) -> Self;
}

/// Reading buffer per run during a merge: large enough for sequential
/// reads, small enough that hundreds of runs cost little.
const READ_BUFFER: usize = 256 << 10;

/// Writes `sorted` to a new run file at `path`; returns its size in bytes.
pub(crate) fn write_run<T: Entry>(path: &Path, sorted: impl IntoIterator<Item = T>) -> Result<u64> {
    let fail = |e| Error::io(path, e);
    let file = File::create(path).map_err(fail)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut record = [0u8; 32];
    let mut bytes = 0u64;
    for entry in sorted {
        entry.put(&mut record[..T::SIZE]);
        out.write_all(&record[..T::SIZE]).map_err(fail)?;
        bytes += T::SIZE as u64;
    }
    out.flush().map_err(fail)?;
    Ok(bytes)
}

/// The records of several runs in one ascending stream.
pub(crate) struct Merge<T: Entry> {
    readers: Vec<(PathBuf, BufReader<File>)>,
    heap: BinaryHeap<Reverse<(T, usize)>>,
}

impl<T: Entry> Merge<T> {
    /// Opens every run in `paths`.
    pub fn open(paths: &[PathBuf]) -> Result<Self> {
        let mut merge = Merge {
            readers: Vec::with_capacity(paths.len()),
            heap: BinaryHeap::with_capacity(paths.len()),
        };
        for path in paths {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            merge
                .readers
                .push((path.clone(), BufReader::with_capacity(READ_BUFFER, file)));
            let run = merge.readers.len() - 1;
            if let Some(first) = merge.read(run)? {
                merge.heap.push(Reverse((first, run)));
            }
        }
        Ok(merge)
    }

    fn read(&mut self, run: usize) -> Result<Option<T>> {
        let (path, reader) = &mut self.readers[run];
        let mut record = [0u8; 32];
        match reader.read_exact(&mut record[..T::SIZE]) {
            Ok(()) => Ok(Some(T::get(&record[..T::SIZE]))),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(Error::io(path.as_path(), e)),
        }
    }
}

impl<T: Entry> Iterator for Merge<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let Reverse((entry, run)) = self.heap.pop()?;
        match self.read(run) {
            Ok(Some(next)) => self.heap.push(Reverse((next, run))),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(entry))
    }
}

/// Most runs merged at once: each holds a file and a read buffer open.
pub(crate) const MAX_FAN_IN: usize = 128;

/// Merges `runs` into at most [`MAX_FAN_IN`] runs, writing the merged
/// ones to paths from `name` and deleting their parts. Returns the runs
/// left and the bytes written.
pub(crate) fn reduce_fan_in<T: Entry>(
    mut runs: Vec<PathBuf>,
    mut name: impl FnMut() -> PathBuf,
) -> Result<(Vec<PathBuf>, u64)> {
    let mut written = 0;
    while runs.len() > MAX_FAN_IN {
        let mut next = Vec::new();
        for group in runs.chunks(MAX_FAN_IN) {
            if group.len() == 1 {
                next.push(group[0].clone());
                continue;
            }
            let path = name();
            let mut failure = None;
            let merged = Merge::<T>::open(group)?.map_while(|r| match r {
                Ok(entry) => Some(entry),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            });
            written += write_run(&path, merged)?;
            if let Some(e) = failure {
                return Err(e);
            }
            for part in group {
                std::fs::remove_file(part).map_err(|e| Error::io(part, e))?;
            }
            next.push(path);
        }
        runs = next;
    }
    Ok((runs, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Pair(u64, u32);

    impl Entry for Pair {
        const SIZE: usize = 12;
        fn put(&self, out: &mut [u8]) {
            out[..8].copy_from_slice(&self.0.to_le_bytes());
            out[8..12].copy_from_slice(&self.1.to_le_bytes());
        }
        fn get(bytes: &[u8]) -> Self {
            Pair(
                u64::from_le_bytes(bytes[..8].try_into().unwrap()),
                u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
            )
        }
    }

    #[test]
    fn a_merge_of_many_runs_is_the_sorted_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut all = Vec::new();
        let mut runs = Vec::new();
        let mut x = 12345u64;
        for run in 0..(MAX_FAN_IN * 2 + 3) {
            let mut part: Vec<Pair> = (0..7)
                .map(|i| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    Pair(x >> 60, crate::core::number(run * 7 + i))
                })
                .collect();
            part.sort();
            all.extend_from_slice(&part);
            let path = dir.path().join(format!("run-{run}"));
            write_run(&path, part.iter().copied()).unwrap();
            runs.push(path);
        }
        let mut n = 0;
        let (runs, written) = reduce_fan_in::<Pair>(runs, || {
            n += 1;
            dir.path().join(format!("merged-{n}"))
        })
        .unwrap();
        assert!(runs.len() <= MAX_FAN_IN);
        assert!(written > 0);
        let merged: Vec<Pair> = Merge::open(&runs).unwrap().map(|r| r.unwrap()).collect();
        all.sort();
        assert_eq!(merged, all);
    }
}
