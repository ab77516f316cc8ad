//! Progress bars and warnings on stderr, behind the library's
//! [`Progress`] trait. The only place indicatif is used.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use textdup::{Progress, Skip, SkipReason, Stage};

/// Set by the first Ctrl-C (or SIGTERM): the run stops at its next check
/// and cleans up.
static STOP: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C ask the run to stop cleanly ([`Progress::cancelled`]); a
/// second one quits at once.
pub fn stop_on_ctrl_c() {
    // Failing to install the handler leaves the default (quit at once):
    // worse cleanup, but no reason not to run.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        super::say("textdup: stopping and removing temporary files (Ctrl-C again to quit now)\n");
    });
}

/// Draws one bar per stage on stderr (when enabled) and prints each skipped
/// input as one warning line. Asked for where stderr is no terminal, it
/// prints a plain line every few seconds instead of a bar, so that logs
/// show progress too.
pub struct Bars {
    enabled: bool,
    /// Plain lines, not a bar: enabled, and stderr is not a terminal.
    plain: bool,
    /// When plain lines are due.
    pace: Pace,
    current: Mutex<Option<ProgressBar>>,
    /// Lines of a file that lack the text field, past the first (which
    /// is printed, naming the fields the line has): by file, the field
    /// and the count. A wrong `--text-field` makes every line of a file
    /// say the same; one warning and a count say it once.
    missing: Mutex<BTreeMap<String, (String, u64)>>,
}

impl Bars {
    /// Bars when `enabled` is `Some(true)`, none for `Some(false)`, and for
    /// `None` only when stderr is a terminal; plain lines `every` so often
    /// where stderr is not a terminal.
    pub fn new(enabled: Option<bool>, every: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let enabled = enabled.unwrap_or(terminal);
        Bars {
            enabled,
            plain: enabled && !terminal,
            pace: Pace::new(every, Instant::now()),
            current: Mutex::new(None),
            missing: Mutex::new(BTreeMap::new()),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.current.lock() {
            if let Some(bar) = guard.as_ref() {
                f(bar);
            }
        }
    }

    /// The plain line for `bar`: stage, counts, rate and time.
    fn plain_line(bar: &ProgressBar) -> String {
        let done = HumanCount(bar.position());
        let rate = HumanCount(bar.per_sec() as u64);
        let elapsed = bar.elapsed().as_secs_f64();
        match bar.length() {
            Some(total) => format!(
                "textdup: {}: {done}/{} ({rate}/s, {elapsed:.0} s)\n",
                bar.message(),
                HumanCount(total)
            ),
            None => format!(
                "textdup: {}: {done} ({rate}/s, {elapsed:.0} s)\n",
                bar.message()
            ),
        }
    }
}

/// When the next plain progress line is due: `every` after the last,
/// whichever stage printed it. Restarted per stage, a run of stages each
/// shorter than `every` (a 20-second run in eight stages) printed nothing.
struct Pace {
    every: Duration,
    last: Mutex<Instant>,
}

impl Pace {
    fn new(every: Duration, start: Instant) -> Self {
        Pace {
            every,
            last: Mutex::new(start),
        }
    }

    /// Whether a line is due at `now`; if so, it counts as printed.
    fn due(&self, now: Instant) -> bool {
        self.last.lock().is_ok_and(|mut last| {
            let due = now.saturating_duration_since(*last) >= self.every;
            if due {
                *last = now;
            }
            due
        })
    }
}

/// `{rate}` in a template: whole items per second, with thousands
/// separators (`10,167/s`, where `{per_sec}` prints `10,166.5775/s`).
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{}/s", HumanCount(state.per_sec() as u64));
}

impl Progress for Bars {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        // `wide_bar` takes what the line leaves, so that a bar fits an
        // 80-column terminal on one line.
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>18} [{wide_bar}] {human_pos}/{human_len} ({rate}, eta {eta})",
                )
                .expect("the template is valid")
                .with_key("rate", rate)
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg:>18} {spinner} {human_pos} ({rate}) {elapsed}")
                    .expect("the template is valid")
                    .with_key("rate", rate),
            ),
        };
        bar.set_message(stage.name());
        if self.plain {
            // The pace is not restarted: a run of stages each shorter
            // than the pace still prints a line every so often.
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        if let Ok(mut guard) = self.current.lock() {
            *guard = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        self.with_bar(|bar| {
            bar.inc(n);
            if self.plain && self.pace.due(Instant::now()) {
                super::say(&Self::plain_line(bar));
            }
        });
    }

    fn end(&self) {
        if let Ok(mut guard) = self.current.lock() {
            if let Some(bar) = guard.take() {
                // A stage long enough to have been reported says it
                // ended, as does one that ends when a line is due.
                let long = bar.elapsed() >= self.pace.every;
                if self.plain && (self.pace.due(Instant::now()) || long) {
                    super::say(&Self::plain_line(&bar));
                }
                bar.finish_and_clear();
            }
        }
    }

    fn cancelled(&self) -> bool {
        STOP.load(Ordering::Relaxed)
    }

    fn note(&self, note: &str) {
        self.warn(&format!("textdup: warning: {note}\n"));
    }

    fn skipped(&self, skip: &Skip) {
        if let SkipReason::MissingField { field, .. } = &skip.reason {
            let Ok(mut missing) = self.missing.lock() else {
                return;
            };
            match missing.get_mut(&skip.source) {
                Some((_, more)) => {
                    *more += 1;
                    return;
                }
                None => {
                    missing.insert(skip.source.clone(), (field.clone(), 0));
                }
            }
        }
        self.warn(&format!("textdup: warning: {skip}\n"));
    }
}

impl Bars {
    /// Prints, once per file, how many more of its lines lacked the text
    /// field than the one warned about.
    pub fn flush_skips(&self) {
        let Ok(mut missing) = self.missing.lock() else {
            return;
        };
        for (source, (field, more)) in std::mem::take(&mut *missing) {
            if more > 0 {
                let lines = if more == 1 { "line" } else { "lines" };
                self.warn(&format!(
                    "textdup: warning: {source}: {more} more {lines} with no field {field:?}\n"
                ));
            }
        }
    }

    /// Prints a warning line above the bar, if one is drawn.
    fn warn(&self, line: &str) {
        let mut printed = false;
        self.with_bar(|bar| {
            bar.suspend(|| super::say(line));
            printed = true;
        });
        if !printed {
            super::say(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines come `every` apart across stages, each counted from the
    /// last line printed, not from the start of a stage.
    #[test]
    fn plain_lines_are_paced_across_stages() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let pace = Pace::new(Duration::from_secs(5), start);
        // An advance every second, whichever stage it is in.
        let due: Vec<u64> = (1..=20).filter(|&s| pace.due(at(s * 1000))).collect();
        assert_eq!(due, [5, 10, 15, 20]);
        // Time that runs backwards (another thread's older `now`) is not due.
        assert!(!pace.due(at(19_000)));
    }
}
