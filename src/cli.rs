//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::home::places::default_home;
use crate::program::command::{Request, Run};

/// Race Python against its PyO3 port, live, and watch what the GIL does to threads.
///
/// With no options, opens the lab in the terminal. `--check` runs the whole
/// pipeline headless (set-up, builds, race, GIL demo), prints a report and
/// exits 0 only when every build, result and GIL order is right.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Cli {
    /// Run headless: build, race, run the GIL demo, print a report; exit 1 if any check fails.
    #[arg(long)]
    pub check: bool,

    #[command(flatten)]
    pub lab: LabArgs,

    #[command(flatten)]
    pub race: RaceArgs,

    /// With --check: after each race, call every implementation from T Python
    /// threads at once, for each T (1 to 64): does it release the GIL?
    #[arg(long, value_name = "COUNTS", value_delimiter = ',',
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: Option<Vec<u32>>,

    /// With --check: count each lane's instructions per call under Valgrind's
    /// callgrind (a separate run, never the timed one), beside the times.
    #[arg(long)]
    pub instructions: bool,

    /// With --check: one flame graph per lane, DIR/EXPERIMENT-LANE.svg, made
    /// from the instruction counts (implies --instructions).
    #[arg(long, value_name = "DIR")]
    pub flamegraph: Option<PathBuf>,

    /// With --check: after the race, call every lane on K generated inputs and
    /// compare each answer with the reference's (exit 1 on any disagreement).
    #[arg(long, value_name = "K", num_args = 0..=1, default_missing_value = "30",
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub verify: Option<u64>,

    /// With --verify: the seed of the first input (input i uses SEED + i), to
    /// replay a check; a disagreement's seed replays it with --verify 1.
    #[arg(long, value_name = "SEED", requires = "verify")]
    pub verify_seed: Option<u64>,

    /// With --verify: the reference's time a call at most (default 2 s):
    /// sizes foreseen to take longer are left out, and said so.
    #[arg(long, value_name = "SECONDS", requires = "verify", value_parser = budget_seconds)]
    pub verify_budget: Option<f64>,

    /// With --check: race at several sizes of the knob: a list (1000,10000)
    /// or a range A..B in --steps steps (by one on a small knob, else
    /// geometric). Each size gets the full measurement.
    #[arg(long, value_name = "SIZES")]
    pub sweep: Option<String>,

    /// With --sweep A..B: how many sizes.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(2..=100))]
    pub steps: u64,

    /// With --check: write one row per lane and size (or lane, without a
    /// sweep) as CSV, as hyperfine's --export-csv does.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,

    /// With --check: draw the sweep's curves (time against size per lane, log
    /// axes) and the thread scaling as SVG.
    #[arg(long, value_name = "PATH.svg")]
    pub plot: Option<PathBuf>,

    /// With --check: write the whole report as JSON (hyperfine's layout, extended).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// With --check: write the results as Markdown tables.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,

    /// With --check: compare each lane's speed-up over python with a saved --json report.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,

    /// With --baseline: exit 1 when a lane is slower than the baseline by more than
    /// PCT percent, even at the most favourable end of both runs' noise.
    #[arg(long, value_name = "PCT", requires = "baseline")]
    pub fail_if_slower: Option<f64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct LabArgs {
    /// Where the lab keeps its venv, builds and log: by default a per-user
    /// cache ($XDG_CACHE_HOME/pyo3-lab, else ~/.cache/pyo3-lab), shared by
    /// every project
    #[arg(long, value_name = "DIR", default_value_os_t = default_home(), global = true)]
    pub home: PathBuf,

    /// The Python to make the venv from (default: the one pyo3-lab embeds).
    #[arg(long, value_name = "PATH", global = true)]
    pub python: Option<PathBuf>,

    /// The PyPy that runs `route = "pypy"` lanes (default: pypy3 on PATH).
    #[arg(long, value_name = "PATH", global = true)]
    pub pypy: Option<PathBuf>,

    /// The project holding lab/ and assets/ (default: here, else pyo3-lab's source tree).
    #[arg(long, value_name = "DIR", global = true)]
    pub project: Option<PathBuf>,

    /// Race the experiments in DIR: a maturin project with a lab.toml, or a folder
    /// of them. Repeatable. With --check, only these are raced (no GIL demo).
    #[arg(long = "lab", value_name = "DIR", global = true)]
    pub lab: Vec<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct RaceArgs {
    /// The size knob of each experiment raced: N of fib(N) (0..=93, the u64
    /// limit), or the list length of listsum. Default: each lab.toml's own (35).
    #[arg(long)]
    pub n: Option<u64>,

    /// Measured runs per lane: the floor; more rounds are raced while
    /// --budget lasts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub runs: u64,

    /// Seconds of measured rounds to race past --runs (at most 100 rounds):
    /// lanes whose calls are short get the rounds a significance test needs
    /// (8), long ones keep the floor. 0 races exactly --runs.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, value_parser = budget_seconds)]
    pub budget: f64,

    /// Unmeasured warm-up runs per lane, before the measured ones.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub warmup: u64,

    /// The builds whose Rust lanes race: debug, release or both
    /// (default: each lab.toml's `variants`, else both).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub variants: Option<Vec<String>>,

    /// Stop a lane whose single run takes longer than this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure how faithful the lab's numbers are: the python lane against a
    /// plain python3, rust-release against rust-native, side by side. Run it
    /// from a release build: cargo run --release -- bench
    Bench {
        /// N of fib(N).
        #[arg(long, default_value_t = 32)]
        n: u64,
        /// Interleaved rounds.
        #[arg(long, default_value_t = 7)]
        rounds: usize,
    },
    /// Scaffold a new experiment (maturin project + lab.toml + reference.py)
    /// that builds and races as it stands: then `pyo3-lab --lab NAME`.
    New {
        /// The experiment's name: crate, Python module and folder.
        name: String,
        /// Where to create the folder.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// A numpy kernel instead: a Python loop, numpy, and Rust taking a
        /// list (Vec<f64>) and an array (a zero-copy view).
        #[arg(long, conflicts_with = "class")]
        numpy: bool,
        /// A class instead: a Python class and its #[pyclass] port, raced
        /// through a scenario phase by phase (construct, methods, attribute).
        #[arg(long, conflicts_with = "routes")]
        class: bool,
        /// Every route to speed beside the Rust port: the Python function
        /// compiled by Cython and by mypyc, and jitted by Numba.
        #[arg(long, conflicts_with = "numpy")]
        routes: bool,
        /// The port of a program's function that has none yet, from what
        /// `pyo3-lab profile` recorded of it here: its suggested signature,
        /// its Python as a comment, todo!() for a body, raced on its calls.
        #[arg(long, value_name = "MODULE:FUNCTION", conflicts_with_all = ["numpy", "class", "routes"])]
        from: Option<String>,
    },
    /// Write a lab.toml for an existing maturin project, read as it is: the
    /// exports of its #[pymodule] (by syn), each function's Python twin by
    /// name (search_py, py_search, a `pure` module...), every export with the
    /// same parameters as a lane, and the inputs, fixtures and expected result
    /// of its own pytest-benchmark tests; a marked TODO for what is not found
    Init {
        /// The maturin project (the folder with Cargo.toml and pyproject.toml).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Name the function families init could write, and write nothing.
        #[arg(long, conflicts_with_all = ["function", "check"])]
        list: bool,
        /// Write the family of this function (an export or its twin) instead
        /// of the first.
        #[arg(long, value_name = "NAME")]
        function: Option<String>,
        /// Then race it once, headless, as `--check --lab DIR` does.
        #[arg(long)]
        check: bool,
    },
    /// Set the --json reports of several runs side by side (a CI matrix, two
    /// branches): each lane's speed-up in each, and whether it differs from
    /// the first report's significantly.
    Compare {
        /// Two or more reports of `--check --json`; the first is the one the
        /// others are set against.
        #[arg(required = true, num_args = 2.., value_name = "REPORT.json")]
        reports: Vec<PathBuf>,
        /// Also write the table as Markdown (a CI job summary).
        #[arg(long, value_name = "PATH")]
        markdown: Option<PathBuf>,
        /// Exit 1 when a lane is slower than in the first report by more than
        /// PCT percent, significantly.
        #[arg(long, value_name = "PCT")]
        fail_if_slower: Option<f64>,
    },
    /// Profile a program that imports a maturin project: where its time goes
    /// (py-spy's samples), what porting each function could buy the whole
    /// program at most (Amdahl), which already has a Rust port, and how the
    /// top candidates are really called (recorded, with their types and the
    /// Rust signature they suggest). Run it in the project:
    /// pyo3-lab profile -- python app.py
    Profile {
        /// How many of the program's own functions to record, by own time.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Record this function too (repeatable).
        #[arg(long, value_name = "NAME")]
        record: Vec<String>,
        /// Functions shown.
        #[arg(long, default_value_t = 12)]
        rows: usize,
        #[command(flatten)]
        program: ProgramArgs,
    },
    /// Run a program as it is and with each Rust port in place of its Python
    /// twin, in paired rounds: the end-to-end speed-up, beside what the
    /// profile predicted, and the program's exit code and stdout compared.
    Swap {
        /// Paired rounds (8 or more for the paired test to call a difference).
        #[arg(long, default_value_t = crate::program::swap::ROUNDS,
              value_parser = clap::value_parser!(u64).range(2..=1000))]
        rounds: u64,
        /// Swap only this function (its twin's or its export's name; repeatable).
        #[arg(long = "swap", value_name = "NAME")]
        only: Vec<String>,
        #[command(flatten)]
        program: ProgramArgs,
    },
    /// Show the lab home's size by kind and remove the builds, wheels and
    /// logs of crate folders that no longer exist. Waits for a lab that is
    /// building in the same home.
    Clean {
        /// Also remove the builds not used for this many days.
        #[arg(long, value_name = "DAYS", value_parser = days)]
        unused_for: Option<std::time::Duration>,
        /// Remove everything but the venv: every build and compiled crate.
        #[arg(long, conflicts_with = "unused_for")]
        all: bool,
        /// Say what would be removed and free, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Internal: the embedded-Python worker a lab process starts.
    #[command(name = "__worker", hide = true)]
    Worker {
        /// Directories to put first on sys.path.
        #[arg(long = "path")]
        paths: Vec<PathBuf>,
    },
}

/// What `profile` and `swap` share: the project, the program, its time
/// limit, the JSON.
#[derive(Debug, Args, Clone)]
pub struct ProgramArgs {
    /// The maturin project the program imports, built (release) first.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Stop a run of the program after this long.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::program::run::TIMEOUT_SECONDS)]
    pub timeout: u64,
    /// Also write what was found as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// The program: python SCRIPT ARGS, python -m MODULE ARGS, or pytest ARGS.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

impl Command {
    /// `profile` or `swap`, in the program's own terms; None for the others.
    pub fn program_request(&self) -> Option<Request> {
        Some(match self {
            Command::Profile {
                top,
                record,
                rows,
                program,
            } => Request::Profile {
                top: *top,
                record: record.clone(),
                rows: *rows,
                run: program.run(),
            },
            Command::Swap {
                rounds,
                only,
                program,
            } => Request::Swap {
                rounds: *rounds as usize,
                only: only.clone(),
                run: program.run(),
            },
            _ => return None,
        })
    }
}

impl ProgramArgs {
    fn run(&self) -> Run {
        Run {
            dir: self.dir.clone(),
            timeout: std::time::Duration::from_secs(self.timeout),
            json: self.json.clone(),
            cmd: self.cmd.clone(),
        }
    }
}

/// `--budget`: a finite number of seconds, 0 to 600.
/// `--unused-for`: a whole number of days, 0 or more.
fn days(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<u64>()
        .map(|d| std::time::Duration::from_secs(d * 86_400))
        .map_err(|_| format!("{text} is not a whole number of days"))
}

fn budget_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=600.0).contains(&s) => Ok(s),
        _ => Err(format!("{text} is not a number of seconds from 0 to 600")),
    }
}
