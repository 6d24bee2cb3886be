//! The report as plain text, for a terminal or a CI log.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{BuildRow, LaneResult, Report, ScalingCheck};
use crate::engine::gil::scaling::CONTENDERS;
use crate::engine::gil::timeline;
use crate::engine::types::{Activity, GilRun, ScalingRow, Thread};
use crate::engine::types::{Category, share_of};
use crate::units::{bytes, count, seconds};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(
        out,
        "{}: Python {} (embedded), pyo3 {}, maturin {}\nmachine: {}, {} cores\n",
        report.tool, m.python, m.pyo3, m.maturin, m.cpu, m.cores
    );
    out.push_str("Builds\n");
    let width = report
        .builds
        .iter()
        .map(|b| b.krate.chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    for b in &report.builds {
        out.push_str(&build_line(b, width));
    }
    for exp in &report.experiments {
        match report
            .sweeps
            .iter()
            .find(|s| s.experiment == exp.experiment)
        {
            Some(sweep) => out.push_str(&sweep_block(report, exp, sweep)),
            None => out.push_str(&race_block(report, exp)),
        }
    }
    if let Some(gil) = &report.gil {
        for run in [&gil.held, &gil.released] {
            out.push_str(&gil_block(run));
        }
        if let Some(check) = &gil.scaling_check {
            out.push_str(&scaling_block(&gil.scaling, check));
        }
    }
    if !report.baseline.is_empty() {
        out.push_str(
            "\nAgainst the baseline (each lane's ratio over the reference, each in its own run; \
             instruction counts where both runs have them, else wall time)\n",
        );
        for c in &report.baseline {
            let _ = writeln!(out, "  {}", c.describe());
        }
    }
    out.push('\n');
    out.push_str(&verdict(report));
    out
}

/// One experiment's race: its lanes' table, then what follows it (the
/// details, the build matrix, the thread sweep, the differential check).
fn race_block(report: &Report, exp: &super::ExperimentRow) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nRace: {} — {}\n  {} warm-up + {} measured run(s) per lane, lanes interleaved",
        exp.name, exp.description, report.warmup, report.runs
    );
    let rows: Vec<&LaneResult> = report
        .results
        .iter()
        .filter(|r| r.record.experiment == exp.experiment)
        .collect();
    let width = lane_width(&rows);
    let reference = rows
        .iter()
        .find(|r| r.record.lane.reference)
        .map_or("python", |r| r.record.lane.name.as_str());
    let _ = writeln!(
        out,
        "  {:<width$} {:>10} {:>21} {:>10} {:>10} {:>16}  result",
        "lane",
        "median",
        "mean ± σ",
        "min",
        "max",
        format!("vs {reference}")
    );
    for r in &rows {
        out.push_str(&lane_line(r, width));
    }
    out.push_str(&details(report, &exp.experiment, &rows));
    out.push_str(&super::matrix::text(report, &exp.experiment));
    out.push_str(&threads_block(report, &exp.experiment));
    out.push_str(&verify_block(report, &exp.experiment));
    out
}

/// The last lines: complete or not, passed or failed and why.
fn verdict(report: &Report) -> String {
    let mut out = String::new();
    if !report.complete {
        out.push_str("check: INCOMPLETE (stopped part-way; what was measured is above)\n");
    }
    if report.ok {
        out.push_str("check: all passed\n");
    } else {
        out.push_str("check: FAILED\n");
        for p in &report.problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    out
}

/// The same report with its verdicts in colour (ANSI), for a terminal.
pub fn coloured(text: &str) -> String {
    const GREEN: &str = "\x1b[32m";
    const RED: &str = "\x1b[1;31m";
    const YELLOW: &str = "\x1b[33m";
    const RESET: &str = "\x1b[0m";
    text.lines()
        .map(|line| {
            let paint =
                if line.contains("FAILED") || line.contains("WRONG") || line.contains("INCOMPLETE")
                {
                    Some(RED)
                } else if line.trim_start().starts_with("warning:") {
                    Some(YELLOW)
                } else if line.contains("(right)")
                    || line.trim_start().starts_with("verdict:")
                    || line == "check: all passed"
                {
                    Some(GREEN)
                } else {
                    None
                };
            match paint {
                Some(c) => format!("{c}{line}{RESET}\n"),
                None => format!("{line}\n"),
            }
        })
        .collect()
}

/// What a reused build was trusted on: the inputs it was compiled from (the
/// files on disk hash the same today) and its module's bytes (checked again).
fn trusted(b: &BuildRow, width: usize) -> String {
    let short = |h: &Option<String>| {
        h.as_deref()
            .map_or("?", |h| &h[..h.len().min(12)])
            .to_owned()
    };
    if !b.reused {
        return String::new();
    }
    format!(
        "  {:width$} {:<8} reused: inputs {} as on disk, module sha256 {} as built\n",
        "",
        "",
        short(&b.inputs),
        short(&b.module_sha256),
    )
}

fn build_line(b: &BuildRow, width: usize) -> String {
    let what = format!("{:<width$} {:<8}", b.krate, b.variant);
    match (&b.error, b.seconds) {
        (Some(e), _) => format!("  {what} FAILED: {e}\n"),
        (None, Some(s)) => {
            format!(
                "  {what} {:<26} wheel {:>9}  module {:>9}  [{}]{}{}\n",
                if b.reused {
                    format!("reused (built {})", seconds(s))
                } else {
                    format!("built in {}", seconds(s))
                },
                bytes(b.wheel_bytes.unwrap_or(0)),
                bytes(b.module_bytes.unwrap_or(0)),
                b.profile,
                b.pyo3_note().map(|p| format!("  {p}")).unwrap_or_default(),
                if b.packages.is_empty() {
                    String::new()
                } else {
                    format!("  with {}", b.packages.join(", "))
                },
            ) + &trusted(b, width)
        }
        (None, None) => format!("  {what} not built\n"),
    }
}

/// The lane column fits the longest lane name.
fn lane_width(rows: &[&LaneResult]) -> usize {
    let phases = rows
        .iter()
        .flat_map(|r| &r.phases)
        .map(|p| p.name.chars().count() + 4);
    rows.iter()
        .map(|r| r.record.lane.name.chars().count())
        .chain(phases)
        .max()
        .unwrap_or(0)
        .max(13)
}

fn lane_line(r: &LaneResult, width: usize) -> String {
    let name = &r.record.lane.name;
    let (Some(median), Some(mean), Some(sd), Some(min), Some(max)) =
        (r.median, r.mean, r.stddev, r.min, r.max)
    else {
        return format!(
            "  {name:<width$} {}\n",
            r.record.failure.as_deref().unwrap_or("no measured run")
        );
    };
    let speed = speed_cell(
        r.record.lane.reference,
        r.speedup,
        r.speedup_error,
        &r.vs_reference,
    );
    let verdict = match (&r.record.result, r.record.correct, &r.record.expected) {
        (Some(res), true, Some(_)) => format!("{res} (right)"),
        (Some(res), true, None) => format!("{res} (reference)"),
        (Some(res), false, Some(e)) => format!("{res} (WRONG, expected {e})"),
        (Some(res), false, None) => format!("{res} (unchecked: nothing to compare with)"),
        (None, _, _) => "none".into(),
    };
    let failure = r
        .record
        .failure
        .as_ref()
        .map(|f| format!("  then {f}"))
        .unwrap_or_default();
    let times = [median, mean, sd, min, max];
    let mut out = format!(
        "{}  {verdict}{failure}\n",
        columns(name, width, times, &speed)
    );
    for p in &r.phases {
        // The reference's phases are the baseline: no word beside each.
        let speed = if r.record.lane.reference {
            String::new()
        } else {
            speed_cell(false, p.speedup, p.speedup_error, &p.vs_reference)
        };
        let times = [p.median, p.mean, p.stddev, p.min, p.max];
        let line = columns(&format!("  · {}", p.name), width, times, &speed);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// A row of the race table up to its result: name, median, mean ± σ, min,
/// max (`times` in that order) and the speed-up cell.
fn columns(name: &str, width: usize, times: [f64; 5], speed: &str) -> String {
    let [median, mean, sd, min, max] = times;
    format!(
        "  {name:<width$} {:>10} {:>21} {:>10} {:>10} {speed:>16}",
        seconds(median),
        format!("{} ± {}", seconds(mean), seconds(sd)),
        seconds(min),
        seconds(max),
    )
}

/// A lane's (or a phase's) speed-up over the reference, as the table shows
/// it: nothing to claim when the runs cannot tell it from noise (too few
/// rounds to test at all: the figure stands, with a note under the table).
fn speed_cell(
    reference: bool,
    speedup: Option<f64>,
    error: Option<f64>,
    vs: &Option<crate::engine::measure::significance::Significance>,
) -> String {
    match (speedup, error, vs) {
        _ if reference => "baseline".into(),
        (_, _, Some(t)) if t.enough() && !t.significant => format!("≈ same ({})", t.p_text()),
        (Some(s), Some(e), _) => super::speedup_cell(s, e),
        _ => "-".into(),
    }
}

/// Under a race table: what each lane ran, the warnings, the call overhead
/// and the build cost beside the run time.
fn details(report: &Report, experiment: &str, rows: &[&LaneResult]) -> String {
    let mut out = String::new();
    let width = lane_width(rows);
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<width$} runs {}",
            r.record.lane.name, r.record.command
        );
    }
    if let Some(t) = rows
        .iter()
        .filter_map(|r| r.vs_reference.as_ref())
        .find(|t| !t.enough())
    {
        let _ = writeln!(
            out,
            "  note: speed-ups from {} paired rounds: too few for the sign-flip test to call any \
             difference significant ({} needed); raise --runs or --budget",
            t.n, t.needed
        );
    }
    for r in rows {
        if let Some(m) = &r.record.mismatch {
            let _ = writeln!(out, "  wrong: {}: {m}", r.record.lane.name);
        }
        for n in &r.notes {
            let _ = writeln!(out, "  note: {}: {n}", r.record.lane.name);
        }
        for w in &r.warnings {
            let _ = writeln!(out, "  warning: {}: {w}", r.record.lane.name);
        }
    }
    out.push_str(&memory_line(rows));
    out.push_str(&instructions_line(rows));
    out.push_str(&breakdown_block(rows));
    let overhead: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.record
                .overhead_ns
                .map(|ns| format!("{} {}", r.record.lane.name, seconds(ns * 1e-9)))
        })
        .collect();
    if !overhead.is_empty() {
        let _ = writeln!(
            out,
            "  one trivial call across the boundary: {}",
            overhead.join(", ")
        );
    }
    out.push_str(&build_costs(report, experiment));
    out.push_str(&super::routes::cost_lines(report, experiment, rows));
    if let Some(fastest) = super::routes::fastest(rows) {
        let _ = writeln!(out, "  {fastest}");
    }
    out
}

/// Each lane's peak resident memory above the level before its calls.
fn memory_line(rows: &[&LaneResult]) -> String {
    let mut out = String::new();
    let memory: Vec<String> = rows
        .iter()
        .map(|r| {
            let peak = r.memory_peak_bytes.map_or_else(|| "n/a".into(), bytes);
            match r.record.traced_bytes {
                Some(t) => format!("{} {peak} (tracemalloc {})", r.record.lane.name, bytes(t)),
                None => format!("{} {peak}", r.record.lane.name),
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "  memory, peak resident above the level before the calls: {}",
        memory.join(", ")
    );
    out
}

/// Each lane's instructions per call, and how many fewer than the reference.
fn instructions_line(rows: &[&LaneResult]) -> String {
    let mut out = String::new();
    if !rows.iter().any(|r| r.instructions.is_some()) {
        return out;
    }
    let counted: Vec<String> = rows
        .iter()
        .map(
            |r| match (r.instructions, r.instruction_speedup, r.speedup) {
                (Some(i), Some(x), Some(wall)) if !r.record.lane.reference => format!(
                    "{} {} ({}; wall time {wall:.1}x)",
                    r.record.lane.name,
                    count(i),
                    if x >= 1.0 {
                        format!("{x:.1}x fewer")
                    } else {
                        format!("{:.1}x more", 1.0 / x)
                    }
                ),
                (Some(i), _, _) => format!("{} {}", r.record.lane.name, count(i)),
                (None, _, _) => format!("{} n/a", r.record.lane.name),
            },
        )
        .collect();
    let at = rows
        .iter()
        .find_map(|r| r.instructions_counted_size)
        .map(|n| format!(" (counted at N = {n}, scaled by the exact work ratio)"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  instructions per call, under callgrind{at}: {}",
        counted.join(", ")
    );
    out
}

/// What each build of `experiment` cost to compile, against what it saves a run.
fn build_costs(report: &Report, experiment: &str) -> String {
    let mut out = String::new();
    for b in report
        .builds
        .iter()
        .filter(|b| b.krate == experiment && b.ok)
    {
        let run = report.median_run_of(b);
        let _ = writeln!(
            out,
            "  build cost: {:<8} compiled in {:>10}{}, module {:>9}, then {} per run",
            b.variant,
            b.seconds.map(seconds).unwrap_or_default(),
            match b.kind() {
                "" => String::new(),
                kind => format!(" ({kind})"),
            },
            bytes(b.module_bytes.unwrap_or(0)),
            run.map(seconds).unwrap_or_else(|| "-".into()),
        );
    }
    out
}

/// A sweep: a size × lane table of medians, each lane's growth, each lane's
/// speed-up against size, and the crossovers inside the range.
fn sweep_block(report: &Report, exp: &super::ExperimentRow, sweep: &super::SweepReport) -> String {
    let mut out = format!(
        "\nSweep: {} — {}\n  N over {:?}{}; {} warm-up + {} measured run(s) per lane and size\n",
        exp.name,
        exp.description,
        sweep.sizes,
        if sweep.complete {
            ""
        } else {
            " (INCOMPLETE: stopped early)"
        },
        report.warmup,
        report.runs
    );
    let lanes: Vec<&str> = sweep.trends.iter().map(|t| t.lane.as_str()).collect();
    let cell = |lane: &str, n: u64| {
        report
            .sweep_row(&sweep.experiment, lane, n)
            .map(|r| match (r.median, &r.record.failure, r.record.correct) {
                (Some(m), None, true) => seconds(m),
                (Some(_), None, false) => "WRONG".into(),
                _ => "FAILED".into(),
            })
            .unwrap_or_else(|| "-".into())
    };
    let width = lanes
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    let _ = write!(out, "  {:>10}", "N");
    for lane in &lanes {
        let _ = write!(out, "  {lane:>width$}");
    }
    out.push('\n');
    for &n in &sweep.sizes {
        let _ = write!(out, "  {n:>10}");
        for lane in &lanes {
            let _ = write!(out, "  {:>width$}", cell(lane, n));
        }
        out.push('\n');
    }
    out.push_str(&wrong_from(report, sweep, width));
    for t in &sweep.trends {
        let growth = t
            .growth
            .as_ref()
            .map_or_else(|| "too few points to fit".into(), |g| g.describe());
        let _ = writeln!(out, "  growth: {:<width$} {growth}", t.lane);
    }
    for t in sweep.trends.iter().filter(|t| !t.speedups.is_empty()) {
        let speedups: Vec<String> = t
            .speedups
            .iter()
            .map(|(n, s)| format!("N={n}: {s:.2}x"))
            .collect();
        let _ = writeln!(
            out,
            "  speed-up: {:<width$} {}",
            t.lane,
            speedups.join(", ")
        );
        for c in &t.crossovers {
            let _ = writeln!(out, "  crossover: {} {}", t.lane, c.describe());
        }
        for c in &t.phase_crossovers {
            let _ = writeln!(out, "  crossover: {} {}", t.lane, c.describe());
        }
    }
    out
}

/// Each lane that answered wrong at some sizes of a sweep: where, and the
/// sizes it was still right at (where a typed route's integer overflows).
fn wrong_from(report: &Report, sweep: &super::SweepReport, width: usize) -> String {
    let mut out = String::new();
    for t in &sweep.trends {
        let answered = |right: bool| -> Vec<u64> {
            sweep
                .sizes
                .iter()
                .copied()
                .filter(|&n| {
                    report
                        .sweep_row(&sweep.experiment, &t.lane, n)
                        .is_some_and(|r| r.record.failure.is_none() && r.record.correct == right)
                })
                .collect()
        };
        let wrong = answered(false);
        let Some(first) = wrong.first() else {
            continue;
        };
        let right = answered(true);
        let sizes = |ns: &[u64]| ns.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "  wrong:  {:<width$} at N = {}{}",
            t.lane,
            sizes(&wrong),
            match right.iter().filter(|&&n| n < *first).max() {
                Some(below) => format!(" (right up to N = {below})"),
                None => String::new(),
            }
        );
    }
    out
}

/// Each implementation from T threads at once, beside the built-in scaling
/// run: speed-up T·wall(1)/wall(T) per count, and what it means.
fn threads_block(report: &Report, experiment: &str) -> String {
    let rows: Vec<_> = report
        .threads
        .iter()
        .filter(|r| r.experiment == experiment)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut counts: Vec<u32> = rows.iter().map(|r| r.threads).collect();
    counts.sort_unstable();
    counts.dedup();
    let lanes = crate::engine::measure::threads::by_lane(rows.iter().copied());
    let width = lanes
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    let mut out = format!(
        "  threads: each implementation from T Python threads at once, {} cores; speed-up = T x wall(1) / wall(T)\n",
        report.machine.cores
    );
    let _ = write!(out, "    {:<width$}", "lane");
    for t in &counts {
        let _ = write!(out, " {:>20}", format!("T={t}"));
    }
    out.push('\n');
    // The yardstick: what native Rust threads reached beside each lane's
    // batches (the lowest of them: the busiest moment the lanes met).
    let _ = write!(out, "    {:<width$}", "(machine)");
    for t in &counts {
        let cell = rows
            .iter()
            .filter(|r| r.threads == *t)
            .filter_map(|r| r.capacity)
            .reduce(f64::min)
            .map(|c| format!("{c:.2}x"))
            .unwrap_or_default();
        let _ = write!(out, " {cell:>20}");
    }
    out.push_str("  native Rust threads, no Python: what the machine gave\n");
    for (lane, mine) in &lanes {
        let _ = write!(out, "    {lane:<width$}");
        for t in &counts {
            let cell = mine
                .iter()
                .find(|r| r.threads == *t)
                .map(|r| format!("{:.2}x ({})", r.speedup, seconds(r.wall)))
                .unwrap_or_default();
            let _ = write!(out, " {cell:>20}");
        }
        let verdict = crate::engine::measure::threads::verdict(mine, report.machine.cores)
            .unwrap_or_default();
        let _ = writeln!(out, "  {verdict}");
    }
    out
}

/// The differential check of one experiment: lane by lane, how many inputs
/// agreed, and the first disagreements with both answers and their seeds.
fn verify_block(report: &Report, experiment: &str) -> String {
    let rows: Vec<_> = report
        .verify
        .iter()
        .filter(|v| v.experiment == experiment)
        .collect();
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut out = format!(
        "  differential check: {} generated inputs per lane, seed {} (input i: seed + i)
",
        first.tried, first.seed
    );
    if let Some(c) = &first.coverage {
        let _ = writeln!(out, "    {}", c.describe());
    }
    for v in &rows {
        let verdict = if v.agreed == v.tried {
            "all agree".to_owned()
        } else {
            format!("{} DISAGREE", v.tried - v.agreed)
        };
        let _ = writeln!(
            out,
            "    {:<22} {} of {} agree: {verdict}",
            v.lane, v.agreed, v.tried
        );
        for d in &v.disagreements {
            let _ = writeln!(
                out,
                "      {}\n        reference: {}\n        {}: {}\n        replay: --verify 1 --verify-seed {}",
                d.input, d.reference, v.lane, d.lane, d.seed
            );
        }
    }
    out
}

/// One character per activity, for a timeline in plain text.
pub fn activity_char(a: Option<Activity>) -> char {
    match a {
        Some(Activity::Python) => '#',
        Some(Activity::Sleeping) => '~',
        Some(Activity::RustWithGil) => '=',
        Some(Activity::RustWithoutGil) => '-',
        Some(Activity::WaitingForGil) => '.',
        None => ' ',
    }
}

/// What each character of a plain-text timeline means.
pub fn legend() -> String {
    [
        Activity::Python,
        Activity::Sleeping,
        Activity::RustWithGil,
        Activity::RustWithoutGil,
        Activity::WaitingForGil,
    ]
    .map(|a| format!("{} {}", activity_char(Some(a)), a.describe()))
    .join("  ")
}

/// Both threads' timelines, `width` columns for the run's whole length.
pub fn timeline_rows(run: &GilRun, width: usize) -> Vec<(Thread, String)> {
    let total = run.timeline.iter().map(|s| s.end).fold(0.0, f64::max);
    [Thread::Python, Thread::Rust]
        .into_iter()
        .map(|thread| {
            let row = timeline::columns(&run.timeline, thread, width, total)
                .into_iter()
                .map(activity_char)
                .collect();
            (thread, row)
        })
        .collect()
}

fn verdict_line(ok: bool, verdict: &str) -> String {
    format!("  {}: {verdict}\n", if ok { "verdict" } else { "FAILED" })
}

fn scaling_block(rows: &[ScalingRow], check: &ScalingCheck) -> String {
    let mut out = format!(
        "\nGIL scaling: T threads of CPU-bound work each, {} cores; speed-up = T x wall(1) / wall(T)\n",
        check.cores
    );
    let mut threads: Vec<u32> = rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let _ = write!(out, "  {:<18}", "contender");
    for t in &threads {
        let _ = write!(out, " {:>18}", format!("T={t}"));
    }
    out.push('\n');
    for c in CONTENDERS {
        let _ = write!(out, "  {c:<18}");
        for t in &threads {
            let cell = rows
                .iter()
                .find(|r| r.contender == c && r.threads == *t)
                .map(|r| format!("{:.2}x ({})", r.speedup, seconds(r.wall)))
                .unwrap_or_default();
            let _ = write!(out, " {cell:>18}");
        }
        out.push('\n');
    }
    if check.warning && check.ok {
        let _ = writeln!(out, "  warning: {}", check.verdict);
    } else {
        out.push_str(&verdict_line(check.ok, &check.verdict));
    }
    out
}

fn gil_block(run: &GilRun) -> String {
    let mut out = format!(
        "\nGIL {}: {}  [gil.{}]\n",
        run.mode.name(),
        run.mode.title(),
        run.function
    );
    for e in &run.events {
        let thread = match e.thread {
            Thread::Python => "python",
            Thread::Rust => "rust",
        };
        let _ = writeln!(out, "  {:>8.3} s  {thread:<6}  {}", e.t, e.text);
    }
    if !run.timeline.is_empty() {
        let _ = writeln!(
            out,
            "  timeline, 0 to {:.2} s:",
            run.timeline.iter().map(|s| s.end).fold(0.0, f64::max)
        );
        for (thread, row) in timeline_rows(run, 64) {
            let name = if thread == Thread::Python {
                "python"
            } else {
                "rust"
            };
            let _ = writeln!(out, "    {name:<6} |{row}|");
        }
        let _ = writeln!(out, "    {}", legend());
        let _ = writeln!(
            out,
            "  the Python thread waited {:.3} s for the GIL",
            run.python_waited
        );
    }
    out.push_str(&verdict_line(run.ok, &run.verdict));
    out
}

/// A lane's hottest functions and its crate's hottest lines, by their
/// share of its instructions.
fn hottest(r: &LaneResult, b: &BTreeMap<Category, f64>) -> String {
    let mut out = String::new();
    let name = &r.record.lane.name;
    let total: f64 = b.values().sum::<f64>().max(f64::MIN_POSITIVE);
    let hot: Vec<String> = r
        .hot
        .iter()
        .take(3)
        .map(|h| format!("{} {:.0}%", h.function, h.self_cost / total * 100.0))
        .collect();
    if !hot.is_empty() {
        let _ = writeln!(out, "    {name} hottest: {}", hot.join(", "));
    }
    for l in r.hot_lines.iter().take(3) {
        let _ = writeln!(
            out,
            "    {name} {}:{} {:>3.0}%  {}",
            l.file,
            l.line,
            l.share * 100.0,
            l.text
        );
    }
    out
}

/// A Python lane's own functions by cumulative time (cProfile), or why
/// cProfile could not say.
fn python_hottest(r: &LaneResult) -> String {
    let mut out = String::new();
    let name = &r.record.lane.name;
    if !r.python_hot.is_empty() {
        let hot: Vec<String> = r
            .python_hot
            .iter()
            .take(5)
            .map(|h| format!("{} {:.0}%", h.function, h.share * 100.0))
            .collect();
        let _ = writeln!(
            out,
            "    {name}: its own functions by cumulative time (cProfile, one untimed call; port the first): {}",
            hot.join(", ")
        );
    }
    if let Some(why) = &r.python_hot_failure {
        let _ = writeln!(out, "    {name}: {why}");
    }
    if let Some(why) = &r.record.not_counted {
        let _ = writeln!(out, "    {name}: {why}");
    }
    out
}

/// Where each lane's instructions go, by who spent them, with the hottest
/// functions and the diagnosis: why a lane is as fast as it is.
fn breakdown_block(rows: &[&LaneResult]) -> String {
    let with: Vec<(&LaneResult, &BTreeMap<Category, f64>)> = rows
        .iter()
        .filter_map(|r| Some((*r, r.breakdown.as_ref()?)))
        .collect();
    if with.is_empty() {
        return String::new();
    }
    let width = with
        .iter()
        .map(|(r, _)| r.record.lane.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::from(
        "  where the instructions go, per call (each function's own, by who spent it):\n",
    );
    let columns = Category::columns(with.iter().map(|(_, b)| *b));
    let _ = write!(out, "    {:<width$}", "lane");
    for &c in &columns {
        let _ = write!(out, " {:>11}", c.name());
    }
    out.push('\n');
    for (r, b) in &with {
        let _ = write!(out, "    {:<width$}", r.record.lane.name);
        for &c in &columns {
            let _ = write!(out, " {:>11}", format!("{:.0}%", share_of(b, c) * 100.0));
        }
        out.push('\n');
    }
    for (r, b) in &with {
        out.push_str(&hottest(r, b));
    }
    for (r, _) in &with {
        if let Some(d) = &r.diagnosis {
            let _ = writeln!(out, "    {d}");
        }
    }
    for r in rows {
        out.push_str(&python_hottest(r));
    }
    out
}
