//! Listing the files of a corpus and opening them, decompressed.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::read::stamp::Stamp;
use crate::read::{Document, Skip, SkipReason};

/// Large reads keep system-call overhead negligible on big files.
const READ_BUFFER: usize = 256 * 1024;

/// How the documents inside a file are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// The whole file is one document.
    Text,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// One JSON document holding records: an array of objects, one
    /// document per element, or one object, one document (`.json`).
    Json,
    /// A Parquet file: one document per row (`.parquet`).
    Parquet,
    /// A WARC file: one document per text record (`.warc`, `.wet`, WET
    /// conversion records).
    Warc,
}

/// How to decide a file's [`Format`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// By file name: `.jsonl`/`.ndjson` (before any `.gz`/`.zst`) are JSON
    /// Lines; `.json` is decided by its content, as [`InputFormat::Json`]
    /// says; `.parquet` is Parquet; everything else is text. Standard
    /// input is JSON Lines.
    #[default]
    Auto,
    /// Every input is one document per file.
    Text,
    /// Every input is JSON Lines.
    Jsonl,
    /// Every input is decided by its content: JSON Lines when its first
    /// non-blank line is a JSON object; records when it is one JSON
    /// document holding them (an array of objects, or one object over
    /// several lines); else one text document. A note says which, unless
    /// it is JSON Lines.
    Json,
    /// Every input is a Parquet file.
    Parquet,
    /// Every input is a WARC (or WET) file.
    Warc,
}

/// How a file is compressed, detected from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip, possibly of several members (as `cat a.gz b.gz` makes).
    Gzip,
    /// Zstandard.
    Zstd,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Options of the read stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// How to tell text files from JSON Lines. Default: by file name.
    pub format: InputFormat,
    /// The JSON field that holds the text. Default: `text`.
    pub text_field: String,
    /// The JSON field that holds the id. Default: `id`; when a line lacks
    /// it, the id is `FILE:LINE`.
    pub id_field: String,
    /// The most bytes a document may have: a text file's (decompressed)
    /// size, a JSON line's length. A longer one is skipped
    /// ([`SkipReason::TooLarge`]) without being held in memory. Default:
    /// no limit; [`Resources::max_document_bytes`](crate::Resources::max_document_bytes)
    /// is what a memory limit allows.
    pub max_document_bytes: Option<u64>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: InputFormat::Auto,
            text_field: "text".to_string(),
            id_field: "id".to_string(),
            max_document_bytes: None,
        }
    }
}

/// One input file.
#[derive(Clone, Debug)]
pub struct Source {
    /// Where to open it.
    pub path: PathBuf,
    /// Its path relative to the input it was found under (its file name
    /// when it was named directly). Text documents are reported by it, and
    /// `dedup` mirrors it in an output folder.
    pub relative: PathBuf,
    /// `relative` as reported: `/`-separated, with bytes that are not
    /// UTF-8 written `\xNN` and a backslash written `\\`, so that no two
    /// files share a name.
    pub name: String,
    /// How its documents are laid out.
    pub format: Format,
    /// True for a temporary copy (of standard input, or of a spooled
    /// stream) rather than a path the user named.
    pub temporary: bool,
}

/// A corpus on disk: the sorted list of files under the given inputs.
///
/// Standard input (`-`) is copied to a temporary file when the corpus is
/// opened, so that it can be streamed more than once like any file; the
/// copy is deleted when the `Files` is dropped.
#[derive(Debug)]
pub struct Files {
    sources: Vec<Source>,
    roots: Vec<PathBuf>,
    listing_skips: Vec<Skip>,
    options: ReadOptions,
    /// Each source's stamp when the corpus was listed.
    stamps: Vec<Option<Stamp>>,
    /// XXH3-64 of each plain (uncompressed) text source's bytes, as first
    /// read (0: not read yet): a file read whole again must match it.
    text_hashes: Vec<std::sync::atomic::AtomicU64>,
    /// Notes on sources, at most one each, in the order made.
    notes: std::sync::Mutex<Vec<(u32, String)>>,
    /// Temporary copies (of stdin, of a spooled stream) that live as long
    /// as the corpus.
    _copies: Vec<tempfile::NamedTempFile>,
}

impl Files {
    /// Lists the files under `inputs`. Folders are walked recursively in
    /// byte order of names; hidden entries (names starting with `.`) inside
    /// folders are left out. What cannot be listed inside a folder becomes
    /// a [`Skip`], reported when the corpus is streamed.
    ///
    /// `tmp_dir` is where a copy of standard input goes (the system's
    /// temporary folder when `None`).
    ///
    /// # Errors
    /// [`Error::Io`] naming the input when one of `inputs` does not exist
    /// (or cannot be looked at): a path the caller named is a mistake to
    /// stop for, before any output is made, not a file to skip. Also when
    /// the copy of standard input fails.
    pub fn open(inputs: &[PathBuf], options: ReadOptions, tmp_dir: Option<&Path>) -> Result<Files> {
        let mut files = Files {
            sources: Vec::new(),
            roots: Vec::new(),
            listing_skips: Vec::new(),
            options,
            stamps: Vec::new(),
            text_hashes: Vec::new(),
            notes: Default::default(),
            _copies: Vec::new(),
        };
        for input in inputs {
            if input.as_os_str() == "-" {
                files.add_stdin(tmp_dir)?;
                continue;
            }
            files.roots.push(input.clone());
            match fs::metadata(input) {
                Ok(meta) if meta.is_dir() => {
                    let from = files.sources.len();
                    files.walk(input, input);
                    files.note_text_among_records(input, from);
                }
                Ok(_) => {
                    let name = input
                        .file_name()
                        .map(PathBuf::from)
                        .unwrap_or_else(|| input.clone());
                    files.push(input.clone(), name);
                }
                Err(e) => return Err(Error::io(input, e)),
            }
        }
        files.check_columns()?;
        files.stamp();
        Ok(files)
    }

    /// Notes a dataset's own files (`README.md`, `LICENSE`: see
    /// [`is_about_the_data`]) that a folder walk (its sources from `from`
    /// on) found as plain text beside files of records: a Hugging Face
    /// dataset's root holds its card beside `data/`, and named as the
    /// input, the card is read as a document, whose lines `dedup` may cut.
    /// They are read all the same, as a folder's files are (a text file
    /// among records may be meant), but the user hears of it, once.
    fn note_text_among_records(&self, root: &Path, from: usize) {
        let found = &self.sources[from..];
        let records = found
            .iter()
            .filter(|s| matches!(s.format, Format::Jsonl | Format::Parquet | Format::Warc))
            .count();
        let mut about = (from..self.sources.len()).filter(|&i| {
            let source = &self.sources[i];
            source.format == Format::Text && is_about_the_data(&source.relative)
        });
        let (Some(first), true) = (about.next(), records > 0) else {
            return;
        };
        let others = match about.count() {
            0 => String::new(),
            1 => " and 1 other file".to_string(),
            n => format!(" and {n} other files"),
        };
        let files = if records == 1 { "file" } else { "files" };
        self.note(
            u32::try_from(first).unwrap_or(u32::MAX),
            format!(
                "{root}: {name}{others} read as plain text, a document each, beside {records} {files} of \
                 records; if that is the dataset's card or licence rather than a document, name the \
                 folder or files of the data instead",
                root = root.display(),
                name = self.sources[first].name,
            ),
        );
    }

    /// Checks that every Parquet source has the text column, so that a
    /// misnamed column stops the run before any work.
    fn check_columns(&self) -> Result<()> {
        self.sources
            .iter()
            .filter(|s| s.format == Format::Parquet)
            .try_for_each(|s| super::parquet::check_columns(&s.path, &self.options))
    }

    fn stamp(&mut self) {
        self.stamps = self.sources.iter().map(|s| Stamp::of(&s.path)).collect();
        self.text_hashes = self.sources.iter().map(|_| Default::default()).collect();
    }

    /// Records the hash of plain text source `index`'s bytes, the first
    /// time it is read whole.
    pub(crate) fn note_text(&self, index: usize, bytes: &[u8]) {
        if let Some(slot) = self.text_hashes.get(index) {
            let hash = xxhash_rust::xxh3::xxh3_64(bytes).max(1);
            let _ = slot.compare_exchange(
                0,
                hash,
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
    }

    /// Records a note on `source`, unless it has one: later passes read
    /// the same lines and would make it again.
    pub(crate) fn note(&self, source: u32, note: String) {
        if let Ok(mut notes) = self.notes.lock() {
            if notes.iter().all(|(s, _)| *s != source) {
                notes.push((source, note));
            }
        }
    }

    /// Notes on the sources read so far, at most one each: see
    /// [`Corpus::notes`](crate::Corpus::notes).
    pub fn notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|notes| notes.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default()
    }

    /// The hash [`Files::note_text`] recorded for source `index`, if any.
    pub(crate) fn text_hash(&self, index: usize) -> Option<u64> {
        let hash = self.text_hashes.get(index)?;
        match hash.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            hash => Some(hash),
        }
    }

    /// Checks that source `index` is as it was when the corpus was listed:
    /// same size, modification time and file. A run must not mix two
    /// versions of an input (see [`Error::InputModified`]).
    pub fn check_source(&self, index: usize) -> Result<()> {
        let (Some(source), Some(&then)) = (self.sources.get(index), self.stamps.get(index)) else {
            return Ok(());
        };
        if Stamp::of(&source.path) == then {
            Ok(())
        } else {
            Err(Error::InputModified {
                path: source.path.clone(),
            })
        }
    }

    /// A hash of every source's path and stamp: two corpora with the same
    /// fingerprint are the same files, unchanged (standard input, copied
    /// to a new temporary each time, never matches).
    pub fn fingerprint(&self) -> u128 {
        let mut text = String::new();
        for (source, stamp) in self.sources.iter().zip(&self.stamps) {
            text.push_str(&format!("{:?}\t{stamp:?}\n", source.path));
        }
        xxhash_rust::xxh3::xxh3_128(text.as_bytes())
    }

    /// Checks every source, as [`Files::check_source`] does.
    pub fn check_unchanged(&self) -> Result<()> {
        (0..self.sources.len()).try_for_each(|i| self.check_source(i))
    }

    fn add_stdin(&mut self, tmp_dir: Option<&Path>) -> Result<()> {
        let tmp = temporary(tmp_dir)?;
        let mut out = io::BufWriter::new(tmp.as_file());
        io::copy(&mut io::stdin().lock(), &mut out).map_err(|e| Error::io("-", e))?;
        io::Write::flush(&mut out).map_err(|e| Error::io(tmp.path(), e))?;
        drop(out);
        let format = match self.options.format {
            InputFormat::Text => Format::Text,
            InputFormat::Auto | InputFormat::Jsonl => Format::Jsonl,
            InputFormat::Parquet => Format::Parquet,
            InputFormat::Warc => Format::Warc,
            InputFormat::Json => {
                let (format, note) = sniff_json(tmp.path());
                if let Some(note) = note {
                    let index = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
                    self.note(index, format!("stdin: {note}"));
                }
                format
            }
        };
        if self.options.format == InputFormat::Auto && sniff_json(tmp.path()).0 != Format::Jsonl {
            // Read as JSON Lines all the same (what a pipe of records
            // needs), but said once, not only as one skip per line.
            let index = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
            self.note(
                index,
                "stdin is not JSON Lines (its first line is not a JSON object); to read it as one text document, choose the text input format".to_string(),
            );
        }
        self.sources.push(Source {
            path: tmp.path().to_path_buf(),
            relative: PathBuf::from("stdin"),
            name: "stdin".to_string(),
            format,
            temporary: true,
        });
        self._copies.push(tmp);
        Ok(())
    }

    /// A corpus made of one stream of documents, copied to a temporary JSON
    /// Lines file so that it can be read more than once. For callers whose
    /// documents come from a one-shot iterator.
    ///
    /// ```
    /// use textdup::{Document, Files};
    /// let stream = (0..3).map(|i| Document::new(format!("d{i}"), "the same words in every document here"));
    /// let corpus = Files::spool(stream, None)?;
    /// let report = textdup::run(&corpus, &Default::default(), &textdup::NoProgress)?;
    /// assert_eq!(report.summary().removed, 2);
    /// assert_eq!(report.id(report.clusters()[0].members[2].doc), "d2");
    /// # Ok::<(), textdup::Error>(())
    /// ```
    pub fn spool(
        docs: impl IntoIterator<Item = Document>,
        tmp_dir: Option<&Path>,
    ) -> Result<Files> {
        let tmp = temporary(tmp_dir)?;
        let mut out = io::BufWriter::new(tmp.as_file());
        for doc in docs {
            let line = serde_json::json!({ "id": doc.id, "text": doc.text });
            serde_json::to_writer(&mut out, &line)
                .map_err(io::Error::from)
                .and_then(|()| io::Write::write_all(&mut out, b"\n"))
                .map_err(|e| Error::io(tmp.path(), e))?;
        }
        io::Write::flush(&mut out).map_err(|e| Error::io(tmp.path(), e))?;
        drop(out);
        let mut files = Files {
            sources: Vec::new(),
            roots: Vec::new(),
            listing_skips: Vec::new(),
            options: ReadOptions::default(),
            stamps: Vec::new(),
            text_hashes: Vec::new(),
            notes: Default::default(),
            _copies: Vec::new(),
        };
        files.sources.push(Source {
            path: tmp.path().to_path_buf(),
            relative: PathBuf::from("stream"),
            name: "stream".to_string(),
            format: Format::Jsonl,
            temporary: true,
        });
        files._copies.push(tmp);
        files.stamp();
        Ok(files)
    }

    fn walk(&mut self, root: &Path, dir: &Path) {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.listing_skips.push(Skip {
                    source: dir.display().to_string(),
                    line: None,
                    reason: SkipReason::Unreadable(e.to_string()),
                });
                return;
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => children.push(entry),
                Err(e) => self.listing_skips.push(Skip {
                    source: dir.display().to_string(),
                    line: None,
                    reason: SkipReason::Unreadable(e.to_string()),
                }),
            }
        }
        children.sort_by_key(|entry| entry.file_name());
        for entry in children {
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            // Links are followed to see what they point at; a link to a
            // folder is not walked, so a link cycle cannot make the walk
            // endless.
            let skip = |reason: &str| Skip {
                source: relative.display().to_string(),
                line: None,
                reason: SkipReason::Unreadable(reason.to_string()),
            };
            match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() && is_link => self
                    .listing_skips
                    .push(skip("a link to a folder (not followed)")),
                Ok(meta) if meta.is_dir() => self.walk(root, &path),
                Ok(meta) if meta.is_file() => self.push(path, relative),
                // A pipe or device would block or never end.
                Ok(_) => self.listing_skips.push(skip("not a regular file")),
                // A dangling link: reading it reports the error.
                Err(_) => self.push(path, relative),
            }
        }
    }

    fn push(&mut self, path: PathBuf, relative: PathBuf) {
        let name = name_of(&relative);
        let named = match self.options.format {
            InputFormat::Text => Named::Text,
            InputFormat::Jsonl => Named::Jsonl,
            InputFormat::Json => Named::Json,
            InputFormat::Parquet => Named::Parquet,
            InputFormat::Warc => Named::Warc,
            InputFormat::Auto => format_from_name(&name),
        };
        let format = match named {
            Named::Jsonl => Format::Jsonl,
            Named::Text => Format::Text,
            Named::Parquet => Format::Parquet,
            Named::Warc => Format::Warc,
            Named::Json => {
                let (format, note) = sniff_json(&path);
                if let Some(note) = note {
                    let index = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
                    self.note(index, format!("{name}: {note}"));
                }
                format
            }
        };
        self.sources.push(Source {
            path,
            relative,
            name,
            format,
            temporary: false,
        });
    }

    /// The files, in the order they are read.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The paths the user named (standard input excluded).
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Inputs that could not be listed.
    pub(crate) fn listing_skips(&self) -> &[Skip] {
        &self.listing_skips
    }

    /// The options the corpus was opened with.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }
}

fn temporary(tmp_dir: Option<&Path>) -> Result<tempfile::NamedTempFile> {
    match tmp_dir {
        Some(dir) => tempfile::NamedTempFile::new_in(dir),
        None => tempfile::NamedTempFile::new(),
    }
    .map_err(|e| Error::io(tmp_dir.unwrap_or(Path::new("temporary folder")), e))
}

/// Whether a file's name says it is about a dataset rather than part of
/// it: a README (a Hugging Face dataset card), a licence, a citation or a
/// notice, with any extension.
fn is_about_the_data(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    [
        "README", "LICENSE", "LICENCE", "COPYING", "CITATION", "NOTICE",
    ]
    .contains(&stem.as_str())
}

/// `relative` as a file's reported name (and the id of a text document):
/// its components joined by `/`, each as UTF-8, with every byte that is not
/// UTF-8 written `\xNN` and every backslash `\\`.
///
/// Names must be unique: they are ids. Replacing bad bytes with U+FFFD (as
/// `to_string_lossy` does) would give two files that differ only there one
/// name; escaping them alone would give `a\xff` (four characters) and `a`
/// followed by the byte 0xFF one name. With backslashes escaped too, the
/// name can be decoded back to the path's bytes, so it is unique.
fn name_of(relative: &Path) -> String {
    let mut name = String::new();
    for (i, component) in relative.components().enumerate() {
        if i > 0 {
            name.push('/');
        }
        for chunk in component.as_os_str().as_encoded_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    name.push('\\');
                }
                name.push(c);
            }
            for byte in chunk.invalid() {
                name += &format!("\\x{byte:02x}");
            }
        }
    }
    name
}

/// What a file's name says of its layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Jsonl,
    Text,
    /// `.json`: JSON Lines or one JSON document; the content decides.
    Json,
    Parquet,
    Warc,
}

fn format_from_name(name: &str) -> Named {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        return Named::Parquet;
    }
    let stem = lower
        .strip_suffix(".gz")
        .or_else(|| lower.strip_suffix(".zst"))
        .or_else(|| lower.strip_suffix(".zstd"))
        .unwrap_or(&lower);
    if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") {
        Named::Jsonl
    } else if stem.ends_with(".warc") || stem.ends_with(".wet") {
        Named::Warc
    } else if stem.ends_with(".json") {
        Named::Json
    } else {
        Named::Text
    }
}

/// The most bytes of a `.json` file read to decide its layout: a first
/// line longer than this is taken for a record of JSON Lines if it opens
/// like one.
const SNIFF_LIMIT: u64 = 16 << 20;

/// How the content of a `.json` file (compressed or not) says to read it,
/// and a note when that is not as JSON Lines. Dolma, C4 and DCLM shards are
/// JSON Lines named `.json.gz`; a file whose first non-blank line is a
/// whole JSON object is read as records. Anything else is one text
/// document, and the note says why.
fn sniff_json(path: &Path) -> (Format, Option<&'static str>) {
    let Ok((_, reader)) = open_decoded(path) else {
        // Reading it will say what is wrong.
        return (Format::Jsonl, None);
    };
    let mut reader = io::Read::take(reader, SNIFF_LIMIT);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return (Format::Jsonl, None),
            Ok(_) => {}
        }
        let body = line.strip_prefix(super::BOM).unwrap_or(&line);
        let body = body.trim_ascii();
        if body.is_empty() {
            continue;
        }
        let read_whole = line.ends_with(b"\n");
        return match body[0] {
            b'{' if !read_whole => (Format::Jsonl, None),
            b'{' if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() => {
                (Format::Jsonl, None)
            }
            b'{' => (
                Format::Json,
                Some("one JSON object, not JSON Lines: read as one record"),
            ),
            b'[' => match first_element(&body[1..], &mut reader) {
                Some(b'{') => (
                    Format::Json,
                    Some("a JSON array of records, not JSON Lines: read as one record per element"),
                ),
                Some(b']') => (Format::Json, Some("an empty JSON array: no records")),
                _ => (
                    Format::Text,
                    Some("a JSON array of values, not of records: read as one text document"),
                ),
            },
            _ => (
                Format::Text,
                Some("named .json but not JSON: read as one text document"),
            ),
        };
    }
}

/// The first byte of an array's first element (or its `]`), from `rest`
/// (what follows the `[` on its line) and, when that is blank, the lines
/// after it.
fn first_element(rest: &[u8], reader: &mut impl BufRead) -> Option<u8> {
    if let Some(&b) = rest.trim_ascii().first() {
        return Some(b);
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if let Some(&b) = line.trim_ascii().first() {
            return Some(b);
        }
    }
}

/// How the file at `path` is compressed, from its first bytes.
pub(crate) fn compression_of(path: &Path) -> io::Result<Compression> {
    let mut head = [0u8; 4];
    let mut file = File::open(path)?;
    let mut read = 0;
    while read < head.len() {
        match io::Read::read(&mut file, &mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..read];
    Ok(if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    })
}

/// Opens `path` and returns its decompressed bytes as a buffered stream.
pub(crate) fn open_decoded(path: &Path) -> io::Result<(Compression, Box<dyn BufRead + Send>)> {
    decoded(BufReader::with_capacity(READ_BUFFER, File::open(path)?))
}

/// The bytes of `file` decompressed as its first bytes say, as a buffered
/// stream. Damaged compressed data is an error from the stream's reads
/// (a header so bad that no decoder can start, from this function).
pub(crate) fn decoded<'r>(
    mut file: impl BufRead + Send + 'r,
) -> io::Result<(Compression, Box<dyn BufRead + Send + 'r>)> {
    let head = file.fill_buf()?;
    let compression = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let reader: Box<dyn BufRead + Send + 'r> = match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            READ_BUFFER,
            flate2::bufread::MultiGzDecoder::new(file),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            READ_BUFFER,
            zstd::stream::read::Decoder::with_buffer(file)?,
        )),
    };
    Ok((compression, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_name_under_compression() {
        for (name, format) in [
            ("a.jsonl", Named::Jsonl),
            ("a.JSONL.gz", Named::Jsonl),
            ("dir/a.ndjson.zst", Named::Jsonl),
            ("a.txt", Named::Text),
            ("a.txt.gz", Named::Text),
            ("a.json", Named::Json),
            ("c4-train.00000-of-01024.json.gz", Named::Json),
            ("shard.JSON.zst", Named::Json),
            ("jsonl", Named::Text),
            ("a.json.txt", Named::Text),
            ("CC-MAIN-20240101-00000.warc.wet.gz", Named::Warc),
            ("crawl.warc.gz", Named::Warc),
            ("crawl.WARC", Named::Warc),
            ("pages.wet.zst", Named::Warc),
            ("train-00000-of-00002.parquet", Named::Parquet),
        ] {
            assert_eq!(format_from_name(name), format, "{name}");
        }
    }

    /// `.json` files are read as their content says: JSON Lines (as
    /// Dolma and C4 name their shards) as records, anything else whole.
    #[test]
    fn json_files_are_sniffed() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8], Format, bool); 10] = [
            (
                "lines.json",
                b"\n{\"text\": \"a\"}\n{\"text\": \"b\"}\n",
                Format::Jsonl,
                false,
            ),
            (
                "bom.json",
                b"\xef\xbb\xbf{\"text\": \"a\"}\n",
                Format::Jsonl,
                false,
            ),
            ("one-line.json", b"{\"text\": \"a\"}", Format::Jsonl, false),
            (
                "pretty.json",
                b"{\n  \"text\": \"a\"\n}\n",
                Format::Json,
                true,
            ),
            ("array.json", b"[{\"text\": \"a\"}]\n", Format::Json, true),
            ("pretty-array.json", b"[\n\n  {\n", Format::Json, true),
            ("values.json", b"[\"a\", \"b\"]", Format::Text, true),
            ("empty-array.json", b" [ ]", Format::Json, true),
            ("prose.json", b"Not JSON at all.\n", Format::Text, true),
            ("empty.json", b"", Format::Jsonl, false),
        ];
        for (name, bytes, format, noted) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let (found, note) = sniff_json(&path);
            assert_eq!((found, note.is_some()), (format, noted), "{name}");
        }
        // Compressed, as the shards come.
        let path = dir.path().join("shard.json.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, b"{\"text\": \"a\"}\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        assert_eq!(sniff_json(&path), (Format::Jsonl, None));
    }

    #[test]
    fn names_are_unique_even_when_not_utf8() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let name = |bytes: &[u8]| name_of(Path::new(OsStr::from_bytes(bytes)));
        assert_eq!(name(b"dir/caf\xc3\xa9.txt"), "dir/café.txt");
        assert_eq!(name(b"a\xff.txt"), r"a\xff.txt");
        assert_eq!(name(b"a\xfe.txt"), r"a\xfe.txt");
        assert_eq!(name(b"a\\xff.txt"), r"a\\xff.txt");
        assert_eq!(name(b"\xe2\x82/x"), r"\xe2\x82/x");
        let all = [
            &b"a\xff"[..],
            b"a\xfe",
            b"a\\xff",
            b"a\\\xff",
            b"a\xef\xbf\xbd",
        ];
        let mut names: Vec<String> = all.iter().map(|b| name(b)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "{names:?}");
    }
}
