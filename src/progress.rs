//! Progress: what a run tells its caller as it goes, and how the caller
//! asks it to stop.
//!
//! The library never prints. Stages report through a caller-supplied
//! [`Progress`]: the work they begin and advance, inputs they skip, notes
//! on inputs, and, asked between batches, bands and files, whether to
//! stop ([`Progress::cancelled`]), which ends the run with
//! [`Error::Interrupted`] and its temporary files removed.

use crate::error::{Error, Result};
use crate::read::Skip;

/// A named step of a run, for progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Cutting documents into passages and sketching them.
    Passages,
    /// Looking for repeated spans and loading candidate passages.
    Spans,
    /// Reading and sketching every document.
    Sketch,
    /// Reading the sketch files of a staged run.
    ReadSketches,
    /// Finding candidate pairs with LSH.
    Candidates,
    /// Re-reading candidate documents for exact verification.
    Load,
    /// Verifying candidate pairs.
    Verify,
    /// Writing the cleaned corpus.
    Write,
    /// Joining passages and spans into clusters, after the passage
    /// grain's second pass.
    Grouping,
    /// Reading the original text of every cluster member.
    Texts,
    /// Writing the clusters.
    Report,
}

impl Stage {
    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Passages => "sketching passages",
            Stage::Spans => "finding spans",
            Stage::Sketch => "sketching",
            Stage::ReadSketches => "reading sketches",
            Stage::Candidates => "finding candidates",
            Stage::Load => "loading candidates",
            Stage::Verify => "verifying",
            Stage::Write => "writing",
            Stage::Grouping => "grouping passages",
            Stage::Texts => "collecting texts",
            Stage::Report => "writing clusters",
        }
    }
}

/// Receives progress and skipped inputs while a run goes on. Every method
/// has an empty default; [`NoProgress`] uses them all.
pub trait Progress: Sync {
    /// A stage begins; `total` is its amount of work when known.
    fn begin(&self, _stage: Stage, _total: Option<u64>) {}
    /// `n` more units of the current stage are done.
    fn advance(&self, _n: u64) {}
    /// The current stage is done.
    fn end(&self) {}
    /// An input was skipped (reported once, during the first pass).
    fn skipped(&self, _skip: &Skip) {}
    /// Something about the inputs worth a warning that skipped nothing
    /// (reported once, after the first pass): ids that cannot name a
    /// document, say.
    fn note(&self, _note: &str) {}
    /// True when the run should stop (the user pressed Ctrl-C, say): the
    /// pipeline then ends with [`Error::Interrupted`] at its next check,
    /// between batches and bands, removing its temporary files.
    fn cancelled(&self) -> bool {
        false
    }
}

/// [`Error::Interrupted`] if `progress` asks to stop.
pub(crate) fn check(progress: &dyn Progress) -> Result<()> {
    if progress.cancelled() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
