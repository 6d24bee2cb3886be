//! Where Rust wins, as curves: size sweeps with growth fits, files to keep,
//! and thread sweeps of a user's own functions.

mod common;

use serde_json::Value;

/// One measuring test at a time: these compare times, and a second test
/// running beside one would take a core from it.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn growth<'a>(report: &'a Value, lane: &str) -> &'a Value {
    report["sweeps"][0]["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lane"] == lane)
        .map(|t| &t["growth"])
        .unwrap_or_else(|| panic!("no trend for {lane}: {report}"))
}

/// The points `lane`'s growth was fitted to, each checked against the
/// report's own rows: the fastest of that size's runs.
fn fitted_points(report: &Value, lane: &str) -> Vec<(f64, f64)> {
    let trend = report["sweeps"][0]["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lane"] == lane)
        .unwrap();
    let points: Vec<(f64, f64)> = trend["fitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    for &(n, t) in &points {
        let row = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                let size = r["parameters"]["n"]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok());
                r["lane"] == lane && size == Some(n)
            })
            .unwrap_or_else(|| panic!("{lane}: no row at {n}"));
        let fastest = row["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert_eq!(
            t, fastest,
            "{lane} at {n}: the fitted point is its fastest run"
        );
    }
    points
}

/// The least-squares slope of ln(time) on N: the factor per step of N.
fn least_squares_factor(points: &[(f64, f64)]) -> f64 {
    let k = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / k;
    let my = points.iter().map(|p| p.1.ln()).sum::<f64>() / k;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1.ln() - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    (sxy / sxx).exp()
}

#[test]
fn fib_grows_by_the_golden_ratio_and_the_files_hold_every_curve() {
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let (svg, csv) = (dir.path().join("r.svg"), dir.path().join("r.csv"));
    let run = common::check(&[
        "--lab",
        "lab/fibonacci",
        "--sweep",
        "20..30",
        "--steps",
        "6",
        "--variants",
        "release",
        "--plot",
        svg.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    // Naive fib's work is its calls, φ = 1.618 more a step; its time per
    // call is not quite constant (here Python's fell 30% from N = 20 to 30,
    // a fit of 1.55), and load bends it further. So the fit is held to what
    // this run measured: it is the least-squares fit of the points the
    // report gives beside it, each the fastest run of its size's row. And
    // the factor is fib's, per step of N: nearer φ than φ² (a fit per sweep
    // step of 2) or √φ.
    let phi: f64 = 1.618;
    for lane in ["python", "rust-release", "rust-native"] {
        let g = growth(&run.report, lane);
        assert_eq!(g["model"], "exponential", "{g}");
        let factor = g["factor_per_step"].as_f64().unwrap();
        let points = fitted_points(&run.report, lane);
        assert_eq!(points.len(), 6, "{lane}: every size fitted");
        let ours = least_squares_factor(&points);
        assert!(
            (factor / ours - 1.0).abs() < 1e-9,
            "{lane}: the fit {factor} is not the fit of its points, {ours}"
        );
        // Python's calls are long enough for their growth to be fib's under
        // load too; Rust's (20 µs to 2 ms) bend with a machine whose load
        // changes from one size to the next (1.42 beside two hogs and three
        // other test binaries): they are held to growing, and the fit above.
        let off = |k: f64| (factor.ln() - k * phi.ln()).abs();
        if lane == "python" {
            assert!(
                off(1.0) < off(2.0) && off(1.0) < off(0.5),
                "{lane}: {factor} per step is not φ's growth"
            );
        } else {
            assert!(factor > 1.2, "{lane}: {factor} per step is no growth");
        }
    }
    let rows = run.report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 6 * 3, "sizes × lanes (python, release, native)");
    assert_eq!(rows[0]["parameters"]["n"], "20");
    assert!(
        run.stdout.contains("per step of N (exponential fit"),
        "{}",
        run.stdout
    );
    let svg = std::fs::read_to_string(&svg).unwrap();
    for lane in ["python", "rust-release", "rust-native"] {
        assert!(
            svg.contains(&format!(">\n{lane}\n<")),
            "the legend names {lane}"
        );
    }
    assert!(svg.matches("<polyline").count() >= 3, "a curve per lane");
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 3, "{csv}");
    assert!(
        csv.starts_with("command,mean,stddev,median"),
        "hyperfine's columns first"
    );
}

#[test]
fn listsum_grows_linearly() {
    let _turn = turn();
    let run = common::check(&[
        "--lab",
        "lab/listsum",
        "--sweep",
        "10000..1000000",
        "--steps",
        "5",
        "--variants",
        "release",
        "--runs",
        "3",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Linear work, told from quadratic (N^2): a million ints meet the caches,
    // and with four test binaries and two CPU hogs beside it both lanes have
    // read N^1.33 (Rust once, Python once, three runs a size), so the band
    // is a bound on the model, not a timing claim.
    for lane in ["python", "rust-release"] {
        let g = growth(&run.report, lane);
        assert_eq!(g["model"], "power", "{g}");
        let k = g["exponent"].as_f64().unwrap();
        assert!((0.7..1.6).contains(&k), "{lane}: N^{k}");
    }
}

#[test]
fn a_sweep_outside_the_knob_or_a_bad_thread_count_is_a_usage_error() {
    let run = common::check(&["--sweep", "90..100"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("0..=93") && run.stderr.contains("fibonacci"),
        "{}",
        run.stderr
    );
    for bad in ["0", "65"] {
        let run = common::check(&["--threads", bad]);
        assert_eq!(run.code, Some(2), "--threads {bad}");
    }
}

#[test]
fn a_function_that_releases_the_gil_scales_and_one_that_holds_it_does_not() {
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("mixed_threads");
    common::copy_dir(&common::project().join("tests/fixtures/mixed"), &copy);
    let lab_toml = std::fs::read_to_string(copy.join("lab.toml")).unwrap();
    let two = lab_toml
        .replace(
            "function = \"search\"\nlabel = \"parallel\"",
            "function = \"search_released\"\nlabel = \"released\"",
        )
        .replace("label = \"sequential\"", "label = \"holding\"");
    std::fs::write(copy.join("lab.toml"), two).unwrap();
    let run = common::check_once(&[
        "--lab",
        copy.to_str().unwrap(),
        "--variants",
        "release",
        "--threads",
        "1,2",
        "--n",
        "300000",
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    // Each lane judged against what native Rust threads reached in its own
    // batches (interleaved with them), not against a fixed ratio that a busy
    // machine breaks.
    let at_two = |lane: &str| {
        run.report["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["lane"] == lane && r["threads"] == 2)
            .map(|r| {
                (
                    r["speedup"].as_f64().unwrap(),
                    r["capacity"].as_f64().unwrap(),
                )
            })
            .unwrap_or_else(|| panic!("no row for {lane}: {}", run.report["threads"]))
    };
    let (released, free_r) = at_two("released (release)");
    let (holding, free_h) = at_two("holding (release)");
    let capacity = free_r.min(free_h);
    // Whether the GIL is released is read from the CPU time: threads that
    // take turns keep one thread's cores busy however loaded the machine
    // is; ones that release it keep more. Wall-time speed-ups are not
    // asserted: beside two CPU hogs a releasing function once got 1.25x
    // where the yardstick reached 1.71x, and under bursts 1.59x of 2.00x.
    // Where the machine clearly gave more than one core (1.7x, the lab's
    // own bar for a failure) each is named rightly; under 1.3x the lab says
    // it can't tell; and a holding function is never said to release it.
    let said = |lane: &str| {
        run.stdout
            .lines()
            .filter(|l| l.contains(lane) && l.contains("2 threads"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        !said("holding").contains("(releases the GIL"),
        "a function that holds the GIL never scales: {holding} of {free_h}\n{}\n{}",
        run.stdout,
        run.report["threads"]
    );
    if capacity >= 1.7 {
        assert!(
            said("released").contains("(releases the GIL")
                && !said("released").contains("holds the GIL"),
            "a function that releases the GIL: {released} of {free_r}\n{}\n{}",
            run.stdout,
            run.report["threads"]
        );
        assert!(said("holding").contains("holds the GIL"), "{}", run.stdout);
    } else if capacity < 1.5 {
        assert!(run.stdout.contains("can't tell"), "{}", run.stdout);
    }
}

#[test]
fn ctrl_c_mid_sweep_keeps_what_was_measured_marked_incomplete() {
    use std::process::Command;
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("r.json"), dir.path().join("r.csv"));
    let args: Vec<&std::ffi::OsStr> = [
        "--check",
        "--sweep",
        "24..34",
        "--steps",
        "6",
        "--variants",
        "release",
        "--json",
    ]
    .iter()
    .map(|a| a.as_ref())
    .chain([json.as_os_str(), "--csv".as_ref(), csv.as_os_str()])
    .collect();
    let mut lab = common::spawn_until(&args, "[sweep] N = 26 measured");
    let killed = Command::new("kill")
        .args(["-INT", &lab.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    lab.wait().unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["complete"], false, "{report}");
    assert_eq!(report["sweeps"][0]["complete"], false);
    let rows = report["results"].as_array().unwrap();
    assert!(
        rows.len() >= 2 * 3,
        "two sizes × three lanes kept: {}",
        rows.len()
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.lines().count() > 6, "{csv}");
}

#[test]
fn a_bad_sweep_or_output_is_refused_before_anything_runs() {
    for (args, said) in [
        (
            &["--sweep", "20..22", "--plot", "/proc/version/p.svg"][..],
            "--plot /proc/version/p.svg: cannot write there",
        ),
        (
            &["--json", "/proc/version/r.json"][..],
            "--json /proc/version/r.json",
        ),
        (&["--sweep", "22..20"][..], "--sweep 20..22"),
    ] {
        let mut all = vec!["--check", "--lab", "lab/fibonacci"];
        all.extend(args);
        let out = common::lab(&all);
        let err = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
        assert!(!err.contains("[build]"), "nothing ran: {err}");
    }
}
