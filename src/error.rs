//! Errors that stop a run.
//!
//! Bad *documents* never stop a run: they become [`Skip`](crate::read::Skip)
//! records that are counted and reported while the run goes on. The variants
//! here are for what cannot be worked around: an invalid configuration, an
//! output that cannot be written, an input that changed under our feet.

use std::io;
use std::path::PathBuf;

/// A fatal error, with the file it concerns where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting (of [`Config`](crate::Config), [`Resources`](crate::Resources)
    /// or [`SynthOptions`](crate::synth::SynthOptions)) is out of its valid
    /// range.
    #[error("invalid configuration: {problem}")]
    Config {
        /// The setting.
        setting: Setting,
        /// What is wrong with it, and the valid range.
        problem: String,
    },

    /// Reading or writing `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder the operation was about.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// The output exists and the caller did not ask to replace it.
    #[error("{}: already exists; refusing to replace it", path.display())]
    OutputExists {
        /// The output that exists.
        path: PathBuf,
    },

    /// The output is an input, lies inside one, or contains one.
    #[error("{}: output overlaps the input {}", output.display(), input.display())]
    OutputOverlapsInput {
        /// The requested output.
        output: PathBuf,
        /// The input it overlaps.
        input: PathBuf,
    },

    /// Two inputs would be written to the same place in the output folder.
    #[error("{}: two inputs map to this output path", path.display())]
    OutputCollision {
        /// The relative output path both inputs map to.
        path: PathBuf,
    },

    /// A second pass over the corpus did not see what the first pass saw.
    #[error("input changed during the run: expected document {expected:?}, found {}", found.as_deref().map_or("the end of the corpus".to_string(), |f| format!("{f:?}")))]
    InputChanged {
        /// The id the first pass recorded.
        expected: String,
        /// The id the second pass found, if any.
        found: Option<String>,
    },

    /// An output path that cannot be written as asked.
    #[error("{}: {problem}", path.display())]
    Output {
        /// The output, as given.
        path: PathBuf,
        /// What is wrong with it.
        problem: OutputProblem,
    },

    /// A staged run that cannot go on as asked.
    #[error("{0}")]
    Staged(StagedProblem),

    /// A document id given twice where ids must be unique.
    #[error("document {0:?} appears twice")]
    DuplicateId(String),

    /// A benchmark corpus needs more text than its input holds.
    #[error(
        "the input ran out of text after {produced} of {wanted} documents{}; give more text{}",
        skipped_inputs(skipped),
        if *recombined { " or ask for fewer documents" } else { ", ask for fewer documents, or recombine used paragraphs" }
    )]
    OutOfText {
        /// Documents made.
        produced: usize,
        /// Documents asked for.
        wanted: usize,
        /// Inputs that gave no text, each with why (the first few).
        skipped: Vec<String>,
        /// Whether used paragraphs were recombined already.
        recombined: bool,
    },

    /// A document read again in a later pass over the corpus has other
    /// text than when it was first read (a source that is not stable
    /// between reads).
    #[error("document {id:?} changed between passes over the corpus; nothing was written")]
    DocumentChanged {
        /// The document's id.
        id: String,
    },

    /// An input file changed while the run was reading it (its size,
    /// modification time or identity differs from when the run began).
    /// Nothing is committed: the outputs would mix two versions of it.
    #[error("{}: input changed during the run; nothing was written", path.display())]
    InputModified {
        /// The input file.
        path: PathBuf,
    },

    /// A stage would need more memory than the run's limit allows: the
    /// run stops before it passes the limit.
    #[error(
        "a memory limit of {} MiB is too small for {stage} on this corpus: the run would need at least {} MiB (projected from the part read so far); raise the limit, or leave that stage out",
        limit >> 20,
        needed.div_ceil(1 << 20)
    )]
    MemoryLimit {
        /// The stage.
        stage: &'static str,
        /// The run's memory limit, in bytes.
        limit: u64,
        /// Bytes the run would need, projected from what the stage has
        /// seen so far.
        needed: u64,
    },

    /// A document too large for the passage grain, whose tables hold
    /// byte offsets within a document in 32 bits.
    #[error(
        "document {id}: {bytes} bytes of text; the passage grain takes documents of at most 4 GiB (leave larger ones out with --max-doc-size, or use --level document)"
    )]
    DocumentTooLarge {
        /// The document's id.
        id: String,
        /// Its size in bytes.
        bytes: u64,
    },

    /// Another textdup run is committing its outputs to this path now.
    #[error("{}: another textdup run is writing this output now", .0.display())]
    Busy(PathBuf),

    /// A file the run depends on (not a corpus document) is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },

    /// Two files that must name the same documents do not.
    #[error("the files do not name the same documents: {0}")]
    Mismatch(String),

    /// Document ids are 32-bit; a corpus this large must be sharded.
    #[error("more than {} documents in one run", u32::MAX)]
    TooManyDocuments,

    /// A stage file (sketch or plan) that cannot be used.
    #[error("{}: {message}", path.display())]
    StageFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A persistent index that cannot be used: missing, damaged, of
    /// another format version, busy with another writer, or made with
    /// settings the run does not share.
    #[error("{}: {message}", path.display())]
    Index {
        /// The index folder, or the file of it that is at fault.
        path: PathBuf,
        /// What kind of problem.
        problem: IndexProblem,
        /// What is wrong, and what to do.
        message: String,
    },

    /// A columnar input (Parquet) has no usable text column: a run over it
    /// would find nothing, so it stops before any work.
    #[error("{}: {problem}", path.display())]
    Column {
        /// The file.
        path: PathBuf,
        /// What is wrong with its columns.
        problem: ColumnProblem,
    },

    /// The run was stopped (Ctrl-C); temporary files were removed.
    #[error("interrupted")]
    Interrupted,
}

/// What is wrong with an output path ([`Error::Output`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputProblem {
    /// It ends in `.`, `..` or `/`: nothing to put a temporary beside.
    #[error("an output must end in a file or folder name")]
    NotAName,
    /// The same output is named twice in one run.
    #[error("named twice as an output")]
    NamedTwice,
    /// Two outputs are the same place, or one is inside the other.
    #[error("the same output as {}, or inside it", .0.display())]
    Nested(PathBuf),
    /// More than one output goes to standard output.
    #[error("only one output can go to standard output")]
    StdoutTwice,
    /// A folder of outputs cannot be one stream.
    #[error("a folder of outputs cannot go to standard output or another stream")]
    FolderToStdout,
    /// It must be a regular file (a stage file, say), not a device.
    #[error("must be a regular file")]
    NotAFile,
    /// Its name says a format the output is not in (`clean.parquet` for
    /// JSON Lines, `clean.jsonl` for a text document).
    #[error("its name says {named}, but it is written as {writes}, like its input")]
    WrongFormat {
        /// What the name says.
        named: &'static str,
        /// What it would be.
        writes: &'static str,
    },
    /// The folder it would go in does not exist (textdup makes no
    /// folders but its output's own).
    #[error("its folder {} does not exist", .0.display())]
    NoFolder(PathBuf),
    /// The cleaned corpus goes to standard output, so the removed list
    /// needs a name of its own.
    #[error("the cleaned corpus goes to standard output: name the removed list")]
    NeedsRemovedList,
}

/// What is wrong with a file's text column ([`Error::Column`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnProblem {
    /// No column has the text field's name.
    #[error("no column {field:?}{}", column_list(strings))]
    Missing {
        /// The text field, as given.
        field: String,
        /// The file's string columns (nested ones as dotted names).
        strings: Vec<String>,
    },
    /// The column holds something other than strings.
    #[error("column {field:?} holds {found}, not text")]
    NotText {
        /// The text field, as given.
        field: String,
        /// Its type.
        found: String,
    },
}

fn column_list(strings: &[String]) -> String {
    if strings.is_empty() {
        "; it has no string columns".to_string()
    } else {
        format!("; its string columns: {}", strings.join(", "))
    }
}

/// Why a staged run cannot go on ([`Error::Staged`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StagedProblem {
    /// `cluster` found no sketch files.
    #[error("no sketch files to cluster")]
    NoSketches,
    /// One shard's sketch is missing.
    #[error("the sketch of shard {index}/{count} is missing")]
    MissingShard {
        /// The missing shard.
        index: u32,
        /// The number of shards.
        count: u32,
    },
    /// Two sketch files claim the same shard.
    #[error("shard {index}/{count} is given twice: {} and {}", first.display(), second.display())]
    ShardTwice {
        /// The shard.
        index: u32,
        /// The number of shards.
        count: u32,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Sketches of different shard counts in one work folder.
    #[error("{} holds sketches of different shard counts ({counts}); keep one set", work.display())]
    MixedShardCounts {
        /// The work folder.
        work: PathBuf,
        /// The counts found, comma-separated.
        counts: String,
    },
    /// `filter` before `cluster`: no plan yet.
    #[error("{} is missing", .0.display())]
    MissingPlan(PathBuf),
    /// Staged runs work at the document grain only.
    #[error("staged runs work at the document level; use scan or dedup for passages")]
    Passages,
    /// Standard input cannot be staged: its copy is gone when a step ends.
    #[error("a staged run needs its inputs on disk, not standard input")]
    Stdin,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why an index cannot be used (see [`Error::Index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexProblem {
    /// There is no index there.
    Missing,
    /// An index would be made where something exists.
    Exists,
    /// A file of the index fails its checks.
    Damaged,
    /// Made by a textdup whose index format this one does not read.
    Version,
    /// Another process is writing to it.
    Busy,
    /// Made with settings the run does not share.
    Settings,
}

/// The result type of textdup's fallible functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A setting that [`Error::Config`] can refuse: a field of
/// [`Config`](crate::Config), [`Resources`](crate::Resources) or
/// [`SynthOptions`](crate::synth::SynthOptions). A front end maps it to
/// its own name for it (a flag, a keyword argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// `Config::threshold`.
    Threshold,
    /// `Config::num_perm`.
    NumPerm,
    /// `Config::shingling` (its `n`).
    ShingleSize,
    /// `Config::banding`.
    Banding,
    /// `PassageConfig::threshold`.
    PassageThreshold,
    /// `PassageConfig::ngram`.
    PassageShingleSize,
    /// `PassageConfig::num_perm`.
    PassageNumPerm,
    /// `PassageConfig::min_span`.
    MinSpan,
    /// `PassageConfig::max_cut`.
    MaxCut,
    /// `PassageConfig::boilerplate_min_docs`.
    BoilerplateDocs,
    /// `Resources::memory`.
    Memory,
    /// `SynthOptions::share`.
    Share,
    /// `SynthOptions::max_copies`.
    MaxCopies,
    /// `SynthOptions::edits`.
    Edits,
    /// `SynthOptions::words`.
    Words,
}

/// ", and none from a.png [binary file …], …" for [`Error::OutOfText`].
fn skipped_inputs(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(", and none from {}", skipped.join(", "))
    }
}
