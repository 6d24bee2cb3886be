//! The second GIL experiment: T threads each doing the same CPU-bound work,
//! timed as a batch, for pure Python, Rust holding the GIL and Rust releasing
//! it. Only the last can use more than one core.

use std::path::PathBuf;

use super::error::{LabError, LabResult};
use super::types::{Scaling, ScalingRow};
use crate::cancel::Cancel;
use crate::worker::Worker;
use crate::worker::protocol::Request;

/// How long one thread's share of the work takes alone: long enough to time,
/// short enough that the whole experiment stays a few seconds.
const UNIT_SECONDS: f64 = 0.05;
/// Batches per cell, the best kept: this machine's speed wanders by tens of
/// percent from one tenth of a second to the next.
const REPEATS: u32 = 5;

pub const CONTENDERS: [&str; 3] = ["python", "rust-gil-held", "rust-gil-released"];

/// 1, 2, 4, ... up to twice the core count.
pub fn thread_counts(cores: usize) -> Vec<u32> {
    let top = (2 * cores.max(1)) as u32;
    let mut counts: Vec<u32> = std::iter::successors(Some(1u32), |t| Some(t * 2))
        .take_while(|&t| t <= top)
        .collect();
    if counts.last() != Some(&top) {
        counts.push(top);
    }
    counts
}

/// Speed-ups from raw (contender, threads, wall) rows, and the check: with two
/// cores or more, releasing the GIL must beat holding it from two threads on.
pub fn analyse(cores: usize, raw: Vec<(String, u32, f64)>) -> Scaling {
    let single = |c: &str| raw.iter().find(|r| r.0 == c && r.1 == 1).map(|r| r.2);
    let rows: Vec<ScalingRow> = raw
        .iter()
        .map(|(contender, threads, wall)| ScalingRow {
            contender: contender.clone(),
            threads: *threads,
            wall: *wall,
            speedup: single(contender).map_or(0.0, |w1| *threads as f64 * w1 / wall),
        })
        .collect();
    let at = |c: &str, t: u32| {
        rows.iter()
            .find(|r| r.contender == c && r.threads == t)
            .map(|r| r.speedup)
    };
    let top = rows.iter().map(|r| r.threads).max().unwrap_or(1);
    let (released, held) = (at("rust-gil-released", 2), at("rust-gil-held", 2));
    let (ok, verdict) = match (released, held) {
        _ if cores < 2 => (
            true,
            "one core: nothing can run in parallel, so nothing to check".to_owned(),
        ),
        (Some(r), Some(h))
            if r > h
                && rows.iter().filter(|x| x.threads >= 2).all(|x| {
                    x.contender != "rust-gil-released"
                        || at("rust-gil-held", x.threads).is_none_or(|h| x.speedup > h)
                }) =>
        {
            (
                true,
                format!(
                    "releasing the GIL scales: {r:.2}x with 2 threads (holding it: {h:.2}x, Python: {:.2}x); \
                 up to {:.2}x with {top}",
                    at("python", 2).unwrap_or(0.0),
                    at("rust-gil-released", top).unwrap_or(0.0)
                ),
            )
        }
        (Some(r), Some(h)) => (
            false,
            format!(
                "releasing the GIL did not beat holding it from 2 threads on ({r:.2}x vs {h:.2}x)"
            ),
        ),
        _ => (false, "the scaling experiment gave no result".to_owned()),
    };
    Scaling {
        cores,
        rows,
        ok,
        verdict,
    }
}

/// Runs the batches in a worker; `paths` holds `assets/` and the `gil` build.
pub fn run(paths: &[PathBuf], cancel: &Cancel) -> LabResult<Scaling> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let args = serde_json::json!([thread_counts(cores), UNIT_SECONDS, REPEATS]).to_string();
    let request = Request::Call {
        module: "gil_scaling".into(),
        function: "scaling".into(),
        args,
    };
    let done = Worker::spawn(paths, cancel)
        .and_then(|mut w| w.call(&request, None, |_| {}))
        .map_err(|e| LabError::Run(format!("the scaling experiment {e}")))?;
    let raw: Vec<(String, u32, f64)> = done
        .json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(|| LabError::Run(format!("the scaling experiment returned {}", done.result)))?;
    Ok(analyse(cores, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rows: &[(&str, u32, f64)]) -> Vec<(String, u32, f64)> {
        rows.iter().map(|&(c, t, w)| (c.to_owned(), t, w)).collect()
    }

    #[test]
    fn thread_counts_reach_twice_the_cores() {
        assert_eq!(thread_counts(2), [1, 2, 4]);
        assert_eq!(thread_counts(3), [1, 2, 4, 6]);
        assert_eq!(thread_counts(1), [1, 2]);
    }

    #[test]
    fn speedup_is_throughput_against_one_thread() {
        let s = analyse(
            2,
            raw(&[
                ("python", 1, 0.1),
                ("python", 2, 0.2),
                ("rust-gil-held", 1, 0.1),
                ("rust-gil-held", 2, 0.2),
                ("rust-gil-released", 1, 0.1),
                ("rust-gil-released", 2, 0.105),
            ]),
        );
        assert!(s.ok, "{}", s.verdict);
        let released = s
            .rows
            .iter()
            .find(|r| r.contender == "rust-gil-released" && r.threads == 2)
            .unwrap();
        assert!((released.speedup - 1.9047).abs() < 1e-3);
        let held = s
            .rows
            .iter()
            .find(|r| r.contender == "rust-gil-held" && r.threads == 2)
            .unwrap();
        assert!((held.speedup - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_released_gil_that_does_not_scale_fails_the_check() {
        let s = analyse(
            2,
            raw(&[
                ("rust-gil-held", 1, 0.1),
                ("rust-gil-held", 2, 0.2),
                ("rust-gil-released", 1, 0.1),
                ("rust-gil-released", 2, 0.2),
            ]),
        );
        assert!(!s.ok, "{}", s.verdict);
        assert!(
            analyse(1, raw(&[("rust-gil-held", 1, 0.1)])).ok,
            "one core: no check"
        );
    }
}
