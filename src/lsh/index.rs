//! The band index: every document's (or, for the passage grain, every
//! passage's) band keys and exact-text hash, held in memory or, past a
//! memory budget, spilled to sorted runs on disk.
//!
//! Pass 1 pushes each comparable unit's exact-text hash and band keys in
//! input order (no keys for a unit that can match only its exact copies).
//! Then [`BandIndex::first_copies`] names each unit's first exact copy,
//! and [`BandIndex::candidates`] pairs the first copies that share a band
//! key.
//!
//! Invariant: spilled or not, the answers are the same. Each band is read
//! as (key, document) records in ascending order, from a sorted table in
//! memory or from a merge of runs, and the same bucket rule
//! ([`bucket_pairs`]) makes its pairs; each band's pairs are sorted and
//! merged into a set, so neither band order nor thread count shows.
//!
//! Spilling: with a budget, [`BandIndex::make_room`] writes the index out
//! as one sorted run per band plus one of exact hashes whenever the next
//! batch could take it over, counting growth of its buffers and the
//! sorting tables a spill builds. Runs live in a temporary folder
//! (`textdup-*` under the chosen parent) that is removed when the index is
//! dropped, whether the run succeeds, fails or is interrupted.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{bucket_pairs, merge_pairs, BandKey, CandidatePair};
use crate::core::{u32_at, Record};
use crate::core::{DocId, Numbered};
use crate::error::{Error, Result};
use crate::records::{Records, RecordsWriter};
use crate::runs::{reduce_fan_in, temp_folder, write_run, Entry, Merge, Spilled};

/// Band keys and exact hashes of a corpus's units (documents, or the
/// passage grain's passages); see the module docs.
pub struct BandIndex<I: Unit = DocId> {
    bands: usize,
    /// Units pushed with band keys since the last spill, in order.
    docs: Vec<I>,
    /// Their band keys, `bands` per document.
    keys: Vec<BandKey>,
    exact: Vec<Exact<I>>,
    spill: Option<Spill>,
}

/// What a [`BandIndex`] can index: a unit numbered in input order.
pub trait Unit: Numbered + Ord + Send + Sync {}

impl<I: Numbered + Ord + Send + Sync> Unit for I {}

struct Spill {
    budget: usize,
    parent: PathBuf,
    dir: Option<tempfile::TempDir>,
    /// Runs per table: `bands` band tables, then the exact one.
    runs: Vec<Vec<PathBuf>>,
    stats: Spilled,
}

/// A band key with its document: a band table's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Keyed<I> {
    key: BandKey,
    doc: I,
}

/// An exact-text hash (high half first, so arrays order as the u128)
/// with its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Exact<I> {
    hash: [u64; 2],
    doc: I,
}

impl<I: Unit> Record for Keyed<I> {
    const SIZE: usize = 12;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.key.to_le_bytes());
        out[8..12].copy_from_slice(&self.doc.number().to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        Keyed {
            key: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            doc: I::from_number(u32::from_le_bytes(
                bytes[8..12].try_into().expect("4 bytes"),
            )),
        }
    }
}

impl<I: Unit> Record for CandidatePair<I> {
    const SIZE: usize = 8;
    fn put(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.first.number().to_le_bytes());
        out[4..8].copy_from_slice(&self.second.number().to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        CandidatePair {
            first: I::from_number(u32_at(bytes, 0)),
            second: I::from_number(u32_at(bytes, 4)),
        }
    }
}

impl<I: Unit> Record for Exact<I> {
    const SIZE: usize = 20;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.hash[0].to_le_bytes());
        out[8..16].copy_from_slice(&self.hash[1].to_le_bytes());
        out[16..20].copy_from_slice(&self.doc.number().to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        Exact {
            hash: [word(0), word(8)],
            doc: I::from_number(u32::from_le_bytes(
                bytes[16..20].try_into().expect("4 bytes"),
            )),
        }
    }
}

/// Smallest index worth a spill: below it, runs would be many and tiny.
const MIN_RUN_BYTES: usize = 1 << 20;

impl<I: Unit> BandIndex<I> {
    /// An index that stays in memory.
    pub fn in_memory(bands: usize) -> Self {
        BandIndex {
            bands,
            docs: Vec::new(),
            keys: Vec::new(),
            exact: Vec::new(),
            spill: None,
        }
    }

    /// An index that spills to a temporary folder under `parent` when it
    /// would pass `budget` bytes (see [`BandIndex::make_room`]).
    pub fn spilling(bands: usize, budget: usize, parent: &Path) -> Self {
        BandIndex {
            spill: Some(Spill {
                budget,
                parent: parent.to_path_buf(),
                dir: None,
                runs: vec![Vec::new(); bands + 1],
                stats: Spilled::default(),
            }),
            ..BandIndex::in_memory(bands)
        }
    }

    /// Adds the next unit: its exact-text hash and its `bands` keys, or no
    /// keys for a unit that can match only its exact copies (it is then
    /// never a candidate, but still has a first copy).
    pub fn push(&mut self, doc: I, exact: u128, keys: &[BandKey]) {
        debug_assert!(keys.is_empty() || keys.len() == self.bands);
        if !keys.is_empty() {
            self.docs.push(doc);
            self.keys.extend_from_slice(keys);
        }
        self.exact.push(Exact {
            hash: [(exact >> 64) as u64, exact as u64],
            doc,
        });
    }

    /// Bytes the index holds now, spare capacity included.
    pub fn memory(&self) -> usize {
        self.docs.capacity() * size_of::<I>()
            + self.keys.capacity() * size_of::<BandKey>()
            + self.exact.capacity() * size_of::<Exact<I>>()
    }

    /// What spilling has cost so far.
    pub fn spilled(&self) -> Spilled {
        self.spill
            .as_ref()
            .map_or_else(Spilled::default, |s| s.stats)
    }

    /// Spills the index first if pushing `docs` more documents, while the
    /// rest of the run holds `other` bytes, could take the total past the
    /// budget. Does nothing for an in-memory index.
    pub fn make_room(&mut self, docs: usize, other: usize) -> Result<()> {
        let Some(spill) = &self.spill else {
            return Ok(());
        };
        let n = self.docs.len() + docs;
        let grown = |len: usize, cap: usize, add: usize, size: usize| {
            let need = len + add;
            size * if need <= cap { cap } else { need.max(2 * cap) }
        };
        let index = grown(self.docs.len(), self.docs.capacity(), docs, 4)
            + grown(self.keys.len(), self.keys.capacity(), docs * self.bands, 8)
            + grown(self.exact.len(), self.exact.capacity(), docs, 24);
        // A spill sorts one band table per thread beside the index.
        let sorting = rayon::current_num_threads() * n * size_of::<Keyed<I>>();
        if other + index + sorting > spill.budget && self.memory() >= MIN_RUN_BYTES {
            self.spill_run()?;
        }
        Ok(())
    }

    /// Writes everything held to one run per table and frees it.
    fn spill_run(&mut self) -> Result<()> {
        let spill = self.spill.as_mut().expect("only a spilling index spills");
        if spill.dir.is_none() {
            spill.dir = Some(temp_folder(&spill.parent)?);
        }
        let dir = spill.dir.as_ref().expect("just made").path();
        let run = spill.runs[0].len();
        let paths: Vec<PathBuf> = (0..=self.bands)
            .map(|table| dir.join(format!("table-{table:03}-run-{run:05}")))
            .collect();
        let (docs, keys, bands) = (&self.docs, &self.keys, self.bands);
        let mut exact = std::mem::take(&mut self.exact);
        let written: Vec<Result<u64>> = paths
            .par_iter()
            .enumerate()
            .map(|(band, path)| {
                if band == bands {
                    return Ok(0);
                }
                let table = band_table(docs, keys, bands, band, |_| true);
                write_run(path, table)
            })
            .collect();
        exact.par_sort_unstable();
        let mut bytes = write_run(&paths[bands], exact)?;
        for w in written {
            bytes += w?;
        }
        for (runs, path) in spill.runs.iter_mut().zip(paths) {
            runs.push(path);
        }
        spill.stats.runs += 1;
        spill.stats.bytes += bytes;
        self.docs = Vec::new();
        self.keys = Vec::new();
        Ok(())
    }

    /// Whether anything went to disk (and so everything must).
    fn on_disk(&self) -> bool {
        self.spill.as_ref().is_some_and(|s| !s.runs[0].is_empty())
    }

    /// Merged-down runs of `table`, at most as many as a merge opens.
    fn runs_of<T: Entry>(&mut self, table: usize) -> Result<Vec<PathBuf>> {
        let spill = self.spill.as_mut().expect("on disk");
        let dir = spill.dir.as_ref().expect("on disk").path().to_path_buf();
        let mut merged = 0;
        let runs = std::mem::take(&mut spill.runs[table]);
        let (runs, bytes) = reduce_fan_in::<T>(runs, || {
            merged += 1;
            dir.join(format!("table-{table:03}-merged-{merged:05}"))
        })?;
        spill.stats.bytes += bytes;
        Ok(runs)
    }

    /// Each of `docs` units' first exact copy: the earliest unit with the
    /// same exact-text hash (itself if none). Units never pushed are their
    /// own first copy.
    ///
    /// `check` is called every million merged entries, so that a caller can
    /// stop a long merge (its error is returned).
    pub fn first_copies(&mut self, docs: usize, check: &dyn Fn() -> Result<()>) -> Result<Vec<I>> {
        // Fits: units are numbered in u32 (`Numbered`).
        let mut first: Vec<I> = (0..docs).map(|n| I::from_number(n as u32)).collect();
        self.exact_copies(check, &mut |copies| {
            for &copy in &copies[1..] {
                first[copy.number() as usize] = copies[0];
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// Calls `copies` with each set of two or more units that share an
    /// exact-text hash, ascending (the first is their first copy), sets in
    /// the order of their hashes; its error stops the walk. Lets go of the
    /// hashes. `check` is as for [`BandIndex::first_copies`].
    pub fn exact_copies(
        &mut self,
        check: &dyn Fn() -> Result<()>,
        copies: &mut dyn FnMut(&[I]) -> Result<()>,
    ) -> Result<()> {
        let mut some = |group: &[Exact<I>], units: &mut Vec<I>| -> Result<()> {
            if group.len() < 2 {
                return Ok(());
            }
            units.clear();
            units.extend(group.iter().map(|e| e.doc));
            copies(units)
        };
        let mut units = Vec::new();
        if self.on_disk() {
            if !self.docs.is_empty() || !self.exact.is_empty() {
                self.spill_run()?;
            }
            let runs = self.runs_of::<Exact<I>>(self.bands)?;
            let mut group: Vec<Exact<I>> = Vec::new();
            for (n, entry) in Merge::<Exact<I>>::open(&runs)?.enumerate() {
                let entry = entry?;
                if n % (1 << 20) == 0 {
                    check()?;
                }
                if group.first().is_some_and(|g| g.hash != entry.hash) {
                    some(&group, &mut units)?;
                    group.clear();
                }
                group.push(entry);
            }
            some(&group, &mut units)?;
        } else {
            self.exact.par_sort_unstable();
            for group in self.exact.chunk_by(|a, b| a.hash == b.hash) {
                some(group, &mut units)?;
            }
            self.exact = Vec::new();
        }
        Ok(())
    }

    /// The candidate pairs among first copies (units `is_first` accepts),
    /// sorted, without repeats. Bands run in parallel; `each_band` is
    /// called as each begins and may stop the work with an error.
    pub fn candidates(
        &mut self,
        is_first: &(dyn Fn(I) -> bool + Sync),
        each_band: &(dyn Fn() -> Result<()> + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Vec<CandidatePair<I>>> {
        let runs = self.band_runs()?;
        let pairs = (0..self.bands)
            .into_par_iter()
            .map(|band| self.band_pairs(band, &runs, is_first, each_band, stop))
            .try_reduce(Vec::new, |a, b| Ok(merge_pairs(a, b)))?;
        self.docs = Vec::new();
        self.keys = Vec::new();
        Ok(pairs)
    }

    /// [`BandIndex::candidates`] under a memory limit: each band's pairs
    /// go to a sorted run (in a `textdup-*` folder under `dir`) as the band
    /// ends, and the runs' merge, without repeats, to an unnamed file in
    /// `dir`, so that the pairs of all bands are never held at once. Also
    /// gives what the runs wrote.
    pub fn candidates_on_disk(
        &mut self,
        is_first: &(dyn Fn(I) -> bool + Sync),
        each_band: &(dyn Fn() -> Result<()> + Sync),
        stop: &(dyn Fn() -> bool + Sync),
        dir: &Path,
    ) -> Result<(Records<CandidatePair<I>>, Spilled)> {
        let runs = self.band_runs()?;
        let folder = temp_folder(dir)?;
        let written: Vec<(PathBuf, u64)> = (0..self.bands)
            .into_par_iter()
            .map(|band| {
                let pairs = self.band_pairs(band, &runs, is_first, each_band, stop)?;
                let path = folder.path().join(format!("pairs-{band:03}"));
                let bytes = write_run(&path, pairs)?;
                Ok((path, bytes))
            })
            .collect::<Result<_>>()?;
        self.docs = Vec::new();
        self.keys = Vec::new();
        let mut spilled = Spilled {
            runs: written.len() as u64,
            bytes: written.iter().map(|(_, bytes)| bytes).sum(),
        };
        let mut merged = 0;
        let paths = written.into_iter().map(|(path, _)| path).collect();
        let (paths, bytes) = reduce_fan_in::<CandidatePair<I>>(paths, || {
            merged += 1;
            folder.path().join(format!("pairs-merged-{merged:05}"))
        })?;
        spilled.bytes += bytes;
        let mut out = RecordsWriter::on_disk(dir)?;
        let mut last = None;
        for (n, pair) in Merge::<CandidatePair<I>>::open(&paths)?.enumerate() {
            let pair = pair?;
            if n % (1 << 20) == (1 << 20) - 1 && stop() {
                return Err(Error::Interrupted);
            }
            // A pair that shares keys in several bands is in each one's run.
            if last != Some(pair) {
                out.push(&pair)?;
                last = Some(pair);
            }
        }
        Ok((out.finish()?, spilled))
    }

    /// Per band, its merged-down runs, if the index spilled.
    fn band_runs(&mut self) -> Result<Option<Vec<Vec<PathBuf>>>> {
        if !self.on_disk() {
            return Ok(None);
        }
        (0..self.bands)
            .map(|band| self.runs_of::<Keyed<I>>(band))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// Band `band`'s candidate pairs among first copies, sorted, without
    /// repeats: from memory, or from `runs` (see [`BandIndex::band_runs`]).
    fn band_pairs(
        &self,
        band: usize,
        runs: &Option<Vec<Vec<PathBuf>>>,
        is_first: &(dyn Fn(I) -> bool + Sync),
        each_band: &(dyn Fn() -> Result<()> + Sync),
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Vec<CandidatePair<I>>> {
        each_band()?;
        let Some(runs) = runs else {
            let table = band_table(&self.docs, &self.keys, self.bands, band, is_first);
            return bucket_pairs_sorted(|emit| {
                let mut bucket = Vec::new();
                for run in table.chunk_by(|a, b| a.key == b.key) {
                    bucket.clear();
                    bucket.extend(run.iter().map(|k| k.doc));
                    emit(&bucket);
                }
                Ok(())
            });
        };
        bucket_pairs_sorted(|emit| {
            let mut bucket: Vec<I> = Vec::new();
            let mut key = None;
            for (n, entry) in Merge::<Keyed<I>>::open(&runs[band])?.enumerate() {
                let entry = entry?;
                // Bands take seconds each at ten million documents: a stop
                // request is also seen inside one.
                if n % (1 << 20) == (1 << 20) - 1 && stop() {
                    return Err(Error::Interrupted);
                }
                if key != Some(entry.key) {
                    emit(&bucket);
                    bucket.clear();
                    key = Some(entry.key);
                }
                if is_first(entry.doc) {
                    bucket.push(entry.doc);
                }
            }
            emit(&bucket);
            Ok(())
        })
    }
}

/// The pairs of the buckets that `buckets` hands to its argument, sorted,
/// without repeats.
fn bucket_pairs_sorted<I: Unit>(
    buckets: impl FnOnce(&mut dyn FnMut(&[I])) -> Result<()>,
) -> Result<Vec<CandidatePair<I>>> {
    let mut pairs = Vec::new();
    buckets(&mut |bucket| bucket_pairs(bucket, &mut pairs))?;
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// Band `band`'s (key, document) records of the documents `keep` accepts,
/// sorted.
fn band_table<I: Unit>(
    docs: &[I],
    keys: &[BandKey],
    bands: usize,
    band: usize,
    keep: impl Fn(I) -> bool,
) -> Vec<Keyed<I>> {
    let mut table: Vec<Keyed<I>> = docs
        .iter()
        .enumerate()
        .filter(|&(_, &doc)| keep(doc))
        .map(|(i, &doc)| Keyed {
            key: keys[i * bands + band],
            doc,
        })
        .collect();
    table.sort_unstable();
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidate pairs go to files (the passage grain's, under a limit) and
    /// must come back as they went, ends in order.
    #[test]
    fn a_candidate_pair_is_read_back_as_written() {
        let mut bytes = [0u8; 8];
        for (first, second) in [(0, 1), (7, u32::MAX), (u32::MAX - 1, u32::MAX)] {
            let pair = CandidatePair {
                first: DocId::from_number(first),
                second: DocId::from_number(second),
            };
            pair.put(&mut bytes);
            assert_eq!(CandidatePair::<DocId>::get(&bytes), pair);
        }
    }

    /// Random band keys with planted equal bands, and a few exact copies.
    fn fill(index: &mut BandIndex, n: u32, make_room: bool) {
        let bands = index.bands as u64;
        let mut x = 7u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        for doc in 0..n {
            if make_room {
                index.make_room(1, 0).unwrap();
            }
            // Keys from a small range: many buckets with several members.
            let keys: Vec<BandKey> = (0..bands).map(|_| next() % 100_000).collect();
            let exact = if doc % 10 == 3 {
                42
            } else {
                u128::from(doc) << 70
            };
            // Every seventh unit can match only its exact copies: no keys.
            let keys = if doc % 7 == 5 { &[][..] } else { &keys[..] };
            index.push(DocId(doc), exact, keys);
        }
    }

    /// Under a limit the pairs go band by band to runs and then to a file:
    /// the same pairs, from an index in memory or spilled, and no run left.
    #[test]
    fn candidates_on_disk_are_the_candidates() {
        let n = 50_000;
        let dir = tempfile::tempdir().unwrap();
        let make = |spilling: bool| {
            let mut index = if spilling {
                BandIndex::spilling(16, MIN_RUN_BYTES, dir.path())
            } else {
                BandIndex::in_memory(16)
            };
            fill(&mut index, n, spilling);
            index
        };
        let mut memory = make(false);
        let first = memory.first_copies(n as usize, &|| Ok(())).unwrap();
        let is_first = |d: DocId| first[d.index()] == d;
        let (ok, go_on) = (|| Ok(()), || false);
        let pairs = memory.candidates(&is_first, &ok, &go_on).unwrap();
        assert!(pairs.len() > 1000, "{}", pairs.len());
        for spilling in [false, true] {
            let mut index = make(spilling);
            index.first_copies(n as usize, &|| Ok(())).unwrap();
            let out = tempfile::tempdir().unwrap();
            let (stored, written) = index
                .candidates_on_disk(&is_first, &ok, &go_on, out.path())
                .unwrap();
            assert_eq!(stored.iter(0..stored.len()).collect::<Vec<_>>(), pairs);
            assert_eq!(written.runs, 16, "a run per band");
            assert!(written.bytes >= 8 * pairs.len() as u64);
            assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn spilled_and_in_memory_indexes_give_the_same_answers() {
        let n = 200_000;
        let mut memory = BandIndex::in_memory(16);
        fill(&mut memory, n, false);
        let dir = tempfile::tempdir().unwrap();
        // A budget that forces several runs.
        let mut disk = BandIndex::spilling(16, MIN_RUN_BYTES, dir.path());
        fill(&mut disk, n, true);
        assert!(disk.spilled().runs >= 2, "{:?}", disk.spilled());

        let first = memory.first_copies(n as usize, &|| Ok(())).unwrap();
        assert_eq!(first, disk.first_copies(n as usize, &|| Ok(())).unwrap());
        assert_eq!(first[13], DocId(3), "doc 13 copies doc 3");
        assert_eq!(first[14], DocId(14));
        assert_eq!(first[33], DocId(3), "a unit without keys has a first copy");

        let ok = || Ok(());
        let pairs = memory
            .candidates(&|d| first[d.index()] == d, &ok, &|| false)
            .unwrap();
        assert!(pairs.len() > 1000, "{}", pairs.len());
        assert!(pairs.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert!(
            !pairs.iter().any(|p| p.second == DocId(13)),
            "copies pair no one"
        );
        assert!(
            !pairs
                .iter()
                .any(|p| p.first.0 % 7 == 5 || p.second.0 % 7 == 5),
            "units without keys pair no one"
        );
        assert_eq!(
            pairs,
            disk.candidates(&|d| first[d.index()] == d, &ok, &|| false)
                .unwrap()
        );

        let folder = disk
            .spill
            .as_ref()
            .unwrap()
            .dir
            .as_ref()
            .unwrap()
            .path()
            .to_path_buf();
        assert!(folder.exists());
        drop(disk);
        assert!(!folder.exists(), "runs are removed with the index");
    }

    #[test]
    fn exact_copies_come_in_sets_of_two_or_more_ascending_alike_from_memory_and_disk() {
        let n = 50_000;
        let dir = tempfile::tempdir().unwrap();
        let mut memory = BandIndex::in_memory(16);
        fill(&mut memory, n, false);
        let mut disk = BandIndex::spilling(16, MIN_RUN_BYTES, dir.path());
        fill(&mut disk, n, true);
        assert!(disk.spilled().runs >= 2, "{:?}", disk.spilled());
        let sets = |index: &mut BandIndex| {
            let mut sets: Vec<Vec<DocId>> = Vec::new();
            index
                .exact_copies(&|| Ok(()), &mut |same| {
                    sets.push(same.to_vec());
                    Ok(())
                })
                .unwrap();
            sets
        };
        let found = sets(&mut memory);
        assert_eq!(found, sets(&mut disk));
        // `fill` gives every tenth unit from the fourth on one hash.
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].len(), n as usize / 10);
        assert!(found[0].windows(2).all(|w| w[0] < w[1]));
        assert_eq!(found[0][0], DocId(3));

        let mut again = BandIndex::in_memory(16);
        fill(&mut again, n, false);
        let stopped = again.exact_copies(&|| Ok(()), &mut |_| Err(Error::Interrupted));
        assert!(matches!(stopped, Err(Error::Interrupted)));
    }

    #[test]
    fn units_without_keys_pushed_after_a_spill_still_get_their_first_copy() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = BandIndex::spilling(4, MIN_RUN_BYTES, dir.path());
        index.push(DocId(0), 7, &[1, 2, 3, 4]);
        index.push(DocId(1), 8, &[1, 2, 3, 4]);
        index.spill_run().unwrap();
        // Only exact hashes are held now: they must reach the runs too.
        index.push(DocId(2), 7, &[]);
        index.push(DocId(3), 9, &[]);
        let first = index.first_copies(4, &|| Ok(())).unwrap();
        assert_eq!(first, [DocId(0), DocId(1), DocId(0), DocId(3)]);
        let pairs = index
            .candidates(&|d| first[d.index()] == d, &|| Ok(()), &|| false)
            .unwrap();
        assert_eq!(
            pairs,
            [CandidatePair {
                first: DocId(0),
                second: DocId(1)
            }]
        );
    }

    #[test]
    fn an_error_from_a_band_stops_the_candidates() {
        let mut index = BandIndex::in_memory(4);
        fill(&mut index, 100, false);
        let first = index.first_copies(100, &|| Ok(())).unwrap();
        let stop = || Err(Error::Interrupted);
        assert!(matches!(
            index.candidates(&|d| first[d.index()] == d, &stop, &|| false),
            Err(Error::Interrupted)
        ));
    }
}
