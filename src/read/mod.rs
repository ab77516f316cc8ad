//! Read: turn inputs into a stream of [`Document`]s.
//!
//! This is the first stage. It takes paths (files, folders walked
//! recursively in sorted order, or `-` for standard input) and yields one
//! [`Record`] at a time: either a [`Document`] or a [`Skip`] that says which
//! file (and line) could not be used and why. Nothing is buffered beyond the
//! document being read, so the corpus never has to fit in memory.
//!
//! Invariants:
//! - A [`Corpus`] yields the same records in the same order every time it is
//!   streamed. Later stages rely on this to re-read only what they need (the
//!   documents of candidate pairs, the documents to keep) instead of holding
//!   every text in memory.
//! - Bad input is never an error that stops the run, and never a panic: it
//!   is a [`Skip`], and the stream goes on with the next document. In JSON
//!   Lines that is the line, not the file. (A path the caller named that
//!   does not exist is not bad input but a mistake: [`Files::open`] fails.)

pub(crate) mod json_array;
pub(crate) mod parquet;
mod records;
mod source;
mod stamp;
pub(crate) mod stream;
pub(crate) mod warc;

use std::fmt;

pub use records::FileRecords;
pub(crate) use records::{read_text, trim_line_end, Lines, BOM};
pub(crate) use source::{compression_of, decoded, open_decoded};
pub use source::{Compression, Files, Format, InputFormat, ReadOptions, Source};

/// Where a document came from: which source file, and which line of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Index of the source in [`Files::sources`] (0 for in-memory corpora).
    pub source: u32,
    /// 1-based line for JSON Lines; 0 when the document is a whole file.
    pub line: u64,
}

/// One document: a name to report it by, its text, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The id reported for this document (a path, an `id` field, or `FILE:LINE`).
    pub id: String,
    /// The original text, before any normalization.
    pub text: String,
    /// Where the document was read from.
    pub origin: Origin,
}

impl Document {
    /// A document held in memory, for library use and tests.
    ///
    /// ```
    /// let doc = textdup::Document::new("a", "Some text.");
    /// assert_eq!(doc.id, "a");
    /// ```
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            origin: Origin { source: 0, line: 0 },
        }
    }
}

/// Why an input was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The file or folder could not be opened or read.
    Unreadable(String),
    /// The file holds a NUL byte: it is not text.
    Binary,
    /// The bytes are not UTF-8; the offset is of the first bad byte.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte (within the line for JSONL).
        offset: usize,
    },
    /// The file or text field is empty or only white space.
    Empty,
    /// A JSON line does not parse, or is not an object.
    MalformedJson(String),
    /// A JSON object lacks the text field.
    MissingField {
        /// The field name.
        field: String,
        /// The object's own field names, sorted (the first ten): what
        /// the text field may have been meant to name.
        present: Vec<String>,
    },
    /// The text field holds something other than a string.
    NotAString {
        /// The field name.
        field: String,
        /// What it holds instead ("a number", "null", ...).
        found: &'static str,
    },
    /// A compressed stream or a Parquet file is damaged (what it is, and
    /// how); what came before the damage was read.
    Corrupt(String),
    /// The document is longer than the run takes
    /// ([`ReadOptions::max_document_bytes`]); it was passed over without
    /// being held in memory.
    TooLarge {
        /// The most bytes a document may have.
        limit: u64,
    },
}

impl SkipReason {
    /// Every [`SkipReason::kind`].
    pub const KINDS: [&'static str; 9] = [
        "unreadable",
        "binary",
        "invalid-utf8",
        "empty",
        "malformed-json",
        "missing-field",
        "not-a-string",
        "corrupt",
        "too-large",
    ];

    /// A short stable name for counting skips by reason.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::Binary => "binary",
            SkipReason::InvalidUtf8 { .. } => "invalid-utf8",
            SkipReason::Empty => "empty",
            SkipReason::MalformedJson(_) => "malformed-json",
            SkipReason::MissingField { .. } => "missing-field",
            SkipReason::NotAString { .. } => "not-a-string",
            SkipReason::Corrupt(_) => "corrupt",
            SkipReason::TooLarge { .. } => "too-large",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unreadable(e) => write!(f, "cannot read: {e}"),
            SkipReason::Binary => f.write_str("binary file (contains a NUL byte)"),
            SkipReason::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 at byte {offset}")
            }
            SkipReason::Empty => f.write_str("empty document"),
            SkipReason::MalformedJson(e) => write!(f, "malformed JSON: {e}"),
            SkipReason::MissingField { field, present } => {
                write!(f, "no field {field:?}")?;
                if !present.is_empty() {
                    write!(f, " (fields: {})", present.join(", "))?;
                }
                Ok(())
            }
            SkipReason::NotAString { field, found } => {
                write!(f, "field {field:?} is {found}, not a string")
            }
            SkipReason::Corrupt(e) => write!(f, "corrupt {e}"),
            SkipReason::TooLarge { limit } => write!(
                f,
                "document larger than {} MiB, the most this run takes",
                limit.div_ceil(1 << 20)
            ),
        }
    }
}

/// An input that could not be used: where it is and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The file, as the user named it.
    pub source: String,
    /// The 1-based line, for JSON Lines.
    pub line: Option<u64>,
    /// What was wrong.
    pub reason: SkipReason,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.source, line, self.reason),
            None => write!(f, "{}: {}", self.source, self.reason),
        }
    }
}

/// Origins to read, ascending, made as they are read: a later pass of
/// ten million documents should not first build a list of them.
pub type Origins<'a> = Box<dyn Iterator<Item = Origin> + Send + 'a>;

/// What a corpus yields: a document, or a note that an input was skipped.
pub type Record = Result<Document, Skip>;

/// A collection of documents that can be streamed from the start, as many
/// times as a run needs.
///
/// A run streams the corpus once to sketch every document, and again to
/// re-read only the documents it must compare exactly. Every stream must
/// yield the same records in the same order.
///
/// Implemented for slices and vectors of [`Document`] and for [`Files`];
/// any other source of documents needs only `records`:
///
/// ```
/// use textdup::{Corpus, Document, Record};
///
/// /// Numbered documents made on the fly, never all in memory.
/// struct Generated(usize);
///
/// impl Corpus for Generated {
///     fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
///         Box::new((0..self.0).map(|i| Ok(Document::new(i.to_string(), format!("document number {i}")))))
///     }
/// }
///
/// let report = textdup::run(&Generated(10), &Default::default(), &textdup::NoProgress)?;
/// assert_eq!(report.summary().read, 10);
/// # Ok::<(), textdup::Error>(())
/// ```
pub trait Corpus: Sync {
    /// Streams every record from the first.
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_>;

    /// Streams the records at the given origins (sorted, as earlier
    /// streams gave them), if this corpus can read them without parsing
    /// everything else; `None` (the default) when only a full stream will
    /// do. Later passes use it to read only the documents they need.
    fn records_at<'a>(
        &'a self,
        _origins: Origins<'a>,
    ) -> Option<Box<dyn Iterator<Item = Record> + Send + 'a>> {
        None
    }

    /// Warnings about inputs that were read but not quite as they should
    /// be (one per file, say: ids that cannot name a document), gathered
    /// so far. The pipeline hands them to [`Progress::note`](crate::Progress::note)
    /// after the first pass.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Corpus for [Document] {
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
        Box::new(self.iter().enumerate().map(|(i, doc)| {
            let mut doc = doc.clone();
            doc.origin.line = i as u64 + 1;
            Ok(doc)
        }))
    }
}

impl Corpus for Vec<Document> {
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
        self.as_slice().records()
    }
}

impl Corpus for Files {
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
        Box::new(FileRecords::new(self, Shard::WHOLE))
    }

    fn notes(&self) -> Vec<String> {
        Files::notes(self)
    }

    fn records_at<'a>(
        &'a self,
        origins: Origins<'a>,
    ) -> Option<Box<dyn Iterator<Item = Record> + Send + 'a>> {
        Some(Box::new(FileRecords::new(self, Shard::WHOLE).at(origins)))
    }
}

/// One of `count` interleaved parts of a corpus on disk: the sources whose
/// index in [`Files::sources`] is `index` modulo `count`. Whole sources,
/// so that one process writes each output file; several big files (or a
/// folder of them) shard well, one big file does not (split it first).
/// Skips found while listing the inputs belong to shard 0.
///
/// ```
/// let shard: textdup::staged::Shard = "2/4".parse().unwrap();
/// assert!(shard.holds(6) && !shard.holds(7));
/// assert!("4/4".parse::<textdup::staged::Shard>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// The whole corpus as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Part `index` of `count` (`None` unless `index < count`).
    ///
    /// ```
    /// use textdup::staged::Shard;
    /// assert_eq!(Shard::new(1, 4).map(|s| s.to_string()), Some("1/4".to_string()));
    /// assert!(Shard::new(0, 0).is_none());
    /// ```
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// Which part, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many parts.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether source `source` is in this shard.
    pub fn holds(self, source: u32) -> bool {
        source % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a shard: expected I/N with 0 ≤ I < N, like 0/4");
        let (index, count) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = index.trim().parse().map_err(|_| bad())?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count).ok_or_else(bad)
    }
}

/// The documents of one [`Shard`] of a [`Files`] corpus, with their
/// origins (and so their source indices) as in the whole corpus.
pub struct ShardOf<'a> {
    /// The whole corpus.
    pub files: &'a Files,
    /// The part of it.
    pub shard: Shard,
}

impl Corpus for ShardOf<'_> {
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
        Box::new(FileRecords::new(self.files, self.shard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skip_kind_is_listed() {
        let reasons = [
            SkipReason::Unreadable(String::new()),
            SkipReason::Binary,
            SkipReason::InvalidUtf8 { offset: 0 },
            SkipReason::Empty,
            SkipReason::MalformedJson(String::new()),
            SkipReason::MissingField {
                field: String::new(),
                present: Vec::new(),
            },
            SkipReason::NotAString {
                field: String::new(),
                found: "null",
            },
            SkipReason::Corrupt(String::new()),
            SkipReason::TooLarge { limit: 1 },
        ];
        let kinds: Vec<&str> = reasons.iter().map(SkipReason::kind).collect();
        assert_eq!(kinds, SkipReason::KINDS);
    }
}
