//! `pyo3-lab bench`: how faithful the lab's numbers are, measured side by side
//! in one run, rounds interleaved:
//! - the lab's `python` lane against a plain `python3` process running the
//!   same recursion (the embedding and the call plan should cost nothing);
//! - `rust-release` against `rust-native` (what the Python boundary costs);
//! - both Rust builds against `python`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::cancel::Cancel;
use crate::engine::measure::significance::{self, Significance};
use crate::engine::measure::stats::{Summary, ratio};
use crate::engine::pipeline::{Job, RaceJob};
use crate::engine::types::{Lane, Variant};
use crate::engine::{DEFAULT_EXPERIMENT as EXPERIMENT, Lab};
use crate::report::Machine;
use crate::units::seconds;

pub fn run(lab: &Lab, n: u64, rounds: usize) -> ExitCode {
    match bench(lab, n, rounds) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One run of `assets/fib_reference.py N` in a plain `python3`: the time it
/// prints is taken around `pyrun(N)` alone, as the lab's is.
fn plain_python(lab: &Lab, python: &std::path::Path, n: u64) -> Result<f64> {
    let script = lab.project.assets().join("fib_reference.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(n.to_string())
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "python: 1.234, result: 9227465"
    text.split([':', ','])
        .nth(1)
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| anyhow!("unexpected output from {}: {text}", script.display()))
}

/// Calls of each lane in each bench round.
const RUNS: usize = 3;

/// Half the interval's width, as a share of the ratio: 0.012 for ±1.2%.
fn half_width(s: &Significance) -> f64 {
    (s.high - s.low) / 2.0 / s.ratio
}

/// "43.49x [43.01, 44.02], ±1.2%": a paired ratio and its interval.
fn interval(s: &Significance) -> String {
    format!(
        "{:.2}x [{:.2}, {:.2}], ±{:.1}%",
        s.ratio,
        s.low,
        s.high,
        half_width(s) * 100.0
    )
}

fn bench(lab: &Lab, n: u64, rounds: usize) -> Result<String> {
    let measured = measure(lab, n, rounds)?;
    table(&measured, n, rounds)
}

/// What the rounds measured: a plain python3's times, each lane's, and
/// the toolchain they ran with.
struct Measured {
    plain: Vec<f64>,
    lanes: Vec<(Lane, Vec<f64>)>,
    toolchain: crate::engine::compile::bootstrap::Toolchain,
}

impl Measured {
    fn times(&self, name: &str) -> &[f64] {
        self.lanes
            .iter()
            .find(|(l, _)| l.name == name)
            .map_or(&[][..], |(_, t)| t.as_slice())
    }

    fn summary(&self, name: &str) -> Result<Summary> {
        Summary::of(self.times(name)).ok_or_else(|| anyhow!("no {name} times"))
    }
}

/// `rounds` races of fib(`n`), each with a plain python3 beside it.
fn measure(lab: &Lab, n: u64, rounds: usize) -> Result<Measured> {
    let exp = lab.experiment(EXPERIMENT)?;
    // Three calls a lane a round, lanes interleaved: three pairs a round
    // for the paired ratios.
    let job = Job::Race(RaceJob {
        timeout: Some(Duration::from_secs(600)),
        variants: Some(Variant::defaults().to_vec()),
        runs: RUNS,
        ..RaceJob::quick(&exp.key, Some(n), None)
    });
    let cancel = Cancel::new();
    let mut plain = Vec::new();
    let mut lanes: Vec<(Lane, Vec<f64>)> = Vec::new();
    let mut toolchain = None;
    for round in 0..rounds {
        eprintln!("[bench] round {}/{rounds}", round + 1);
        // Every round starts fresh processes on both sides, so each measures
        // one call into a newly started interpreter.
        let done = lab.run(&job, &cancel)?;
        if let Some(problem) = done.problems.first() {
            bail!("{}", crate::report::problems::describe(problem));
        }
        plain.push(plain_python(lab, &done.toolchain.venv_python, n)?);
        for record in done.race.unwrap_or_default() {
            // Each lane the same number of calls a round, so the i-th
            // times of two lanes were taken in the same race round.
            let times = &record.times[..record.times.len().min(RUNS)];
            match lanes.iter_mut().find(|(l, _)| *l == record.lane) {
                Some((_, all)) => all.extend(times),
                None => lanes.push((record.lane, times.to_vec())),
            }
        }
        toolchain = Some(done.toolchain);
    }
    let toolchain = toolchain.ok_or_else(|| anyhow!("no round ran"))?;
    Ok(Measured {
        plain,
        lanes,
        toolchain,
    })
}

/// The Markdown tables: each measure, the ratios against their goals, and
/// the paired ratios with their intervals.
fn table(m: &Measured, n: u64, rounds: usize) -> Result<String> {
    let paired = |slow: &str, fast: &str| significance::speedup(m.times(slow), m.times(fast));
    let shown = |s: &Option<Significance>| {
        s.as_ref()
            .map_or_else(|| "too few rounds".to_owned(), interval)
    };
    let speedup = paired("python", "rust-release");
    // The goal: the speed-up known to ±2% at the interval's confidence.
    let tight = speedup.as_ref().is_some_and(|s| half_width(s) <= 0.02);
    let plain = Summary::of(&m.plain).ok_or_else(|| anyhow!("no plain python3 times"))?;
    let python = m.summary("python")?;
    let debug = m.summary("rust-debug")?;
    let release = m.summary("rust-release")?;
    let native = m.summary("rust-native")?;
    let machine = Machine::here(&m.toolchain.python_version, &m.toolchain.maturin_version);
    let fmt = |(r, e): (f64, f64)| format!("{r:.2} ± {e:.2}");
    let verdict = |ok: bool| if ok { "yes" } else { "NO" };
    // slow/fast ratios: how many times longer the first takes than the second.
    let lab_vs_plain = ratio(&python, &plain);
    let release_vs_native = ratio(&release, &native);
    let mut out = format!(
        "pyo3-lab bench: fib({n}), {rounds} interleaved rounds, fresh processes each round\n\
         machine: {}, {} cores; Python {}; pyo3-lab built {}\n\n\
         | measure | median | mean ± σ |\n|---|---:|---:|\n",
        machine.cpu,
        machine.cores,
        machine.python,
        if cfg!(debug_assertions) {
            "unoptimized (use --release!)"
        } else {
            "optimized"
        }
    );
    for (name, s) in [
        ("plain `python3` process", &plain),
        ("lab `python` lane", &python),
        ("lab `rust-debug` lane", &debug),
        ("lab `rust-release` lane", &release),
        ("lab `rust-native` lane", &native),
    ] {
        out.push_str(&format!(
            "| {name} | {} | {} ± {} |\n",
            seconds(s.median),
            seconds(s.mean),
            seconds(s.stddev)
        ));
    }
    out.push_str(&format!(
        "\n| ratio | measured | goal | met |\n|---|---:|---:|---|\n\
         | lab `python` / plain `python3` | {} | 1 ± 0.05 | {} |\n\
         | `rust-release` / `rust-native` | {} | ≤ 1.10 | {} |\n\
         | `python` / `rust-release` (speed-up) | {}x | | |\n\
         | `python` / `rust-debug` (speed-up) | {}x | | |\n\n\
         Paired: the median of per-round ratios (each the two lanes' calls of \
         one race round), with its {:.0}% interval\n\n\
         | ratio | paired | goal | met |\n|---|---:|---:|---|\n\
         | `python` / `rust-release` | {} | ±2% | {} |\n\
         | `python` / `rust-debug` | {} | | |\n\
         | `rust-release` / `rust-native` | {} | | |\n",
        fmt(lab_vs_plain),
        verdict((lab_vs_plain.0 - 1.0).abs() <= 0.05),
        fmt(release_vs_native),
        verdict(release_vs_native.0 <= 1.10),
        fmt(ratio(&python, &release)),
        fmt(ratio(&python, &debug)),
        (1.0 - significance::ALPHA) * 100.0,
        shown(&speedup),
        verdict(tight),
        shown(&paired("python", "rust-debug")),
        shown(&paired("rust-release", "rust-native")),
    ));
    Ok(out)
}
