//! The other routes to speed beside a Rust port (Cython, mypyc, Numba): what
//! each route lane cost (its module's build, or its JIT's first call), and
//! which right lane was fastest, said against the Rust port.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{LaneResult, Report};
use crate::engine::types::RouteBuild;
use crate::engine::types::{Language, Route};
use crate::units::{bytes, seconds};

/// A route lane's module as the report gives it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RouteRow {
    pub experiment: String,
    pub lane: String,
    pub route: Route,
    /// The tool as pinned: `cython==3.3.1`.
    pub tool: String,
    /// Reused from an earlier build of the same inputs.
    pub reused: bool,
    /// How long the tool took when it made the module.
    pub seconds: f64,
    pub module_bytes: u64,
}

impl RouteRow {
    pub fn new(experiment: &str, lane: &str, build: &RouteBuild) -> Self {
        Self {
            experiment: experiment.to_owned(),
            lane: lane.to_owned(),
            route: build.route,
            tool: build.tool.clone(),
            reused: build.fresh,
            seconds: build.seconds,
            module_bytes: build.module_bytes,
        }
    }
}

/// Each lane row of a route gets its code's change, and of a route that
/// builds its module's cost.
pub fn fill(report: &mut Report) {
    for row in &mut report.results {
        row.code = report
            .experiments
            .iter()
            .filter(|e| e.experiment == row.record.experiment)
            .flat_map(|e| &e.rewrites)
            .find(|w| w.lane == row.record.lane.name)
            .cloned();
        if let Some(built) = report
            .routes
            .iter()
            .find(|b| b.experiment == row.record.experiment && b.lane == row.record.lane.name)
        {
            row.build_seconds = Some(built.seconds);
            row.module_bytes = Some(built.module_bytes);
        }
    }
}

/// "build cost: cython-typed  cython==3.3.1 in 9.4 s, ..." for each route
/// lane that built, and "first call: numba 412 ms (...)" for each JIT.
pub fn cost_lines(report: &Report, experiment: &str, rows: &[&LaneResult]) -> String {
    let mut out = String::new();
    let median = |lane: &str| {
        rows.iter()
            .find(|r| r.record.lane.name == lane)
            .and_then(|r| r.median)
            .map_or_else(|| "-".into(), seconds)
    };
    for b in report.routes.iter().filter(|b| b.experiment == experiment) {
        let _ = writeln!(
            out,
            "  build cost: {} by {} in {}{}, module {}, then {} per run",
            b.lane,
            b.tool,
            seconds(b.seconds),
            if b.reused {
                " (reused: same inputs)"
            } else {
                ""
            },
            bytes(b.module_bytes),
            median(&b.lane),
        );
    }
    let code: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{} {}",
                r.record.lane.name,
                r.code.as_ref()?.describe()
            ))
        })
        .collect();
    if !code.is_empty() {
        let _ = writeln!(out, "  code: {}", code.join("; "));
    }
    for r in rows {
        if let Some(first) = r.record.first_call {
            let _ = writeln!(
                out,
                "  first call: {} {} (the JIT compiling, made before the runs and never timed with them), then {} per run",
                r.record.lane.name,
                seconds(first),
                median(&r.record.lane.name),
            );
        }
    }
    out
}

/// Where a race had other routes than CPython and Rust: the fastest right
/// lane, against the fastest Rust lane (or the fastest other route when the
/// Rust lane won). Medians of the same interleaved race.
pub fn fastest(rows: &[&LaneResult]) -> Option<String> {
    if !rows.iter().any(|r| r.record.lane.route.is_some()) {
        return None;
    }
    let right: Vec<(&LaneResult, f64)> = rows
        .iter()
        .filter(|r| {
            r.record.correct
                && r.record.failure.is_none()
                && r.record.lane.language != Language::Native
        })
        .filter_map(|r| Some((*r, r.median?)))
        .collect();
    let best = |keep: &dyn Fn(&LaneResult) -> bool| {
        right
            .iter()
            .filter(|(r, _)| keep(r))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .copied()
    };
    let (top, t) = best(&|_| true)?;
    let rust = |r: &LaneResult| r.record.lane.language == Language::Rust;
    let (other, o) = if rust(top) {
        best(&|r| !rust(r))?
    } else {
        best(&rust)?
    };
    let whom = if rust(top) {
        format!("{}, the fastest other route", other.record.lane.name)
    } else {
        other.record.lane.name.clone()
    };
    // Closer than a run's own spread on this machine: no winner to name.
    if o / t < TIE {
        return Some(format!(
            "no clear fastest lane: {} ({}) and {whom} ({}) are within {:.0}% of each other on this machine",
            top.record.lane.name,
            seconds(t),
            seconds(o),
            (TIE - 1.0) * 100.0
        ));
    }
    Some(format!(
        "fastest right lane: {} ({}), {:.1}x faster than {whom} ({}) on this machine",
        top.record.lane.name,
        seconds(t),
        o / t,
        seconds(o)
    ))
}

/// Medians closer than this ratio are a tie: two runs of one call differ by
/// 13% (CV) on this machine, and the race's median of a few runs by less.
const TIE: f64 = 1.05;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::{Lane, LaneRecord, Variant};

    fn record(lane: Lane, seconds: f64) -> LaneRecord {
        LaneRecord {
            times: vec![seconds; 3],
            correct: true,
            ..LaneRecord::new("fib", lane, "fib(30)".into())
        }
    }

    fn said(times: [f64; 3]) -> Option<String> {
        let rows = super::super::lane_results(&[
            record(Lane::python("fib", false, true), times[0]),
            record(Lane::routed("cython-typed", Route::Cython), times[1]),
            record(Lane::rust("fib", Variant::release(), true), times[2]),
        ]);
        fastest(&rows.iter().collect::<Vec<_>>())
    }

    #[test]
    fn the_fastest_right_lane_is_named_against_the_rust_port_or_a_tie_is_said() {
        assert_eq!(
            said([0.12, 0.0015, 0.0026]).unwrap(),
            "fastest right lane: cython-typed (1.50 ms), 1.7x faster than rust-release (2.60 ms) on this machine"
        );
        assert_eq!(
            said([0.12, 0.0030, 0.0026]).unwrap(),
            "fastest right lane: rust-release (2.60 ms), 1.2x faster than cython-typed, the fastest other route (3.00 ms) on this machine"
        );
        assert!(
            said([0.12, 0.00262, 0.0026])
                .unwrap()
                .starts_with("no clear fastest lane")
        );
    }
}
