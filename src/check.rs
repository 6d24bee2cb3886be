//! `pyo3-lab --check`: the engine's jobs run headless, a report, an exit code.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cancel::{self, Cancel};
use crate::cli::Cli;
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::{Experiment, LoadError, SizeError, parse_variants};
use crate::engine::measure::sweep;
use crate::engine::measure::verify::VerifyConfig;
use crate::engine::pipeline::{Job, JobReport, RaceJob};
use crate::engine::types::{RunOutcome, Variant};
use crate::engine::{DEFAULT_EXPERIMENT, Lab};
use crate::report::error::FileError;
use crate::report::export::{self, Outputs};
use crate::report::{self, ExperimentRow, GilReport, Machine, Report, baseline};
use crate::units;
use crate::units::bytes;

/// A usage error: bad options, caught before anything runs.
const USAGE: u8 = 2;

/// A scenario's phases as the progress lines show them: " (insert 1.2 ms,
/// lookup 0.8 ms)"; nothing for a plain call.
fn phases_text(phases: &[(String, f64)]) -> String {
    if phases.is_empty() {
        return String::new();
    }
    let each: Vec<String> = phases
        .iter()
        .map(|(name, t)| format!("{name} {}", units::seconds(*t)))
        .collect();
    format!(" ({})", each.join(", "))
}

/// Progress goes to stderr, one line per step, so stdout holds the report alone.
pub fn progress_printer() -> Sink {
    Arc::new(|event| match event {
        Event::Status(s) => eprintln!("[setup] {s}"),
        Event::BuildStarted(t) => eprintln!("[build] {t}: checking"),
        Event::BuildRestarted(t, why) => eprintln!("[build] {t}: {why}"),
        Event::Waiting(why) => eprintln!("[lock] {why}"),
        Event::BuildFinished(t, Ok(info)) if info.fresh => eprintln!("[build] {t}: up to date"),
        Event::BuildFinished(t, Ok(info)) => {
            eprintln!("[build] {t}: built in {:.1} s", info.seconds)
        }
        Event::BuildFinished(t, Err(e)) => eprintln!("[build] {t}: FAILED: {e}"),
        Event::RouteLine(lane, line) => eprintln!("[route] {lane}: {line}"),
        Event::RouteBuilt(lane, b) if b.fresh => eprintln!("[route] {lane}: up to date"),
        Event::RouteBuilt(lane, b) => eprintln!(
            "[route] {lane}: built by {} in {:.1} s, module {}",
            b.tool,
            b.seconds,
            bytes(b.module_bytes)
        ),
        Event::LaneFinished {
            lane,
            run,
            warmup,
            outcome,
        } => {
            let what = match outcome {
                RunOutcome::Done {
                    seconds,
                    result,
                    correct,
                    phases,
                } => format!(
                    "{} per call{}, {result} {}",
                    units::seconds(seconds),
                    phases_text(&phases),
                    if correct { "right" } else { "WRONG" }
                ),
                RunOutcome::Failed(why) => why,
            };
            let kind = if warmup { "warm-up" } else { "run" };
            eprintln!("[race] {lane} {kind} {}: {what}", run + 1)
        }
        Event::GilStarted(mode) => eprintln!("[gil] running with the GIL {}", mode.name()),
        Event::ScalingStarted => eprintln!("[gil] scaling: calibrating the batches"),
        Event::ScalingProgress { done, of } => {
            eprintln!("[gil] scaling: {done} of {of} rounds of batches measured")
        }
        Event::SweepPoint(p) => eprintln!("[sweep] N = {} measured", p.size),
        Event::Counting(lane) => eprintln!("[instructions] {lane}: counting under callgrind"),
        Event::Counted(lane, Ok(i)) => eprintln!(
            "[instructions] {lane}: {} per call",
            units::count(i.per_call)
        ),
        Event::Counted(lane, Err(e)) => eprintln!("[instructions] {lane}: FAILED: {e}"),
        Event::Verified(v) => eprintln!(
            "[verify] {} {}: {} of {} inputs agree",
            v.experiment, v.lane, v.agreed, v.tried
        ),
        _ => {}
    })
}

/// Instructions are counted when asked for, or when flame graphs are: they
/// are drawn from the same run.
fn counts_instructions(cli: &Cli) -> bool {
    cli.instructions || cli.flamegraph.is_some()
}

/// What the options ask for, checked before anything is built.
struct Plan {
    experiments: Vec<Experiment>,
    /// The sizes of each experiment's sweep, when --sweep asks for one.
    sweeps: Vec<Vec<u64>>,
    timeout: Option<Duration>,
    variants: Option<Vec<Variant>>,
    baseline: Option<Report>,
    /// The files the report is written to.
    outputs: Outputs,
}

/// What is wrong with the command line (exit 2), with its cause.
#[derive(Debug, thiserror::Error)]
enum Usage {
    /// A flag's value that cannot be used; the message names the flag.
    #[error("{0}")]
    Flag(String),
    #[error("--n: {0}")]
    N(SizeError),
    #[error(transparent)]
    Sweep(#[from] SizeError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("--baseline {}: {source}", path.display())]
    Baseline {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--baseline {}: not a pyo3-lab --json report ({source})", path.display())]
    NotAReport {
        path: std::path::PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

fn plan(cli: &Cli, lab: &Lab) -> Result<Plan, Usage> {
    let experiments: Vec<Experiment> = if cli.lab.lab.is_empty() {
        lab.experiment(DEFAULT_EXPERIMENT).into_iter().collect()
    } else {
        lab.experiments()
    };
    let timeout = match cli.race.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => {
            return Err(Usage::Flag(format!(
                "--timeout must be a positive number of seconds, not {t}"
            )));
        }
        t => t.map(Duration::from_secs_f64),
    };
    let variants = match &cli.race.variants {
        None => None,
        Some(names) => Some(parse_variants(names, "--variants", &lab.variants())?),
    };
    for exp in &experiments {
        exp.args_for(cli.race.n).map_err(Usage::N)?;
    }
    let sweeps = match &cli.sweep {
        None => Vec::new(),
        Some(spec) => experiments
            .iter()
            .map(|e| sweep::sizes(e, spec, cli.steps as usize))
            .collect::<Result<_, _>>()?,
    };
    if let Some(dir) = &cli.flamegraph {
        report::flame::check_dir(dir)?;
    }
    let outputs = Outputs {
        json: cli.json.clone(),
        markdown: cli.markdown.clone(),
        csv: cli.csv.clone(),
        plot: cli.plot.clone(),
    };
    outputs.check_writable()?;
    let baseline = match &cli.baseline {
        None => None,
        Some(path) => Some(read_baseline(path)?),
    };
    if cli
        .fail_if_slower
        .is_some_and(|p| !(p >= 0.0 && p.is_finite()))
    {
        return Err(Usage::Flag(
            "--fail-if-slower takes a percentage of 0 or more".into(),
        ));
    }
    Ok(Plan {
        experiments,
        sweeps,
        timeout,
        variants,
        baseline,
        outputs,
    })
}

fn read_baseline(path: &Path) -> Result<Report, Usage> {
    let bytes = std::fs::read(path).map_err(|source| Usage::Baseline {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| Usage::NotAReport {
        path: path.to_owned(),
        source,
    })
}

pub fn run(cli: &Cli, lab: Lab, load_errors: Vec<LoadError>) -> ExitCode {
    if counts_instructions(cli)
        && let Err(missing) = crate::engine::why::instructions::valgrind()
    {
        eprintln!("error: {missing}");
        return ExitCode::FAILURE;
    }
    // A lab.toml that did not load comes first: an option that names what
    // it would have defined (one of its [[variant]]s) fails because of it.
    for e in &load_errors {
        eprintln!("error: {e}");
    }
    let plan = match plan(cli, &lab) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let mut report = Report::begin(cli.race.n, cli.race.runs as usize, cli.race.warmup as usize);
    report.problems = load_errors.iter().map(ToString::to_string).collect();
    let complete = check(cli, &lab, &plan, &mut report);
    if let Some(before) = &plan.baseline {
        report.baseline = baseline::compare(before, &report);
        if let Some(pct) = cli.fail_if_slower {
            for c in baseline::regressions(&report.baseline, pct) {
                report.problems.push(format!(
                    "slower than the baseline by more than {pct}%: {}",
                    c.describe()
                ));
            }
        }
    }
    report.finish(complete);
    export::print(&report);
    if export::save(&plan.outputs, &report) && report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A sweep's rows and trends, once its experiment is known.
fn add_sweep(lab: &Lab, report: &mut Report, race: &RaceJob, sizes: &[u64], done: &JobReport) {
    if let Ok(exp) = lab.experiment(&race.experiment) {
        report.add_sweep(&exp, sizes, done);
    }
}

/// Runs the jobs one by one, saving the report after each so a later failure
/// or Ctrl-C loses nothing measured. Returns whether it got to the end.
fn check(cli: &Cli, lab: &Lab, plan: &Plan, report: &mut Report) -> bool {
    if plan.experiments.is_empty() && report.problems.is_empty() {
        report.problems.push("no experiment to race".into());
    }
    let toolchain = match lab.bootstrap() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            report.problems.push(e.to_string());
            return false;
        }
    };
    report.machine = Machine::here(&toolchain.python_version, &toolchain.maturin_version);
    eprintln!(
        "[setup] lab home: {} (pyo3-lab clean shows what it holds and frees what no project needs)",
        bytes(lab.home_bytes())
    );
    let cancel = Cancel::new();
    for job in &jobs(cli, plan) {
        // A sweep's sizes are saved as they finish: Ctrl-C loses none, and
        // what was measured stays in the report when the job stops short.
        let mut measured: Option<JobReport> = None;
        let mut observe = |partial: &JobReport| {
            if let Job::Sweep { race, sizes } = job {
                let mut so_far = report.clone();
                add_sweep(lab, &mut so_far, race, sizes, partial);
                export::save(&plan.outputs, &so_far);
                measured = Some(partial.clone());
            }
        };
        let outcome = lab.run_observed(job, &cancel, &mut observe);
        if let (Err(_), Job::Sweep { race, sizes }, Some(partial)) = (&outcome, job, &measured) {
            add_sweep(lab, report, race, sizes, partial);
        }
        match outcome {
            Ok(done) => absorb(cli, lab, job, done, report),
            Err(e) => report.problems.push(match job {
                Job::Race(r) => format!("{}: {e}", r.experiment),
                _ => e.to_string(),
            }),
        }
        export::save(&plan.outputs, report);
        if cancel::interrupted() {
            report.problems.push("interrupted".into());
            return false;
        }
    }
    true
}

/// The jobs the options ask for: each experiment's race (or sweep), then,
/// for the built-in lab, the GIL demo.
fn jobs(cli: &Cli, plan: &Plan) -> Vec<Job> {
    // One seed for the whole run, so one --verify-seed replays all of it.
    let verify = cli.verify.map(|k| {
        let config = VerifyConfig::new(k as usize, cli.verify_seed);
        match cli.verify_budget {
            Some(budget) => config.with_budget(budget),
            None => config,
        }
    });
    let mut jobs: Vec<Job> = plan
        .experiments
        .iter()
        .enumerate()
        .map(|(i, exp)| {
            let race = RaceJob {
                experiment: exp.key.clone(),
                size: cli.race.n,
                runs: cli.race.runs as usize,
                budget: Duration::from_secs_f64(cli.race.budget),
                warmup: cli.race.warmup as usize,
                timeout: plan.timeout,
                variants: plan.variants.clone(),
                instructions: counts_instructions(cli),
                stacks: cli.flamegraph.is_some(),
                trace: true,
                threads: cli.threads.clone(),
                verify: verify.clone(),
                keep_going: true,
            };
            match plan.sweeps.get(i) {
                Some(sizes) => Job::Sweep {
                    race,
                    sizes: sizes.clone(),
                },
                None => Job::Race(race),
            }
        })
        .collect();
    // The GIL demo belongs to the built-in lab, not to experiments given with
    // --lab. The race's untimed tracemalloc run moves beside the demo, which
    // sleeps: the same figure, without its own seconds.
    if cli.lab.lab.is_empty() {
        let trace = jobs.iter_mut().find_map(|j| match j {
            Job::Race(r) => {
                r.trace = false;
                Some(r.clone())
            }
            _ => None,
        });
        jobs.push(Job::Gil {
            variant: Variant::release(),
            trace,
        });
    }
    jobs
}

/// What a finished job adds to the report: its builds and problems, a
/// sweep's curves, a race's lanes (and flame graphs), the GIL demo.
fn absorb(cli: &Cli, lab: &Lab, job: &Job, done: JobReport, report: &mut Report) {
    report.absorb(&done);
    if let Job::Sweep { race, sizes } = job {
        add_sweep(lab, report, race, sizes, &done);
    }
    if let (Job::Race(r), Some(records)) = (job, &done.race)
        && let Ok(exp) = lab.experiment(&r.experiment)
    {
        report.experiments.push(ExperimentRow::new(&exp, r.size));
        report.results.extend(report::lane_results(records));
        if let Some(dir) = &cli.flamegraph {
            match report::flame::write_all(dir, records) {
                Ok(files) => {
                    for f in files {
                        eprintln!("[flamegraph] {}", f.display());
                    }
                }
                Err(e) => report.problems.push(format!("flame graph: {e:#}")),
            }
        }
    }
    if let [held, released] = done.gil.as_slice() {
        let scaling = done.scaling.and_then(Result::ok);
        report.gil = Some(GilReport::new(held.clone(), released.clone(), scaling));
    }
}
