//! The engine's shared value types: what builds, races and GIL runs produce,
//! and what the engine's events carry. Every other engine file may import
//! these; this file imports none of them but the leaf `variant`, so imports
//! run one way only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

// ---- builds ----------------------------------------------------------------

pub use super::variant::Variant;
#[allow(unused_imports)] // the loader's, through this one door
pub use super::variant::VariantSpec;

/// One build: a maturin project in one variant. `krate` is its key in the lab
/// (the folder's name), which names its outputs in the lab home.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub krate: String,
    pub variant: Variant,
    pub dir: PathBuf,
    /// What Python imports (lab.toml's `module`): its module must define
    /// `PyInit_<last part>`. None takes the name of the file maturin built.
    pub module: Option<String>,
    /// The Python packages its experiment asks for (PEP 508 strings).
    pub requires: Vec<String>,
    /// A profile-guided build's training: the experiment's own calls, and
    /// what they import besides the build (the reference, the packages).
    pub training: Training,
    pub training_paths: Vec<PathBuf>,
    /// The twin of a release build with line tables, made only for
    /// `--instructions` and never raced: line tables move the code (a
    /// 16-byte shift was an 18% slower lane), so the raced module is the
    /// build the user ships and the counted one has the same instructions.
    pub counted: bool,
}

/// A PGO build's training calls. A build's identity (its key in maps and
/// sets) takes them by their wire form: JSON arguments have no order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Training(pub Vec<crate::worker::protocol::Call>);

impl Training {
    fn key(&self) -> String {
        serde_json::to_string(&self.0).expect("calls serialise")
    }
}

impl Eq for Training {}

impl std::hash::Hash for Training {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for Training {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Training {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Target {
    pub fn new(krate: &str, dir: &Path, variant: Variant) -> Self {
        Self {
            krate: krate.to_owned(),
            variant,
            dir: dir.to_path_buf(),
            module: None,
            requires: Vec::new(),
            training: Training::default(),
            training_paths: Vec::new(),
            counted: false,
        }
    }

    /// Its twin with line tables, only counted (`--instructions`).
    pub fn counted(&self) -> Self {
        Self {
            counted: true,
            ..self.clone()
        }
    }

    /// How its outputs are named in the lab home: the variant's name, and
    /// `+lines` for a counted twin.
    pub fn build_name(&self) -> String {
        if self.counted {
            format!("{}+lines", self.variant.name())
        } else {
            self.variant.name().to_owned()
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.krate, self.build_name())
    }
}

/// A successful build, as recorded in its manifest once the wheel is unpacked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// Hash of everything the build is made from; equal hashes mean no rebuild.
    pub inputs: String,
    /// The crate folder it was built from: `pyo3-lab clean` removes the
    /// builds of folders that are gone (older records do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crate_dir: Option<PathBuf>,
    pub seconds: f64,
    pub wheel_bytes: u64,
    /// The extension module (`.so`) inside the unpacked wheel.
    pub module: PathBuf,
    pub module_bytes: u64,
    /// Of `module_bytes`, the line tables (`.debug_*` sections): a counted
    /// twin's, or what the user's own profile asks for; Python never loads them.
    #[serde(default)]
    pub line_table_bytes: u64,
    pub module_sha256: String,
    /// True when this run reused the build instead of compiling.
    #[serde(skip)]
    pub fresh: bool,
    /// Whether pyo3 itself was compiled (clean) or reused from an earlier
    /// build in the shared target directory (incremental); None when unknown.
    #[serde(default)]
    pub clean: Option<bool>,
    /// The PyO3 the crate resolved in its Cargo.lock: `pyo3 0.30.1`.
    #[serde(default)]
    pub pyo3: Option<String>,
    /// The Python packages installed for its experiment: `numpy 2.3.5`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

impl BuildInfo {
    /// The module as Python loads it: its file without the line tables.
    pub fn shipped_bytes(&self) -> u64 {
        self.module_bytes.saturating_sub(self.line_table_bytes)
    }
}

// ---- races -----------------------------------------------------------------

/// Another route to speed than a Rust port, for a `[[python]]` table: its
/// code compiled (Cython, mypyc), JIT-compiled (Numba) or run by another
/// interpreter (PyPy) as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// The `.py` file (pure mode) or a `.pyx` with C types, by `cythonize -i`.
    Cython,
    /// The annotated `.py` file, by mypyc.
    Mypyc,
    /// `numba.njit` applied to the function (unless it is already jitted).
    Numba,
    /// The file run by PyPy (`pypy3`), in a worker of its own.
    Pypy,
}

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Route::Cython => "cython",
            Route::Mypyc => "mypyc",
            Route::Numba => "numba",
            Route::Pypy => "pypy",
        }
    }

    /// The tool it needs, pinned as maturin is: installed with the
    /// experiment's own packages when an experiment first names the route.
    /// PyPy is an interpreter of its own, which no pip installs.
    pub fn requirement(self) -> Option<&'static str> {
        match self {
            Route::Cython => Some("cython==3.3.1"),
            Route::Mypyc => Some("mypy==2.4.1"),
            Route::Numba => Some("numba==0.68.1"),
            Route::Pypy => None,
        }
    }

    /// Whether the route makes an extension module before the race (so the
    /// lane must load compiled code, never the `.py` beside it).
    pub fn builds(self) -> bool {
        matches!(self, Route::Cython | Route::Mypyc)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a lane runs: the reference's language, a compiled extension, or the
/// algorithm built into pyo3-lab itself (no Python at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
    Native,
}

/// One contender of a race: an implementation in one build (Rust), or as it
/// is (Python, native). `name` is unique within its experiment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Lane {
    /// The lane's unique label: `python`, `rust-release`, `search (release)`
    /// (the report's `lane`).
    #[serde(rename = "lane")]
    pub name: String,
    /// The implementation's label (its function's name unless lab.toml says).
    #[serde(default)]
    pub implementation: String,
    pub language: Language,
    /// The build it loads (null for Python and native lanes).
    #[serde(default)]
    pub variant: Option<Variant>,
    /// The first Python implementation: every other lane is checked against it.
    #[serde(default)]
    pub reference: bool,
    /// A Python implementation's route to speed other than CPython.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
}

/// The built-in lane names, kept when an experiment has one function a side,
/// so that older reports and baselines still match.
pub const PYTHON_LANE: &str = "python";
pub const NATIVE_LANE: &str = "rust-native";
pub const BUILTIN_LANES: [&str; 4] = [PYTHON_LANE, "rust-debug", "rust-release", NATIVE_LANE];

impl Lane {
    pub fn python(label: &str, single: bool, reference: bool) -> Self {
        Self {
            name: if single {
                PYTHON_LANE.into()
            } else {
                label.into()
            },
            implementation: label.into(),
            language: Language::Python,
            variant: None,
            reference,
            route: None,
        }
    }

    /// Whether the lane must load compiled code: a Rust build's, or a module
    /// a route built (Cython, mypyc), never a `.py` found in its place.
    pub fn is_compiled(&self) -> bool {
        self.language == Language::Rust || self.route.is_some_and(Route::builds)
    }

    /// A Python implementation taken by `route`: named by its label.
    pub fn routed(label: &str, route: Route) -> Self {
        Self {
            route: Some(route),
            ..Self::python(label, false, false)
        }
    }

    pub fn rust(label: &str, variant: Variant, single: bool) -> Self {
        Self {
            name: if single {
                // `rust-native` is pyo3-lab's own recursion, no Python: the
                // `native` build's lane says what it is instead.
                match format!("rust-{}", variant.name()) {
                    taken if taken == NATIVE_LANE => "rust-target-native".into(),
                    name => name,
                }
            } else {
                format!("{label} ({})", variant.name())
            },
            implementation: label.into(),
            language: Language::Rust,
            variant: Some(variant),
            reference: false,
            route: None,
        }
    }

    pub fn native() -> Self {
        Self {
            name: NATIVE_LANE.into(),
            implementation: NATIVE_LANE.into(),
            language: Language::Native,
            variant: None,
            reference: false,
            route: None,
        }
    }
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// How one timed run of one lane ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome {
    Done {
        seconds: f64,
        result: String,
        correct: bool,
        /// A scenario's phases, seconds per call each, in order.
        phases: Vec<(String, f64)>,
    },
    Failed(String),
}

/// Everything measured of one lane. The report's lane row carries it whole
/// (serde's names are the report's JSON keys); the counts and phases, which
/// the row gives in its own summed-up form, are not written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneRecord {
    pub experiment: String,
    #[serde(flatten)]
    pub lane: Lane,
    pub command: String,
    /// Measured runs only, warm-ups left out; seconds per call.
    pub times: Vec<f64>,
    /// Calls per timed run (above 1 when one call is too short to time).
    #[serde(rename = "calls_per_run")]
    pub repeat: u32,
    pub result: Option<String>,
    /// What the result was checked against, as JSON; None when nothing was
    /// known. (A report writes it cut short when long.)
    pub expected: Option<String>,
    pub correct: bool,
    /// Where a wrong result first differs from the expected one, and by how much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    /// Why the lane stopped early, if it did.
    pub failure: Option<String>,
    /// The cost of one call of a trivial function across the same boundary, in ns.
    pub overhead_ns: Option<f64>,
    /// Each measured run's resident peak above the level before its calls
    /// (None where it cannot be measured), beside `times`.
    #[serde(rename = "memory_runs_bytes", default)]
    pub memory: Vec<Option<u64>>,
    /// tracemalloc's peak over one more, untimed run (Python lanes).
    #[serde(rename = "tracemalloc_peak_bytes", default)]
    pub traced_bytes: Option<u64>,
    /// A JIT route's first call (Numba): its compile time and one run,
    /// made before and apart from every timed run.
    #[serde(
        rename = "first_call_seconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub first_call: Option<f64>,
    /// Instructions per call, counted under callgrind, when asked for.
    #[serde(skip)]
    pub instructions: Option<Instructions>,
    /// Why a lane's instructions cannot be counted, when they were asked
    /// for and cannot be (PyPy's JIT): said, and no problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<String>,
    /// A scenario's phases in order, each with its time per measured run,
    /// beside `times`.
    #[serde(skip)]
    pub phases: Vec<PhaseTimes>,
}

/// One phase of a scenario: its name and its seconds per call in each
/// measured run.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseTimes {
    pub name: String,
    pub times: Vec<f64>,
}

impl PhaseTimes {
    /// Adds one run's phases to `kept`, which holds `runs` runs so far: a
    /// phase missing from a run counts 0 there, so every list stays beside
    /// the lane's times.
    pub fn add_run(kept: &mut Vec<PhaseTimes>, runs: usize, phases: &[(String, f64)]) {
        for (name, t) in phases {
            match kept.iter_mut().find(|p| p.name == *name) {
                Some(p) => p.times.push(*t),
                None => kept.push(PhaseTimes {
                    name: name.clone(),
                    times: std::iter::repeat_n(0.0, runs).chain([*t]).collect(),
                }),
            }
        }
        for p in kept.iter_mut() {
            p.times.resize(runs + 1, 0.0);
        }
    }
}

impl LaneRecord {
    /// Keeps one measured run: its time, its memory, its phases (a phase
    /// missing from some run counts 0 there, so every list stays beside
    /// `times`).
    pub fn push_run(&mut self, seconds: f64, memory: Option<u64>, phases: &[(String, f64)]) {
        PhaseTimes::add_run(&mut self.phases, self.times.len(), phases);
        self.times.push(seconds);
        self.memory.push(memory);
    }

    /// Drops the last measured run (one made with a call count since changed).
    pub fn pop_run(&mut self) {
        self.times.pop();
        self.memory.pop();
        for p in &mut self.phases {
            p.times.pop();
        }
    }

    /// A lane about to run: nothing measured yet, nothing wrong yet.
    pub fn new(experiment: &str, lane: Lane, command: String) -> Self {
        Self {
            experiment: experiment.to_owned(),
            lane,
            command,
            times: Vec::new(),
            repeat: 1,
            result: None,
            expected: None,
            correct: true,
            mismatch: None,
            failure: None,
            overhead_ns: None,
            memory: Vec::new(),
            traced_bytes: None,
            first_call: None,
            instructions: None,
            not_counted: None,
            phases: Vec::new(),
        }
    }
}

/// Instructions per call, counted under Valgrind's callgrind on a separate
/// run (never the timed ones), at `size` (which may be smaller than the
/// race's, then scaled by the exact work ratio `scale`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instructions {
    pub per_call: f64,
    pub counted_size: Option<u64>,
    pub scale: f64,
    /// Where they go, from the same callgrind file.
    #[serde(default)]
    pub breakdown: Option<Breakdown>,
    /// What the breakdown means, for a Rust lane.
    #[serde(default)]
    pub diagnosis: Option<String>,
    /// The profile as folded stacks (`a;b;c cost`, per the counted calls),
    /// for a flame graph; not part of the report.
    #[serde(skip)]
    pub folded: Vec<String>,
    /// A Python lane's own functions by cumulative time, from one more call
    /// under cProfile: the one to port first leads.
    #[serde(default)]
    pub python_hot: Vec<PyHot>,
    /// Why cProfile could not say (a C function with no Python frames).
    #[serde(default)]
    pub python_hot_failure: Option<String>,
}

// ---- the GIL demo and scaling ----------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GilMode {
    Held,
    Released,
}

impl GilMode {
    pub fn name(self) -> &'static str {
        match self {
            GilMode::Held => "held",
            GilMode::Released => "released",
        }
    }

    /// The function of the `gil` extension that the scenario's Rust thread runs.
    pub fn function(self) -> &'static str {
        match self {
            GilMode::Held => "double_list",
            GilMode::Released => "double_list_released",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            GilMode::Held => "Rust holds the GIL (the chapter's double_list)",
            GilMode::Released => "Rust releases the GIL (py.detach)",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Thread {
    Python,
    Rust,
}

/// One printed line of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// Seconds since the scenario started.
    pub t: f64,
    pub thread: Thread,
    pub text: String,
}

impl LogLine {
    /// The scenario's lines say who prints them: "Py: ..." or "Rust: ...".
    pub fn new(t: f64, text: String) -> Self {
        let thread = if text.starts_with("Rust") {
            Thread::Rust
        } else {
            Thread::Python
        };
        Self { t, thread, text }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GilRun {
    pub mode: GilMode,
    pub function: String,
    pub events: Vec<LogLine>,
    /// The phase marks both threads left, and what they were doing between them.
    pub marks: Vec<Mark>,
    pub timeline: Vec<Segment>,
    /// Seconds the Python thread spent waiting for the GIL.
    pub python_waited: f64,
    pub seconds: f64,
    pub result: Option<String>,
    /// What the run shows, in one line.
    pub verdict: String,
    pub ok: bool,
}

/// A phase mark: `what` the thread began at `t` seconds from the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub t: f64,
    pub thread: Thread,
    pub what: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    /// Running Python code (holding the GIL, as Python code must).
    Python,
    /// Sleeping without the GIL (`time.sleep` lets go of it).
    Sleeping,
    /// Running Rust while holding the GIL: every Python thread is stopped.
    RustWithGil,
    /// Running Rust after `py.detach`: Python threads may run meanwhile.
    RustWithoutGil,
    /// Ready to run, but another thread holds the GIL.
    WaitingForGil,
}

impl Activity {
    pub fn describe(self) -> &'static str {
        match self {
            Activity::Python => "running Python",
            Activity::Sleeping => "sleeping",
            Activity::RustWithGil => "Rust, holding the GIL",
            Activity::RustWithoutGil => "Rust, GIL released",
            Activity::WaitingForGil => "waiting for the GIL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub thread: Thread,
    pub start: f64,
    pub end: f64,
    pub activity: Activity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingRow {
    pub contender: String,
    pub threads: u32,
    /// Wall time of the whole batch.
    pub wall: f64,
    /// Throughput against one thread: threads × wall(1) / wall(threads).
    pub speedup: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    pub cores: usize,
    pub rows: Vec<ScalingRow>,
    pub ok: bool,
    /// The verdict is a warning: the machine gave too little to tell, or a
    /// contender was only partly parallel. Not a failure.
    pub warning: bool,
    pub verdict: String,
}

// ---- sweeps and the differential check -------------------------------------

/// One size of a sweep and every lane's record there.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    pub size: u64,
    pub records: Vec<LaneRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub seed: u64,
    /// The call, as a person would write it.
    pub input: String,
    pub reference: String,
    pub lane: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyRecord {
    pub experiment: String,
    pub lane: String,
    pub tried: usize,
    pub agreed: usize,
    /// The smallest disagreements (by the length of the call), in full.
    pub disagreements: Vec<Disagreement>,
    pub seed: u64,
    /// The sizes the check reached, where the knob was varied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// Which of the knob's declared sizes a differential check tried: drawn
/// over the whole range, those the reference could not afford left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The knob's `min` and `max` in lab.toml.
    pub declared: (u64, u64),
    /// The smallest and largest size tried.
    pub tried: (u64, u64),
    /// Inputs drawn but not tried: the reference would have taken longer
    /// than `budget_seconds` a call.
    pub skipped: usize,
    /// Above this size the reference would take more than the budget a
    /// call (from the growth fitted to the calls made), when some were
    /// skipped.
    pub ceiling: Option<u64>,
    pub budget_seconds: f64,
}

impl Coverage {
    /// "sizes 1 to 1,000,000 covered; above 400,000 the reference would take
    /// more than 2 s a call (3 inputs left out)".
    pub fn describe(&self) -> String {
        let n = crate::units::thousands;
        let mut out = format!(
            "sizes {} to {} covered, of {} to {} declared",
            n(self.tried.0),
            n(self.tried.1),
            n(self.declared.0),
            n(self.declared.1)
        );
        if let Some(ceiling) = self.ceiling {
            out.push_str(&format!(
                "; above {} the reference would take more than {} s a call ({} input(s) left out)",
                n(ceiling),
                self.budget_seconds,
                self.skipped
            ));
        }
        out
    }
}

// ---- why: where a lane's instructions go ---------------------------------

/// Who spent an instruction. Self costs only: each function's own
/// instructions go to its category, never its callees'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The extension's own code (and what the compiler inlined into it).
    Crate,
    /// PyO3's glue: argument extraction, conversions, wrappers, GIL and
    /// reference-count bookkeeping.
    Pyo3,
    /// Rust's own library (`core`, `alloc`, `std`) inlined into the
    /// extension or called by it.
    #[serde(rename = "rust_std")]
    RustStd,
    /// CPython's C-API called from the extension, and what it calls.
    Cpython,
    /// CPython running Python code: the evaluation loop and what it calls.
    Interpreter,
    /// malloc, free, realloc, and Python's object allocator.
    Allocator,
    /// Everything else: libc, the loader, the lab's own call harness.
    Other,
    /// Machine code a JIT wrote at run time (Numba's): no object file holds
    /// it, so it has no name but its address.
    Jit,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Crate,
        Category::Pyo3,
        Category::RustStd,
        Category::Cpython,
        Category::Interpreter,
        Category::Allocator,
        Category::Other,
        Category::Jit,
    ];

    /// The columns a table of these breakdowns shows: every category, but
    /// `jit` only where some lane spent in it.
    pub fn columns<'a>(
        breakdowns: impl IntoIterator<Item = &'a BTreeMap<Category, f64>>,
    ) -> Vec<Category> {
        let jit = breakdowns
            .into_iter()
            .any(|b| b.get(&Category::Jit).is_some_and(|&v| v > 0.0));
        Self::ALL
            .into_iter()
            .filter(|&c| c != Category::Jit || jit)
            .collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Category::Crate => "crate",
            Category::Pyo3 => "pyo3",
            Category::RustStd => "rust std",
            Category::Cpython => "cpython",
            Category::Interpreter => "interpreter",
            Category::Allocator => "allocator",
            Category::Other => "other",
            Category::Jit => "jit",
        }
    }
}

/// A function and what it spent per call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hot {
    pub function: String,
    #[serde(rename = "self")]
    pub self_cost: f64,
    pub inclusive: f64,
}

/// One of the crate's own source lines and what it spent per call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HotLine {
    /// The file, relative to the crate: `src/lib.rs`.
    pub file: String,
    pub line: u32,
    /// The line as it is on disk, trimmed.
    pub text: String,
    pub instructions: f64,
    /// Its share of all the lane's instructions, 0 to 1.
    pub share: f64,
}

/// One of a Python reference's own functions, from one call under cProfile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PyHot {
    pub function: String,
    /// Seconds in it and what it called, in that (untimed) call.
    pub cumulative_s: f64,
    /// Its share of the call, 0 to 1.
    pub share: f64,
}

/// A lane's instructions per call, by category, with its hottest functions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Category name → instructions per call; they add up to the lane's.
    pub categories: BTreeMap<Category, f64>,
    /// The top functions by self cost.
    pub hot_self: Vec<Hot>,
    /// The top functions by inclusive cost.
    pub hot_inclusive: Vec<Hot>,
    /// False when the extension carries no symbols: the split is not made.
    pub symbols: bool,
    /// False when the extension has no line tables: code inlined across
    /// crates is charged to the function it was inlined into.
    #[serde(default = "yes")]
    pub line_tables: bool,
    /// The crate's own hottest source lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot_lines: Vec<HotLine>,
    /// Counted under a scenario: many method calls made by Python code,
    /// not one call on converted arguments.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scenario: bool,
}

fn yes() -> bool {
    true
}

impl Breakdown {
    pub fn total(&self) -> f64 {
        self.categories.values().sum()
    }

    /// A category's share of the whole, 0 to 1.
    pub fn share(&self, c: Category) -> f64 {
        share_of(&self.categories, c)
    }
}

/// A category's share of a split's whole, 0 to 1 (0 for an empty split):
/// the one rule for the report's tables and the terminal's bars.
pub fn share_of(categories: &BTreeMap<Category, f64>, c: Category) -> f64 {
    let total: f64 = categories.values().sum();
    categories.get(&c).copied().unwrap_or(0.0) / total.max(f64::MIN_POSITIVE)
}

/// What a route build made, kept beside its module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteBuild {
    pub route: Route,
    /// The file it was made from.
    pub source: PathBuf,
    /// The module's file, in `dir`.
    pub module_file: PathBuf,
    pub module_bytes: u64,
    /// How long the tool took when it made it.
    pub seconds: f64,
    /// The tool, as pinned: `cython==3.3.1`.
    pub tool: String,
    /// Taken from an earlier build of the same inputs.
    #[serde(skip)]
    pub fresh: bool,
}
