//! Segments: the immutable files an index is made of.
//!
//! Each `add` writes one segment holding the documents it indexes: their
//! ids, text sizes and shingle sets (what exact verification needs, so a
//! query never reads the original corpus), a table of exact-text hashes
//! and one table of band keys per band, both sorted, so a lookup is a
//! binary search over a memory map: its cost grows with the log of the
//! segment's size, and only the pages it touches are read.
//!
//! # Format, version 1
//! Little-endian; `str` is a u32 byte length and that many bytes of UTF-8.
//! ```text
//! magic     8 bytes  "TXDXSEG1"
//! version   u32      1
//! settings  str      the index's settings line (Settings::line); must equal the manifest's
//! docs      u32      documents in the segment
//! bands     u32      band tables
//! records   docs × (size u64, id length u32, id bytes, shingle set: sorted u32 each)
//! offsets   (docs + 1) × u64: where each record starts, and the records' end
//! exact     sorted (exact-text XXH3-128 u128, doc u32), one per document
//! band b    sorted (band key u64, doc u32), one per document, for each band
//! windows   sorted (window hash u64, doc u32), the first document of each
//!           hash; empty unless the index holds span windows
//! checks    XXH3-64 of every 4 KiB block of the file before the checks
//! footer    records, offsets, exact, each band table and windows as (offset u64, length u64);
//!           checks (offset u64, blocks u64); XXH3-64 of the checks;
//!           XXH3-64 of the footer so far; footer length u32; magic
//! ```
//!
//! Integrity: the footer checks itself and the checks array, whose hash the
//! manifest records too; every block is checked against its entry the
//! first time a lookup touches it. A damaged byte is an error naming the
//! segment, never a wrong answer, and opening a segment reads only its
//! footer and checks (a five-hundredth of it), not the whole file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;
use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::error::{Error, IndexProblem, Result};
use crate::lsh::BandKey;

const MAGIC: &[u8; 8] = b"TXDXSEG1";
const VERSION: u32 = 1;
/// Bytes per checked block: one page, so a lookup's check reads nothing
/// the lookup would not read anyway.
const BLOCK: usize = 4096;
const EXACT_ENTRY: usize = 20;
const BAND_ENTRY: usize = 12;
/// Fixed bytes at the end of a segment: footer length and magic.
const TRAILER: usize = 12;

/// A document of a segment, as [`SegmentWriter::push`] takes it.
pub(crate) struct NewDoc<'a> {
    pub id: &'a str,
    /// The original text's length in bytes.
    pub bytes: u64,
    /// The shingle set, sorted, without repeats, as little-endian u32s:
    /// the bytes a record holds, copied as they are.
    pub set: &'a [u8],
    pub exact: u128,
    /// One key per band.
    pub keys: &'a [BandKey],
    /// Hashes of its span windows (empty unless the index holds them).
    pub windows: &'a [u64],
}

/// What the manifest records of a segment, to find it and know it whole.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SegmentMeta {
    /// File name inside the index folder.
    pub file: String,
    pub documents: u32,
    /// Sum of the documents' original text sizes.
    pub text_bytes: u64,
    /// The segment file's size.
    pub size: u64,
    /// XXH3-64 of its checks array, in hex.
    pub checks: String,
}

/// Writes a segment file, block checksums as it goes.
pub(crate) struct SegmentWriter {
    out: Checked,
    path: PathBuf,
    bands: usize,
    offsets: Vec<u64>,
    exact: Vec<(u128, u32)>,
    keys: Vec<Vec<(BandKey, u32)>>,
    windows: Vec<(u64, u32)>,
    text_bytes: u64,
}

impl SegmentWriter {
    /// Starts a segment at `path` (created; it must not exist).
    pub fn create(path: &Path, settings: &str, docs: u32, bands: usize) -> Result<SegmentWriter> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut out = Checked::new(BufWriter::with_capacity(1 << 20, file));
        let io = |e| Error::io(path, e);
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        put_str(&mut out, settings).map_err(io)?;
        out.write_all(&docs.to_le_bytes()).map_err(io)?;
        out.write_all(&(bands as u32).to_le_bytes()).map_err(io)?;
        Ok(SegmentWriter {
            out,
            path: path.to_path_buf(),
            bands,
            offsets: Vec::with_capacity(docs as usize + 1),
            exact: Vec::with_capacity(docs as usize),
            keys: (0..bands)
                .map(|_| Vec::with_capacity(docs as usize))
                .collect(),
            windows: Vec::new(),
            text_bytes: 0,
        })
    }

    /// Appends the next document.
    pub fn push(&mut self, doc: &NewDoc<'_>) -> Result<()> {
        debug_assert_eq!(doc.keys.len(), self.bands);
        debug_assert!(doc.set.len() % 4 == 0);
        let local = self.offsets.len() as u32;
        self.offsets.push(self.out.position);
        self.exact.push((doc.exact, local));
        for (table, &key) in self.keys.iter_mut().zip(doc.keys) {
            table.push((key, local));
        }
        self.windows.extend(doc.windows.iter().map(|&w| (w, local)));
        self.text_bytes += doc.bytes;
        let out = &mut self.out;
        let written = (|| {
            out.write_all(&doc.bytes.to_le_bytes())?;
            put_str(out, doc.id)?;
            out.write_all(doc.set)
        })();
        written.map_err(|e| Error::io(&self.path, e))
    }

    /// Adds window entries of documents pushed already, by their place in
    /// this segment (compaction carries windows over this way).
    pub fn add_windows(&mut self, entries: impl Iterator<Item = (u64, u32)>) {
        self.windows.extend(entries);
    }

    /// Writes the tables, checks and footer, and syncs the file. The
    /// caller renames it into place.
    pub fn finish(mut self, file: String) -> Result<SegmentMeta> {
        let path = self.path.clone();
        let io = |e| Error::io(&path, e);
        let mut directory: Vec<(u64, u64)> = Vec::with_capacity(3 + self.bands);
        let records_end = self.out.position;
        let records_start = self.offsets.first().copied().unwrap_or(records_end);
        directory.push((records_start, records_end - records_start));
        self.offsets.push(records_end);

        let start = self.out.position;
        let mut buf = Vec::with_capacity(self.offsets.len() * 8);
        for o in &self.offsets {
            buf.extend_from_slice(&o.to_le_bytes());
        }
        self.out.write_all(&buf).map_err(io)?;
        directory.push((start, self.out.position - start));

        // Every table sorted at once, one per core.
        {
            let (exact, keys, windows) = (&mut self.exact, &mut self.keys, &mut self.windows);
            rayon::join(
                || keys.par_iter_mut().for_each(|t| t.sort_unstable()),
                || rayon::join(|| exact.sort_unstable(), || windows.sort_unstable()),
            );
        }
        let start = self.out.position;
        buf.clear();
        for (hash, doc) in &self.exact {
            buf.extend_from_slice(&hash.to_le_bytes());
            buf.extend_from_slice(&doc.to_le_bytes());
        }
        self.out.write_all(&buf).map_err(io)?;
        directory.push((start, self.out.position - start));

        for table in &mut self.keys {
            let start = self.out.position;
            buf.clear();
            for (key, doc) in table.iter() {
                buf.extend_from_slice(&key.to_le_bytes());
                buf.extend_from_slice(&doc.to_le_bytes());
            }
            self.out.write_all(&buf).map_err(io)?;
            directory.push((start, self.out.position - start));
            *table = Vec::new();
        }

        // One entry per window hash: its first document.
        self.windows.dedup_by_key(|w| w.0);
        let start = self.out.position;
        buf.clear();
        for (hash, doc) in &self.windows {
            buf.extend_from_slice(&hash.to_le_bytes());
            buf.extend_from_slice(&doc.to_le_bytes());
        }
        self.out.write_all(&buf).map_err(io)?;
        directory.push((start, self.out.position - start));
        self.windows = Vec::new();

        let checks_offset = self.out.position;
        let (mut inner, checks) = self.out.finish();
        let mut footer = Vec::new();
        for (at, len) in &directory {
            footer.extend_from_slice(&at.to_le_bytes());
            footer.extend_from_slice(&len.to_le_bytes());
        }
        let mut checks_bytes = Vec::with_capacity(checks.len() * 8);
        for c in &checks {
            checks_bytes.extend_from_slice(&c.to_le_bytes());
        }
        let checks_hash = xxh3_64(&checks_bytes);
        footer.extend_from_slice(&checks_offset.to_le_bytes());
        footer.extend_from_slice(&(checks.len() as u64).to_le_bytes());
        footer.extend_from_slice(&checks_hash.to_le_bytes());
        let footer_hash = xxh3_64(&footer);
        footer.extend_from_slice(&footer_hash.to_le_bytes());
        let footer_len = footer.len() as u32;
        inner.write_all(&checks_bytes).map_err(io)?;
        inner.write_all(&footer).map_err(io)?;
        inner.write_all(&footer_len.to_le_bytes()).map_err(io)?;
        inner.write_all(MAGIC).map_err(io)?;
        let file_handle = inner.into_inner().map_err(|e| io(e.into_error()))?;
        file_handle.sync_all().map_err(io)?;
        let size = file_handle.metadata().map_err(io)?.len();
        Ok(SegmentMeta {
            file,
            documents: (self.offsets.len() - 1) as u32,
            text_bytes: self.text_bytes,
            size,
            checks: format!("{checks_hash:016x}"),
        })
    }
}

fn put_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(&(s.len() as u32).to_le_bytes())?;
    out.write_all(s.as_bytes())
}

/// A writer that hashes every [`BLOCK`] bytes it passes on.
struct Checked {
    inner: BufWriter<File>,
    position: u64,
    block: Xxh3,
    in_block: usize,
    checks: Vec<u64>,
}

impl Checked {
    fn new(inner: BufWriter<File>) -> Checked {
        Checked {
            inner,
            position: 0,
            block: Xxh3::new(),
            in_block: 0,
            checks: Vec::new(),
        }
    }

    /// The writer, and the hash of every block written (the last one
    /// short unless the data ended on a block boundary).
    fn finish(mut self) -> (BufWriter<File>, Vec<u64>) {
        if self.in_block > 0 {
            self.checks.push(self.block.digest());
        }
        (self.inner, self.checks)
    }
}

impl Write for Checked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let take = buf.len().min(BLOCK - self.in_block);
        let n = self.inner.write(&buf[..take])?;
        self.block.update(&buf[..n]);
        self.in_block += n;
        self.position += n as u64;
        if self.in_block == BLOCK {
            self.checks.push(self.block.digest());
            self.block.reset();
            self.in_block = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An open segment: a memory map whose blocks are checked on first touch.
pub(crate) struct Segment {
    path: PathBuf,
    map: Mmap,
    docs: u32,
    records: Range<usize>,
    offsets: usize,
    exact: Range<usize>,
    bands: Vec<Range<usize>>,
    windows: Range<usize>,
    checks: usize,
    blocks: usize,
    /// One bit per block: checked already.
    verified: Vec<AtomicU64>,
}

/// A document read back from a segment.
pub(crate) struct StoredDoc<'a> {
    pub id: &'a str,
    pub bytes: u64,
    /// Its shingle set as stored: sorted little-endian u32s.
    pub set_bytes: &'a [u8],
}

impl StoredDoc<'_> {
    /// Its shingle set's hashes, ascending.
    pub fn set(&self) -> Vec<u32> {
        self.set_bytes.chunks_exact(4).map(le_u32).collect()
    }
}

impl Segment {
    /// Opens the segment `meta` names in `dir`, made with `settings` for
    /// `bands` bands, checking its footer and checks array.
    pub fn open(dir: &Path, meta: &SegmentMeta, settings: &str, bands: usize) -> Result<Segment> {
        let path = dir.join(&meta.file);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        // SAFETY: segments are immutable once renamed into place: writers
        // create new files and never write to a published one, and
        // compaction unlinks (which keeps a mapped file's pages) rather
        // than truncating. A user who edits a segment by hand breaks that
        // promise; the checksums then catch what they can.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(&path, e))?;
        let damaged = |what: &str| damaged(&path, what);
        if map.len() as u64 != meta.size {
            return Err(damaged(&format!(
                "is {} bytes long, but the manifest says {}",
                map.len(),
                meta.size
            )));
        }
        if map.len() < TRAILER || &map[map.len() - 8..] != MAGIC {
            return Err(damaged("does not end as a segment does"));
        }
        let footer_len = le_u32(&map[map.len() - TRAILER..map.len() - 8]) as usize;
        let footer_start = (map.len() - TRAILER)
            .checked_sub(footer_len)
            .ok_or_else(|| damaged("has a footer longer than itself"))?;
        let footer = &map[footer_start..map.len() - TRAILER];
        let expected_len = (4 + bands) * 16 + 8 * 4;
        if footer_len != expected_len {
            return Err(damaged("has a footer of the wrong size"));
        }
        let (body, hash) = footer.split_at(footer.len() - 8);
        if xxh3_64(body) != le_u64(hash) {
            return Err(damaged("has a damaged footer"));
        }
        let mut fields = body.chunks_exact(8).map(le_u64);
        let range = |fields: &mut dyn Iterator<Item = u64>| -> Result<Range<usize>> {
            let at = fields.next().unwrap_or(0);
            let len = fields.next().unwrap_or(0);
            let end = at.checked_add(len).filter(|&e| e <= footer_start as u64);
            match end {
                Some(end) => Ok(at as usize..end as usize),
                None => Err(damaged("has a section past its end")),
            }
        };
        let records = range(&mut fields)?;
        let offsets = range(&mut fields)?;
        let exact = range(&mut fields)?;
        let band_ranges = (0..bands)
            .map(|_| range(&mut fields))
            .collect::<Result<Vec<_>>>()?;
        let windows = range(&mut fields)?;
        let checks = fields.next().unwrap_or(0) as usize;
        let blocks = fields.next().unwrap_or(0) as usize;
        let checks_hash = fields.next().unwrap_or(0);
        let checks_end = checks.saturating_add(blocks.saturating_mul(8));
        if checks_end != footer_start || blocks != checks.div_ceil(BLOCK) {
            return Err(damaged("has a checks table that does not fit"));
        }
        if xxh3_64(&map[checks..checks_end]) != checks_hash
            || format!("{checks_hash:016x}") != meta.checks
        {
            return Err(damaged(
                "has damaged checks, or is not the segment the manifest names",
            ));
        }
        let segment = Segment {
            path: path.clone(),
            docs: meta.documents,
            records,
            offsets: offsets.start,
            exact,
            bands: band_ranges,
            windows,
            checks,
            blocks,
            verified: (0..blocks.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            map,
        };
        // The header: magic, version, settings, counts.
        let head = segment.bytes(0..16.min(segment.checks))?;
        if head.len() < 16 || &head[..8] != MAGIC {
            return Err(damaged("is not a textdup index segment"));
        }
        let version = le_u32(&head[8..12]);
        if version != VERSION {
            return Err(damaged(&format!(
                "is segment format version {version}; this textdup reads version {VERSION}"
            )));
        }
        let settings_len = le_u32(&head[12..16]) as usize;
        let line = segment.bytes(16..16 + settings_len)?;
        if line != settings.as_bytes() {
            return Err(damaged("was made with other settings than the manifest's"));
        }
        let counts = segment.bytes(16 + settings_len..24 + settings_len)?;
        if le_u32(&counts[..4]) != meta.documents || le_u32(&counts[4..]) as usize != bands {
            return Err(damaged(
                "holds another number of documents than the manifest says",
            ));
        }
        let docs = meta.documents as usize;
        if segment.exact.len() != docs * EXACT_ENTRY
            || segment.bands.iter().any(|b| b.len() != docs * BAND_ENTRY)
            || segment.windows.len() % BAND_ENTRY != 0
            || offsets.len() != (docs + 1) * 8
        {
            return Err(damaged("has tables of the wrong size"));
        }
        Ok(segment)
    }

    pub fn documents(&self) -> u32 {
        self.docs
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes at `range`, every block they touch checked.
    fn bytes(&self, range: Range<usize>) -> Result<&[u8]> {
        if range.start > range.end || range.end > self.checks {
            return Err(damaged(&self.path, "points past its data"));
        }
        if range.is_empty() {
            return Ok(&[]);
        }
        for block in range.start / BLOCK..=(range.end - 1) / BLOCK {
            self.check_block(block)?;
        }
        Ok(&self.map[range])
    }

    fn check_block(&self, block: usize) -> Result<()> {
        let (word, bit) = (block / 64, 1u64 << (block % 64));
        if self.verified[word].load(Ordering::Relaxed) & bit != 0 {
            return Ok(());
        }
        let data = &self.map[block * BLOCK..((block + 1) * BLOCK).min(self.checks)];
        let at = self.checks + block * 8;
        if xxh3_64(data) != le_u64(&self.map[at..at + 8]) {
            return Err(damaged(
                &self.path,
                &format!(
                    "block {block} (from byte {}) fails its checksum",
                    block * BLOCK
                ),
            ));
        }
        self.verified[word].fetch_or(bit, Ordering::Relaxed);
        Ok(())
    }

    /// Checks every block: what `index verify` and compaction do.
    pub fn check_all(&self, stop: &dyn Fn() -> Result<()>) -> Result<()> {
        for block in 0..self.blocks {
            if block % 4096 == 0 {
                stop()?;
            }
            self.check_block(block)?;
        }
        Ok(())
    }

    /// The document at `local`.
    pub fn doc(&self, local: u32) -> Result<StoredDoc<'_>> {
        if local >= self.docs {
            return Err(damaged(&self.path, "refers to a document it does not hold"));
        }
        let at = self.offsets + local as usize * 8;
        let bounds = self.bytes(at..at + 16)?;
        let (start, end) = (le_u64(&bounds[..8]) as usize, le_u64(&bounds[8..]) as usize);
        if start < self.records.start || end > self.records.end || end < start + 12 {
            return Err(damaged(&self.path, "has a record out of place"));
        }
        let record = self.bytes(start..end)?;
        let bytes = le_u64(&record[..8]);
        let id_len = le_u32(&record[8..12]) as usize;
        let rest = &record[12..];
        if id_len > rest.len() || (rest.len() - id_len) % 4 != 0 {
            return Err(damaged(&self.path, "has a record of the wrong length"));
        }
        let id = std::str::from_utf8(&rest[..id_len])
            .map_err(|_| damaged(&self.path, "has an id that is not UTF-8"))?;
        Ok(StoredDoc {
            id,
            bytes,
            set_bytes: &rest[id_len..],
        })
    }

    /// The document whose normalized text has the hash `exact`, if any,
    /// looked for from position `from` of the exact table on (a position
    /// no later than the hash's), and the position where the search
    /// ended: where to start the next, larger hash.
    pub fn exact_from(&self, exact: u128, from: usize) -> Result<(usize, Option<u32>)> {
        let entries = self.exact.len() / EXACT_ENTRY;
        let entry = |i: usize| -> Result<(u128, u32)> {
            let at = self.exact.start + i * EXACT_ENTRY;
            let e = self.bytes(at..at + EXACT_ENTRY)?;
            Ok((le_u128(&e[..16]), le_u32(&e[16..])))
        };
        let found = gallop(from.min(entries), entries, |i| Ok(entry(i)?.0 < exact))?;
        if found < entries {
            let (hash, doc) = entry(found)?;
            if hash == exact {
                return Ok((found, Some(doc)));
            }
        }
        Ok((found, None))
    }

    /// The positions of band `band`'s table that hold `key`: its bucket,
    /// documents in ascending order. The search starts at `from`, a
    /// position no later than the bucket's: a query that looks keys up in
    /// ascending order passes the end of the last bucket, and each search
    /// then costs the logarithm of the distance walked, not of the table.
    pub fn bucket_from(&self, band: usize, key: BandKey, from: usize) -> Result<Range<usize>> {
        let entries = self.bands[band].len() / BAND_ENTRY;
        let lo = gallop(from.min(entries), entries, |i| {
            Ok(self.band_entry(band, i)?.0 < key)
        })?;
        // Most keys of a query are in no bucket: one probe says so.
        if lo == entries || self.band_entry(band, lo)?.0 != key {
            return Ok(lo..lo);
        }
        let hi = gallop(lo + 1, entries, |i| Ok(self.band_entry(band, i)?.0 <= key))?;
        Ok(lo..hi)
    }

    /// [`Segment::bucket_from`] the start of the table.
    #[cfg(test)]
    pub fn bucket(&self, band: usize, key: BandKey) -> Result<Range<usize>> {
        self.bucket_from(band, key, 0)
    }

    /// [`Segment::exact_from`] the start of the table.
    #[cfg(test)]
    pub fn exact(&self, exact: u128) -> Result<Option<u32>> {
        Ok(self.exact_from(exact, 0)?.1)
    }

    /// The document at position `i` of band `band`'s table.
    pub fn band_doc(&self, band: usize, i: usize) -> Result<u32> {
        Ok(self.band_entry(band, i)?.1)
    }

    fn band_entry(&self, band: usize, i: usize) -> Result<(BandKey, u32)> {
        let at = self.bands[band].start + i * BAND_ENTRY;
        let e = self.bytes(at..at + BAND_ENTRY)?;
        Ok((le_u64(&e[..8]), le_u32(&e[8..])))
    }

    /// Every entry of band `band`'s table, in order: for compaction.
    pub fn band_entries(&self, band: usize) -> Result<Vec<(BandKey, u32)>> {
        let table = self.bytes(self.bands[band].clone())?;
        Ok(table
            .chunks_exact(BAND_ENTRY)
            .map(|e| (le_u64(&e[..8]), le_u32(&e[8..])))
            .collect())
    }

    /// The document of the first window with hash `hash`, if any.
    pub fn window(&self, hash: u64) -> Result<Option<u32>> {
        let entries = self.windows.len() / BAND_ENTRY;
        let entry = |i: usize| -> Result<(u64, u32)> {
            let at = self.windows.start + i * BAND_ENTRY;
            let e = self.bytes(at..at + BAND_ENTRY)?;
            Ok((le_u64(&e[..8]), le_u32(&e[8..])))
        };
        let found = partition_point(entries, |i| Ok(entry(i)?.0 < hash))?;
        if found < entries {
            let (h, doc) = entry(found)?;
            if h == hash {
                return Ok(Some(doc));
            }
        }
        Ok(None)
    }

    /// How many window hashes the segment holds.
    pub fn window_count(&self) -> usize {
        self.windows.len() / BAND_ENTRY
    }

    /// Every window entry, in order: for compaction and in-memory lookup.
    pub fn window_entries(&self) -> Result<Vec<(u64, u32)>> {
        let table = self.bytes(self.windows.clone())?;
        Ok(table
            .chunks_exact(BAND_ENTRY)
            .map(|e| (le_u64(&e[..8]), le_u32(&e[8..])))
            .collect())
    }

    /// Every entry of the exact table, in order: for compaction.
    pub fn exact_entries(&self) -> Result<Vec<(u128, u32)>> {
        let table = self.bytes(self.exact.clone())?;
        Ok(table
            .chunks_exact(EXACT_ENTRY)
            .map(|e| (le_u128(&e[..16]), le_u32(&e[16..])))
            .collect())
    }
}

/// The first index in `from..n` for which `below` is false (`below` true
/// then false along the range), probing `from`, then positions further in
/// steps that double, then searching the last step: about 2·log₂ of the
/// distance to the answer.
fn gallop(from: usize, n: usize, below: impl Fn(usize) -> Result<bool>) -> Result<usize> {
    let (mut lo, mut step) = (from, 1);
    loop {
        let probe = lo + step - 1;
        if probe >= n || !below(probe)? {
            let hi = probe.min(n);
            return Ok(lo + partition_point(hi - lo, |i| below(lo + i))?);
        }
        lo = probe + 1;
        step *= 2;
    }
}

/// The first index in `0..n` for which `below` is false, `below` being
/// true then false along the range (a fallible `partition_point`).
fn partition_point(n: usize, below: impl Fn(usize) -> Result<bool>) -> Result<usize> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if below(mid)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

pub(crate) fn damaged(path: &Path, what: &str) -> Error {
    Error::Index {
        path: path.to_path_buf(),
        problem: IndexProblem::Damaged,
        message: format!("{what}; the index is damaged (`textdup index verify` checks all of it)"),
    }
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap_or_default())
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
}

fn le_u128(b: &[u8]) -> u128 {
    u128::from_le_bytes(b[..16].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str = "test settings";

    /// A segment of `n` documents with 2 bands, written to `dir`.
    fn segment(dir: &Path, n: u32) -> SegmentMeta {
        let path = dir.join("seg.tds");
        let mut writer = SegmentWriter::create(&path, SETTINGS, n, 2).unwrap();
        for i in 0..n {
            let id = format!("doc-{i}");
            let set: Vec<u8> = (0..i % 50 + 1)
                .flat_map(|k| (k * 7 + i).to_le_bytes())
                .collect();
            // Keys shared by groups of documents: band 0 by tens, band 1 by threes.
            let keys = [u64::from(i / 10), 1000 + u64::from(i % 3)];
            writer
                .push(&NewDoc {
                    id: &id,
                    bytes: u64::from(i) * 3,
                    set: &set,
                    exact: u128::from(i) << 64 | 5,
                    keys: &keys,
                    windows: &[u64::from(i % 100), 7],
                })
                .unwrap();
        }
        writer.finish("seg.tds".to_string()).unwrap()
    }

    #[test]
    fn what_is_written_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let meta = segment(dir.path(), 2000);
        assert_eq!(meta.documents, 2000);
        let seg = Segment::open(dir.path(), &meta, SETTINGS, 2).unwrap();
        let doc = seg.doc(1234).unwrap();
        assert_eq!(doc.id, "doc-1234");
        assert_eq!(doc.bytes, 1234 * 3);
        assert_eq!(doc.set().len(), 1234 % 50 + 1);
        assert_eq!(doc.set()[0], 1234);
        assert_eq!(seg.exact(u128::from(77u32) << 64 | 5).unwrap(), Some(77));
        assert_eq!(seg.exact(6).unwrap(), None);
        let bucket = seg.bucket(0, 42).unwrap();
        let docs: Vec<u32> = bucket.map(|i| seg.band_doc(0, i).unwrap()).collect();
        assert_eq!(docs, (420..430).collect::<Vec<u32>>());
        let bucket = seg.bucket(1, 1001).unwrap();
        assert_eq!(bucket.len(), 667);
        assert_eq!(seg.band_doc(1, bucket.start).unwrap(), 1);
        assert!(seg.bucket(1, 999).unwrap().is_empty());
        assert!(seg.bucket(0, u64::MAX).unwrap().is_empty());
        assert_eq!(seg.window(42).unwrap(), Some(42));
        assert_eq!(
            seg.window(7).unwrap(),
            Some(0),
            "the first document with the window"
        );
        assert_eq!(seg.window(100).unwrap(), None);
        assert_eq!(seg.window_count(), 100);
        seg.check_all(&|| Ok(())).unwrap();
    }

    #[test]
    fn galloping_finds_what_binary_search_finds() {
        let values: Vec<u32> = (0..1000).map(|i| i / 7 * 3).collect();
        for target in [0, 1, 3, 200, 427, 428, 1500] {
            let want = values.partition_point(|&v| v < target);
            // `from` is never past the answer: keys come in ascending order.
            for from in [0, 1, want / 2, want.saturating_sub(1), want].map(|f| f.min(want)) {
                let got = gallop(from, values.len(), |i| Ok(values[i] < target)).unwrap();
                assert_eq!(got, want, "target {target} from {from}");
            }
        }
        assert_eq!(gallop(0, 0, |_| Ok(true)).unwrap(), 0);
    }

    #[test]
    fn an_empty_segment_opens() {
        let dir = tempfile::tempdir().unwrap();
        let meta = segment(dir.path(), 0);
        let seg = Segment::open(dir.path(), &meta, SETTINGS, 2).unwrap();
        assert_eq!(seg.exact(5).unwrap(), None);
        assert!(seg.bucket(1, 1000).unwrap().is_empty());
        assert!(seg.doc(0).is_err());
    }

    #[test]
    fn a_damaged_byte_is_found_where_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let meta = segment(dir.path(), 3000);
        let path = dir.path().join("seg.tds");
        let clean = std::fs::read(&path).unwrap();
        // One byte in the middle of the records, then one in a band table.
        for at in [clean.len() / 4, clean.len() * 3 / 4] {
            let mut bytes = clean.clone();
            bytes[at] ^= 0x40;
            std::fs::write(&path, &bytes).unwrap();
            let seg = Segment::open(dir.path(), &meta, SETTINGS, 2).unwrap();
            let err = seg.check_all(&|| Ok(())).unwrap_err();
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
            assert!(err.to_string().contains("fails its checksum"), "{err}");
        }
        // Damage in the footer or checks: refused at open.
        let mut bytes = clean.clone();
        let at = bytes.len() - 40;
        bytes[at] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(Segment::open(dir.path(), &meta, SETTINGS, 2).is_err());
        // Cut short.
        std::fs::write(&path, &clean[..clean.len() - 1]).unwrap();
        assert!(Segment::open(dir.path(), &meta, SETTINGS, 2).is_err());
        // Another segment's settings.
        std::fs::write(&path, &clean).unwrap();
        assert!(Segment::open(dir.path(), &meta, "other", 2).is_err());
        assert!(Segment::open(dir.path(), &meta, SETTINGS, 2).is_ok());
    }
}
