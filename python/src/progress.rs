//! A run's progress as Python sees it: an optional callback, called at
//! most a few times a second, and Ctrl-C, which stops the run at its next
//! check as it stops the CLI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use textdup::{Progress, Skip, Stage};

/// Between two calls of the callback, at least this long (but for the
/// start and end of a stage, which are always reported).
const EVERY: Duration = Duration::from_millis(100);

/// Progress for a run started from Python.
pub struct PyProgress {
    callback: Option<Py<PyAny>>,
    /// The thread that started the run: the only one Python runs signal
    /// handlers on.
    main: ThreadId,
    state: Mutex<State>,
    stop: AtomicBool,
    /// The first exception raised meanwhile (by the callback, or
    /// KeyboardInterrupt), raised again when the run returns.
    error: Mutex<Option<PyErr>>,
}

struct State {
    stage: &'static str,
    done: u64,
    total: Option<u64>,
    last: Option<Instant>,
}

impl PyProgress {
    pub fn new(callback: Option<Py<PyAny>>) -> PyProgress {
        PyProgress {
            callback,
            main: std::thread::current().id(),
            state: Mutex::new(State {
                stage: "",
                done: 0,
                total: None,
                last: None,
            }),
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    /// The exception that stopped the run, if one did.
    pub fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok()?.take()
    }

    fn fail(&self, err: PyErr) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(err);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Calls the callback with the state, if due (or `force`d).
    fn report(&self, force: bool) {
        let Some(callback) = &self.callback else {
            return;
        };
        let (stage, done, total) = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            let now = Instant::now();
            if !force && state.last.is_some_and(|last| now - last < EVERY) {
                return;
            }
            state.last = Some(now);
            (state.stage, state.done, state.total)
        };
        Python::attach(|py| {
            if let Err(err) = callback.call1(py, (stage, done, total)) {
                self.fail(err);
            }
        });
    }
}

impl Progress for PyProgress {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        if let Ok(mut state) = self.state.lock() {
            *state = State {
                stage: stage.name(),
                done: 0,
                total,
                last: None,
            };
        }
        self.report(true);
    }

    fn advance(&self, n: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.done += n;
        }
        self.report(false);
    }

    fn end(&self) {
        self.report(true);
    }

    fn skipped(&self, _skip: &Skip) {}

    /// Notes on the input (a script that needs character shingles, say)
    /// are Python warnings: shown once by default, filterable as usual.
    fn note(&self, note: &str) {
        Python::attach(|py| {
            let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
            let text = std::ffi::CString::new(format!("textdup: {note}"))
                .unwrap_or_else(|_| c"textdup: a note with a NUL byte".to_owned());
            if let Err(err) = PyErr::warn(py, &category, &text, 1) {
                // The warnings filter made it an error.
                self.fail(err);
            }
        });
    }

    fn cancelled(&self) -> bool {
        if !self.stop.load(Ordering::SeqCst) && std::thread::current().id() == self.main {
            // Runs Python's signal handlers: SIGINT's raises
            // KeyboardInterrupt here, which stops the run.
            if let Err(err) = Python::attach(|py| py.check_signals()) {
                self.fail(err);
            }
        }
        self.stop.load(Ordering::SeqCst)
    }
}
