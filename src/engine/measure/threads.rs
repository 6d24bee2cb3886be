//! Threads for your own code: each implementation called from T Python
//! threads at once in one worker, for each T asked for. Speed-up is
//! T·wall(1)/wall(T), as the built-in scaling run computes it: about T when
//! the function releases the GIL (on T cores), about 1 when it holds it.

use serde::{Deserialize, Serialize};

use super::capacity::{self, Judgement};
use crate::cancel::Cancel;
use crate::engine::error::{LabError, LabResult};
use crate::engine::experiment::Experiment;
use crate::engine::problem::{Problem, ProblemKind};
use crate::engine::seams::{Caller, LaneSetup, Spawner};
use crate::engine::types::Language;
use crate::worker::protocol::{Expect, Request};

/// Cores a call must keep busy on its own to count as parallel inside.
const PARALLEL_INSIDE: f64 = 1.5;
/// A call that keeps at least this much of a core busy alone, even on a
/// loaded machine, is CPU-bound: its threads' CPU time then shows whether
/// they ran at once (a call that sleeps or waits shows nothing). Wall times
/// are taken at different moments (one thread's is the median of all
/// rounds): a busy moment in the one-thread batches once let a holding
/// function "reach" 1.29x, where its CPU time said 1.0x.
const CPU_BOUND: f64 = 0.3;

/// Rounds per thread count, each a batch of calls beside a batch of the
/// native yardstick: short turns, so a burst of load meets both of a pair.
const BATCHES: u32 = 8;

/// One thread count's figures, a value per round: the contender's wall per
/// call, the native yardstick's wall beside it, and the cores it kept busy.
pub type Rounds = (u32, Vec<f64>, Vec<f64>, Vec<f64>);

/// A thread count's figures, judged from its rounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub threads: u32,
    /// Wall per call in the round judged.
    pub wall: f64,
    pub speedup: f64,
    pub capacity: f64,
    /// Cores busy in the round judged.
    pub cores: f64,
    /// The median over rounds of the cores T threads kept busy over the
    /// cores one thread kept busy in the same round: see `ThreadRow`.
    pub overlap: f64,
}

fn median_index(values: &[(usize, f64)]) -> Option<usize> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    sorted.get(sorted.len().saturating_sub(1) / 2).map(|v| v.0)
}

fn median(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| super::stats::median(&mut v.to_vec()))
}

/// Each round's speed-up judged against the same round's yardstick, never
/// a best batch against a best batch taken at other moments: a burst of load
/// hits a contender's T-thread batch and the native T-thread batch beside it
/// alike. One thread's times are the medians of all rounds (a burst in one
/// of those would inflate every ratio of its round), and a capacity above T
/// is noise, so it is capped at T. The row of a thread count is the round
/// whose share of what the machine gave (speed-up beyond one thread over
/// capacity beyond one) is the median, among rounds where the machine gave
/// enough to judge; when most rounds did not, the round of median capacity,
/// which the verdict then calls "can't tell".
pub fn paired(rounds: &[Rounds]) -> Vec<Measured> {
    let Some((_, one, native_one, one_cores)) = rounds.iter().find(|r| r.0 == 1) else {
        return Vec::new();
    };
    let (Some(one), Some(native_one)) = (median(one), median(native_one)) else {
        return Vec::new();
    };
    rounds
        .iter()
        .filter_map(|(threads, walls, natives, cores)| {
            let n = walls.len().min(natives.len());
            let core = |r: usize| cores.get(r).copied().unwrap_or(f64::NAN);
            let overlaps: Vec<f64> = cores
                .iter()
                .zip(one_cores)
                .map(|(many, one)| many / one)
                .filter(|o| o.is_finite())
                .collect();
            let overlap = median(&overlaps).unwrap_or(f64::NAN);
            let measured = |r: usize, speedup: f64, capacity: f64| Measured {
                threads: *threads,
                wall: walls[r],
                speedup,
                capacity,
                cores: core(r),
                overlap,
            };
            // One thread against one thread is 1x by definition.
            if *threads == 1 {
                let r = median_index(&walls[..n].iter().copied().enumerate().collect::<Vec<_>>())?;
                return Some(measured(r, 1.0, 1.0));
            }
            let pairs: Vec<(f64, f64)> = (0..n)
                .map(|r| {
                    (
                        capacity::speedup(*threads, one, walls[r]),
                        capacity::speedup(*threads, native_one, natives[r]).min(*threads as f64),
                    )
                })
                .collect();
            let judged: Vec<(usize, f64)> = pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.1 >= capacity::MIN_CAPACITY)
                .map(|(r, &(s, c))| (r, capacity::share(s, c)))
                .collect();
            let r = if judged.len() * 2 >= n && !judged.is_empty() {
                median_index(&judged)
            } else {
                median_index(&pairs.iter().map(|p| p.1).enumerate().collect::<Vec<_>>())
            }?;
            let (s, c) = pairs[r];
            Some(measured(r, s, c))
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadRow {
    pub experiment: String,
    pub lane: String,
    pub implementation: String,
    pub threads: u32,
    /// Wall time per call of `threads` calls at once, in the round judged.
    pub wall: f64,
    /// Throughput against one thread: threads × wall(1) / wall(threads).
    pub speedup: f64,
    /// What the machine gave at this thread count in the same batches: the
    /// speed-up of T native Rust threads with no Python (`worker::native`).
    #[serde(default)]
    pub capacity: Option<f64>,
    /// CPU time over wall time in the round judged: how many cores the calls
    /// kept busy (above 1 with one thread: the function is parallel inside).
    #[serde(default)]
    pub cores: Option<f64>,
    /// How many calls ran at once: the cores T threads kept busy over the
    /// cores one thread kept busy in the same round (the median of rounds).
    /// For a CPU-bound call this is the speed-up again, read from CPU time
    /// and from two batches side by side: threads that take turns for the
    /// GIL keep one thread's cores busy (the waiting ones sleep), about 1;
    /// ones that release it, about what the machine gave.
    #[serde(default)]
    pub overlap: Option<f64>,
    /// Every call's result equalled the reference's.
    pub correct: bool,
}

/// The rows lane by lane, lanes in the order they came.
pub fn by_lane<'a>(rows: impl IntoIterator<Item = &'a ThreadRow>) -> Vec<(String, Vec<ThreadRow>)> {
    let mut out: Vec<(String, Vec<ThreadRow>)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(lane, _)| *lane == r.lane) {
            Some((_, mine)) => mine.push(r.clone()),
            None => out.push((r.lane.clone(), vec![r.clone()])),
        }
    }
    out
}

/// What a lane's rows say, in words, judged against the capacity measured
/// in the same batches: at the thread count (up to the core count) where the
/// machine gave the most. Whether the GIL is released is read from the CPU
/// time (`ThreadRow::overlap`) when the call is CPU-bound; how well it
/// scales, from the wall time.
pub fn verdict(rows: &[ThreadRow], cores: usize) -> Option<String> {
    let at = rows
        .iter()
        .filter(|r| r.threads > 1 && r.threads as usize <= cores.max(2))
        .max_by(|a, b| {
            let cap = |r: &ThreadRow| r.capacity.unwrap_or(f64::NAN);
            cap(a).total_cmp(&cap(b))
        })?;
    let (s, t) = (at.speedup, at.threads);
    let alone = rows.iter().find(|r| r.threads == 1).and_then(|r| r.cores);
    let judged = capacity::judge(s, at.capacity.unwrap_or(f64::NAN));
    // A call that keeps the cores busy by itself (rayon, a threaded BLAS)
    // leaves more threads nothing to run on: not the GIL's doing.
    if let (
        Some(c),
        Judgement::Holds { .. } | Judgement::Partly { .. } | Judgement::CantTell { .. },
    ) = (alone.filter(|&c| c >= PARALLEL_INSIDE), &judged)
    {
        return Some(format!(
            "parallel inside: one call alone kept {c:.1} cores busy, so {t} threads find none free ({s:.2}x)"
        ));
    }
    // The same speed-up read from CPU time, round by round (`overlap`):
    // where it contradicts the wall time's, a busy moment met one of them.
    let cpu = alone
        .filter(|&c| c >= CPU_BOUND)
        .and(at.overlap)
        .map(|o| (o, capacity::judge(o, at.capacity.unwrap_or(f64::NAN))));
    Some(match (judged, cpu) {
        (Judgement::CantTell { capacity }, _) => {
            format!(
                "{}; it gave {s:.2}x",
                capacity::cant_tell(capacity, Some(t))
            )
        }
        (
            Judgement::Scales { .. } | Judgement::Partly { .. },
            Some((o, Judgement::Holds { .. })),
        ) => {
            format!(
                "holds the GIL: {t} threads kept {o:.2}x one thread's cores busy, so they took turns \
                 (their {s:.2}x in wall time was a busy moment's)"
            )
        }
        (
            j @ (Judgement::Holds { .. } | Judgement::Partly { .. }),
            Some((o, Judgement::Scales { .. })),
        ) => {
            format!(
                "partly parallel: {} with {t} threads (releases the GIL: {t} threads kept {o:.2}x one \
                 thread's cores busy; a busy moment slowed them)",
                j.describe()
            )
        }
        (j @ Judgement::Scales { .. }, _) => {
            format!(
                "scales: {} with {t} threads (releases the GIL)",
                j.describe()
            )
        }
        (j @ Judgement::Holds { .. }, _) => {
            format!("holds the GIL: {} with {t} threads", j.describe())
        }
        (j @ Judgement::Partly { .. }, _) => {
            format!("partly parallel: {} with {t} threads", j.describe())
        }
    })
}

fn threads_problem(exp: &Experiment, setup: &LaneSetup, why: String) -> Problem {
    Problem::in_lane(
        &exp.key,
        &setup.lane.name,
        ProblemKind::Threads { threads: None, why },
    )
}

/// Runs every lane but the built-in native one at each thread count.
pub fn run(
    exp: &Experiment,
    setups: &[LaneSetup],
    args: &[serde_json::Value],
    expect: Option<String>,
    counts: &[u32],
    cancel: &Cancel,
    spawner: &dyn Spawner,
) -> LabResult<(Vec<ThreadRow>, Vec<Problem>)> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for setup in setups
        .iter()
        .filter(|s| s.lane.language != Language::Native)
    {
        let mut worker = match spawner.spawn_lane(setup) {
            Ok(w) => w,
            Err(e) => {
                problems.push(threads_problem(exp, setup, e.to_string()));
                continue;
            }
        };
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        // Every count in one request: the worker takes them in turn, round
        // after round, each beside its native yardstick.
        let request = Request::Threads {
            call: setup.call.with_args(args.to_vec()),
            counts: counts.to_vec(),
            batches: BATCHES,
            expect: expect.clone().map(Expect::Json),
            tolerance: setup.tolerance,
        };
        let (walls, correct) = match timed(worker.as_mut(), &request) {
            Ok(timed) => timed,
            Err(LabError::Cancelled) => return Err(LabError::Cancelled),
            Err(e) => {
                problems.push(threads_problem(exp, setup, e.to_string()));
                continue;
            }
        };
        if !correct {
            let most = counts.iter().copied().max().unwrap_or(1);
            problems.push(Problem::in_lane(
                &exp.key,
                &setup.lane.name,
                ProblemKind::WrongWithThreads(most),
            ));
        }
        for m in walls {
            rows.push(ThreadRow {
                experiment: exp.key.clone(),
                lane: setup.lane.name.clone(),
                implementation: setup.lane.implementation.clone(),
                threads: m.threads,
                wall: m.wall,
                speedup: m.speedup,
                capacity: Some(m.capacity),
                cores: Some(m.cores),
                overlap: Some(m.overlap),
                correct,
            });
        }
    }
    Ok((rows, problems))
}

/// The worker's rows for each count, paired with their yardstick, and
/// whether every call was right.
fn timed(worker: &mut dyn Caller, request: &Request) -> LabResult<(Vec<Measured>, bool)> {
    let done = worker.call(request, None, &mut |_| {})?;
    let rounds: Option<Vec<Rounds>> = done
        .json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    match rounds.map(|r| paired(&r)).filter(|p| !p.is_empty()) {
        Some(walls) => Ok((walls, done.correct != Some(false))),
        None => Err(LabError::Run("gave no timings".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::experiment::load::check_counts;

    fn row(threads: u32, speedup: f64) -> ThreadRow {
        row_of(threads, speedup, threads.min(2) as f64 * 0.98)
    }

    fn row_of(threads: u32, speedup: f64, capacity: f64) -> ThreadRow {
        ThreadRow {
            experiment: "e".into(),
            lane: "l".into(),
            implementation: "l".into(),
            threads,
            wall: 1.0,
            speedup,
            capacity: Some(capacity),
            // A CPU-bound call: its threads keep as many cores busy as
            // their speed-up.
            cores: Some(speedup.min(1.0)),
            overlap: Some(speedup),
            correct: true,
        }
    }

    #[test]
    fn the_verdict_says_whether_the_gil_is_released() {
        let released = [row(1, 1.0), row(2, 1.97), row(4, 1.95)];
        assert_eq!(
            verdict(&released, 2).unwrap(),
            "scales: reaches 1.01 of what this machine gave (1.97x of 1.96x) with 2 threads (releases the GIL)"
        );
        let held = [row(1, 1.0), row(2, 1.01)];
        assert_eq!(
            verdict(&held, 2).unwrap(),
            "holds the GIL: stays at 1.01x where this machine gave 1.96x with 2 threads"
        );
        assert!(verdict(&[row(1, 1.0)], 2).is_none());
        let inside = [
            ThreadRow {
                cores: Some(1.9),
                ..row(1, 1.0)
            },
            row(2, 1.04),
        ];
        assert_eq!(
            verdict(&inside, 2).unwrap(),
            "parallel inside: one call alone kept 1.9 cores busy, so 2 threads find none free (1.04x)"
        );
        // Faster in wall time than one thread, but no more CPU busy than one
        // call alone: the calls took turns, and the wall times met load.
        let turns = [
            row(1, 1.0),
            ThreadRow {
                overlap: Some(1.02),
                ..row(2, 1.29)
            },
        ];
        assert_eq!(
            verdict(&turns, 2).unwrap(),
            "holds the GIL: 2 threads kept 1.02x one thread's cores busy, so they took turns \
             (their 1.29x in wall time was a busy moment's)"
        );
        // Slower in wall time than the machine allowed, but two calls kept
        // nearly two cores busy at once: released, and a busy moment.
        let slowed = [
            row(1, 1.0),
            ThreadRow {
                overlap: Some(1.8),
                ..row(2, 1.25)
            },
        ];
        assert_eq!(
            verdict(&slowed, 2).unwrap(),
            "partly parallel: reaches only 0.64 of what this machine gave (1.25x of 1.96x) with 2 threads \
             (releases the GIL: 2 threads kept 1.80x one thread's cores busy; a busy moment slowed them)"
        );
        // Both cores busy elsewhere: no verdict either way.
        let busy = [row_of(1, 1.0, 1.0), row_of(2, 1.02, 1.08)];
        let said = verdict(&busy, 2).unwrap();
        assert!(
            said.starts_with("can't tell: only 1.1 cores were free"),
            "{said}"
        );
    }

    /// Two thread counts over `n` rounds: a contender whose wall per call
    /// with two threads is `two(r)` of one thread's, beside a yardstick
    /// that gave `capacity(r)` in the same round.
    fn rounds(
        n: usize,
        two: impl Fn(usize) -> f64,
        capacity: impl Fn(usize) -> f64,
    ) -> Vec<Rounds> {
        vec![
            (1, vec![1.0; n], vec![1.0; n], vec![1.0; n]),
            (
                2,
                (0..n).map(&two).collect(),
                (0..n).map(|r| 2.0 / capacity(r)).collect(),
                (0..n).map(|r| 2.0 / two(r)).collect(),
            ),
        ]
    }

    fn judged(rounds: &[Rounds]) -> String {
        let rows: Vec<ThreadRow> = paired(rounds)
            .into_iter()
            .map(|m| ThreadRow {
                wall: m.wall,
                cores: Some(m.cores),
                overlap: Some(m.overlap),
                ..row_of(m.threads, m.speedup, m.capacity)
            })
            .collect();
        verdict(&rows, 2).unwrap()
    }

    #[test]
    fn a_burst_of_load_meets_both_halves_of_a_pair() {
        // A function that releases the GIL: two threads take as long as one
        // (2x), except in the rounds a burst of load took a core, where the
        // yardstick beside it lost the core too: those rounds are no
        // evidence either way, and the quiet rounds judge.
        let burst = |r: usize| (3..6).contains(&r);
        let released = rounds(
            8,
            |r| if burst(r) { 2.0 } else { 1.02 },
            |r| {
                if burst(r) { 1.0 } else { 1.98 }
            },
        );
        assert!(
            judged(&released).starts_with("scales"),
            "{}",
            judged(&released)
        );
        // One that holds it: 2 threads take twice as long, burst or not.
        let held = rounds(8, |_| 2.0, |r| if burst(r) { 1.0 } else { 1.98 });
        assert!(
            judged(&held).starts_with("holds the GIL"),
            "{}",
            judged(&held)
        );
        // Load all along: no verdict either way.
        let busy = rounds(8, |_| 1.9, |_| 1.1);
        assert!(judged(&busy).starts_with("can't tell"), "{}", judged(&busy));
        // A one-thread yardstick batch slowed by load in half the rounds
        // (the old pairing read a capacity of 3.3x from it, and a released
        // lane's 1.67x as "partly").
        let mut slow_one = rounds(8, |_| 1.2, |_| 2.0);
        for r in 0..4 {
            slow_one[0].2[r] = 1.65;
        }
        assert!(
            judged(&slow_one).starts_with("scales"),
            "{}",
            judged(&slow_one)
        );
        // A burst over most rounds: no verdict from the few quiet ones.
        let mostly = rounds(8, |_| 2.0, |r| if r < 6 { 1.0 } else { 1.98 });
        assert!(
            judged(&mostly).starts_with("can't tell"),
            "{}",
            judged(&mostly)
        );
    }

    #[test]
    fn thread_counts_are_checked() {
        assert_eq!(check_counts(&[4, 1, 2, 2], "--threads").unwrap(), [1, 2, 4]);
        assert!(
            check_counts(&[0], "--threads")
                .unwrap_err()
                .to_string()
                .contains("1 to 64")
        );
        assert!(check_counts(&[65], "--threads").is_err());
        assert!(
            check_counts(&[], "[threads] counts")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }
}
