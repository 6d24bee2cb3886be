//! The results as CSV, one row per lane (and size, in a sweep), in the
//! spirit of hyperfine's `--export-csv`: its columns first, then the lab's.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record([
        "command",
        "mean",
        "stddev",
        "median",
        "min",
        "max",
        "parameter_n",
        "experiment",
        "lane",
        "implementation",
        "language",
        "variant",
        "correct",
        "speedup",
        "memory_peak_bytes",
        "instructions",
        "failure",
    ]);
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in &report.results {
        let n = r.size().map(|n| n.to_string()).unwrap_or_default();
        let _ = out.write_record([
            r.record.command.clone(),
            num(r.mean),
            num(r.stddev),
            num(r.median),
            num(r.min),
            num(r.max),
            n,
            r.record.experiment.clone(),
            r.record.lane.name.clone(),
            r.record.lane.implementation.clone(),
            format!("{:?}", r.record.lane.language).to_lowercase(),
            r.record
                .lane
                .variant
                .as_ref()
                .map(|v| v.name().to_owned())
                .unwrap_or_default(),
            r.record.correct.to_string(),
            num(r.speedup),
            r.memory_peak_bytes
                .map(|b| b.to_string())
                .unwrap_or_default(),
            num(r.instructions),
            r.record.failure.clone().unwrap_or_default(),
        ]);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}
