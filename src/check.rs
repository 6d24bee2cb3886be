//! `pyo3-lab --check`: the whole pipeline headless, a report, an exit code.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::Cli;
use crate::engine::Lab;
use crate::engine::build::{BuildInfo, Target, Variant};
use crate::engine::cancel::Cancel;
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::Experiment;
use crate::engine::gil::GilMode;
use crate::engine::race::{Lane, RaceConfig};
use crate::report::{self, BuildRow, ExperimentRow, GilReport, Machine, Report};

/// The experiment `--check` races when no `--lab` is given: the chapter's.
pub const DEFAULT_EXPERIMENT: &str = "fibonacci";

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
        } => eprintln!(
            "[race] {} {} {}: {:?}",
            lane.name(),
            if warmup { "warm-up" } else { "run" },
            run + 1,
            outcome
        ),
        Event::GilStarted(mode) => eprintln!("[gil] running with the GIL {}", mode.name()),
        _ => {}
    })
}

/// A usage error: bad options, caught before anything runs.
const USAGE: u8 = 2;

pub fn run(cli: &Cli, lab: Lab, load_errors: Vec<String>) -> ExitCode {
    let experiments: Vec<Experiment> = if cli.lab.lab.is_empty() {
        lab.experiment(DEFAULT_EXPERIMENT)
            .into_iter()
            .cloned()
            .collect()
    } else {
        lab.experiments.clone()
    };
    // Every option is checked before anything is built.
    let timeout = match cli.race.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => {
            eprintln!("error: --timeout must be a positive number of seconds, not {t}");
            return ExitCode::from(USAGE);
        }
        t => t.map(Duration::from_secs_f64),
    };
    for exp in &experiments {
        if let Err(e) = exp.args_for(cli.race.n) {
            eprintln!("error: --n: {e}");
            return ExitCode::from(USAGE);
        }
    }
    for e in &load_errors {
        eprintln!("error: {e}");
    }
    let report = match check(cli, &lab, &experiments, load_errors, timeout) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report::text::render(&report));
    let written = cli.json.as_ref().map(|path| {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&report).expect("serialisable"),
        )
        .map_err(|e| eprintln!("error: cannot write {}: {e}", path.display()))
    });
    if report.ok && !matches!(written, Some(Err(()))) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check(
    cli: &Cli,
    lab: &Lab,
    experiments: &[Experiment],
    mut problems: Vec<String>,
    timeout: Option<Duration>,
) -> anyhow::Result<Report> {
    if experiments.is_empty() && problems.is_empty() {
        problems.push("no experiment to race".into());
    }
    let toolchain = lab.bootstrap()?;
    let cancel = Cancel::new();
    let mut builds: Vec<(Target, Result<BuildInfo, String>)> = Vec::new();
    let mut build = |target: Target, problems: &mut Vec<String>| {
        let result = lab.build(&toolchain, &target, false, &cancel);
        if let Err(e) = &result {
            problems.push(format!("build {target} failed: {e}"));
        }
        let ok = result.is_ok();
        builds.push((target, result));
        ok
    };
    let mut results = Vec::new();
    let mut rows = Vec::new();
    for exp in experiments {
        let lanes: Vec<Lane> = Lane::for_experiment(exp)
            .into_iter()
            .filter(|l| {
                l.variant()
                    .is_none_or(|v| build(lab.target(exp, v), &mut problems))
            })
            .collect();
        let cfg = RaceConfig {
            size: cli.race.n,
            runs: cli.race.runs as usize,
            warmup: cli.race.warmup as usize,
            timeout,
            lanes,
        };
        let records = lab
            .race(&toolchain, exp, &cfg, &cancel)
            .map_err(|e| anyhow::anyhow!(e))?;
        let lane_rows = report::lane_results(&records);
        for r in &lane_rows {
            let lane = format!("{} lane {}", exp.key, r.lane.name());
            match (&r.failure, r.correct, &r.expected) {
                (Some(f), _, _) => problems.push(format!("{lane} {f}")),
                (None, false, Some(expected)) => problems.push(format!(
                    "{lane} returned {}, expected {expected}",
                    r.result.as_deref().unwrap_or("nothing")
                )),
                (None, false, None) => problems.push(format!(
                    "{lane} could not be checked: the python lane gave no result to compare with"
                )),
                _ => {}
            }
        }
        rows.push(ExperimentRow::new(exp, cli.race.n));
        results.extend(lane_rows);
    }
    // The GIL demo belongs to the built-in lab, not to experiments given with --lab.
    let gil = if cli.lab.lab.is_empty() {
        let built: Vec<Variant> = Variant::ALL
            .into_iter()
            .filter(|&v| build(lab.gil_target(v), &mut problems))
            .collect();
        built.iter().copied().max().map(|v| GilReport {
            held: lab.gil(&toolchain, GilMode::Held, v, &cancel),
            released: lab.gil(&toolchain, GilMode::Released, v, &cancel),
        })
    } else {
        None
    };
    if let Some(g) = &gil {
        for run in [&g.held, &g.released] {
            if !run.ok {
                problems.push(format!("GIL {}: {}", run.mode.name(), run.verdict));
            }
        }
    }
    Ok(Report {
        tool: format!("pyo3-lab {}", env!("CARGO_PKG_VERSION")),
        machine: Machine::here(&toolchain.python_version, &toolchain.maturin_version),
        n: cli.race.n,
        runs: cli.race.runs as usize,
        warmup: cli.race.warmup as usize,
        experiments: rows,
        builds: builds.iter().map(|(t, r)| BuildRow::new(t, r)).collect(),
        results,
        gil,
        ok: problems.is_empty(),
        problems,
    })
}
