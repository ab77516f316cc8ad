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
    /// Time between plain lines.
    every: Duration,
    current: Mutex<Option<ProgressBar>>,
    last_line: Mutex<Instant>,
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
            every,
            current: Mutex::new(None),
            last_line: Mutex::new(Instant::now()),
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
            bar.set_draw_target(ProgressDrawTarget::hidden());
            if let Ok(mut last) = self.last_line.lock() {
                *last = Instant::now();
            }
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
            if self.plain {
                let due = self.last_line.lock().is_ok_and(|mut last| {
                    let due = last.elapsed() >= self.every;
                    if due {
                        *last = Instant::now();
                    }
                    due
                });
                if due {
                    super::say(&Self::plain_line(bar));
                }
            }
        });
    }

    fn end(&self) {
        if let Ok(mut guard) = self.current.lock() {
            if let Some(bar) = guard.take() {
                // A stage long enough to have been reported says it ended.
                if self.plain && bar.elapsed() >= self.every {
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
