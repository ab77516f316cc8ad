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

use rayon::prelude::*;

use crate::core::Record;
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

/// A record of a run: sorted, so ordered, and copied between threads.
pub(crate) trait Entry: Record + Copy + Ord + Send + Sync {}

impl<T: Record + Copy + Ord + Send + Sync> Entry for T {}

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

/// A new `textdup-*` folder under `parent` for a table's runs, removed
/// with everything in it when dropped (on success, error or Ctrl-C).
pub(crate) fn temp_folder(parent: &Path) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("textdup-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))
}

/// Smallest table worth a run: below it, runs would be many and tiny.
#[cfg(not(test))]
pub(crate) const MIN_RUN_BYTES: usize = 1 << 20;
/// Unit tests spill tables of a few records, so that every path that
/// spills is taken by data small enough to check by hand.
#[cfg(test)]
pub(crate) const MIN_RUN_BYTES: usize = 256;

/// Records pushed in any order and read back sorted: held in memory, or,
/// once told to spill, written out as sorted runs in a temporary folder
/// (`textdup-*` under the chosen parent, removed when the table or what
/// it sorts into is dropped).
pub(crate) struct Sorter<T: Entry> {
    held: Vec<T>,
    spill: Option<Spill>,
    /// Names its run files.
    name: &'static str,
}

struct Spill {
    parent: PathBuf,
    dir: Option<tempfile::TempDir>,
    runs: Vec<PathBuf>,
    stats: Spilled,
}

impl<T: Entry> Sorter<T> {
    /// A table that stays in memory.
    pub fn in_memory(name: &'static str) -> Self {
        Sorter {
            held: Vec::new(),
            spill: None,
            name,
        }
    }

    /// A table that may spill under `parent` (see [`Sorter::spill`]).
    pub fn spilling(name: &'static str, parent: &Path) -> Self {
        Sorter {
            spill: Some(Spill {
                parent: parent.to_path_buf(),
                dir: None,
                runs: Vec::new(),
                stats: Spilled::default(),
            }),
            ..Sorter::in_memory(name)
        }
    }

    /// Makes room for `more` records, exactly, in a table that stays in
    /// memory (one that spills would rather write them out).
    pub fn reserve(&mut self, more: usize) {
        if self.spill.is_none() {
            self.held.reserve_exact(more);
        }
    }

    /// Adds records.
    pub fn extend_from_slice(&mut self, more: &[T]) {
        self.held.extend_from_slice(more);
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && !self.on_disk()
    }

    /// Bytes held, spare capacity included.
    pub fn memory(&self) -> usize {
        self.held.capacity() * size_of::<T>()
    }

    /// Bytes held after `more` records are added: what growing to fit
    /// them could take.
    pub fn memory_with(&self, more: usize) -> usize {
        let (len, cap) = (self.held.len(), self.held.capacity());
        let need = len + more;
        size_of::<T>() * if need <= cap { cap } else { need.max(2 * cap) }
    }

    /// What spilling has cost so far.
    pub fn spilled(&self) -> Spilled {
        self.spill
            .as_ref()
            .map_or_else(Spilled::default, |s| s.stats)
    }

    /// Writes the held records out as a sorted run and frees them, if this
    /// table spills and holds enough for a run.
    pub fn spill(&mut self) -> Result<()> {
        if self.spill.is_some() && self.held.len() * size_of::<T>() >= MIN_RUN_BYTES {
            self.spill_run()?;
        }
        Ok(())
    }

    /// Writes whatever is held out as a run: lets tests spill tables far
    /// smaller than a run.
    #[cfg(test)]
    pub fn spill_now(&mut self) -> Result<()> {
        if !self.held.is_empty() {
            self.spill_run()?;
        }
        Ok(())
    }

    fn spill_run(&mut self) -> Result<()> {
        let spill = self.spill.as_mut().expect("only a spilling table spills");
        if spill.dir.is_none() {
            spill.dir = Some(temp_folder(&spill.parent)?);
        }
        let dir = spill.dir.as_ref().expect("just made").path();
        let path = dir.join(format!("{}-run-{:05}", self.name, spill.runs.len()));
        let mut held = std::mem::take(&mut self.held);
        held.par_sort_unstable();
        spill.stats.bytes += write_run(&path, held)?;
        spill.stats.runs += 1;
        spill.runs.push(path);
        Ok(())
    }

    /// Whether any run was written (and so everything must be).
    fn on_disk(&self) -> bool {
        self.spill.as_ref().is_some_and(|s| !s.runs.is_empty())
    }

    /// Once every record is pushed: if any spilled, writes the rest out
    /// too and merges the runs down to as many as one merge reads, so that
    /// [`Sorter::spilled`] tells the whole cost. [`Sorter::into_sorted`]
    /// calls it; calling it first changes nothing.
    pub fn finish(&mut self) -> Result<()> {
        if !self.on_disk() {
            return Ok(());
        }
        if !self.held.is_empty() {
            self.spill_run()?;
        }
        self.held = Vec::new();
        let name = self.name;
        let spill = self.spill.as_mut().expect("on disk");
        let dir = spill.dir.as_ref().expect("on disk").path().to_path_buf();
        let mut merged = 0;
        let (runs, bytes) = reduce_fan_in::<T>(std::mem::take(&mut spill.runs), || {
            merged += 1;
            dir.join(format!("{name}-merged-{merged:05}"))
        })?;
        spill.runs = runs;
        spill.stats.bytes += bytes;
        Ok(())
    }

    /// Everything pushed, sorted.
    pub fn into_sorted(mut self) -> Result<Sorted<T>> {
        if !self.on_disk() {
            self.held.par_sort_unstable();
            return Ok(Sorted::Memory(self.held));
        }
        self.finish()?;
        let mut spill = self.spill.take().expect("on disk");
        Ok(Sorted::Disk {
            runs: std::mem::take(&mut spill.runs),
            _dir: spill.dir.take().expect("on disk"),
        })
    }
}

/// What a [`Sorter`] sorted: in memory or in runs on disk.
pub(crate) enum Sorted<T> {
    /// Sorted in place.
    Memory(Vec<T>),
    /// Sorted runs, read back by a merge.
    Disk {
        /// The runs.
        runs: Vec<PathBuf>,
        /// Holds the runs' folder until they are read.
        _dir: tempfile::TempDir,
    },
}

impl<T: Entry> Sorted<T> {
    /// Every record, in ascending order.
    pub fn iter(&self) -> Result<Box<dyn Iterator<Item = Result<T>> + Send + '_>> {
        Ok(match self {
            Sorted::Memory(sorted) => Box::new(sorted.iter().copied().map(Ok)),
            Sorted::Disk { runs, .. } => Box::new(Merge::<T>::open(runs)?),
        })
    }

    /// Folds every group of records that `same` puts together (neighbours
    /// in sorted order), in no set order: from memory, groups are folded
    /// in parallel into several accumulators (`init` makes each) that
    /// `reduce` combines; from disk, in one accumulator as the merge reads
    /// them. Can be called any number of times.
    pub fn fold_groups<A: Send>(
        &self,
        same: impl Fn(&T, &T) -> bool + Sync + Send,
        init: impl Fn() -> A + Sync + Send,
        fold: impl Fn(A, &[T]) -> A + Sync + Send,
        reduce: impl Fn(A, A) -> A + Sync + Send,
    ) -> Result<A> {
        match self {
            Sorted::Memory(sorted) => Ok(sorted
                .par_chunk_by(&same)
                .fold(&init, &fold)
                .reduce(&init, &reduce)),
            Sorted::Disk { runs, .. } => {
                let mut group: Vec<T> = Vec::new();
                let mut done = init();
                for record in Merge::<T>::open(runs)? {
                    let record = record?;
                    if group.last().is_some_and(|last| !same(last, &record)) {
                        done = fold(done, &group);
                        group.clear();
                    }
                    group.push(record);
                }
                if !group.is_empty() {
                    done = fold(done, &group);
                }
                Ok(done)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Pair(u64, u32);

    impl Record for Pair {
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

    #[test]
    fn a_sorter_groups_the_same_in_memory_and_spilled() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Pair> = (0..5000u32)
            .map(|i| Pair(u64::from(i.wrapping_mul(2654435761) % 97), i))
            .collect();
        let groups = |sorter: Sorter<Pair>| {
            let mut found = sorter
                .into_sorted()
                .unwrap()
                .fold_groups(
                    |a, b| a.0 == b.0,
                    Vec::new,
                    |mut all: Vec<Vec<Pair>>, group| {
                        all.push(group.to_vec());
                        all
                    },
                    |mut a, mut b| {
                        a.append(&mut b);
                        a
                    },
                )
                .unwrap();
            found.sort();
            found
        };
        let mut memory = Sorter::in_memory("test");
        let mut disk = Sorter::spilling("test", dir.path());
        for chunk in records.chunks(700) {
            memory.extend_from_slice(chunk);
            disk.extend_from_slice(chunk);
            disk.spill_now().unwrap();
        }
        disk.finish().unwrap();
        assert_eq!(disk.spilled().runs, 8);
        let (in_memory, spilled) = (groups(memory), groups(disk));
        assert_eq!(in_memory.len(), 97);
        assert!(in_memory.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])));
        assert_eq!(in_memory, spilled);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_sorter_reads_back_in_order_in_memory_and_spilled() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Pair> = (0..3000u32)
            .map(|i| Pair(u64::from(i.wrapping_mul(2654435761) % 31), i))
            .collect();
        let mut memory = Sorter::in_memory("test");
        let mut disk = Sorter::spilling("test", dir.path());
        for chunk in records.chunks(1000) {
            memory.extend_from_slice(chunk);
            disk.extend_from_slice(chunk);
            disk.spill_now().unwrap();
        }
        let read = |sorter: Sorter<Pair>| -> Vec<Pair> {
            let sorted = sorter.into_sorted().unwrap();
            let all = sorted.iter().unwrap().map(|r| r.unwrap()).collect();
            all
        };
        let mut expected = records.clone();
        expected.sort();
        assert_eq!(read(memory), expected);
        assert_eq!(read(disk), expected);
    }
}
