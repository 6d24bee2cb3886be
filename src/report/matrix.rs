//! The build matrix: for an experiment raced in several build
//! configurations, a row per Rust implementation and variant with what the
//! build cost (time, module size) and what it bought (speed-up over the
//! reference, and against the `release` build: a ratio with its interval, the
//! instruction ratio when counted, and a verdict in words).

use serde::{Deserialize, Serialize};

use super::{BuildRow, LaneResult, Report};
use crate::engine::measure::significance::{self, Significance};
use crate::engine::measure::stats;
use crate::engine::types::{Language, Variant};
use crate::units::{bytes, seconds};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatrixRow {
    pub experiment: String,
    pub implementation: String,
    pub variant: String,
    /// What it builds with, in words.
    pub settings: String,
    pub build_seconds: Option<f64>,
    /// Whether that build compiled pyo3 too (clean) or reused it.
    pub build_clean: Option<bool>,
    pub module_bytes: Option<u64>,
    /// Over the reference lane, a ratio of medians.
    pub speedup: Option<f64>,
    /// Against the `release` build of the same implementation: above 1 faster.
    pub vs_release: Option<Significance>,
    /// Release's instructions per call over this one's (above 1: fewer).
    pub instructions_vs_release: Option<f64>,
    pub verdict: String,
}

/// The rows of `experiment`, when it raced a variant other than debug and
/// release (the chapter's pair has its own "build cost" lines).
pub fn rows(report: &Report, experiment: &str) -> Vec<MatrixRow> {
    let lanes: Vec<&LaneResult> = report
        .results
        .iter()
        // A sweep's rows (one per size) have their own table.
        .filter(|r| {
            r.record.experiment == experiment
                && r.record.lane.language == Language::Rust
                && r.parameters.is_none()
        })
        .collect();
    if lanes
        .iter()
        .all(|r| r.record.lane.variant.as_ref().is_none_or(|v| v.plain()))
    {
        return Vec::new();
    }
    let reference = report
        .results
        .iter()
        .find(|r| r.record.experiment == experiment && r.record.lane.reference);
    lanes
        .iter()
        .filter_map(|lane| {
            let variant = lane.record.lane.variant.clone()?;
            let build = report
                .builds
                .iter()
                .find(|b| b.krate == experiment && b.variant == variant.name());
            let release = lanes.iter().find(|r| {
                r.record.lane.implementation == lane.record.lane.implementation
                    && r.record.lane.variant == Some(Variant::release())
            });
            Some(row(lane, variant, build, reference, release.copied()))
        })
        .collect()
}

fn row(
    lane: &LaneResult,
    variant: Variant,
    build: Option<&BuildRow>,
    reference: Option<&LaneResult>,
    release: Option<&LaneResult>,
) -> MatrixRow {
    let vs_release = release
        .filter(|_| variant != Variant::release())
        .and_then(|r| significance::speedup(&r.record.times, &lane.record.times));
    let instructions_vs_release = release
        .filter(|_| variant != Variant::release())
        .and_then(|r| Some(r.instructions? / lane.instructions?));
    let mut row = MatrixRow {
        experiment: lane.record.experiment.clone(),
        implementation: lane.record.lane.implementation.clone(),
        variant: variant.name().into(),
        settings: variant.profile(),
        build_seconds: build.and_then(|b| b.seconds),
        build_clean: build.and_then(|b| b.clean),
        module_bytes: build.and_then(|b| b.module_bytes),
        speedup: reference.and_then(|r| stats::median_ratio(&r.record.times, &lane.record.times)),
        vs_release,
        instructions_vs_release,
        verdict: String::new(),
    };
    row.verdict = verdict(&row);
    row
}

/// Instruction counts this close to release's (a fraction) are the same code.
const SAME_CODE: f64 = 0.001;

/// "lto: 1.04x faster than release (instructions 3.1% fewer), significant"
/// or "abi3: no measurable difference from release (p = 0.41)".
fn verdict(row: &MatrixRow) -> String {
    let name = &row.variant;
    if name == "release" {
        return "release: the yardstick of this table".into();
    }
    let instructions = row
        .instructions_vs_release
        .map(|i| {
            let change = 1.0 / i - 1.0;
            format!(
                " (instructions {:.1}% {})",
                100.0 * change.abs(),
                if change < 0.0 { "fewer" } else { "more" }
            )
        })
        .unwrap_or_default();
    // The same instructions, to within 0.1%, is the same code: whatever the
    // clock says beside it is code layout or the machine, never a better or
    // worse build.
    if row
        .instructions_vs_release
        .is_some_and(|i| (i - 1.0).abs() <= SAME_CODE)
    {
        let time = match &row.vs_release {
            Some(t) if t.ratio >= 1.0 => format!("{:.2}x the speed", t.ratio),
            Some(t) => format!("{:.2}x slower", 1.0 / t.ratio),
            None => "no time compared".into(),
        };
        return format!(
            "{name}: the same code as release{instructions}; wall time {time}: code layout or \
             the machine, not the build"
        );
    }
    match &row.vs_release {
        None => format!("{name}: not compared (no release lane, or too few runs){instructions}"),
        Some(t) if !t.enough() => format!(
            "{name}: {:.2}x release's speed{instructions}, {}",
            t.ratio,
            t.p_text()
        ),
        Some(t) if !t.significant => format!(
            "{name}: no measurable difference from release ({}){instructions}",
            t.p_text()
        ),
        Some(t) if t.ratio >= 1.0 => format!(
            "{name}: {:.2}x faster than release{instructions}, significant ({})",
            t.ratio,
            t.p_text()
        ),
        Some(t) => format!(
            "{name}: {:.2}x slower than release{instructions}, significant ({})",
            1.0 / t.ratio,
            t.p_text()
        ),
    }
}

/// The matrix under a race table, when there is one.
pub fn text(report: &Report, experiment: &str) -> String {
    let rows = rows(report, experiment);
    if rows.is_empty() {
        return String::new();
    }
    // Build times compare only like with like: both clean, or both reusing pyo3.
    let release_build = rows
        .iter()
        .find(|r| r.variant == "release")
        .map(|r| (r.build_seconds, r.build_clean));
    let mut out = String::from(
        "  build matrix: each variant against release (the median of per-round ratios, its 99% interval)\n",
    );
    out.push_str(&format!(
        "    {:<18} {:>10} {:>7} {:>9} {:>10} {:>22}  verdict\n",
        "variant", "build", "", "module", "vs python", "vs release"
    ));
    for r in &rows {
        let label = if rows.iter().any(|o| o.implementation != r.implementation) {
            format!("{} ({})", r.implementation, r.variant)
        } else {
            r.variant.clone()
        };
        let build_ratio = match (r.build_seconds, release_build) {
            (Some(s), Some((Some(rel), clean)))
                if r.variant != "release" && rel > 0.0 && clean == r.build_clean =>
            {
                format!("; {:.1}x the build time", s / rel)
            }
            _ => String::new(),
        };
        out.push_str(&format!(
            "    {:<18} {:>10} {:>7} {:>9} {:>10} {:>22}  {}{}\n",
            label,
            r.build_seconds.map(seconds).unwrap_or_else(|| "-".into()),
            match r.build_clean {
                Some(true) => "clean",
                Some(false) => "incr.",
                None => "",
            },
            r.module_bytes.map(bytes).unwrap_or_else(|| "-".into()),
            r.speedup.map_or_else(|| "-".into(), |s| format!("{s:.1}x")),
            r.vs_release.as_ref().map_or_else(
                || "-".into(),
                |t| format!("{:.3}x [{:.3}, {:.3}]", t.ratio, t.low, t.high)
            ),
            r.verdict,
            build_ratio
        ));
    }
    out
}
