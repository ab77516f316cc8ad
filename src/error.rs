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
    /// A [`Config`](crate::Config) value is out of its valid range.
    #[error("invalid configuration: {0}")]
    Config(String),

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

    /// A staged run's sketch of one shard is not in the work folder.
    #[error("the sketch of shard {index}/{count} is missing")]
    MissingShard {
        /// The missing shard.
        index: u32,
        /// The number of shards.
        count: u32,
    },

    /// A benchmark corpus needs more text than its input holds.
    #[error("the input ran out of text after {produced} of {wanted} documents; give more text, ask for fewer documents, or recombine used paragraphs")]
    OutOfText {
        /// Documents made.
        produced: usize,
        /// Documents asked for.
        wanted: usize,
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

    /// The run was stopped (Ctrl-C); temporary files were removed.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The result type of textdup's fallible functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
