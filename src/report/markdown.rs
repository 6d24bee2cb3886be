//! The report as Markdown tables, for a pull request or a README.

use std::fmt::Write;

use super::Report;
use crate::engine::types::{Category, share_of};
use crate::units::{bytes, seconds};

pub fn render(report: &Report) -> String {
    let m = &report.machine;
    let mut out = format!(
        "Measured by {} on {} ({} cores), Python {}, pyo3 {}, maturin {}; \
         {} warm-up + {} measured run(s) per lane, lanes interleaved.\n",
        report.tool, m.cpu, m.cores, m.python, m.pyo3, m.maturin, report.warmup, report.runs
    );
    for exp in &report.experiments {
        if let Some(sweep) = report
            .sweeps
            .iter()
            .find(|s| s.experiment == exp.experiment)
        {
            out.push_str(&sweep_table(report, &exp.name, sweep));
            continue;
        }
        let _ = write!(
            out,
            "\n**{}** — {}\n\n| lane | median | mean ± σ | min | max | vs {} | result |\n\
             |---|---:|---:|---:|---:|---:|---|\n",
            exp.name,
            exp.description,
            report
                .results
                .iter()
                .find(|r| r.record.experiment == exp.experiment && r.record.lane.reference)
                .map_or("python", |r| r.record.lane.name.as_str())
        );
        for r in report
            .results
            .iter()
            .filter(|r| r.record.experiment == exp.experiment)
        {
            let cell = |v: Option<f64>| v.map(seconds).unwrap_or_else(|| "–".into());
            let spread = match (r.mean, r.stddev) {
                (Some(m), Some(s)) => format!("{} ± {}", seconds(m), seconds(s)),
                _ => "–".into(),
            };
            let speed = match (r.speedup, r.speedup_error) {
                _ if r.record.lane.reference => "baseline".into(),
                (Some(s), Some(e)) => super::speedup_cell(s, e),
                _ => "–".into(),
            };
            let result = match (&r.record.failure, &r.record.result, r.record.correct) {
                (Some(f), _, _) => f.clone(),
                (None, Some(v), true) => format!("{v} ✓"),
                (None, Some(v), false) => format!("{v} ✗"),
                (None, None, _) => "–".into(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {spread} | {} | {} | {speed} | {result} |",
                r.record.lane.name,
                cell(r.median),
                cell(r.min),
                cell(r.max)
            );
        }
        out.push_str(&phase_table(report, &exp.experiment));
        out.push_str(&breakdown_table(report, &exp.experiment));
        out.push_str(&route_notes(report, &exp.experiment));
    }
    out.push_str(&build_cost(report));
    out
}

/// Where other routes raced (Cython, mypyc, Numba, PyPy): each one's cost
/// beside its speed, and the fastest right lane, as bullets.
fn route_notes(report: &Report, experiment: &str) -> String {
    let rows: Vec<&super::LaneResult> = report
        .results
        .iter()
        .filter(|r| r.record.experiment == experiment)
        .collect();
    let mut out = String::new();
    let costs = super::routes::cost_lines(report, experiment, &rows);
    for line in costs
        .lines()
        .chain(super::routes::fastest(&rows).as_deref())
    {
        let _ = writeln!(out, "- {}", line.trim());
    }
    if out.is_empty() {
        out
    } else {
        format!("\n{out}")
    }
}

/// A scenario's phases × lanes: each cell the phase's median and its
/// speed-up over the reference's same phase ("≈" where the runs cannot tell
/// the two apart).
fn phase_table(report: &Report, experiment: &str) -> String {
    let rows: Vec<&super::LaneResult> = report
        .results
        .iter()
        .filter(|r| r.record.experiment == experiment && !r.phases.is_empty())
        .collect();
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut out = String::from("\n| phase |");
    for r in &rows {
        let _ = write!(out, " `{}` |", r.record.lane.name);
    }
    let _ = write!(out, "\n|---|{}\n", "---:|".repeat(rows.len()));
    for phase in &first.phases {
        let _ = write!(out, "| {} |", phase.name);
        for r in &rows {
            let cell = match r.phases.iter().find(|p| p.name == phase.name) {
                None => "–".into(),
                Some(p) => {
                    let speed = match (&p.vs_reference, p.speedup) {
                        _ if r.record.lane.reference => String::new(),
                        (Some(t), _) if t.enough() && !t.significant => " (≈ same)".into(),
                        (_, Some(s)) => format!(" ({s:.1}x)"),
                        _ => String::new(),
                    };
                    format!("{}{speed}", seconds(p.median))
                }
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

/// A sweep as a size × lane table of medians, then each lane's growth.
fn sweep_table(report: &Report, name: &str, sweep: &super::SweepReport) -> String {
    let lanes: Vec<&str> = sweep.trends.iter().map(|t| t.lane.as_str()).collect();
    let mut out = format!("\n**{name}**, swept over N\n\n| N |");
    for lane in &lanes {
        let _ = write!(out, " `{lane}` |");
    }
    out.push_str("\n|---:|");
    out.push_str(&"---:|".repeat(lanes.len()));
    out.push('\n');
    for n in &sweep.sizes {
        let _ = write!(out, "| {n} |");
        for lane in &lanes {
            let cell = report
                .sweep_row(&sweep.experiment, lane, *n)
                .and_then(|r| r.median)
                .map_or_else(|| "–".into(), seconds);
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    for t in &sweep.trends {
        if let Some(g) = &t.growth {
            let _ = writeln!(out, "- `{}` grows {}", t.lane, g.describe());
        }
        for c in &t.crossovers {
            let _ = writeln!(out, "- `{}` {}", t.lane, c.describe());
        }
        for c in &t.phase_crossovers {
            let _ = writeln!(out, "- `{}` {}", t.lane, c.describe());
        }
    }
    out
}

/// Debug against release: what each costs to build beside what it gives at run time.
fn build_cost(report: &Report) -> String {
    let mut out = String::from(
        "\n**Build cost**\n\n| experiment | variant | build time | build | module | median run |\n\
         |---|---|---:|---|---:|---:|\n",
    );
    for b in report.builds.iter().filter(|b| b.ok) {
        let run = report.median_run_of(b);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            b.krate,
            b.variant,
            b.seconds.map(seconds).unwrap_or_default(),
            b.kind(),
            bytes(b.module_bytes.unwrap_or(0)),
            run.map(seconds).unwrap_or_else(|| "–".into())
        );
    }
    out
}

/// Where each lane's instructions go, as shares of its instructions per
/// call, and each Rust lane's diagnosis.
fn breakdown_table(report: &Report, experiment: &str) -> String {
    let rows: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.record.experiment == experiment && r.breakdown.is_some())
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\nWhere the instructions go (per call, each function's own):\n\n| lane |");
    let columns = Category::columns(rows.iter().filter_map(|r| r.breakdown.as_ref()));
    for &c in &columns {
        let _ = write!(out, " {} |", c.name());
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for r in &rows {
        let b = r.breakdown.as_ref().expect("filtered");
        let _ = write!(out, "| `{}` |", r.record.lane.name);
        for &c in &columns {
            let _ = write!(out, " {:.0}% |", share_of(b, c) * 100.0);
        }
        out.push('\n');
    }
    for d in rows.iter().filter_map(|r| r.diagnosis.as_ref()) {
        let _ = writeln!(out, "\n- {d}");
    }
    out
}
