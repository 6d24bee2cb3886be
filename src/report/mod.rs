//! The report of a headless run: what was built, what each lane measured, what
//! the GIL runs showed, and what failed. Serialised as JSON in hyperfine's
//! layout (`results[]` with `command`, `mean`, `stddev`, `median`, `min`,
//! `max`, `times`), extended with pyo3-lab's own fields.

pub mod baseline;
pub mod compare;
pub mod csv;
pub mod error;
pub mod export;
pub mod flame;
pub mod markdown;
pub mod matrix;
pub mod plot;
pub mod problems;
pub mod routes;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::error::LabResult;
use crate::engine::experiment::Experiment;
use crate::engine::measure::significance::{self, Significance};
use crate::engine::measure::stats::{self, Summary, ratio};
use crate::engine::measure::sweep::{self, LaneTrend};
use crate::engine::measure::threads::ThreadRow;
use crate::engine::pipeline::JobReport;
use crate::engine::types::{
    Breakdown, BuildInfo, Category, GilRun, Hot, HotLine, LaneRecord, PyHot, Scaling, ScalingRow,
    SweepPoint, Target, VerifyRecord,
};
use routes::RouteRow;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub tool: String,
    pub machine: Machine,
    /// The size given with `--n`, if any; each experiment's own is in `experiments`.
    pub n: Option<u64>,
    pub runs: usize,
    pub warmup: usize,
    pub experiments: Vec<ExperimentRow>,
    pub builds: Vec<BuildRow>,
    /// The modules of route lanes (Cython, mypyc), beside the Rust builds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteRow>,
    pub results: Vec<LaneResult>,
    pub gil: Option<GilReport>,
    /// Each implementation from T threads at once: one row per lane and count.
    #[serde(default)]
    pub threads: Vec<ThreadRow>,
    /// What each sweep showed, experiment by experiment.
    #[serde(default)]
    pub sweeps: Vec<SweepReport>,
    /// The differential check, lane by lane, when `--verify` asked for it.
    #[serde(default)]
    pub verify: Vec<VerifyRecord>,
    /// Lane by lane, against `--baseline`, when one was given.
    pub baseline: Vec<baseline::Comparison>,
    /// Experiments raced in build configurations beyond debug and release:
    /// a row per implementation and variant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<matrix::MatrixRow>,
    /// Every check that failed, in words; empty when all passed.
    pub problems: Vec<String>,
    pub ok: bool,
    /// False while the run is still going, or when it stopped part-way: the
    /// figures in it are real, but some are missing.
    pub complete: bool,
}

impl Report {
    /// An empty report of this run, to be filled in as the run goes.
    pub fn begin(n: Option<u64>, runs: usize, warmup: usize) -> Self {
        Self {
            tool: format!("pyo3-lab {}", env!("CARGO_PKG_VERSION")),
            machine: Machine::default(),
            n,
            runs,
            warmup,
            experiments: Vec::new(),
            builds: Vec::new(),
            routes: Vec::new(),
            results: Vec::new(),
            gil: None,
            threads: Vec::new(),
            sweeps: Vec::new(),
            verify: Vec::new(),
            baseline: Vec::new(),
            matrix: Vec::new(),
            problems: Vec::new(),
            ok: false,
            complete: false,
        }
    }

    /// The median run of the lane that loads `build`: its run-time side of the
    /// build-cost trade-off.
    pub fn median_run_of(&self, build: &BuildRow) -> Option<f64> {
        self.results
            .iter()
            .find(|r| {
                r.record.experiment == build.krate
                    && r.record
                        .lane
                        .variant
                        .as_ref()
                        .is_some_and(|v| v.name() == build.variant)
            })
            .and_then(|r| r.median)
    }

    /// A sweep's row of `lane` at size `n`.
    pub fn sweep_row(&self, experiment: &str, lane: &str, n: u64) -> Option<&LaneResult> {
        self.results.iter().find(|r| {
            r.record.experiment == experiment && r.record.lane.name == lane && r.size() == Some(n)
        })
    }
    /// What any job adds to the report: its builds, its thread sweep, its
    /// differential check, the tracemalloc peaks measured apart from their
    /// race, and its problems in words.
    pub fn absorb(&mut self, job: &JobReport) {
        for (experiment, lane, bytes) in &job.traced {
            if let Some(row) = self
                .results
                .iter_mut()
                .find(|r| &r.record.experiment == experiment && &r.record.lane.name == lane)
            {
                row.record.traced_bytes = Some(*bytes);
            }
        }
        self.builds
            .extend(job.builds.iter().map(|(t, r)| BuildRow::new(t, r)));
        self.routes.extend(
            job.routes
                .iter()
                .map(|(experiment, lane, build)| RouteRow::new(experiment, lane, build)),
        );
        self.threads.extend(job.threads.iter().cloned());
        self.verify.extend(job.verify.iter().flatten().cloned());
        self.problems.extend(problems::describe_all(&job.problems));
    }

    /// A sweep's rows (one per lane and size, with `parameters`) and trends.
    pub fn add_sweep(&mut self, exp: &Experiment, sizes: &[u64], done: &JobReport) {
        let (sweep, rows) = SweepReport::new(exp, sizes, &done.sweep);
        self.experiments
            .push(ExperimentRow::new(exp, sizes.last().copied()));
        self.results.extend(rows);
        self.sweeps.push(sweep);
    }

    /// Settles the verdict: ok only when complete with no problem.
    pub fn finish(&mut self, complete: bool) {
        routes::fill(self);
        self.matrix = self
            .experiments
            .iter()
            .flat_map(|e| matrix::rows(self, &e.experiment))
            .collect();
        self.complete = complete;
        self.ok = complete && self.problems.is_empty();
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub python: String,
    pub pyo3: String,
    pub maturin: String,
    pub cpu: String,
    pub cores: usize,
}

impl Machine {
    pub fn here(python: &str, maturin: &str) -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        Self {
            python: python.into(),
            pyo3: PYO3_VERSION.into(),
            maturin: maturin.into(),
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// The pyo3 the lab crates and the embedding binary are built with.
pub const PYO3_VERSION: &str = "0.30.1";

/// Whether a crate's resolved PyO3 (`pyo3 0.22.6`, `pyo3-ffi 0.30.1`) is of
/// another version than the lab's.
pub fn other_pyo3(version: &str) -> bool {
    version
        .rsplit_once(' ')
        .is_some_and(|(_, v)| v != PYO3_VERSION)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildRow {
    #[serde(rename = "crate")]
    pub krate: String,
    pub variant: String,
    pub profile: String,
    pub ok: bool,
    /// Reused from an earlier run: the inputs had not changed.
    pub reused: bool,
    /// Compile time of the build in use (the earlier one's when reused).
    pub seconds: Option<f64>,
    pub wheel_bytes: Option<u64>,
    /// The module as Python loads it: its file without the line tables.
    pub module_bytes: Option<u64>,
    /// The line tables (debug sections) in the module's file besides, which
    /// `--instructions` reads; the wheel carries them too.
    #[serde(default)]
    pub line_table_bytes: Option<u64>,
    /// Whether pyo3 itself was compiled (clean) or reused (incremental).
    #[serde(default)]
    pub clean: Option<bool>,
    /// The PyO3 the crate resolved (`pyo3 0.30.1`), which may differ from the lab's.
    #[serde(default)]
    pub pyo3: Option<String>,
    /// The Python packages installed for its experiment, as pip resolved them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// What the module was compiled from: the SHA-256 of the crate's build
    /// inputs and settings, read before and after the compile.
    #[serde(default)]
    pub inputs: Option<String>,
    /// The SHA-256 of the module raced; a reused build's was checked again.
    #[serde(default)]
    pub module_sha256: Option<String>,
    pub error: Option<String>,
}

impl BuildRow {
    /// How the build time was made: a clean build, or one that reused the
    /// compiled dependencies (not comparable with a clean one).
    pub fn kind(&self) -> &'static str {
        match self.clean {
            Some(true) => "clean",
            Some(false) => "incremental, dependencies reused",
            None => "",
        }
    }

    /// The crate's PyO3, with a note when it is not the lab's own.
    pub fn pyo3_note(&self) -> Option<String> {
        let version = self.pyo3.as_ref()?;
        Some(if other_pyo3(version) {
            format!("{version} (the lab embeds pyo3 {PYO3_VERSION})")
        } else {
            version.clone()
        })
    }
}

impl BuildRow {
    pub fn new(target: &Target, result: &LabResult<BuildInfo>) -> Self {
        let info = result.as_ref().ok();
        Self {
            krate: target.krate.clone(),
            variant: target.variant.name().into(),
            profile: target.variant.profile(),
            ok: info.is_some(),
            reused: info.is_some_and(|i| i.fresh),
            seconds: info.map(|i| i.seconds),
            wheel_bytes: info.map(|i| i.wheel_bytes),
            module_bytes: info.map(BuildInfo::shipped_bytes),
            line_table_bytes: info.map(|i| i.line_table_bytes),
            clean: info.and_then(|i| i.clean),
            pyo3: info.and_then(|i| i.pyo3.clone()),
            packages: info.map(|i| i.packages.clone()).unwrap_or_default(),
            inputs: info.map(|i| i.inputs.clone()),
            module_sha256: info.map(|i| i.module_sha256.clone()),
            error: result.as_ref().err().map(|e| e.to_string()),
        }
    }
}

/// One raced experiment: what it is and the arguments it ran with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentRow {
    pub experiment: String,
    pub name: String,
    pub description: String,
    pub args: Vec<serde_json::Value>,
    pub size: Option<u64>,
    /// Each route lane's code against the reference's; given in the JSON
    /// with its lane's row (`code`).
    #[serde(skip)]
    pub rewrites: Vec<crate::engine::experiment::Rewrite>,
}

impl ExperimentRow {
    pub fn new(exp: &Experiment, size: Option<u64>) -> Self {
        let args = exp.args_for(size).unwrap_or_else(|_| exp.args.clone());
        Self {
            experiment: exp.key.clone(),
            name: exp.name.clone(),
            description: exp.description.clone(),
            size: exp.size_of(&args),
            args,
            rewrites: exp.rewrites(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LaneResult {
    /// The lane and what its runs gave, as the race recorded them: its
    /// label (`lane`), implementation, language, build (`variant`), route,
    /// times, result, checks, memory and first call. The expected answer is
    /// cut short when long; counts and phases are given below, summed up.
    #[serde(flatten)]
    pub record: LaneRecord,
    /// The sweep's parameter at this row, as hyperfine's parameter scans
    /// give it: `{"n": "25"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
    /// A route's cost beside its speed: its module's build time and size
    /// (Cython, mypyc); a JIT's first call is the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_bytes: Option<u64>,
    /// Whether the route's code had to change: its file, and the lines of
    /// its function that are not the reference's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::engine::experiment::Rewrite>,
    pub mean: Option<f64>,
    pub stddev: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// How many times faster than the reference lane (mean over mean), ± error.
    pub speedup: Option<f64>,
    pub speedup_error: Option<f64>,
    /// The speed-up as the median of per-round ratios, its 99% interval and
    /// p-value: whether the lane really differs from the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_reference: Option<Significance>,
    /// What to be careful of in these numbers, each with its remedy.
    pub warnings: Vec<String>,
    /// How the numbers were made, for information (nothing to act on).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The largest resident peak over the measured runs, above the level
    /// before the calls; null where it cannot be measured.
    #[serde(default)]
    pub memory_peak_bytes: Option<u64>,
    /// Instructions per call, counted under callgrind (with --instructions).
    #[serde(default)]
    pub instructions: Option<f64>,
    /// The size the instructions were counted at, when smaller than the race's.
    #[serde(default)]
    pub instructions_counted_size: Option<u64>,
    /// How many times fewer instructions than the reference lane.
    #[serde(default)]
    pub instruction_speedup: Option<f64>,
    /// Instructions per call by who spent them (crate, pyo3, rust_std,
    /// cpython, interpreter, allocator, other); they add up to `instructions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<BTreeMap<Category, f64>>,
    /// The hottest functions per call, by self cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot: Vec<Hot>,
    /// The hottest functions per call, by inclusive cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot_inclusive: Vec<Hot>,
    /// The crate's own hottest source lines (Rust lanes whose build has
    /// line tables): file, line, its text, instructions per call, share.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot_lines: Vec<HotLine>,
    /// What the breakdown means, in a sentence (Rust lanes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    /// A Python lane's own functions by cumulative time, from one untimed
    /// call under cProfile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub python_hot: Vec<PyHot>,
    /// Why cProfile could not say, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_hot_failure: Option<String>,
    /// A scenario's phases, each with the statistics of a whole lane.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseResult>,
}

/// One phase of a scenario lane: its time per call in each measured run,
/// summed up, and against the same phase of the reference lane (paired
/// round by round, as the lanes are).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PhaseResult {
    pub name: String,
    pub median: f64,
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    pub times: Vec<f64>,
    /// How many times faster than the reference's phase (mean over mean), ± error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_error: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_reference: Option<Significance>,
}

/// Each phase of `record` against the same phase of `reference`.
fn phase_results(record: &LaneRecord, reference: Option<&LaneRecord>) -> Vec<PhaseResult> {
    record
        .phases
        .iter()
        .filter_map(|p| {
            let s = Summary::of(&p.times)?;
            let theirs = reference
                .filter(|r| !std::ptr::eq(*r, record))
                .and_then(|r| r.phases.iter().find(|q| q.name == p.name));
            let speed = theirs
                .and_then(|q| Summary::of(&q.times))
                .map(|q| ratio(&q, &s));
            Some(PhaseResult {
                name: p.name.clone(),
                median: s.median,
                mean: s.mean,
                stddev: s.stddev,
                min: s.min,
                max: s.max,
                times: p.times.clone(),
                speedup: speed.map(|(r, _)| r),
                speedup_error: speed.map(|(_, e)| e),
                vs_reference: theirs.and_then(|q| significance::speedup(&q.times, &p.times)),
            })
        })
        .collect()
}

/// A speed-up as the report's column shows it: "41.3 ± 3.2x", and under
/// 0.1x the way round a person says it, "95x slower" (a "0.0 ± 0.0x" says
/// nothing).
pub fn speedup_cell(s: f64, error: f64) -> String {
    if s > 0.0 && s < 0.1 {
        format!("{:.0}x slower", 1.0 / s)
    } else {
        format!("{s:.1} ± {error:.1}x")
    }
}

impl LaneResult {
    /// The sweep size of this row (`parameters.n`), if it is a sweep's.
    pub fn size(&self) -> Option<u64> {
        self.parameters.as_ref()?.get("n")?.parse().ok()
    }
}

/// Builds the per-lane rows of one experiment, with speed-ups against its reference lane.
pub fn lane_results(records: &[LaneRecord]) -> Vec<LaneResult> {
    let reference = records.iter().find(|r| r.lane.reference);
    records.iter().map(|r| lane_result(r, reference)).collect()
}

/// One lane's row: its statistics, and its speed-ups (in time, in
/// instructions, phase by phase) over the `reference` lane's.
fn lane_result(r: &LaneRecord, reference_record: Option<&LaneRecord>) -> LaneResult {
    let reference_times = reference_record.map(|r| r.times.as_slice());
    let python = reference_times.and_then(Summary::of);
    let reference_instructions = reference_record
        .and_then(|r| r.instructions.as_ref())
        .map(|i| i.per_call);
    let s = Summary::of(&r.times);
    let speed = s.zip(python).map(|(s, p)| ratio(&p, &s));
    LaneResult {
        record: LaneRecord {
            expected: r.expected.as_deref().map(shorten),
            instructions: None,
            phases: Vec::new(),
            ..r.clone()
        },
        parameters: None,
        build_seconds: None,
        module_bytes: None,
        code: None,
        mean: s.map(|s| s.mean),
        stddev: s.map(|s| s.stddev),
        median: s.map(|s| s.median),
        min: s.map(|s| s.min),
        max: s.map(|s| s.max),
        speedup: speed.map(|(r, _)| r),
        speedup_error: speed.map(|(_, e)| e),
        vs_reference: reference_times
            .filter(|_| !r.lane.reference)
            .and_then(|p| significance::speedup(p, &r.times)),
        warnings: stats::warnings(&r.times),
        notes: lane_notes(r),
        memory_peak_bytes: r.memory.iter().flatten().max().copied(),
        instructions: r.instructions.as_ref().map(|i| i.per_call),
        instructions_counted_size: r
            .instructions
            .as_ref()
            .filter(|i| i.scale != 1.0)
            .and_then(|i| i.counted_size),
        instruction_speedup: reference_instructions
            .zip(r.instructions.as_ref())
            .map(|(reference, i)| reference / i.per_call),
        breakdown: breakdown(r).map(|b| b.categories.clone()),
        hot: breakdown(r).map(|b| b.hot_self.clone()).unwrap_or_default(),
        hot_lines: breakdown(r)
            .map(|b| b.hot_lines.clone())
            .unwrap_or_default(),
        hot_inclusive: breakdown(r)
            .map(|b| b.hot_inclusive.clone())
            .unwrap_or_default(),
        diagnosis: r.instructions.as_ref().and_then(|i| i.diagnosis.clone()),
        python_hot: r
            .instructions
            .as_ref()
            .map(|i| i.python_hot.clone())
            .unwrap_or_default(),
        python_hot_failure: r
            .instructions
            .as_ref()
            .and_then(|i| i.python_hot_failure.clone()),
        phases: phase_results(r, reference_record),
    }
}

/// A JSON value as a report shows it: whole when short; else its start and
/// its size (a million floats are no line to read).
pub fn shorten(json: &str) -> String {
    const SHOWN: usize = 120;
    if json.len() <= SHOWN * 2 {
        return json.to_owned();
    }
    let cut = (0..=SHOWN)
        .rev()
        .find(|&i| json.is_char_boundary(i))
        .unwrap_or(0);
    format!(
        "{}... ({} of JSON)",
        &json[..cut],
        crate::units::bytes(json.len() as u64)
    )
}

fn breakdown(r: &LaneRecord) -> Option<&Breakdown> {
    r.instructions.as_ref()?.breakdown.as_ref()
}

/// A call too short to time alone is repeated and the time divided: the
/// method working as designed, so said once, as information.
fn lane_notes(r: &LaneRecord) -> Vec<String> {
    if r.repeat > 1 {
        vec![format!(
            "each run = {} calls (one is too short to time alone), its time divided by {}",
            r.repeat, r.repeat
        )]
    } else {
        Vec::new()
    }
}

/// A sweep of one experiment: its sizes and what the curves say.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepReport {
    pub experiment: String,
    pub sizes: Vec<u64>,
    /// False when the sweep stopped before its last size.
    pub complete: bool,
    pub trends: Vec<LaneTrend>,
}

impl SweepReport {
    /// The rows of every size (with `parameters`), and what they say.
    pub fn new(exp: &Experiment, sizes: &[u64], points: &[SweepPoint]) -> (Self, Vec<LaneResult>) {
        let rows = points
            .iter()
            .flat_map(|p| {
                lane_results(&p.records).into_iter().map(move |mut row| {
                    row.parameters = Some([("n".to_owned(), p.size.to_string())].into());
                    row
                })
            })
            .collect();
        let geometric = exp.knob.as_ref().is_some_and(|k| !sweep::is_fine(k));
        let report = Self {
            experiment: exp.key.clone(),
            sizes: sizes.to_vec(),
            complete: points.len() == sizes.len(),
            trends: sweep::trends(&exp.key, points, geometric),
        };
        (report, rows)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GilReport {
    pub held: GilRun,
    pub released: GilRun,
    /// T threads of CPU-bound work for Python, Rust holding the GIL and Rust
    /// releasing it: one row per contender and thread count.
    pub scaling: Vec<ScalingRow>,
    /// Whether releasing the GIL beat holding it, and on how many cores.
    pub scaling_check: Option<ScalingCheck>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScalingCheck {
    pub cores: usize,
    pub ok: bool,
    /// A warning, not a failure: too little was free to tell.
    #[serde(default)]
    pub warning: bool,
    pub verdict: String,
}

impl GilReport {
    pub fn new(held: GilRun, released: GilRun, scaling: Option<Scaling>) -> Self {
        let (rows, check) = match scaling {
            Some(s) => (
                s.rows,
                Some(ScalingCheck {
                    cores: s.cores,
                    ok: s.ok,
                    warning: s.warning,
                    verdict: s.verdict,
                }),
            ),
            None => (Vec::new(), None),
        };
        Self {
            held,
            released,
            scaling: rows,
            scaling_check: check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::{Lane, Variant};

    fn record(lane: Lane, seconds: f64) -> LaneRecord {
        LaneRecord {
            times: vec![seconds; 3],
            result: Some("3".into()),
            expected: Some("3".into()),
            memory: vec![None; 3],
            ..LaneRecord::new("wc_folder", lane, "f(1)".into())
        }
    }

    fn report() -> Report {
        let mut r = Report::begin(None, 3, 1);
        r.experiments.push(ExperimentRow {
            experiment: "wc_folder".into(),
            name: "word count".into(),
            description: "counts words".into(),
            args: vec![],
            size: None,
            rewrites: Vec::new(),
        });
        r.results = lane_results(&[
            record(Lane::python("search_py", false, true), 2.1e-8),
            record(Lane::rust("search", Variant::release(), false), 2.9e-8),
        ]);
        r
    }

    #[test]
    fn reports_name_the_experiment_as_lab_toml_does_and_the_reference_as_baseline() {
        let r = report();
        let text = text::render(&r);
        assert!(text.contains("Race: word count"), "{text}");
        assert!(!text.contains("Race: wc_folder"), "{text}");
        assert!(
            text.contains("21.0 ns") && !text.contains("0.0 µs"),
            "{text}"
        );
        assert!(
            text.contains("memory") && text.contains("n/a"),
            "no wrong number: {text}"
        );
        let md = markdown::render(&r);
        assert!(md.contains("**word count**"), "{md}");
        assert!(
            md.contains("| baseline |") && !md.contains("| 1x |"),
            "{md}"
        );
    }

    #[test]
    fn a_speedup_under_a_tenth_is_said_as_slower() {
        assert_eq!(speedup_cell(41.34, 3.21), "41.3 ± 3.2x");
        assert_eq!(speedup_cell(0.0105, 0.001), "95x slower");
        assert_eq!(speedup_cell(0.4, 0.2), "0.4 ± 0.2x");
    }

    #[test]
    fn a_crates_other_pyo3_is_noted() {
        let row = |pyo3: &str| BuildRow {
            krate: "x".into(),
            variant: "release".into(),
            profile: "optimized".into(),
            ok: true,
            reused: false,
            seconds: Some(1.0),
            wheel_bytes: Some(1),
            module_bytes: Some(1),
            line_table_bytes: None,
            clean: Some(false),
            pyo3: Some(pyo3.into()),
            packages: Vec::new(),
            inputs: None,
            module_sha256: None,
            error: None,
        };
        assert_eq!(row("pyo3 0.30.1").pyo3_note().unwrap(), "pyo3 0.30.1");
        assert_eq!(
            row("pyo3 0.22.6").pyo3_note().unwrap(),
            "pyo3 0.22.6 (the lab embeds pyo3 0.30.1)"
        );
        assert_eq!(
            row("pyo3-ffi 0.30.1").pyo3_note().unwrap(),
            "pyo3-ffi 0.30.1"
        );
        assert_eq!(
            row("pyo3 0.30.1").kind(),
            "incremental, dependencies reused"
        );
    }
}
