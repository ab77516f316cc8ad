//! Progress bars and warnings on stderr, behind the library's
//! [`Progress`] trait. The only place indicatif is used.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use textdup::{Progress, Skip, Stage};

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
/// input as one warning line.
pub struct Bars {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars when `enabled` is `Some(true)`, none for `Some(false)`, and for
    /// `None` only when stderr is a terminal.
    pub fn new(enabled: Option<bool>) -> Self {
        Bars {
            enabled: enabled.unwrap_or_else(|| std::io::stderr().is_terminal()),
            current: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.current.lock() {
            if let Some(bar) = guard.as_ref() {
                f(bar);
            }
        }
    }
}

impl Progress for Bars {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>20} [{bar:30}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template(
                    "{msg:>20} {spinner} {human_pos} ({per_sec}) {elapsed}",
                )
                .expect("the template is valid"),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_message(stage.name());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut guard) = self.current.lock() {
            *guard = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        self.with_bar(|bar| bar.inc(n));
    }

    fn end(&self) {
        if let Ok(mut guard) = self.current.lock() {
            if let Some(bar) = guard.take() {
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
        self.warn(&format!("textdup: warning: {skip}\n"));
    }
}

impl Bars {
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
