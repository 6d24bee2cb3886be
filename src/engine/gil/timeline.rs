//! What each thread of the GIL scenario was doing, and when: segments derived
//! from the phase marks the threads leave (see `assets/gil_demo.py` and the
//! `gil` crate), for the timeline and the verdict.

use crate::engine::types::{Activity, Mark, Segment, Thread};

/// Python code between two marks takes microseconds; a gap longer than this
/// was spent waiting for the GIL (a `print` lets go of it, for one).
const PYTHON_SLACK: f64 = 0.005;

/// The segments of both threads, each thread's in time order. `py_sleep` is
/// how long the Python thread's `time.sleep` lasts: past it, a thread that has
/// not woken is waiting for the GIL.
pub fn segments(marks: &[Mark], py_sleep: f64) -> Vec<Segment> {
    let mut out = Vec::new();
    for thread in [Thread::Python, Thread::Rust] {
        let mut own: Vec<&Mark> = marks.iter().filter(|m| m.thread == thread).collect();
        own.sort_by(|a, b| a.t.total_cmp(&b.t));
        let mut detached = false;
        for pair in own.windows(2) {
            let (m, next) = (pair[0], pair[1]);
            let (start, end) = (m.t, next.t);
            let mut push = |start: f64, end: f64, activity| {
                if end > start {
                    out.push(Segment {
                        thread,
                        start,
                        end,
                        activity,
                    });
                }
            };
            match (thread, m.what.as_str()) {
                (Thread::Python, "sleep") => {
                    let woke = (start + py_sleep).min(end);
                    push(start, woke, Activity::Sleeping);
                    push(woke, end, Activity::WaitingForGil);
                }
                (Thread::Python, _) if end - start > PYTHON_SLACK => {
                    push(start, end, Activity::WaitingForGil)
                }
                (Thread::Python, _) => push(start, end, Activity::Python),
                (Thread::Rust, "detach") => {
                    detached = true;
                    push(start, end, Activity::RustWithoutGil);
                }
                (Thread::Rust, "attach") => {
                    detached = false;
                    push(start, end, Activity::WaitingForGil);
                }
                (Thread::Rust, _) if detached => push(start, end, Activity::RustWithoutGil),
                (Thread::Rust, _) => push(start, end, Activity::RustWithGil),
            }
        }
    }
    merge(out)
}

/// Joins touching segments of one thread doing the same thing.
fn merge(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match out.last_mut() {
            Some(last)
                if last.thread == s.thread
                    && last.activity == s.activity
                    && (last.end - s.start).abs() < 1e-9 =>
            {
                last.end = s.end;
            }
            _ => out.push(s),
        }
    }
    out
}

/// `thread`'s timeline in `columns` equal slices of `[0, total)`: in each, the
/// activity that filled most of it (None where the thread was not there).
pub fn columns(
    segments: &[Segment],
    thread: Thread,
    columns: usize,
    total: f64,
) -> Vec<Option<Activity>> {
    let width = total / columns.max(1) as f64;
    (0..columns)
        .map(|i| {
            let (from, to) = (i as f64 * width, (i + 1) as f64 * width);
            segments
                .iter()
                .filter(|s| s.thread == thread)
                .map(|s| (s.activity, s.end.min(to) - s.start.max(from)))
                .filter(|(_, overlap)| *overlap > 0.0)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(activity, _)| activity)
        })
        .collect()
}

/// How long `thread` spent waiting for the GIL.
pub fn waited(segments: &[Segment], thread: Thread) -> f64 {
    segments
        .iter()
        .filter(|s| s.thread == thread && s.activity == Activity::WaitingForGil)
        .map(|s| s.end - s.start)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activities(segs: &[Segment], thread: Thread) -> Vec<Activity> {
        segs.iter()
            .filter(|s| s.thread == thread)
            .map(|s| s.activity)
            .collect()
    }

    fn marks(thread: Thread, list: &[(f64, &str)]) -> Vec<Mark> {
        list.iter()
            .map(|&(t, what)| Mark {
                t,
                thread,
                what: what.into(),
            })
            .collect()
    }

    #[test]
    fn held_the_python_thread_waits_through_rusts_sleep() {
        let mut all = marks(
            Thread::Python,
            &[
                (0.0, "start"),
                (0.0005, "sleep"),
                (2.001, "woke"),
                (2.0015, "end"),
            ],
        );
        all.extend(marks(
            Thread::Rust,
            &[
                (0.001, "start"),
                (0.001, "sleep"),
                (1.001, "woke"),
                (1.001, "attach"),
                (1.001, "attached"),
                (2.001, "end"),
            ],
        ));
        let segs = segments(&all, 0.1);
        let py = activities(&segs, Thread::Python);
        assert_eq!(
            py,
            [
                Activity::Python,
                Activity::Sleeping,
                Activity::WaitingForGil,
                Activity::Python
            ]
        );
        let rust = activities(&segs, Thread::Rust);
        assert_eq!(
            rust,
            [Activity::RustWithGil],
            "one merged run holding the GIL"
        );
        assert!((waited(&segs, Thread::Python) - 1.9005).abs() < 1e-9);
    }

    #[test]
    fn released_rust_runs_without_the_gil_and_python_does_not_wait() {
        let mut all = marks(
            Thread::Python,
            &[
                (0.0, "start"),
                (0.0005, "sleep"),
                (0.1006, "woke"),
                (0.101, "end"),
            ],
        );
        all.extend(marks(
            Thread::Rust,
            &[
                (0.001, "start"),
                (0.0012, "detach"),
                (1.0012, "woke"),
                (1.0013, "attach"),
                (1.0014, "attached"),
                (2.002, "end"),
            ],
        ));
        let segs = segments(&all, 0.1);
        let rust = activities(&segs, Thread::Rust);
        assert_eq!(
            rust,
            [
                Activity::RustWithGil,
                Activity::RustWithoutGil,
                Activity::WaitingForGil,
                Activity::RustWithGil
            ]
        );
        assert!(waited(&segs, Thread::Python) < 0.001);
    }

    #[test]
    fn columns_take_the_activity_that_fills_each_slice() {
        let segs = vec![
            Segment {
                thread: Thread::Rust,
                start: 0.0,
                end: 0.6,
                activity: Activity::RustWithGil,
            },
            Segment {
                thread: Thread::Rust,
                start: 0.6,
                end: 1.0,
                activity: Activity::RustWithoutGil,
            },
        ];
        let cols = columns(&segs, Thread::Rust, 4, 2.0);
        assert_eq!(
            cols,
            [
                Some(Activity::RustWithGil),
                Some(Activity::RustWithoutGil),
                None,
                None
            ]
        );
        assert!(
            columns(&segs, Thread::Python, 3, 2.0)
                .iter()
                .all(Option::is_none)
        );
    }

    #[test]
    fn a_python_gap_past_the_slack_is_a_wait() {
        let all = marks(
            Thread::Python,
            &[
                (0.0, "start"),
                (1.5, "sleep"),
                (1.6, "woke"),
                (1.6001, "end"),
            ],
        );
        let segs = segments(&all, 0.1);
        assert_eq!(
            segs[0].activity,
            Activity::WaitingForGil,
            "print released the GIL and Rust took it"
        );
    }
}
