//! Instruction counts that do not wobble: each lane's calls run once more, in
//! a worker under Valgrind's callgrind, with collection on only inside the
//! worker's `pyo3_lab_counted` (the calls themselves: not start-up, imports,
//! set-up, progress or IPC). These runs are never the timed ones.
//!
//! A call runs about 50 times slower under Valgrind, so fib is counted at a
//! size of at most `FIB_COUNTED` and scaled by the recursion's exact call
//! count to the race's size: the work of naive fib is its calls, one for one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::breakdown::{self, Origin};
use super::callgraph::CallGraph;
use crate::cancel::Cancel;
use crate::engine::error::{CountError, LabError, LabResult};
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::Experiment;
use crate::engine::seams::{LaneSetup, Spawner};
use crate::engine::types::{Breakdown, Instructions, Language, PyHot, Route};
use crate::fibonacci;
use crate::worker::Worker;
use crate::worker::protocol::{Callee, Request};

/// The largest fib(N) counted as it is; above, fib(FIB_COUNTED) is counted
/// and scaled.
pub const FIB_COUNTED: u64 = 25;
/// How much slower a call runs under callgrind, for time limits.
const SLOWDOWN: u32 = 100;
/// Time for a worker to start, and to end, under Valgrind (a start beside
/// two CPU hogs and three test binaries once took over 30 s).
const START_STOP: Duration = Duration::from_secs(180);

/// `--instructions` without Valgrind on the PATH.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error(
    "--instructions needs Valgrind, which is not installed: \
     apt-get install valgrind (Debian, Ubuntu), then run again"
)]
pub struct NoValgrind;

/// Valgrind on the PATH.
pub fn valgrind() -> Result<PathBuf, NoValgrind> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("valgrind"))
        .find(|p| p.is_file())
        .ok_or(NoValgrind)
}

/// What is counted: the race's arguments, or for fib a smaller size and the
/// factor that scales its count to the race's.
fn counted_args(
    exp: &Experiment,
    size: Option<u64>,
) -> LabResult<(Vec<serde_json::Value>, Option<u64>, f64)> {
    let args = exp.args_for(size)?;
    let n = exp.size_of(&args);
    match n {
        Some(n) if exp.has_native() && n > FIB_COUNTED => {
            let small = exp.args_for(Some(FIB_COUNTED))?;
            Ok((
                small,
                Some(FIB_COUNTED),
                fibonacci::cost(n) / fibonacci::cost(FIB_COUNTED),
            ))
        }
        _ => Ok((args, n, 1.0)),
    }
}

/// What a count is made of: the size knob, calls per lane, the race's time
/// limit (scaled for Valgrind), and where callgrind's files go.
pub struct Counting {
    pub size: Option<u64>,
    pub calls: u32,
    pub timeout: Option<Duration>,
    pub out_dir: PathBuf,
    /// Fold each lane's profile into stacks (only flame graphs need them).
    pub stacks: bool,
}

/// Counts each lane's instructions per call; a lane that fails (crashes,
/// hangs, raises under Valgrind) gets its failure in words, and the others go on.
pub fn count(
    exp: &Experiment,
    setups: &[LaneSetup],
    counting: &Counting,
    sink: &Sink,
    cancel: &Cancel,
) -> LabResult<Vec<(String, Result<Instructions, CountError>)>> {
    let Counting {
        size,
        calls,
        timeout,
        ref out_dir,
        stacks,
    } = *counting;
    let valgrind = valgrind().map_err(|e| LabError::Input(e.to_string()))?;
    let (args, counted_size, scale) = counted_args(exp, size)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| LabError::Run(format!("cannot create {}: {e}", out_dir.display())))?;
    let mut out = Vec::new();
    for (i, setup) in setups.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        sink(Event::Counting(setup.lane.clone()));
        let file = out_dir.join(format!("{}-{i}.callgrind", exp.key));
        let result =
            count_lane(&valgrind, setup, &args, calls, timeout, &file, cancel).map(|graph| {
                // A Rust lane's build, or a route's module (Cython, mypyc),
                // is the first folder on its path.
                let build = setup
                    .lane
                    .is_compiled()
                    .then(|| {
                        setup
                            .paths
                            .first()
                            .map(|p| p.to_string_lossy().into_owned())
                    })
                    .flatten();
                let origin = Origin {
                    build: build.as_deref(),
                    crate_dir: (setup.lane.language == Language::Rust).then_some(&*exp.dir),
                    scenario: matches!(setup.call.callee, Callee::Scenario { .. }),
                };
                let breakdown = Breakdown::of(&graph, &setup.lane, origin, calls, scale);
                Instructions {
                    per_call: graph.total as f64 / calls as f64 * scale,
                    counted_size,
                    scale,
                    diagnosis: breakdown::diagnose(&setup.lane, &breakdown),
                    breakdown: Some(breakdown),
                    folded: if stacks { graph.folded() } else { Vec::new() },
                    python_hot: Vec::new(),
                    python_hot_failure: None,
                }
            });
        sink(Event::Counted(
            setup.lane.clone(),
            result.clone().map(Box::new),
        ));
        out.push((setup.lane.name.clone(), result));
    }
    Ok(out)
}

/// A Python lane's own functions by cumulative time, or why cProfile could not say.
pub type Profiled = Result<Vec<PyHot>, NoProfile>;

/// Why cProfile could not say where a Python lane's time goes.
#[derive(Debug, thiserror::Error)]
pub enum NoProfile {
    #[error("cProfile {0}")]
    Worker(#[from] crate::worker::WorkerError),
    #[error("cProfile gave nothing")]
    Nothing,
    #[error("cProfile saw no Python function (a C function?)")]
    NoPythonFunction,
}

/// Each Python lane's call once more, untimed, under cProfile, at the size
/// its instructions were counted at: its own functions by cumulative time.
pub fn profile(
    exp: &Experiment,
    setups: &[LaneSetup],
    size: Option<u64>,
    spawner: &dyn Spawner,
) -> LabResult<Vec<(String, Profiled)>> {
    let (args, _, _) = counted_args(exp, size)?;
    Ok(setups
        .iter()
        .filter(|s| s.lane.language == Language::Python)
        .map(|setup| {
            let request = Request::Profile {
                call: setup.call.with_args(args.clone()),
            };
            let rows = spawner
                .spawn_lane(setup)
                .and_then(|mut w| w.call(&request, None, &mut |_| {}))
                .map_err(NoProfile::from)
                .and_then(|done| {
                    let rows: Vec<(String, f64, f64)> = done
                        .json
                        .as_deref()
                        .and_then(|j| serde_json::from_str(j).ok())
                        .ok_or(NoProfile::Nothing)?;
                    if rows.is_empty() {
                        return Err(NoProfile::NoPythonFunction);
                    }
                    Ok(rows
                        .into_iter()
                        .map(|(function, cumulative_s, share)| PyHot {
                            function,
                            cumulative_s,
                            share,
                        })
                        .collect())
                });
            (setup.lane.name.clone(), rows)
        })
        .collect())
}

fn count_lane(
    valgrind: &Path,
    setup: &LaneSetup,
    args: &[serde_json::Value],
    calls: u32,
    timeout: Option<Duration>,
    file: &Path,
    cancel: &Cancel,
) -> Result<CallGraph, CountError> {
    if setup.lane.route == Some(Route::Pypy) {
        return Err(CountError::NotCountable);
    }
    let _ = std::fs::remove_file(file);
    let wrapper: Vec<OsString> = vec![
        valgrind.into(),
        "--tool=callgrind".into(),
        "--quiet".into(),
        "--collect-atstart=no".into(),
        "--toggle-collect=pyo3_lab_counted".into(),
        // A scenario's phases, each (its set-up and checks are not counted).
        "--toggle-collect=pyo3_lab_phase".into(),
        format!("--callgrind-out-file={}", file.display()).into(),
    ];
    let mut worker = Worker::spawn_under(&wrapper, &setup.paths, cancel, START_STOP)?;
    let request = setup.run(setup.call.with_args(args.to_vec()), None, calls, None);
    let limit = timeout.map(|t| t * SLOWDOWN);
    worker.call(&request, limit, |_| {})?;
    worker.finish(START_STOP)?;
    let text = std::fs::read_to_string(file).map_err(|e| CountError::NoFile {
        path: file.to_owned(),
        source: Arc::new(e),
    })?;
    CallGraph::parse(&text).ok_or_else(|| CountError::NoTotal(file.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_read_from_callgrinds_file() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=(1) x\n0 12\nsummary: 123456\ntotals: 123456\n";
        let total = |text| CallGraph::parse(text).map(|g| g.total);
        assert_eq!(total(text), Some(123_456));
        assert_eq!(total("events: Ir\n"), None);
    }

    #[test]
    fn fib_is_counted_small_and_scaled_by_its_calls() {
        let exp = crate::engine::experiment::fixtures::experiment("fib", 35, 93, true);
        let (args, size, scale) = counted_args(&exp, None).unwrap();
        assert_eq!((args, size), (vec![serde_json::Value::from(25)], Some(25)));
        assert!((scale - fibonacci::cost(35) / fibonacci::cost(25)).abs() < 1e-9);
        assert!(scale > 120.0 && scale < 124.0, "φ^10 ≈ 122.99: {scale}");
        let (_, size, scale) = counted_args(&exp, Some(20)).unwrap();
        assert_eq!((size, scale), (Some(20), 1.0));
    }
}
