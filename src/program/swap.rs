//! `pyo3-lab swap -- CMD`: the whole program as it is and with each port in
//! place of its Python twin, in paired rounds of alternating order; the
//! end-to-end speed-up with its interval and the paired test, beside what
//! Amdahl's law predicted from the profile's share and the port's speed-up
//! on the recorded calls; and the program's exit code and stdout compared,
//! run by run.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::profile::Profile;
use super::run::{Program, Ran};
use super::{Port, Setting};
use crate::engine::measure::significance::{self, Significance};
use crate::engine::measure::stats::median;

/// Paired rounds unless `--rounds` says otherwise: enough for the paired
/// test to call a difference (8), and two more.
pub const ROUNDS: u64 = 10;

/// What `swap` is asked.
pub struct Options {
    pub rounds: usize,
    pub timeout: Duration,
}

/// The prediction: Amdahl's law over the swapped functions' shares and
/// their ports' speed-ups on the recorded calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub speedup: f64,
    /// Of the profiled run, in the swapped functions and what they call.
    pub share: f64,
    pub functions: Vec<Replayed>,
    /// How much slower the program ran under the profiler, and what share
    /// of that run its samples cover: how rough the share is.
    #[serde(default)]
    pub profile_overhead: f64,
    #[serde(default)]
    pub sampled: f64,
}

/// One port on its twin's recorded calls, round by round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replayed {
    pub name: String,
    pub calls: u64,
    pub share: f64,
    /// The median of the rounds' twin / port ratios.
    pub per_call_speedup: f64,
    pub mean_call_seconds: f64,
    /// The first recorded call the port answered otherwise.
    pub wrong: Option<String>,
}

/// `--json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub command: String,
    pub rounds: usize,
    pub swapped: Vec<String>,
    pub baseline_seconds: Vec<f64>,
    pub swapped_seconds: Vec<f64>,
    pub speedup: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub p: Option<f64>,
    pub significant: bool,
    pub test: Option<String>,
    pub predicted: Option<f64>,
    pub prediction: Option<Prediction>,
    pub output_same: bool,
    /// Where a swapped run first differed from the program as it is.
    pub difference: Option<String>,
    /// Why measurement and prediction part, where they do.
    pub why: Vec<String>,
}

impl Report {
    pub fn read(state: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(state.join("swap.json")).ok()?).ok()
    }

    /// Whether the swap kept the program's behaviour and every port's answers.
    pub fn passed(&self) -> bool {
        self.output_same
            && self
                .prediction
                .as_ref()
                .is_none_or(|p| p.functions.iter().all(|f| f.wrong.is_none()))
    }
}

/// The ports to swap: all of them, or those `only` names (twin or export).
pub fn chosen(ports: Vec<Port>, only: &[String], dir: &Path) -> Result<Vec<Port>> {
    if ports.is_empty() {
        bail!(
            "{}: no exported function has a Python twin in the package to swap it for \
             (pyo3-lab init --list says what init found)",
            dir.display()
        );
    }
    if only.is_empty() {
        return Ok(ports);
    }
    let names: Vec<String> = ports.iter().map(Port::twin).collect();
    only.iter()
        .map(|want| {
            ports
                .iter()
                .find(|p| &p.name == want || &p.port_name == want || &p.twin() == want)
                .cloned()
                .with_context(|| {
                    format!(
                        "--swap {want}: no twin of that name to swap; the functions with a port: {}",
                        names.join(", ")
                    )
                })
        })
        .collect()
}

/// Runs the rounds and the replay; the report.
pub fn swap(
    setting: &Setting,
    program: &Program,
    ports: &[Port],
    options: &Options,
) -> Result<Report> {
    let state = setting.state();
    std::fs::create_dir_all(&state)?;
    // The pairs on the command line: the runner reads no file, imports no
    // json, before the program starts.
    let pairs: Vec<OsString> = ports
        .iter()
        .map(|p| format!("{}:{}={}:{}", p.module, p.name, p.port_module, p.port_name).into())
        .collect();
    let once = |side: usize| -> Result<Ran> {
        let mut args: Vec<OsString> = vec!["swap".into()];
        if side == 1 {
            args.extend(pairs.iter().cloned());
        }
        args.push("--".into());
        args.extend(program.argv.iter().map(Into::into));
        setting.runner(program, args, options.timeout)
    };
    // Each side once untimed: bytecode written, files in the page cache.
    let reference = once(0)?;
    if reference.code != Some(0) {
        bail!("{}", reference.failure(program));
    }
    let mut difference = differs(&reference, &once(1)?);
    let (mut baseline, mut swapped) = (Vec::new(), Vec::new());
    let names: Vec<String> = ports.iter().map(|p| p.twin()).collect();
    for round in 0..options.rounds {
        if difference.is_some() {
            break;
        }
        (setting.say)(format!("round {} of {}", round + 1, options.rounds));
        // Alternating order: a drift of the machine hits both sides alike.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let ran = once(side)?;
            if side == 0 {
                if ran.code != Some(0) {
                    bail!("{}", ran.failure(program));
                }
                baseline.push(ran.seconds);
            } else {
                difference = difference.or_else(|| differs(&reference, &ran));
                swapped.push(ran.seconds);
            }
        }
    }
    let measured: Option<Significance> = significance::speedup(&baseline, &swapped);
    let prediction = predict(setting, program, ports, options.timeout)?;
    let mut report = Report {
        command: program.shown.clone(),
        rounds: baseline.len().min(swapped.len()),
        swapped: names,
        baseline_seconds: baseline,
        swapped_seconds: swapped,
        speedup: measured.as_ref().map(|s| s.ratio),
        interval: measured.as_ref().map(|s| (s.low, s.high)),
        p: measured.as_ref().map(|s| s.p),
        significant: measured.as_ref().is_some_and(|s| s.significant),
        test: measured.as_ref().map(|s| s.test.clone()),
        predicted: prediction.as_ref().map(|p| p.speedup),
        prediction,
        output_same: difference.is_none(),
        difference: difference.map(|d| {
            format!(
                "{d} (swapped: {})",
                ports.iter().map(Port::twin).collect::<Vec<_>>().join(", ")
            )
        }),
        why: Vec::new(),
    };
    report.why = why(&report);
    // What the terminal's program view shows of the last swap.
    std::fs::write(state.join("swap.json"), serde_json::to_vec_pretty(&report)?)?;
    Ok(report)
}

/// How a swapped run differs from the program as it is: its exit code, or
/// the first line of stdout that differs.
fn differs(reference: &Ran, ran: &Ran) -> Option<String> {
    if ran.code != reference.code {
        return Some(format!(
            "the exit code: {:?} swapped, {:?} as it is; the last of its stderr:\n{}",
            ran.code,
            reference.code,
            ran.stderr_tail()
        ));
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (
        reference.stdout.lines().collect(),
        ran.stdout.lines().collect(),
    );
    (0..a.len().max(b.len())).find_map(|i| {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        (x != y).then(|| {
            format!(
                "stdout line {}: {:?} swapped, {:?} as it is",
                i + 1,
                y.unwrap_or("(no line)"),
                x.unwrap_or("(no line)")
            )
        })
    })
}

#[derive(Deserialize)]
struct ReplayRow {
    name: String,
    calls: u64,
    twin_seconds: Vec<f64>,
    port_seconds: Vec<f64>,
    wrong: Option<String>,
}

/// From `profile`'s shares and the recorded calls replayed through twin and
/// port: None when there is no profile of the swapped functions.
fn predict(
    setting: &Setting,
    program: &Program,
    ports: &[Port],
    timeout: Duration,
) -> Result<Option<Prediction>> {
    let Some(profile) = Profile::read(&setting.state()) else {
        (setting.say)("no profile here: run pyo3-lab profile first for a prediction".into());
        return Ok(None);
    };
    let mut functions = Vec::new();
    let mut replays = Vec::new();
    for port in ports {
        let share = profile
            .functions
            .iter()
            .find(|f| f.module.as_deref() == Some(&port.module) && f.name == port.name)
            .map_or(0.0, |f| f.total_share);
        let recorded = profile
            .recorded
            .iter()
            .find(|r| r.module == port.module && r.name == port.name);
        if let Some(pickle) = recorded.and_then(|r| r.pickle.clone()) {
            replays.push(serde_json::json!({
                "pickle": pickle, "module": port.module, "name": port.name,
                "port_module": port.port_module, "port_name": port.port_name,
            }));
        }
        functions.push((
            port.name.clone(),
            share,
            recorded.map_or(0.0, |r| r.mean_call_seconds),
        ));
    }
    if replays.is_empty() {
        (setting.say)(
            "the profile recorded no calls of the swapped functions: no prediction".into(),
        );
        return Ok(None);
    }
    let spec = setting.state().join("replay.json");
    let out = setting.state().join("replayed.json");
    std::fs::write(
        &spec,
        serde_json::json!({"functions": replays, "rounds": 9}).to_string(),
    )?;
    let ran = setting.runner(
        program,
        vec!["replay".into(), spec.into(), out.clone().into()],
        timeout,
    )?;
    if ran.code != Some(0) {
        bail!(
            "replaying the recorded calls failed:\n{}",
            ran.stderr_tail()
        );
    }
    let rows: Vec<ReplayRow> = serde_json::from_slice(&std::fs::read(&out)?)?;
    let replayed: Vec<Replayed> = rows
        .into_iter()
        .map(|r| {
            let (share, mean) = functions
                .iter()
                .find(|f| f.0 == r.name)
                .map_or((0.0, 0.0), |f| (f.1, f.2));
            Replayed {
                per_call_speedup: median(&mut significance::per_round(
                    &r.twin_seconds,
                    &r.port_seconds,
                )),
                name: r.name,
                calls: r.calls,
                share,
                mean_call_seconds: mean,
                wrong: r.wrong,
            }
        })
        .collect();
    let share: f64 = replayed.iter().map(|f| f.share).sum::<f64>().min(1.0);
    let left: f64 = replayed.iter().map(|f| f.share / f.per_call_speedup).sum();
    Ok(Some(Prediction {
        speedup: 1.0 / ((1.0 - share) + left),
        share,
        functions: replayed,
        profile_overhead: profile.profiled_wall_seconds / profile.wall_seconds - 1.0,
        sampled: profile.sampled_seconds / profile.profiled_wall_seconds,
    }))
}

/// Where measured and predicted part, the reasons the numbers point to.
fn why(report: &Report) -> Vec<String> {
    let (Some(p), Some((low, high))) = (&report.prediction, report.interval) else {
        return Vec::new();
    };
    let mut why = Vec::new();
    for f in &p.functions {
        if let Some(w) = &f.wrong {
            why.push(format!(
                "the port answers otherwise on a recorded call: {w}"
            ));
        }
    }
    if (low..=high).contains(&p.speedup) {
        return why;
    }
    // The share is of a run under the profiler: slowed where it sampled,
    // and blind before its first sample.
    if p.profile_overhead > 0.25 || p.sampled < 0.5 {
        why.push(format!(
            "the share is rough: the program ran {:+.0}% slower under the profiler, and the \
             samples cover {:.0}% of that run (what ran before the first sample is taken to be \
             like what they saw); profile a longer run for a closer prediction",
            p.profile_overhead * 100.0,
            p.sampled * 100.0
        ));
    }
    if p.speedup > high {
        for f in p.functions.iter().filter(|f| f.mean_call_seconds < 5e-6) {
            why.push(format!(
                "{}'s calls are short ({} each in Python): the call itself and converting its \
                 arguments are much of each, and weigh more in the program than in the replay",
                f.name,
                crate::units::seconds(f.mean_call_seconds)
            ));
        }
        why.push(
            "time moved elsewhere: start-up, imports and the code around the calls are not \
             ported, and may have taken longer in these runs than in the profiled one"
                .into(),
        );
    } else if p.share < 1.0 && low > 1.0 / (1.0 - p.share) {
        why.push(format!(
            "even the most a port could buy by the profile's share ({:.1}%: at most {:.2}x) is \
             below what was measured, so the profiled run spent more of its time outside the \
             swapped functions than these runs do (a busy moment in its start-up or imports, \
             which slow more than a loop beside other programs): profile again on a quieter \
             machine",
            p.share * 100.0,
            1.0 / (1.0 - p.share)
        ));
    } else if why.is_empty() {
        why.push(
            "the port bought more than its share predicts: the swap also sped up work around \
             the calls (fewer objects made, less for the collector)"
                .into(),
        );
    }
    why
}

/// The report as a person reads it.
pub fn text(report: &Report) -> String {
    use crate::units::seconds;
    let mut out = format!(
        "{}: {} paired rounds, the two in alternating order, each port in place of its twin as \
         its module is imported:\n",
        report.command, report.rounds
    );
    for s in &report.swapped {
        out.push_str(&format!("  {s}\n"));
    }
    if report.rounds > 0 {
        let base = median(&mut report.baseline_seconds.clone());
        let swapped = median(&mut report.swapped_seconds.clone());
        let width = 40.0;
        let bar = |t: f64| {
            let cells = (t / base.max(swapped).max(1e-9) * width).round().max(1.0);
            "█".repeat(cells as usize)
        };
        out.push_str(&format!(
            "  as it is  {:>10}  {}\n",
            seconds(base),
            bar(base)
        ));
        out.push_str(&format!(
            "  swapped   {:>10}  {}\n",
            seconds(swapped),
            bar(swapped)
        ));
    }
    if let (Some(s), Some((low, high))) = (report.speedup, report.interval) {
        out.push_str(&format!(
            "  measured  {s:.2}x faster end to end (99% interval {low:.2}-{high:.2}x, {})\n",
            if report.significant {
                format!("p = {:.4}, significant", report.p.unwrap_or(1.0))
            } else {
                "not significant at this many rounds: raise --rounds".into()
            }
        ));
    }
    match &report.prediction {
        Some(p) => {
            out.push_str(&format!(
                "  predicted {:.2}x by Amdahl's law: {:.1}% of the profiled run in the swapped \
                 functions",
                p.speedup,
                p.share * 100.0
            ));
            for f in &p.functions {
                out.push_str(&format!(
                    "; {} {:.1}x a call on its {} recorded calls",
                    f.name, f.per_call_speedup, f.calls
                ));
            }
            out.push('\n');
        }
        None => out.push_str("  predicted: no profile of the swapped functions here (pyo3-lab profile -- CMD first)\n"),
    }
    for w in &report.why {
        out.push_str(&format!("  why: {w}\n"));
    }
    match &report.difference {
        None => out.push_str("  output    the same in every run: exit code and stdout\n"),
        Some(d) => out.push_str(&format!("  OUTPUT DIFFERS: {d}\n")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(code: i32, stdout: &str) -> Ran {
        Ran {
            seconds: 0.0,
            code: Some(code),
            stdout: stdout.into(),
            stderr: "Traceback\nValueError: boom\n".into(),
        }
    }

    #[test]
    fn a_swapped_run_differs_by_its_exit_code_or_first_other_line() {
        assert_eq!(differs(&ran(0, "a\nb\n"), &ran(0, "a\nb\n")), None);
        let d = differs(&ran(0, "a\nb\n"), &ran(0, "a\nc\n")).unwrap();
        assert!(
            d.starts_with("stdout line 2: \"c\" swapped, \"b\" as it is"),
            "{d}"
        );
        let d = differs(&ran(0, "a\n"), &ran(0, "a\nmore\n")).unwrap();
        assert!(d.contains("(no line)"), "{d}");
        let d = differs(&ran(0, "a\n"), &ran(1, "")).unwrap();
        assert!(
            d.contains("Some(1) swapped") && d.contains("ValueError: boom"),
            "{d}"
        );
    }

    #[test]
    fn where_measurement_and_prediction_part_the_numbers_say_why() {
        let replayed = Replayed {
            name: "f".into(),
            calls: 32,
            share: 0.785,
            per_call_speedup: 12.0,
            mean_call_seconds: 2e-6,
            wrong: None,
        };
        let mut report = Report {
            command: "python app.py".into(),
            rounds: 10,
            swapped: vec!["pkg.f".into()],
            baseline_seconds: vec![0.18; 10],
            swapped_seconds: vec![0.042; 10],
            speedup: Some(4.3),
            interval: Some((4.09, 4.43)),
            p: Some(0.002),
            significant: true,
            test: None,
            predicted: Some(3.57),
            prediction: Some(Prediction {
                speedup: 3.57,
                share: 0.785,
                functions: vec![replayed],
                profile_overhead: 0.32,
                sampled: 0.56,
            }),
            output_same: true,
            difference: None,
            why: Vec::new(),
        };
        let said = why(&report).join("\n");
        assert!(
            said.contains("ran +32% slower under the profiler") && said.contains("56%"),
            "{said}"
        );
        // Predicted above the interval: short calls are named.
        if let Some(p) = report.prediction.as_mut() {
            p.speedup = 6.0;
            p.profile_overhead = 0.02;
            p.sampled = 0.97;
        }
        let said = why(&report).join("\n");
        assert!(
            said.contains("f's calls are short (2.00 µs each in Python)"),
            "{said}"
        );
        assert!(!said.contains("rough"), "{said}");
        // Measured above even the share's bound (78.5%: 4.65x at most).
        if let Some(p) = report.prediction.as_mut() {
            p.speedup = 3.0;
        }
        report.interval = Some((4.8, 5.2));
        let said = why(&report).join("\n");
        assert!(
            said.contains("(78.5%: at most 4.65x) is below what was measured"),
            "{said}"
        );
        report.interval = Some((4.09, 4.43));
        assert!(why(&report).join("\n").contains("fewer objects made"));
        // Inside the interval: nothing to explain.
        if let Some(p) = report.prediction.as_mut() {
            p.speedup = 4.2;
        }
        assert!(why(&report).is_empty());
    }

    #[test]
    fn only_a_function_with_a_twin_can_be_swapped() {
        let port = Port {
            module: "pkg.pure".into(),
            name: "f".into(),
            port_module: "pkg._native".into(),
            port_name: "f".into(),
        };
        let dir = Path::new("/p");
        assert_eq!(
            chosen(vec![port.clone()], &["pkg.pure.f".into()], dir)
                .unwrap()
                .len(),
            1
        );
        let e = chosen(vec![port], &["g".into()], dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--swap g: no twin") && e.contains("pkg.pure.f"),
            "{e}"
        );
        assert!(chosen(Vec::new(), &[], dir).is_err());
    }
}
