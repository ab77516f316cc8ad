//! Stage files: what the stages of a staged run hand each other on disk.
//!
//! A staged run splits the pipeline into processes that can run apart and
//! be run again after a kill: `textdup sketch --shard I/N` turns one shard
//! of the corpus into a **sketch file**, `textdup cluster` reads every
//! sketch file, verifies candidates against the corpus and writes the
//! clusters and a **plan file**, and `textdup filter --shard I/N` writes
//! one shard of the cleaned corpus from the plan.
//!
//! Both formats are little-endian, versioned, and open with a header that
//! records everything that decides their contents, so a file made with
//! other settings, another hash scheme or another corpus is refused with
//! an error that says what differs, never silently mixed in. A file ends
//! with a record count, so a file cut short is refused too (the stages
//! write under a temporary name and rename, so only a damaged disk makes
//! one).
//!
//! # Sketch file, version 1
//! `str` is a u32 byte length and that many bytes of UTF-8.
//! ```text
//! magic     8 bytes  "TXDSKTCH"
//! version   u32      1
//! scheme    str      MinHash hash scheme (textdup::minhash::HASH_SCHEME)
//! seed      u64      seed of shingle hashes and permutations
//! perms     u32      MinHash permutations
//! bands     u32      LSH bands
//! rows      u32      rows per band
//! matching  str      normalization and shingling, e.g. "normalize=nfkc,lowercase; word 5-grams"
//! slots     u32      signature slots kept per document: 0, or perms (estimated verification)
//! shard     u32      this file's shard
//! shards    u32      the number of shards
//! sources   u32      the number of source files in the whole corpus
//! corpus    u64      XXH3-64 of every source's name and size, in order
//! records, each opened by a tag byte:
//!   1  document      source u32, line u64 (0 for a whole file), bytes u64,
//!                    words u8 (0: nothing to compare, 1: what follows is there),
//!                    [exact-text XXH3-128 u128, bands × band key u64,] slots × u32, id str
//!   2  skipped input kind str (as in the report's skipped_by_reason)
//!   0  end           document records u64
//! ```
//! Documents come in corpus order: by source, then line.
//!
//! # Plan file, version 2
//! ```text
//! magic     8 bytes  "TXDPLAN1"
//! version   u32      2
//! sources   u32      as in the sketch files
//! corpus    u64      as in the sketch files
//! options   str      what decided the clusters (see cluster_options), so that
//!                    a finished step is redone only with the same options
//! removed   u64      count, then that many (source u32, line u64), ascending
//! ```

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::config::Config;
use crate::core::number;
use crate::error::{Error, Result, StagedProblem};
use crate::lsh::BandKey;
use crate::minhash::HASH_SCHEME;
use crate::read::{Files, Origin, Shard};
use crate::verify::Verification;

const SKETCH_MAGIC: &[u8; 8] = b"TXDSKTCH";
const PLAN_MAGIC: &[u8; 8] = b"TXDPLAN1";
const VERSION: u32 = 1;
const PLAN_VERSION: u32 = 2;

/// The most MinHash permutations a configuration may ask for.
const MAX_PERMS: u32 = 4096;

const TAG_END: u8 = 0;
const TAG_DOCUMENT: u8 = 1;
const TAG_SKIPPED: u8 = 2;

/// Identifies a corpus by its source files' names and sizes, in order: a
/// stage run against another corpus (or a grown file) is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorpusPrint {
    /// Number of source files.
    pub sources: u32,
    /// XXH3-64 of each source's name, a zero byte and its size.
    pub hash: u64,
}

impl CorpusPrint {
    /// The print of `files`. Standard input cannot be staged: its copy is
    /// gone when the stage ends.
    pub fn of(files: &Files) -> Result<CorpusPrint> {
        let mut hasher = Xxh3::new();
        for source in files.sources() {
            if source.temporary {
                return Err(Error::Staged(StagedProblem::Stdin));
            }
            let size = std::fs::metadata(&source.path)
                .map_err(|e| Error::io(&source.path, e))?
                .len();
            hasher.update(source.name.as_bytes());
            hasher.update(&[0]);
            hasher.update(&size.to_le_bytes());
        }
        Ok(CorpusPrint {
            sources: u32::try_from(files.sources().len()).map_err(|_| Error::TooManyDocuments)?,
            hash: hasher.digest(),
        })
    }
}

/// The header of a sketch file: the settings and corpus it was made with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SketchHeader {
    /// The MinHash hash scheme.
    pub scheme: String,
    /// Seed of shingle hashes and permutations.
    pub seed: u64,
    /// MinHash permutations.
    pub perms: u32,
    /// LSH bands.
    pub bands: u32,
    /// Rows per band.
    pub rows: u32,
    /// Normalization and shingling.
    pub matching: String,
    /// Signature slots kept per document (0 unless verification estimates).
    pub slots: u32,
    /// Which shard the file holds.
    pub shard: Shard,
    /// The corpus.
    pub corpus: CorpusPrint,
}

impl SketchHeader {
    /// The header a run with `config` over a corpus printed `corpus` makes
    /// for `shard`.
    pub fn new(config: &Config, corpus: CorpusPrint, shard: Shard) -> SketchHeader {
        let banding = config.banding();
        SketchHeader {
            scheme: HASH_SCHEME.to_string(),
            seed: config.seed,
            perms: number(config.num_perm),
            bands: number(banding.bands),
            rows: number(banding.rows),
            matching: format!(
                "normalize={}; {} {}-grams",
                config.normalization.describe(),
                config.shingling.unit.name(),
                config.shingling.n
            ),
            slots: if config.verification == Verification::Estimate {
                number(config.num_perm)
            } else {
                0
            },
            shard,
            corpus,
        }
    }

    /// Checks that a file's header fits the run expecting `want` (every
    /// field but the shard index), naming the first field that differs.
    pub fn check(&self, want: &SketchHeader, path: &Path) -> Result<()> {
        let differs = |what: &str, found: String, expected: String| {
            Err(stage_error(
                path,
                format!("made with {what} {found}, but this run has {expected}; sketch again with the same options"),
            ))
        };
        if self.scheme != want.scheme {
            return differs("hash scheme", self.scheme.clone(), want.scheme.clone());
        }
        if self.seed != want.seed {
            return differs("seed", self.seed.to_string(), want.seed.to_string());
        }
        if self.perms != want.perms {
            return differs(
                "permutations",
                self.perms.to_string(),
                want.perms.to_string(),
            );
        }
        if (self.bands, self.rows) != (want.bands, want.rows) {
            return differs(
                "banding",
                format!("{} × {}", self.bands, self.rows),
                format!(
                    "{} × {} (set by the threshold, or by bands and rows)",
                    want.bands, want.rows
                ),
            );
        }
        if self.matching != want.matching {
            return differs("matching", self.matching.clone(), want.matching.clone());
        }
        if self.slots != want.slots {
            return differs(
                "verification",
                verification_name(self.slots),
                verification_name(want.slots),
            );
        }
        if self.corpus != want.corpus {
            return Err(stage_error(
                path,
                "made from another corpus (other files, or files that changed size)".into(),
            ));
        }
        if self.shard.count() != want.shard.count() {
            return differs(
                "shard count",
                self.shard.count().to_string(),
                want.shard.count().to_string(),
            );
        }
        Ok(())
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(SKETCH_MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        put_str(out, &self.scheme)?;
        out.write_all(&self.seed.to_le_bytes())?;
        for n in [self.perms, self.bands, self.rows] {
            out.write_all(&n.to_le_bytes())?;
        }
        put_str(out, &self.matching)?;
        for n in [
            self.slots,
            self.shard.index(),
            self.shard.count(),
            self.corpus.sources,
        ] {
            out.write_all(&n.to_le_bytes())?;
        }
        out.write_all(&self.corpus.hash.to_le_bytes())
    }

    fn read(input: &mut Input) -> Result<SketchHeader> {
        input.magic(SKETCH_MAGIC, "a textdup sketch file", VERSION)?;
        let scheme = input.str()?;
        let seed = input.u64()?;
        let (perms, bands, rows) = (input.u32()?, input.u32()?, input.u32()?);
        let matching = input.str()?;
        let slots = input.u32()?;
        let (index, count) = (input.u32()?, input.u32()?);
        let Some(shard) = Shard::new(index, count) else {
            return Err(input.damaged());
        };
        let corpus = CorpusPrint {
            sources: input.u32()?,
            hash: input.u64()?,
        };
        // What a valid configuration can make (Config::validate), checked
        // here so that a damaged count cannot size the records' tables.
        let banding_fits =
            bands >= 1 && rows >= 1 && u64::from(bands) * u64::from(rows) <= u64::from(perms);
        if !(1..=MAX_PERMS).contains(&perms) || !banding_fits || (slots != 0 && slots != perms) {
            return Err(input.damaged());
        }
        Ok(SketchHeader {
            scheme,
            seed,
            perms,
            bands,
            rows,
            matching,
            slots,
            shard,
            corpus,
        })
    }
}

fn verification_name(slots: u32) -> String {
    if slots == 0 { "exact" } else { "estimate" }.to_string()
}

fn stage_error(path: &Path, message: String) -> Error {
    Error::StageFile {
        path: path.to_path_buf(),
        message,
    }
}

/// One document of a sketch file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SketchedDoc {
    /// Its reported id.
    pub id: String,
    /// Where it is in the corpus.
    pub origin: Origin,
    /// Bytes of its text.
    pub bytes: u64,
    /// Its exact-text hash and band keys; `None` when it has no words.
    pub sketch: Option<(u128, Vec<BandKey>)>,
    /// Its signature, when the header keeps slots.
    pub slots: Vec<u32>,
}

/// A record of a sketch file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SketchRecord {
    /// A document.
    Document(SketchedDoc),
    /// An input that was skipped, by kind.
    Skipped(String),
}

/// Writes a sketch file.
pub struct SketchWriter {
    out: BufWriter<File>,
    path: PathBuf,
    header: SketchHeader,
    documents: u64,
}

impl SketchWriter {
    /// Starts a sketch file at `path` (a temporary name: see the module docs).
    pub fn create(path: &Path, header: SketchHeader) -> Result<SketchWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        header.write(&mut out).map_err(|e| Error::io(path, e))?;
        Ok(SketchWriter {
            out,
            path: path.to_path_buf(),
            header,
            documents: 0,
        })
    }

    /// Adds a document.
    pub fn document(
        &mut self,
        id: &str,
        origin: Origin,
        bytes: u64,
        sketch: Option<(u128, &[BandKey])>,
        slots: &[u32],
    ) -> Result<()> {
        debug_assert_eq!(slots.len(), self.header.slots as usize);
        let out = &mut self.out;
        let result = (|| {
            out.write_all(&[TAG_DOCUMENT])?;
            out.write_all(&origin.source.to_le_bytes())?;
            out.write_all(&origin.line.to_le_bytes())?;
            out.write_all(&bytes.to_le_bytes())?;
            match sketch {
                None => out.write_all(&[0])?,
                Some((exact, keys)) => {
                    debug_assert_eq!(keys.len(), self.header.bands as usize);
                    out.write_all(&[1])?;
                    out.write_all(&exact.to_le_bytes())?;
                    for key in keys {
                        out.write_all(&key.to_le_bytes())?;
                    }
                }
            }
            for slot in slots {
                out.write_all(&slot.to_le_bytes())?;
            }
            put_str(out, id)
        })();
        self.documents += 1;
        result.map_err(|e| Error::io(&self.path, e))
    }

    /// Adds a skipped input.
    pub fn skipped(&mut self, kind: &str) -> Result<()> {
        (|| {
            self.out.write_all(&[TAG_SKIPPED])?;
            put_str(&mut self.out, kind)
        })()
        .map_err(|e| Error::io(&self.path, e))
    }

    /// Ends the file and makes it durable.
    pub fn finish(mut self) -> Result<()> {
        (|| {
            self.out.write_all(&[TAG_END])?;
            self.out.write_all(&self.documents.to_le_bytes())?;
            self.out
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()
        })()
        .map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads a sketch file, record by record.
pub struct SketchReader {
    input: Input,
    header: SketchHeader,
    documents: u64,
    /// The origin of the last document read: documents come in corpus order.
    last: Option<Origin>,
    done: bool,
}

impl SketchReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<SketchReader> {
        SketchReader::new(Input::open(path)?)
    }

    /// Reads the header of the sketch file `input`.
    pub(crate) fn new(mut input: Input) -> Result<SketchReader> {
        let header = SketchHeader::read(&mut input)?;
        Ok(SketchReader {
            input,
            header,
            documents: 0,
            last: None,
            done: false,
        })
    }

    /// The file's header.
    pub fn header(&self) -> &SketchHeader {
        &self.header
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.input.path
    }

    /// The next record; `None` after the end record.
    pub fn next_record(&mut self) -> Result<Option<SketchRecord>> {
        if self.done {
            return Ok(None);
        }
        let input = &mut self.input;
        match input.u8()? {
            TAG_DOCUMENT => {
                let origin = Origin {
                    source: input.u32()?,
                    line: input.u64()?,
                };
                let bytes = input.u64()?;
                let sketch = match input.u8()? {
                    0 => None,
                    1 => {
                        let exact = input.u128()?;
                        let keys = (0..self.header.bands)
                            .map(|_| input.u64())
                            .collect::<Result<Vec<_>>>()?;
                        Some((exact, keys))
                    }
                    _ => return Err(input.damaged()),
                };
                let slots = (0..self.header.slots)
                    .map(|_| input.u32())
                    .collect::<Result<Vec<_>>>()?;
                let id = input.str()?;
                // None sorts before any Some.
                let in_order =
                    self.last.map(|o| (o.source, o.line)) < Some((origin.source, origin.line));
                if origin.source >= self.header.corpus.sources
                    || !self.header.shard.holds(origin.source)
                    || !in_order
                {
                    return Err(input.damaged());
                }
                self.last = Some(origin);
                self.documents += 1;
                Ok(Some(SketchRecord::Document(SketchedDoc {
                    id,
                    origin,
                    bytes,
                    sketch,
                    slots,
                })))
            }
            TAG_SKIPPED => Ok(Some(SketchRecord::Skipped(input.str()?))),
            TAG_END => {
                if input.u64()? != self.documents {
                    return Err(input.damaged());
                }
                self.done = true;
                Ok(None)
            }
            _ => Err(input.damaged()),
        }
    }
}

/// A plan file's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// What decided the clusters ([`cluster_options`]).
    pub options: String,
    /// The documents to remove, ascending.
    pub removed: Vec<Origin>,
}

/// The options that decide a staged run's clusters, as one line: matching,
/// seed, permutations, banding, threshold, verification and keep policy.
/// A `cluster` step over an existing plan made with other options is
/// refused, naming the difference.
pub fn cluster_options(config: &Config) -> String {
    let banding = config.banding();
    format!(
        "normalize={}; {} {}-grams; seed {}; {} permutations; {}x{} bands; threshold {}; {} verification; keep {}",
        config.normalization.describe(),
        config.shingling.unit.name(),
        config.shingling.n,
        config.seed,
        config.num_perm,
        banding.bands,
        banding.rows,
        config.threshold,
        config.verification.name(),
        config.keep.name()
    )
}

/// Writes a plan file: the documents to remove, ascending, and the
/// `options` that decided them.
pub fn write_plan(
    path: &Path,
    corpus: CorpusPrint,
    options: &str,
    removed: &[Origin],
) -> Result<()> {
    debug_assert!(removed
        .windows(2)
        .all(|w| (w[0].source, w[0].line) < (w[1].source, w[1].line)));
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(file);
    (|| {
        out.write_all(PLAN_MAGIC)?;
        out.write_all(&PLAN_VERSION.to_le_bytes())?;
        out.write_all(&corpus.sources.to_le_bytes())?;
        out.write_all(&corpus.hash.to_le_bytes())?;
        put_str(&mut out, options)?;
        out.write_all(&(removed.len() as u64).to_le_bytes())?;
        for origin in removed {
            out.write_all(&origin.source.to_le_bytes())?;
            out.write_all(&origin.line.to_le_bytes())?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })()
    .map_err(|e| Error::io(path, e))
}

/// Reads a plan file made for the corpus printed `corpus`.
pub fn read_plan(path: &Path, corpus: CorpusPrint) -> Result<Plan> {
    plan_from(Input::open(path)?, corpus)
}

/// [`read_plan`] of the plan file `input`.
pub(crate) fn plan_from(mut input: Input, corpus: CorpusPrint) -> Result<Plan> {
    input.magic(PLAN_MAGIC, "a textdup plan file", PLAN_VERSION)?;
    let found = CorpusPrint {
        sources: input.u32()?,
        hash: input.u64()?,
    };
    if found != corpus {
        return Err(stage_error(
            &input.path,
            "made for another corpus (other files, or files that changed size)".into(),
        ));
    }
    let options = input.str()?;
    let count = input.u64()?;
    // Each entry takes 12 bytes: a count the file cannot hold is damage,
    // found before the list is allocated.
    const ENTRY: u64 = 12;
    if count > input.remaining / ENTRY {
        return Err(input.damaged());
    }
    let mut removed: Vec<Origin> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let origin = Origin {
            source: input.u32()?,
            line: input.u64()?,
        };
        let ascending =
            removed.last().map(|o| (o.source, o.line)) < Some((origin.source, origin.line));
        if origin.source >= corpus.sources || !ascending {
            return Err(input.damaged());
        }
        removed.push(origin);
    }
    let mut rest = [0u8; 1];
    let more = input
        .reader
        .read(&mut rest)
        .map_err(|e| Error::io(&input.path, e))?;
    if more != 0 {
        return Err(input.damaged());
    }
    Ok(Plan { options, removed })
}

fn put_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    let len = u32::try_from(s.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a string of 4 GiB or more"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(s.as_bytes())
}

/// A stage file being read, with its path for errors.
pub(crate) struct Input {
    reader: BufReader<Box<dyn Read + Send>>,
    path: PathBuf,
    /// Bytes left to read, by the file's size when opened: a length read
    /// from the file is checked against it before anything is allocated
    /// for it, so damage cannot ask for gigabytes.
    remaining: u64,
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(Input::new(Box::new(file), size, path))
    }

    /// A stage file of `size` bytes read from `reader`, named `path`.
    pub(crate) fn new(reader: Box<dyn Read + Send>, size: u64, path: &Path) -> Input {
        Input {
            reader: BufReader::with_capacity(1 << 20, reader),
            path: path.to_path_buf(),
            remaining: size,
        }
    }

    fn damaged(&self) -> Error {
        stage_error(
            &self.path,
            "damaged or cut short; delete it and run its stage again".into(),
        )
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        match self.reader.read_exact(&mut buf) {
            Ok(()) => {
                self.remaining = self.remaining.saturating_sub(N as u64);
                Ok(buf)
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(self.damaged()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    fn magic(&mut self, magic: &[u8; 8], what: &str, want: u32) -> Result<()> {
        let found: [u8; 8] = self
            .bytes()
            .map_err(|_| stage_error(&self.path, format!("not {what}")))?;
        if &found != magic {
            return Err(stage_error(&self.path, format!("not {what}")));
        }
        let version = self.u32()?;
        if version != want {
            return Err(stage_error(
                &self.path,
                format!("format version {version}; this textdup reads version {want}"),
            ));
        }
        Ok(())
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }
    fn u128(&mut self) -> Result<u128> {
        Ok(u128::from_le_bytes(self.bytes()?))
    }
    fn str(&mut self) -> Result<String> {
        let len = self.u32()?;
        // A damaged length must not make us allocate gigabytes: no string
        // (a scheme, an id) comes near 16 MiB, and none is longer than
        // what is left of the file.
        if len > 1 << 24 || u64::from(len) > self.remaining {
            return Err(self.damaged());
        }
        let mut buf = vec![0u8; len as usize];
        match self.reader.read_exact(&mut buf) {
            Ok(()) => self.remaining -= u64::from(len),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(self.damaged()),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        String::from_utf8(buf).map_err(|_| self.damaged())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SketchHeader {
        SketchHeader::new(
            &Config::default(),
            CorpusPrint {
                sources: 3,
                hash: 99,
            },
            Shard::new(1, 2).unwrap(),
        )
    }

    #[test]
    fn a_sketch_file_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let h = header();
        let keys: Vec<BandKey> = (0..h.bands as u64).collect();
        let mut w = SketchWriter::create(&path, h.clone()).unwrap();
        let origin = Origin { source: 1, line: 7 };
        w.document("a", origin, 10, Some((5u128 << 100, &keys)), &[])
            .unwrap();
        w.skipped("binary").unwrap();
        w.document("b", Origin { source: 1, line: 8 }, 3, None, &[])
            .unwrap();
        w.finish().unwrap();

        let mut r = SketchReader::open(&path).unwrap();
        assert_eq!(r.header(), &h);
        let Some(SketchRecord::Document(a)) = r.next_record().unwrap() else {
            panic!("a document first")
        };
        assert_eq!((a.id.as_str(), a.origin, a.bytes), ("a", origin, 10));
        assert_eq!(a.sketch, Some((5u128 << 100, keys)));
        assert_eq!(
            r.next_record().unwrap(),
            Some(SketchRecord::Skipped("binary".into()))
        );
        assert!(
            matches!(r.next_record().unwrap(), Some(SketchRecord::Document(b)) if b.sketch.is_none())
        );
        assert_eq!(r.next_record().unwrap(), None);
    }

    #[test]
    fn cut_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut w = SketchWriter::create(&path, header()).unwrap();
        w.document("a", Origin { source: 1, line: 1 }, 1, None, &[])
            .unwrap();
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let mut r = SketchReader::open(&path).unwrap();
        r.next_record().unwrap();
        let err = r.next_record().unwrap_err().to_string();
        assert!(err.contains("cut short"), "{err}");

        std::fs::write(&path, b"{\"id\": 1}\n").unwrap();
        let err = SketchReader::open(&path).err().unwrap().to_string();
        assert!(err.contains("not a textdup sketch file"), "{err}");

        let other = SketchHeader::new(
            &Config {
                seed: 2,
                ..Config::default()
            },
            header().corpus,
            header().shard,
        );
        let err = other.check(&header(), &path).unwrap_err().to_string();
        assert!(err.contains("seed 2, but this run has 1"), "{err}");
    }

    /// A length or count that the rest of the file cannot hold is damage,
    /// found before anything is allocated for it.
    #[test]
    fn lengths_past_the_end_are_refused() {
        let path = Path::new("s");
        let read = |bytes: Vec<u8>| {
            let size = bytes.len() as u64;
            SketchReader::new(Input::new(Box::new(io::Cursor::new(bytes)), size, path))
        };
        let mut bytes = SKETCH_MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&1000u32.to_le_bytes()); // a scheme of 1000 bytes
        bytes.extend_from_slice(b"xxh3");
        let err = read(bytes).err().unwrap().to_string();
        assert!(err.contains("damaged"), "{err}");

        let mut header_bytes = Vec::new();
        header().write(&mut header_bytes).unwrap();
        let mut h = header_bytes.clone();
        // perms, bands, rows follow the scheme and the seed.
        let perms_at = 8 + 4 + 4 + HASH_SCHEME.len() + 8;
        h[perms_at..perms_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = read(h).err().unwrap().to_string();
        assert!(err.contains("damaged"), "{err}");
        assert!(read(header_bytes).is_ok());

        let print = CorpusPrint {
            sources: 4,
            hash: 7,
        };
        let mut plan = PLAN_MAGIC.to_vec();
        plan.extend_from_slice(&PLAN_VERSION.to_le_bytes());
        plan.extend_from_slice(&print.sources.to_le_bytes());
        plan.extend_from_slice(&print.hash.to_le_bytes());
        plan.extend_from_slice(&0u32.to_le_bytes()); // no options
        plan.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
        plan.extend_from_slice(&[0; 12]);
        let size = plan.len() as u64;
        let input = Input::new(Box::new(io::Cursor::new(plan)), size, path);
        let err = plan_from(input, print).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
    }

    #[test]
    fn plans_round_trip_and_know_their_corpus() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        let print = CorpusPrint {
            sources: 4,
            hash: 7,
        };
        let removed = vec![Origin { source: 0, line: 3 }, Origin { source: 3, line: 0 }];
        let options = cluster_options(&Config::default());
        write_plan(&path, print, &options, &removed).unwrap();
        assert_eq!(read_plan(&path, print).unwrap(), Plan { options, removed });
        let err = read_plan(&path, CorpusPrint { hash: 8, ..print })
            .unwrap_err()
            .to_string();
        assert!(err.contains("another corpus"), "{err}");
    }
}
