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

/// Wall time a run spent in one [`Stage`], summed over the times it ran.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageTime {
    /// The stage.
    pub stage: Stage,
    /// Its wall time.
    pub elapsed: std::time::Duration,
}

/// Passes every call on to `inner` and keeps the wall time of each stage
/// from its `begin` to its `end`, so that a run can say where its time
/// went without the caller's help.
pub(crate) struct Timed<'a> {
    inner: &'a dyn Progress,
    times: std::sync::Mutex<Times>,
}

/// What [`Timed`] knows: the stage running and when it began, and the
/// times of those done, in the order they first began.
#[derive(Default)]
struct Times {
    current: Option<(Stage, std::time::Instant)>,
    done: Vec<StageTime>,
}

impl<'a> Timed<'a> {
    pub(crate) fn new(inner: &'a dyn Progress) -> Self {
        Timed {
            inner,
            times: Default::default(),
        }
    }

    /// The stages' times so far.
    pub(crate) fn times(&self) -> Vec<StageTime> {
        self.times
            .lock()
            .map(|t| t.done.clone())
            .unwrap_or_default()
    }

    /// Ends the stage running, if one is, and starts `next`.
    fn switch(&self, next: Option<Stage>) {
        let Ok(mut times) = self.times.lock() else {
            return;
        };
        let now = std::time::Instant::now();
        if let Some((stage, began)) = times.current.take() {
            let elapsed = now - began;
            match times.done.iter_mut().find(|t| t.stage == stage) {
                Some(t) => t.elapsed += elapsed,
                None => times.done.push(StageTime { stage, elapsed }),
            }
        }
        times.current = next.map(|stage| (stage, now));
    }
}

impl Progress for Timed<'_> {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        // A stage begun before the last ended ends it.
        self.switch(Some(stage));
        self.inner.begin(stage, total);
    }
    fn advance(&self, n: u64) {
        self.inner.advance(n);
    }
    fn end(&self) {
        self.switch(None);
        self.inner.end();
    }
    fn skipped(&self, skip: &Skip) {
        self.inner.skipped(skip);
    }
    fn note(&self, note: &str) {
        self.inner.note(note);
    }
    fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage that runs twice is one entry with both times; stages keep
    /// the order they first began in.
    #[test]
    fn timed_sums_a_stage_over_its_runs() {
        let timed = Timed::new(&NoProgress);
        for stage in [Stage::Sketch, Stage::Verify, Stage::Sketch] {
            timed.begin(stage, None);
            std::thread::sleep(std::time::Duration::from_millis(20));
            timed.end();
        }
        // An `end` with no stage running changes nothing.
        timed.end();
        let times = timed.times();
        let stages: Vec<Stage> = times.iter().map(|t| t.stage).collect();
        assert_eq!(stages, [Stage::Sketch, Stage::Verify]);
        assert!(times[0].elapsed >= std::time::Duration::from_millis(40));
        assert!(times[1].elapsed >= std::time::Duration::from_millis(20));
        assert!(times[1].elapsed < times[0].elapsed);
    }
}
