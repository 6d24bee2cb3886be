//! Steps 7 and 8 of the chapter: the two-thread scenario, run with the Rust
//! function that holds the GIL and with the one that releases it, every printed
//! line timestamped, and the order each must show checked.

use std::path::PathBuf;

use super::timeline;
use crate::engine::event::{Event, Sink};
use crate::engine::seams::Spawner;
use crate::engine::types::{GilMode, GilRun, LogLine, Mark, Thread};
use crate::worker::protocol::{Code, Reply, Request};

const PY_ENTER: &str = "Py: Enter double_list_py...";
const PY_EXIT: &str = "Py: Exit...";
const RUST_ENTER: &str = "Rust: Enter double_list...";
const RUST_ACQUIRE: &str = "Rust: Acquire GIL...";
const RUST_EXIT: &str = "Rust: Exit...";
/// How long the Python thread sleeps before it wants the GIL back.
const PY_SLEEP: f64 = 0.1;
/// How long the Rust function sleeps in each phase (`lab/gil`'s `PHASE`).
const RUST_SLEEP: f64 = 1.0;
const RESULT: &str = "[[2, 4, 6], [2, 4, 6]]";

fn at<'a>(events: &'a [LogLine], text: &str) -> Option<(usize, &'a LogLine)> {
    events.iter().enumerate().find(|(_, e)| e.text == text)
}

/// How a scenario's log failed the order its mode must show.
#[derive(Debug, thiserror::Error)]
pub enum Disorder {
    #[error("no \"{0}\" line")]
    Missing(&'static str),
    #[error("the threads returned {}, not {RESULT}", .0.as_deref().unwrap_or("nothing"))]
    Result(Option<String>),
    #[error("expected {expected}, got: {got}")]
    Order { expected: String, got: String },
    /// The scenario could not run at all.
    #[error("the scenario {0}")]
    Worker(#[from] crate::worker::WorkerError),
}

/// Checks the order a mode must show and says what it means.
pub fn verify(mode: GilMode, events: &[LogLine], result: Option<&str>) -> Result<String, Disorder> {
    let find = |text: &'static str| at(events, text).ok_or(Disorder::Missing(text));
    let py_enter = find(PY_ENTER)?;
    let py_exit = find(PY_EXIT)?;
    let rust_enter = find(RUST_ENTER)?;
    let rust_acquire = find(RUST_ACQUIRE)?;
    let rust_exit = find(RUST_EXIT)?;
    if result != Some(RESULT) {
        return Err(Disorder::Result(result.map(str::to_owned)));
    }
    // Judged against the sleeps asked for, not against the clock alone: a
    // busy machine makes every wake-up a little late, never a second late.
    let took = py_exit.1.t - py_enter.1.t;
    let late = took - PY_SLEEP;
    match mode {
        GilMode::Held => {
            let order = [py_enter, rust_enter, rust_acquire, rust_exit, py_exit];
            if !order.windows(2).all(|w| w[0].0 < w[1].0) {
                return Err(Disorder::Order {
                    expected: format!(
                        "the chapter's order ({PY_ENTER} / {RUST_ENTER} / {RUST_ACQUIRE} / \
                         {RUST_EXIT} / {PY_EXIT})"
                    ),
                    got: texts(events),
                });
            }
            Ok(format!(
                "\"{PY_EXIT}\" came {late:.2} s late (its {PY_SLEEP:.2} s sleep took {took:.2} s): \
                 the Python thread waited for the GIL while Rust slept holding it"
            ))
        }
        GilMode::Released => {
            if py_exit.0 > rust_acquire.0 {
                return Err(Disorder::Order {
                    expected: format!("\"{PY_EXIT}\" before \"{RUST_ACQUIRE}\""),
                    got: texts(events),
                });
            }
            // Before Rust took the GIL back is what the order shows; "on
            // time" is said only while the delay is small beside Rust's sleep.
            let when = if late < RUST_SLEEP / 4.0 {
                format!("on time ({late:+.2} s)")
            } else {
                format!(
                    "{late:.2} s late, a busy machine's delay, yet before Rust's {RUST_SLEEP:.0} s sleep ended"
                )
            };
            Ok(format!(
                "\"{PY_EXIT}\" came {when}: Rust slept without the GIL, so the Python thread ran \
                 meanwhile"
            ))
        }
    }
}

fn texts(events: &[LogLine]) -> String {
    events
        .iter()
        .map(|e| e.text.as_str())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Runs the scenario once in a fresh worker; `paths` holds `assets/` and the
/// unpacked `gil` build.
pub fn run(mode: GilMode, paths: &[PathBuf], sink: &Sink, spawner: &dyn Spawner) -> GilRun {
    sink(Event::GilStarted(mode));
    let mut events = Vec::new();
    let mut marks = Vec::new();
    let mut record = |reply: &Reply| match reply {
        Reply::Line { t, text } => {
            let line = LogLine::new(*t, text.clone());
            sink(Event::GilLine(mode, line.clone()));
            events.push(line);
        }
        Reply::Mark { t, thread, what } => marks.push(Mark {
            t: *t,
            thread: if thread == "rust" {
                Thread::Rust
            } else {
                Thread::Python
            },
            what: what.clone(),
        }),
        _ => {}
    };
    let request = Request::Gil {
        scenario: Code::new("gil_demo", "scenario"),
        function: Code::new("gil", mode.function()),
    };
    let outcome = spawner
        .spawn(paths)
        .and_then(|mut w| w.call(&request, None, &mut record));
    let (seconds, result, verdict) = match outcome {
        Ok(done) => {
            let verdict = verify(mode, &events, Some(&done.result));
            (done.seconds, Some(done.result), verdict)
        }
        Err(e) => (0.0, None, Err(Disorder::from(e))),
    };
    let timeline = timeline::segments(&marks, PY_SLEEP);
    GilRun {
        mode,
        function: mode.function().into(),
        events,
        python_waited: timeline::waited(&timeline, Thread::Python),
        marks,
        timeline,
        seconds,
        result,
        ok: verdict.is_ok(),
        verdict: verdict.unwrap_or_else(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(lines: &[(f64, &str)]) -> Vec<LogLine> {
        lines
            .iter()
            .map(|&(t, s)| LogLine::new(t, s.into()))
            .collect()
    }

    fn held() -> Vec<LogLine> {
        log(&[
            (0.0, PY_ENTER),
            (0.001, RUST_ENTER),
            (1.0, RUST_ACQUIRE),
            (2.0, RUST_EXIT),
            (2.0, PY_EXIT),
            (2.0, "Py: [2, 4, 6]"),
            (2.0, "Rust: [2, 4, 6]"),
        ])
    }

    #[test]
    fn the_chapters_order_passes_when_held() {
        let verdict = verify(GilMode::Held, &held(), Some(RESULT)).unwrap();
        assert!(verdict.contains("came 1.90 s late"), "{verdict}");
        assert!(
            verdict.contains("its 0.10 s sleep took 2.00 s"),
            "{verdict}"
        );
        assert!(verify(GilMode::Released, &held(), Some(RESULT)).is_err());
    }

    #[test]
    fn released_needs_py_exit_before_rust_acquires() {
        let events = log(&[
            (0.0, PY_ENTER),
            (0.001, RUST_ENTER),
            (0.1, PY_EXIT),
            (1.0, RUST_ACQUIRE),
            (2.0, RUST_EXIT),
        ]);
        let on_time = verify(GilMode::Released, &events, Some(RESULT)).unwrap();
        assert!(on_time.contains("came on time (+0.00 s)"), "{on_time}");
        // A loaded machine wakes the thread late, but still before Rust's
        // sleep ends: the lesson stands, and the words say what happened.
        let mut busy = events.clone();
        busy[2].t = 0.45;
        let late = verify(GilMode::Released, &busy, Some(RESULT)).unwrap();
        assert!(
            late.contains("0.35 s late, a busy machine's delay"),
            "{late}"
        );
        let err = verify(GilMode::Held, &events, Some(RESULT))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected the chapter's order"), "{err}");
    }

    #[test]
    fn missing_lines_or_wrong_results_fail() {
        let mut events = held();
        events.retain(|e| e.text != RUST_ACQUIRE);
        assert!(
            verify(GilMode::Held, &events, Some(RESULT))
                .unwrap_err()
                .to_string()
                .contains(RUST_ACQUIRE)
        );
        assert!(verify(GilMode::Held, &held(), Some("[[], []]")).is_err());
    }

    #[test]
    fn lines_are_told_apart_by_thread() {
        assert_eq!(LogLine::new(0.0, RUST_EXIT.into()).thread, Thread::Rust);
        assert_eq!(LogLine::new(0.0, PY_EXIT.into()).thread, Thread::Python);
    }
}
