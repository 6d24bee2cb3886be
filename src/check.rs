//! `pyo3-lab --check`: the whole pipeline headless, a report, an exit code.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::Cli;
use crate::engine::build::Variant;
use crate::engine::cancel::Cancel;
use crate::engine::event::{Event, Sink};
use crate::engine::gil::GilMode;
use crate::engine::race::{Lane, RaceConfig};
use crate::engine::{FIBONACCI, GIL, Lab, all_targets};
use crate::report::{self, BuildRow, GilReport, Machine, Report};

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

pub fn run(cli: &Cli, lab: Lab) -> ExitCode {
    match check(cli, lab) {
        Ok(report) => {
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
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(cli: &Cli, lab: Lab) -> Result<Report> {
    let timeout = match cli.race.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => {
            bail!("--timeout must be a positive number of seconds")
        }
        t => t.map(Duration::from_secs_f64),
    };
    let toolchain = lab.bootstrap()?;
    let cancel = Cancel::new();
    let mut problems = Vec::new();
    let mut builds = Vec::new();
    for target in all_targets() {
        let result = lab.build(&toolchain, &target, false, &cancel);
        if let Err(e) = &result {
            problems.push(format!("build {target} failed: {e}"));
        }
        builds.push((target, result));
    }
    let built = |krate: &str, v: Variant| {
        builds
            .iter()
            .any(|(t, r)| t.krate == krate && t.variant == v && r.is_ok())
    };
    let lanes: Vec<Lane> = Lane::ALL
        .into_iter()
        .filter(|l| l.variant().is_none_or(|v| built(FIBONACCI, v)))
        .collect();
    let cfg = RaceConfig {
        n: cli.race.n,
        runs: cli.race.runs as usize,
        warmup: cli.race.warmup as usize,
        timeout,
        lanes,
    };
    let records = lab.race(&toolchain, &cfg, &cancel);
    let results = report::lane_results(&records);
    for r in &results {
        if let Some(f) = &r.failure {
            problems.push(format!("lane {} {f}", r.lane.name()));
        } else if !r.correct {
            problems.push(format!(
                "lane {} returned {}, expected {}",
                r.lane.name(),
                r.result.as_deref().unwrap_or("nothing"),
                r.expected
            ));
        }
    }
    let gil_variant = [Variant::Release, Variant::Debug]
        .into_iter()
        .find(|&v| built(GIL, v));
    let gil = gil_variant.map(|v| GilReport {
        held: lab.gil(&toolchain, GilMode::Held, v, &cancel),
        released: lab.gil(&toolchain, GilMode::Released, v, &cancel),
    });
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
        n: cfg.n,
        runs: cfg.runs,
        warmup: cfg.warmup,
        builds: builds.iter().map(|(t, r)| BuildRow::new(t, r)).collect(),
        results,
        gil,
        ok: problems.is_empty(),
        problems,
    })
}
