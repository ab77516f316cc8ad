//! Fixed-size records, written once in order and then read by index: how
//! the results that grow with the corpus (cluster members) stay out of a
//! run's memory under a limit.
//!
//! Without a limit the records are bytes in memory. Under one they go to
//! an unnamed temporary file as they are written, which is mapped once
//! they are all in: the kernel keeps the pages it has room for and reads
//! the rest back, and the file goes away with its last mapping. The sorted
//! runs of [`runs`](crate::runs) use the same encoding.
//!
//! Invariant: [`Records::get`] gives back exactly what was pushed at that
//! index, whichever way the records are held.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::core::Record;
use crate::error::{Error, Result};

/// Bytes being written: in memory, or past [`Sink::spill`] to an unnamed
/// temporary file. What [`RecordsWriter`] and [`BlobsWriter`] share.
struct Sink {
    held: Vec<u8>,
    /// Under a limit: the file bytes go to, and its folder for errors.
    file: Option<(BufWriter<File>, PathBuf)>,
    /// Bytes written, held or not.
    written: u64,
}

impl Sink {
    fn in_memory() -> Self {
        Sink {
            held: Vec::new(),
            file: None,
            written: 0,
        }
    }

    /// Moves the bytes held to an unnamed temporary file in `dir`, where
    /// later ones go too; nothing if they are on disk already.
    fn spill(&mut self, dir: &Path) -> Result<()> {
        if self.file.is_some() {
            return Ok(());
        }
        let fail = |e| Error::io(dir, e);
        let mut out = BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir).map_err(fail)?);
        out.write_all(&self.held).map_err(fail)?;
        self.held = Vec::new();
        self.file = Some((out, dir.to_path_buf()));
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.file {
            Some((out, dir)) => out
                .write_all(bytes)
                .map_err(|e| Error::io(dir.as_path(), e))?,
            None => self.held.extend_from_slice(bytes),
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// The bytes, mapped if they went to a file.
    fn finish(self) -> Result<Bytes> {
        Ok(match self.file {
            None => Bytes::Memory(Arc::new(self.held)),
            Some((out, dir)) => {
                let file = out
                    .into_inner()
                    .map_err(|e| Error::io(&dir, e.into_error()))?;
                if self.written == 0 {
                    // A map of nothing is an error on some systems.
                    Bytes::Memory(Arc::default())
                } else {
                    // SAFETY: the file is unnamed and private to this
                    // process; only `Records::update` writes it again, and
                    // only while it holds the one reference to the map.
                    let map =
                        unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(&dir, e))?;
                    Bytes::Mapped(Arc::new(Mapped { map, file, dir }))
                }
            }
        })
    }
}

/// Records being written (see the module docs).
pub(crate) struct RecordsWriter<T> {
    bytes: Sink,
    len: usize,
    _records: PhantomData<fn(T)>,
}

impl<T: Record> RecordsWriter<T> {
    /// Records held in memory.
    pub fn in_memory() -> Self {
        RecordsWriter {
            bytes: Sink::in_memory(),
            len: 0,
            _records: PhantomData,
        }
    }

    /// Records written to an unnamed temporary file in `dir`.
    pub fn on_disk(dir: &Path) -> Result<Self> {
        let mut records = RecordsWriter::in_memory();
        records.spill(dir)?;
        Ok(records)
    }

    /// Moves the records pushed so far to an unnamed temporary file in
    /// `dir`, where those pushed from now on go too. Does nothing if they
    /// are on disk already.
    pub fn spill(&mut self, dir: &Path) -> Result<()> {
        self.bytes.spill(dir)
    }

    /// Bytes held in memory, spare capacity included.
    pub fn memory(&self) -> usize {
        self.bytes.held.capacity()
    }

    /// Adds `record` after those pushed so far.
    pub fn push(&mut self, record: &T) -> Result<()> {
        let mut bytes = [0u8; 32];
        record.put(&mut bytes[..T::SIZE]);
        self.bytes.write(&bytes[..T::SIZE])?;
        self.len += 1;
        Ok(())
    }

    /// The number of records pushed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `more` records in memory, exactly: growing by
    /// doubling could hold twice what is needed.
    pub fn reserve(&mut self, more: usize) {
        if self.bytes.file.is_none() {
            self.bytes.held.reserve_exact(more * T::SIZE);
        }
    }

    /// The records, mapped if they went to a file.
    pub fn finish(self) -> Result<Records<T>> {
        Ok(Records {
            bytes: self.bytes.finish()?,
            len: self.len,
            _records: PhantomData,
        })
    }
}

/// Records written by a [`RecordsWriter`], read by index. Cloning shares
/// them.
pub(crate) struct Records<T> {
    bytes: Bytes,
    len: usize,
    _records: PhantomData<fn() -> T>,
}

#[derive(Clone)]
enum Bytes {
    Memory(Arc<Vec<u8>>),
    Mapped(Arc<Mapped>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Memory(held) => held,
            Bytes::Mapped(mapped) => &mapped.map,
        }
    }

    /// Bytes held in memory: none when mapped.
    fn memory(&self) -> usize {
        match self {
            Bytes::Memory(held) => held.capacity(),
            Bytes::Mapped(_) => 0,
        }
    }
}

/// Records in a file, mapped; the file is kept to be written again by
/// [`Records::update`], and its folder to name in errors.
struct Mapped {
    map: memmap2::Mmap,
    file: File,
    dir: PathBuf,
}

impl<T> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            bytes: self.bytes.clone(),
            len: self.len,
            _records: PhantomData,
        }
    }
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records {
            bytes: Bytes::Memory(Arc::default()),
            len: 0,
            _records: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = match self.bytes {
            Bytes::Memory(_) => "memory",
            Bytes::Mapped(_) => "mapped",
        };
        write!(f, "Records({} in {held})", self.len)
    }
}

impl<T: Record> Records<T> {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes held in memory: none when mapped.
    pub fn memory(&self) -> usize {
        self.bytes.memory()
    }

    /// Record `i`.
    ///
    /// # Panics
    /// If `i` is not below [`Records::len`].
    pub fn get(&self, i: usize) -> T {
        assert!(i < self.len, "record {i} of {}", self.len);
        T::get(&self.bytes.as_slice()[i * T::SIZE..(i + 1) * T::SIZE])
    }

    /// Records `range`, in order.
    pub fn iter(&self, range: std::ops::Range<usize>) -> impl ExactSizeIterator<Item = T> + '_ {
        range.map(|i| self.get(i))
    }

    /// Asks for record `i`'s first cache line (see [`crate::core::prefetch`]);
    /// nothing past the end.
    pub fn prefetch(&self, i: usize) {
        if let Some(first) = self.bytes.as_slice().get(i * T::SIZE) {
            crate::core::prefetch(first);
        }
    }

    /// Rewrites records in place: for each `(i, change)` of `changes`,
    /// record `i` becomes what `apply` makes of it. Changes in ascending
    /// `i` write a mapped file front to back. On an error the records
    /// before it are changed and the others are not.
    ///
    /// # Panics
    /// If the records are shared with a clone, or an `i` is not below
    /// [`Records::len`].
    pub fn update<C>(
        &mut self,
        changes: impl IntoIterator<Item = Result<(usize, C)>>,
        apply: impl Fn(&mut T, C),
    ) -> Result<()> {
        let len = self.len;
        let write = |bytes: &mut [u8]| -> Result<()> {
            for change in changes {
                let (i, change) = change?;
                assert!(i < len, "record {i} of {len}");
                let at = &mut bytes[i * T::SIZE..(i + 1) * T::SIZE];
                let mut record = T::get(at);
                apply(&mut record, change);
                record.put(at);
            }
            Ok(())
        };
        const SHARED: &str = "records are updated before they are shared";
        match &mut self.bytes {
            Bytes::Memory(held) => write(Arc::get_mut(held).expect(SHARED)),
            Bytes::Mapped(mapped) => {
                let mapped = Arc::get_mut(mapped).expect(SHARED);
                // SAFETY: the file is unnamed and private to this process,
                // and `&mut self` over the one reference to its read-only
                // map means nothing reads it meanwhile. Both maps are
                // shared, so that one sees these writes.
                let mut map = unsafe { memmap2::MmapMut::map_mut(&mapped.file) }
                    .map_err(|e| Error::io(&mapped.dir, e))?;
                write(&mut map)
            }
        }
    }

    /// Lets go of the mapped pages this process has read, which count in
    /// its resident size though the kernel could drop them; the next read
    /// maps them again from the page cache or the file. Records in memory
    /// stay.
    pub fn release(&self) {
        if let Bytes::Mapped(mapped) = &self.bytes {
            // SAFETY: a shared, read-only mapping of a file nothing writes
            // any more: MADV_DONTNEED only drops this process's page table
            // entries, and the next access maps the same bytes again.
            // Failing, it changes nothing.
            let _ = unsafe {
                mapped
                    .map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
            };
        }
    }
}

/// Byte strings of any length, written once in order and read by index:
/// records whose size varies. Held as [`Records`] are: in memory, or in an
/// unnamed temporary file mapped once all are in.
pub(crate) struct BlobsWriter {
    /// Where each blob ends.
    ends: Vec<u64>,
    bytes: Sink,
}

impl BlobsWriter {
    /// Blobs held in memory.
    pub fn in_memory() -> Self {
        BlobsWriter {
            ends: Vec::new(),
            bytes: Sink::in_memory(),
        }
    }

    /// Blobs written to an unnamed temporary file in `dir`.
    pub fn on_disk(dir: &Path) -> Result<Self> {
        let mut blobs = BlobsWriter::in_memory();
        blobs.bytes.spill(dir)?;
        Ok(blobs)
    }

    /// Adds `blob` after those pushed so far.
    pub fn push(&mut self, blob: &[u8]) -> Result<()> {
        self.bytes.write(blob)?;
        self.ends.push(self.bytes.written);
        Ok(())
    }

    /// Bytes held in memory, spare capacity included.
    pub fn memory(&self) -> usize {
        self.ends.capacity() * size_of::<u64>()
            + self.bytes.held.capacity()
            + self
                .bytes
                .file
                .as_ref()
                .map_or(0, |(out, _)| out.capacity())
    }

    /// The blobs, mapped if they went to a file.
    pub fn finish(self) -> Result<Blobs> {
        Ok(Blobs {
            ends: self.ends,
            bytes: self.bytes.finish()?,
        })
    }
}

/// Blobs written by a [`BlobsWriter`], read by index.
pub(crate) struct Blobs {
    ends: Vec<u64>,
    bytes: Bytes,
}

impl Blobs {
    /// The number of blobs.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Blob `i`.
    ///
    /// # Panics
    /// If `i` is not below the number of blobs.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes.as_slice()[start..self.ends[i] as usize]
    }

    /// Bytes held in memory: the blobs' ends, and the blobs unless mapped.
    pub fn memory(&self) -> usize {
        self.ends.capacity() * size_of::<u64>() + self.bytes.memory()
    }
}

/// A table of 64-bit words, zeroed, that can be written in place: in
/// memory, or under a limit in a mapped unnamed file (what the span
/// detector's bitmaps over every word of the corpus use: two bits a word,
/// 400 MB at ten gigabytes of text). Threads set bits through
/// [`Words::atomic`].
pub(crate) enum Words {
    Memory(Vec<AtomicU64>),
    Mapped(memmap2::MmapMut),
}

impl Words {
    /// `len` zero words; in a file in `dir` if given (sparse: the pages
    /// no one writes take no room).
    pub fn zeroed(len: usize, dir: Option<&Path>) -> Result<Self> {
        let Some(dir) = dir.filter(|_| len > 0) else {
            return Ok(Words::Memory((0..len).map(|_| AtomicU64::new(0)).collect()));
        };
        let fail = |e| Error::io(dir, e);
        let file = tempfile::tempfile_in(dir).map_err(fail)?;
        file.set_len(len as u64 * 8).map_err(fail)?;
        // SAFETY: the file is unnamed and private to this process, so
        // nothing else changes it while mapped.
        let map = unsafe { memmap2::MmapMut::map_mut(&file) }.map_err(fail)?;
        Ok(Words::Mapped(map))
    }

    /// The words, for threads to set bits in.
    pub fn atomic(&mut self) -> &[AtomicU64] {
        match self {
            Words::Memory(words) => words,
            Words::Mapped(map) => {
                let len = map.len() / 8;
                // SAFETY: a page-aligned map of `8 * len` bytes, which
                // `&mut self` lends to no one else meanwhile; `AtomicU64`
                // has the size of a `u64` and every bit pattern is valid.
                unsafe { std::slice::from_raw_parts(map.as_mut_ptr().cast::<AtomicU64>(), len) }
            }
        }
    }

    /// The words, to read.
    pub fn get(&self) -> &[u64] {
        let (at, len) = match self {
            Words::Memory(words) => (words.as_ptr().cast::<u64>(), words.len()),
            Words::Mapped(map) => (map.as_ptr().cast::<u64>(), map.len() / 8),
        };
        // SAFETY: aligned for `AtomicU64` (or a page), so for `u64`, of the
        // same size; no atomic view can be alive, as that borrows `self`
        // mutably.
        unsafe { std::slice::from_raw_parts(at, len) }
    }

    /// The words, to write.
    pub fn get_mut(&mut self) -> &mut [u64] {
        let (at, len) = match self {
            Words::Memory(words) => (words.as_mut_ptr().cast::<u64>(), words.len()),
            Words::Mapped(map) => (map.as_mut_ptr().cast::<u64>(), map.len() / 8),
        };
        // SAFETY: as in `get`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(at, len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{u32_at, u64_at};

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Pair(u32, u64);

    impl Record for Pair {
        const SIZE: usize = 12;
        fn put(&self, out: &mut [u8]) {
            out[..4].copy_from_slice(&self.0.to_le_bytes());
            out[4..12].copy_from_slice(&self.1.to_le_bytes());
        }
        fn get(bytes: &[u8]) -> Self {
            Pair(u32_at(bytes, 0), u64_at(bytes, 4))
        }
    }

    fn write(mut out: RecordsWriter<Pair>, n: u32) -> Records<Pair> {
        for i in 0..n {
            out.push(&Pair(i, u64::from(i) << 33 | 7)).unwrap();
        }
        assert_eq!(out.len(), n as usize);
        out.finish().unwrap()
    }

    #[test]
    fn records_read_back_alike_from_memory_and_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let memory = write(RecordsWriter::in_memory(), 1000);
        let disk = write(RecordsWriter::on_disk(dir.path()).unwrap(), 1000);
        assert!(format!("{disk:?}").contains("mapped"));
        for i in [0, 1, 499, 999] {
            assert_eq!(memory.get(i), Pair(i as u32, (i as u64) << 33 | 7));
            assert_eq!(disk.get(i), memory.get(i));
        }
        disk.release();
        assert!(disk.iter(0..1000).eq(memory.iter(0..1000)));
        assert_eq!(disk.clone().get(999), memory.get(999));
    }

    #[test]
    fn updates_change_only_their_records_in_memory_and_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        for mut records in [
            write(RecordsWriter::in_memory(), 100),
            write(RecordsWriter::on_disk(dir.path()).unwrap(), 100),
        ] {
            // Read before the update: a mapped page already resident must
            // show the new bytes too.
            assert_eq!(records.get(10), Pair(10, 10 << 33 | 7));
            let changes = [3usize, 10, 99].map(|i| Ok((i, 5u64)));
            records.update(changes, |pair, add| pair.1 += add).unwrap();
            for i in 0..100u32 {
                let expected = u64::from(i) << 33 | 7;
                let changed = [3, 10, 99].contains(&i);
                assert_eq!(
                    records.get(i as usize).1,
                    expected + if changed { 5 } else { 0 }
                );
            }
            assert_eq!(records.len(), 100);
            let failing = [Ok((0, 1u64)), Err(Error::TooManyDocuments), Ok((1, 1))];
            assert!(records.update(failing, |pair, add| pair.1 += add).is_err());
            assert_eq!(records.get(0).1, 7 + 1, "changes before the error stay");
            assert_eq!(
                records.get(1).1,
                (1 << 33 | 7),
                "changes after it are not made"
            );
        }
    }

    #[test]
    #[should_panic(expected = "updated before they are shared")]
    fn shared_records_are_not_updated() {
        let mut records = write(RecordsWriter::in_memory(), 3);
        let _clone = records.clone();
        let _ = records.update([Ok((0, 1u64))], |pair, add| pair.1 += add);
    }

    #[test]
    fn blobs_read_back_alike_from_memory_and_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let blobs: Vec<Vec<u8>> = (0..300u32)
            .map(|i| vec![i as u8; (i % 7) as usize])
            .collect();
        for mut out in [
            BlobsWriter::in_memory(),
            BlobsWriter::on_disk(dir.path()).unwrap(),
        ] {
            for blob in &blobs {
                out.push(blob).unwrap();
            }
            let read = out.finish().unwrap();
            assert_eq!(read.len(), blobs.len());
            for (i, blob) in blobs.iter().enumerate() {
                assert_eq!(read.get(i), &blob[..]);
            }
        }
        let empty = BlobsWriter::on_disk(dir.path()).unwrap();
        let mut empty = empty;
        empty.push(&[]).unwrap();
        assert_eq!(empty.finish().unwrap().get(0), &[] as &[u8]);
    }

    /// Bits set through the atomic view read back the same from memory and
    /// from a mapped file, and a new table is all zeros.
    #[test]
    fn words_in_memory_and_mapped_hold_the_same_bits() {
        use std::sync::atomic::Ordering;
        let dir = tempfile::tempdir().unwrap();
        for at in [None, Some(dir.path())] {
            let mut words = Words::zeroed(1000, at).unwrap();
            assert!(words.get().iter().all(|&w| w == 0));
            words.atomic()[3].fetch_or(1 << 5, Ordering::Relaxed);
            words.atomic()[999].fetch_or(u64::MAX, Ordering::Relaxed);
            words.get_mut()[500] = 7;
            let read = words.get();
            assert_eq!(
                (read[3], read[999], read[500], read[4]),
                (32, u64::MAX, 7, 0)
            );
            assert_eq!(read.len(), 1000);
            assert_eq!(matches!(words, Words::Mapped(_)), at.is_some());
        }
        assert!(Words::zeroed(0, Some(dir.path())).unwrap().get().is_empty());
    }

    #[test]
    fn no_records_on_disk_read_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let none = write(RecordsWriter::on_disk(dir.path()).unwrap(), 0);
        assert_eq!(none.iter(0..0).count(), 0);
    }

    #[test]
    #[should_panic(expected = "record 3 of 3")]
    fn reading_past_the_end_panics() {
        write(RecordsWriter::in_memory(), 3).get(3);
    }
}
