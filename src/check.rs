//! `pyo3-lab --check`: the whole pipeline headless, a report, an exit code.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::Cli;
use crate::engine::Lab;
use crate::engine::build::{Target, Variant};
use crate::engine::cancel::{self, Cancel};
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::Experiment;
use crate::engine::gil::GilMode;
use crate::engine::race::{Lane, RaceConfig, RunOutcome};
use crate::report::{self, BuildRow, ExperimentRow, GilReport, Machine, Report, baseline};

/// The experiment `--check` races when no `--lab` is given: the chapter's.
pub const DEFAULT_EXPERIMENT: &str = "fibonacci";

/// A usage error: bad options, caught before anything runs.
const USAGE: u8 = 2;

/// Progress goes to stderr, one line per step, so stdout holds the report alone.
pub fn progress_printer() -> Sink {
    Arc::new(|event| match event {
        Event::Status(s) => eprintln!("[setup] {s}"),
        Event::BuildStarted(t) => eprintln!("[build] {t}: checking"),
        Event::BuildFinished(t, Ok(info)) if info.fresh => eprintln!("[build] {t}: up to date"),
        Event::BuildFinished(t, Ok(info)) => {
            eprintln!("[build] {t}: built in {:.1} s", info.seconds)
        }
        Event::BuildFinished(t, Err(e)) => eprintln!("[build] {t}: FAILED: {e}"),
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
                } => format!(
                    "{} per call, {result} {}",
                    report::text::seconds(seconds),
                    if correct { "right" } else { "WRONG" }
                ),
                RunOutcome::Failed(why) => why,
            };
            let kind = if warmup { "warm-up" } else { "run" };
            eprintln!("[race] {} {kind} {}: {what}", lane.name(), run + 1)
        }
        Event::GilStarted(mode) => eprintln!("[gil] running with the GIL {}", mode.name()),
        _ => {}
    })
}

/// What the options ask for, checked before anything is built.
struct Plan {
    experiments: Vec<Experiment>,
    timeout: Option<Duration>,
    baseline: Option<Report>,
}

fn plan(cli: &Cli, lab: &Lab) -> Result<Plan, String> {
    let experiments: Vec<Experiment> = if cli.lab.lab.is_empty() {
        lab.experiment(DEFAULT_EXPERIMENT)
            .into_iter()
            .cloned()
            .collect()
    } else {
        lab.experiments.clone()
    };
    let timeout = match cli.race.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => {
            return Err(format!(
                "--timeout must be a positive number of seconds, not {t}"
            ));
        }
        t => t.map(Duration::from_secs_f64),
    };
    for exp in &experiments {
        exp.args_for(cli.race.n).map_err(|e| format!("--n: {e}"))?;
    }
    let baseline = match &cli.baseline {
        None => None,
        Some(path) => Some(read_baseline(path)?),
    };
    if cli
        .fail_if_slower
        .is_some_and(|p| !(p >= 0.0 && p.is_finite()))
    {
        return Err("--fail-if-slower takes a percentage of 0 or more".into());
    }
    Ok(Plan {
        experiments,
        timeout,
        baseline,
    })
}

fn read_baseline(path: &Path) -> Result<Report, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "--baseline {}: not a pyo3-lab --json report ({e})",
            path.display()
        )
    })
}

pub fn run(cli: &Cli, lab: Lab, load_errors: Vec<String>) -> ExitCode {
    let plan = match plan(cli, &lab) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    for e in &load_errors {
        eprintln!("error: {e}");
    }
    let mut report = Report::begin(cli.race.n, cli.race.runs as usize, cli.race.warmup as usize);
    report.problems = load_errors;
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
    let text = report::text::render(&report);
    print!(
        "{}",
        if colour() {
            report::text::coloured(&text)
        } else {
            text
        }
    );
    if save(cli, &report) && report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Colour only for a person: stdout a terminal, no `NO_COLOR`, not `TERM=dumb`.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").is_ok_and(|t| t != "dumb")
}

/// Writes the JSON and Markdown reports asked for; false if one could not be written.
fn save(cli: &Cli, report: &Report) -> bool {
    let mut ok = true;
    let mut write = |path: &Path, text: String| {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            ok = false;
        }
    };
    if let Some(path) = &cli.json {
        write(
            path,
            serde_json::to_string_pretty(report).expect("serialisable"),
        );
    }
    if let Some(path) = &cli.markdown {
        write(path, report::markdown::render(report));
    }
    ok
}

/// Fills `report` step by step, saving it after each experiment so a later
/// failure or Ctrl-C loses nothing measured. Returns whether it got to the end.
fn check(cli: &Cli, lab: &Lab, plan: &Plan, report: &mut Report) -> bool {
    if plan.experiments.is_empty() && report.problems.is_empty() {
        report.problems.push("no experiment to race".into());
    }
    let toolchain = match lab.bootstrap() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            report.problems.push(format!("set-up failed: {e:#}"));
            return false;
        }
    };
    report.machine = Machine::here(&toolchain.python_version, &toolchain.maturin_version);
    let cancel = Cancel::new();
    let build = |target: Target, report: &mut Report| {
        let result = lab.build(&toolchain, &target, false, &cancel);
        if let Err(e) = &result {
            report.problems.push(format!("build {target} failed: {e}"));
        }
        report.builds.push(BuildRow::new(&target, &result));
        result.is_ok()
    };
    for exp in &plan.experiments {
        let lanes: Vec<Lane> = Lane::for_experiment(exp)
            .into_iter()
            .filter(|l| {
                l.variant()
                    .is_none_or(|v| build(lab.target(exp, v), report))
            })
            .collect();
        let cfg = RaceConfig {
            size: cli.race.n,
            runs: cli.race.runs as usize,
            warmup: cli.race.warmup as usize,
            timeout: plan.timeout,
            lanes,
        };
        let records = match lab.race(&toolchain, exp, &cfg, &cancel) {
            Ok(records) => records,
            Err(e) => {
                report.problems.push(format!("{}: {e}", exp.key));
                continue;
            }
        };
        for r in &records {
            if let Some(problem) = r.problem() {
                let lane = r.lane.name();
                report
                    .problems
                    .push(format!("{} lane {lane} {problem}", exp.key));
            }
        }
        let rows = report::lane_results(&records);
        report.experiments.push(ExperimentRow::new(exp, cli.race.n));
        report.results.extend(rows);
        save(cli, report);
        if cancel::interrupted() {
            report.problems.push("interrupted".into());
            return false;
        }
    }
    // The GIL demo belongs to the built-in lab, not to experiments given with --lab.
    if cli.lab.lab.is_empty() {
        let built: Vec<Variant> = Variant::ALL
            .into_iter()
            .filter(|&v| build(lab.gil_target(v), report))
            .collect();
        if let Some(&v) = built.iter().max() {
            let scaling = lab.scaling(&toolchain, v, &cancel);
            let gil = GilReport::new(
                lab.gil(&toolchain, GilMode::Held, v, &cancel),
                lab.gil(&toolchain, GilMode::Released, v, &cancel),
                scaling.as_ref().ok().cloned(),
            );
            for run in [&gil.held, &gil.released] {
                if !run.ok {
                    report
                        .problems
                        .push(format!("GIL {}: {}", run.mode.name(), run.verdict));
                }
            }
            match &scaling {
                Ok(s) if !s.ok => report.problems.push(format!("GIL scaling: {}", s.verdict)),
                Err(e) => report.problems.push(format!("GIL scaling: {e}")),
                Ok(_) => {}
            }
            report.gil = Some(gil);
        }
    }
    if cancel::interrupted() {
        report.problems.push("interrupted".into());
        return false;
    }
    true
}
