//! `pyo3-lab compare A.json B.json ...`: the reports of a CI matrix (Python
//! versions, machines, commits) or of two branches, side by side, as critcmp
//! does for criterion. Each cell is a lane's speed-up over its own report's
//! reference lane: a ratio made within one run, so reports from different
//! machines still compare. Every report after the first is set against the
//! first, lane by lane, and the difference is called significant or not
//! (`engine::measure::significance`), on instruction counts where both have them.

use super::error::FileError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{LaneResult, Report};
use crate::engine::measure::significance::{self, Significance};
use crate::engine::measure::stats;

/// An instruction ratio this far from 1 is a real difference: callgrind's
/// counts move by far less between runs of the same build.
const INSTRUCTIONS_NOISE: f64 = 0.01;

/// One report, read and checked.
#[derive(Debug)]
pub struct Input {
    pub name: String,
    pub report: Report,
}

/// Reads `path` as a report of this pyo3-lab; the error is one line naming
/// the file and why.
pub fn read(path: &Path) -> Result<Input, FileError> {
    let shown = path.display();
    let path_buf = || path.to_owned();
    let bytes = std::fs::read(path).map_err(|source| FileError::Unreadable {
        path: path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| FileError::NotJson {
            path: path_buf(),
            source,
        })?;
    let tool = value["tool"].as_str().unwrap_or_default().to_owned();
    if !tool.starts_with("pyo3-lab ") {
        return Err(FileError::NoTool { path: path_buf() });
    }
    let ours = format!("pyo3-lab {}", env!("CARGO_PKG_VERSION"));
    if tool != ours {
        return Err(FileError::OtherVersion {
            path: path_buf(),
            tool,
            ours,
        });
    }
    let report: Report = serde_json::from_value(value).map_err(|source| FileError::NotAReport {
        path: path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    Ok(Input { name, report })
}

/// A lane in one report.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// Speed-up over the report's own reference lane (medians); None when the
    /// lane did not run there.
    pub speedup: Option<f64>,
    /// Against the first report's cell: this speed-up over that one (below 1:
    /// slower), tested. None in the first column.
    pub against_first: Option<Significance>,
    /// "instructions" or "wall time": what the test was made on.
    pub measure: Option<String>,
    /// The lane answered wrong there: its time is no speed-up (a typed route
    /// that overflowed is fast at computing the wrong number).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub wrong: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub experiment: String,
    pub lane: String,
    pub size: Option<u64>,
    /// One phase of a scenario lane, set against the reference's same phase;
    /// None for the whole lane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub cells: Vec<Cell>,
}

/// What a row is of: experiment, lane, size, and the phase if it is one.
type Key = (String, String, Option<u64>, Option<String>);

/// The reference lane of `lane`'s experiment (and size) in `report`.
fn reference<'a>(report: &'a Report, lane: &LaneResult) -> Option<&'a LaneResult> {
    report.results.iter().find(|r| {
        r.record.lane.reference
            && r.record.experiment == lane.record.experiment
            && r.size() == lane.size()
    })
}

fn find<'a>(report: &'a Report, key: &Key) -> Option<&'a LaneResult> {
    report
        .results
        .iter()
        .find(|r| r.record.experiment == key.0 && r.record.lane.name == key.1 && r.size() == key.2)
}

/// The lane's reference's run times and its own, per call.
pub(super) fn runs<'a>(report: &'a Report, lane: &'a LaneResult) -> Option<(&'a [f64], &'a [f64])> {
    let reference = reference(report, lane)?;
    (!reference.record.times.is_empty() && !lane.record.times.is_empty()).then_some((
        reference.record.times.as_slice(),
        lane.record.times.as_slice(),
    ))
}

/// The run times of the lane's reference and its own, of the whole lane or
/// of one phase of it (beside the same phase of the reference).
fn runs_of<'a>(
    report: &'a Report,
    lane: &'a LaneResult,
    phase: Option<&str>,
) -> Option<(&'a [f64], &'a [f64])> {
    let Some(phase) = phase else {
        return runs(report, lane);
    };
    let times = |r: &'a LaneResult| {
        r.phases
            .iter()
            .find(|p| p.name == phase)
            .map(|p| p.times.as_slice())
            .filter(|t| !t.is_empty())
    };
    Some((times(reference(report, lane)?)?, times(lane)?))
}

/// This lane (or phase) in report `now` against the same in `first`.
fn against(
    first: (&Report, &LaneResult),
    now: (&Report, &LaneResult),
    phase: Option<&str>,
) -> Option<(Significance, String)> {
    if let (None, Some(i0), Some(i1)) = (
        phase,
        first.1.instruction_speedup,
        now.1.instruction_speedup,
    ) {
        let ratio = i1 / i0;
        return Some((
            Significance {
                test: format!(
                    "instruction counts, a difference past {INSTRUCTIONS_NOISE:.0e} is real"
                ),
                ratio,
                low: ratio,
                high: ratio,
                p: if (ratio - 1.0).abs() > INSTRUCTIONS_NOISE {
                    0.0
                } else {
                    1.0
                },
                significant: (ratio - 1.0).abs() > INSTRUCTIONS_NOISE,
                // Counts need no repeated runs to be told apart.
                n: 1,
                needed: 1,
            },
            "instructions".into(),
        ));
    }
    let (r0, l0) = runs_of(first.0, first.1, phase)?;
    let (r1, l1) = runs_of(now.0, now.1, phase)?;
    // (speed-up now) / (speed-up first), each report's speed-ups per round
    // (paired within its race), the two reports tested against each other.
    let tested = significance::two_sample(
        &significance::per_round(r1, l1),
        &significance::per_round(r0, l0),
    )?;
    Some((tested, "wall time".into()))
}

/// Every non-reference lane of every report, a row each (and a row for
/// each phase of a scenario lane), in the order they first appear.
pub fn table(inputs: &[Input]) -> Vec<Row> {
    let mut keys: Vec<Key> = Vec::new();
    for input in inputs {
        for r in input
            .report
            .results
            .iter()
            .filter(|r| !r.record.lane.reference)
        {
            let phases = r.phases.iter().map(|p| Some(p.name.clone()));
            for phase in std::iter::once(None).chain(phases) {
                let key = (
                    r.record.experiment.clone(),
                    r.record.lane.name.clone(),
                    r.size(),
                    phase,
                );
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    keys.into_iter()
        .map(|key| {
            let first = inputs
                .first()
                .and_then(|i| find(&i.report, &key).map(|l| (&i.report, l)));
            let cells = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let lane = find(&input.report, &key);
                    let phase = key.3.as_deref();
                    let speedup = lane
                        .and_then(|l| runs_of(&input.report, l, phase))
                        .and_then(|(r, l)| stats::median_ratio(r, l));
                    let tested = match (i, first, lane) {
                        (1.., Some(first), Some(lane)) => {
                            against(first, (&input.report, lane), phase)
                        }
                        _ => None,
                    };
                    Cell {
                        speedup,
                        measure: tested.as_ref().map(|t| t.1.clone()),
                        against_first: tested.map(|t| t.0),
                        wrong: lane.is_some_and(|l| !l.record.correct),
                    }
                })
                .collect();
            Row {
                experiment: key.0,
                lane: key.1,
                size: key.2,
                phase: key.3,
                cells,
            }
        })
        .collect()
}

/// A cell in words: `45.2x`, then against the first report
/// `0.80x, slower (p < 0.001)` or `1.01x, no significant difference (p = 0.62)`.
pub fn cell_text(cell: &Cell) -> String {
    let Some(s) = cell.speedup else {
        return "-".into();
    };
    if cell.wrong {
        return format!("WRONG ({s:.2}x)");
    }
    match &cell.against_first {
        None => format!("{s:.2}x"),
        Some(t) if !t.enough() => format!("{s:.2}x ({:.2}x, {})", t.ratio, t.p_text()),
        Some(t) if !t.significant => {
            format!(
                "{s:.2}x ({:.2}x, no significant difference, {})",
                t.ratio,
                t.p_text()
            )
        }
        Some(t) => format!(
            "{s:.2}x ({:.2}x, significantly {}, {})",
            t.ratio,
            if t.ratio < 1.0 { "slower" } else { "faster" },
            t.p_text()
        ),
    }
}

fn lane_name(row: &Row) -> String {
    let lane = match row.size {
        Some(n) => format!("{} (N = {n})", row.lane),
        None => row.lane.clone(),
    };
    match &row.phase {
        Some(phase) => format!("{lane} · {phase}"),
        None => lane,
    }
}

/// The table for a terminal.
pub fn text(inputs: &[Input], rows: &[Row]) -> String {
    let header: Vec<String> = ["experiment".to_owned(), "lane".to_owned()]
        .into_iter()
        .chain(inputs.iter().map(|i| i.name.clone()))
        .collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            [r.experiment.clone(), lane_name(r)]
                .into_iter()
                .chain(r.cells.iter().map(cell_text))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(&header)
                .chain(&body)
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::from(
        "speed-up over each report's own reference lane; in brackets, against the first report\n",
    );
    for row in std::iter::once(&header).chain(&body) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    if any_wrong(rows) {
        let _ = writeln!(out, "{WRONG_NOTE}");
    }
    out
}

/// Said under a table with a wrong answer in it.
const WRONG_NOTE: &str = "WRONG: the lane's answer differed from its reference's in that report; \
     in brackets how fast it computed it, which is no speed-up.";

fn any_wrong(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.cells.iter().any(|c| c.wrong))
}

/// The same table as Markdown.
pub fn markdown(inputs: &[Input], rows: &[Row]) -> String {
    let mut out = String::from(
        "Speed-up over each report's own reference lane; in brackets, against the first report.\n\n",
    );
    let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let _ = writeln!(out, "| experiment | lane | {} |", names.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(names.len()));
    for r in rows {
        let cells: Vec<String> = r.cells.iter().map(cell_text).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            r.experiment,
            lane_name(r),
            cells.join(" | ")
        );
    }
    if any_wrong(rows) {
        let _ = writeln!(out, "\n{WRONG_NOTE}");
    }
    out
}

/// The cells slower than the first report by more than `percent`, even at
/// the interval's most favourable end: what `--fail-if-slower` fails on.
pub fn regressions(inputs: &[Input], rows: &[Row], percent: f64) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows {
        for (cell, input) in r.cells.iter().zip(inputs).skip(1) {
            let Some(t) = cell.against_first.as_ref().filter(|t| t.significant) else {
                continue;
            };
            let least = 1.0 / t.high - 1.0;
            if least * 100.0 > percent {
                out.push(format!(
                    "{} {} in {}: {:.0}% slower than in {} (at least {:.0}%, {})",
                    r.experiment,
                    lane_name(r),
                    input.name,
                    100.0 * (1.0 / t.ratio - 1.0),
                    inputs[0].name,
                    100.0 * least,
                    t.p_text()
                ));
            }
        }
    }
    out
}

/// What `compare` was asked: the files, and where the Markdown goes.
pub struct Args {
    pub reports: Vec<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub fail_if_slower: Option<f64>,
}

/// Runs `compare`: the table on stdout (and as Markdown), exit 1 on a
/// regression past `--fail-if-slower`, exit 2 when a file is not a report.
pub fn run(args: &Args) -> std::process::ExitCode {
    use std::process::ExitCode;
    if let Some(pct) = args
        .fail_if_slower
        .filter(|p| !(p.is_finite() && *p >= 0.0))
    {
        eprintln!("error: --fail-if-slower {pct}: give a percentage >= 0");
        return ExitCode::from(2);
    }
    let inputs = match args
        .reports
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rows = table(&inputs);
    print!("{}", text(&inputs, &rows));
    if let Some(path) = &args.markdown
        && let Err(e) = std::fs::write(path, markdown(&inputs, &rows))
    {
        eprintln!("error: --markdown {}: {e}", path.display());
        return ExitCode::from(2);
    }
    let Some(pct) = args.fail_if_slower else {
        return ExitCode::SUCCESS;
    };
    let slower = regressions(&inputs, &rows, pct);
    if slower.is_empty() {
        println!(
            "no lane slower than in {} by more than {pct}%",
            inputs[0].name
        );
        return ExitCode::SUCCESS;
    }
    println!("FAILED: slower by more than {pct}%:");
    for s in slower {
        println!("  - {s}");
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::{Lane, LaneRecord, Variant};

    fn record(lane: Lane, times: Vec<f64>) -> LaneRecord {
        LaneRecord {
            times,
            result: Some("9227465".into()),
            ..LaneRecord::new("fibonacci", lane, "fib(35)".into())
        }
    }

    /// A report whose python runs take `python` s and rust-release `rust` s
    /// (each times a little noise), rust-debug always 10x python's speed.
    fn input(name: &str, python: f64, rust: f64) -> Input {
        let noisy = |x: f64| vec![x, x * 1.01, x * 0.99, x * 1.02, x * 0.98];
        let mut report = Report::begin(None, 5, 1);
        report.results = super::super::lane_results(&[
            record(Lane::python("python", true, true), noisy(python)),
            record(
                Lane::rust("run", Variant::debug(), true),
                noisy(python / 10.0),
            ),
            record(Lane::rust("run", Variant::release(), true), noisy(rust)),
        ]);
        Input {
            name: name.into(),
            report,
        }
    }

    /// Two reports of a scenario: the lane as a whole the same, but one
    /// phase twice as slow in the second, which its own row shows.
    #[test]
    fn each_phase_of_a_scenario_lane_gets_a_row() {
        use crate::engine::types::PhaseTimes;
        let noisy = |x: f64| {
            vec![
                x,
                x * 1.01,
                x * 0.99,
                x * 1.02,
                x * 0.98,
                x * 1.005,
                x * 0.995,
                x,
            ]
        };
        let with_phases = |insert: f64, lookup: f64| {
            let phases = |a: f64, b: f64| {
                vec![
                    PhaseTimes {
                        name: "insert".into(),
                        times: noisy(a),
                    },
                    PhaseTimes {
                        name: "lookup".into(),
                        times: noisy(b),
                    },
                ]
            };
            let mut report = Report::begin(None, 8, 1);
            report.results = super::super::lane_results(&[
                LaneRecord {
                    phases: phases(2.0, 2.0),
                    ..record(Lane::python("python", true, true), noisy(4.0))
                },
                LaneRecord {
                    phases: phases(insert, lookup),
                    ..record(
                        Lane::rust("run", Variant::release(), true),
                        noisy(insert + lookup),
                    )
                },
            ]);
            report
        };
        let inputs = [
            Input {
                name: "a.json".into(),
                report: with_phases(0.5, 1.5),
            },
            Input {
                name: "b.json".into(),
                report: with_phases(1.0, 1.0),
            },
        ];
        let rows = table(&inputs);
        let names: Vec<String> = rows.iter().map(lane_name).collect();
        assert_eq!(
            names,
            [
                "rust-release",
                "rust-release · insert",
                "rust-release · lookup"
            ]
        );
        let insert = rows[1].cells[1].against_first.as_ref().unwrap();
        assert!(
            insert.significant && (insert.ratio - 0.5).abs() < 0.05,
            "{insert:?}"
        );
        let lookup = rows[2].cells[1].against_first.as_ref().unwrap();
        assert!(lookup.significant && lookup.ratio > 1.4, "{lookup:?}");
        let whole = rows[0].cells[1].against_first.as_ref().unwrap();
        assert!(!whole.significant, "the sum is the same: {whole:?}");
    }

    #[test]
    fn the_same_numbers_are_no_difference_and_a_lane_twenty_percent_slower_is() {
        // Another machine, twice as slow throughout: the ratios are the same.
        let inputs = [
            input("a.json", 3.0, 0.06),
            input("b.json", 6.0, 0.12),
            input("c.json", 3.0, 0.072),
        ];
        let rows = table(&inputs);
        assert_eq!(rows.len(), 2, "python is every report's reference");
        let release = rows.iter().find(|r| r.lane == "rust-release").unwrap();
        let same = release.cells[1].against_first.as_ref().unwrap();
        assert!(
            !same.significant && (same.ratio - 1.0).abs() < 1e-9,
            "{same:?}"
        );
        let slower = release.cells[2].against_first.as_ref().unwrap();
        assert!(
            slower.significant && (slower.ratio - 1.0 / 1.2).abs() < 1e-9,
            "{slower:?}"
        );
        let shown = text(&inputs, &rows);
        assert!(
            shown.contains("50.00x (1.00x, no significant difference")
                && shown.contains("41.67x (0.83x, significantly slower, p = 0.008)"),
            "{shown}"
        );
        let failed = regressions(&inputs, &rows, 10.0);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(
            failed[0].starts_with("fibonacci rust-release in c.json: 20% slower than in a.json")
        );
        assert!(regressions(&inputs, &rows, 25.0).is_empty());
        let md = markdown(&inputs, &rows);
        assert!(
            md.contains("| experiment | lane | a.json | b.json | c.json |"),
            "{md}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_of_this_version_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let err = read(&write("x.json", "{ not json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.json: not a pyo3-lab report: not JSON"),
            "{err}"
        );
        let err = read(&write("h.json", r#"{"results": []}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("h.json: not a pyo3-lab report"), "{err}");
        let err = read(&write("old.json", r#"{"tool": "pyo3-lab 0.0.1"}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("made by pyo3-lab 0.0.1"), "{err}");
        let err = read(&dir.path().join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.json: cannot read it"), "{err}");
    }
}
