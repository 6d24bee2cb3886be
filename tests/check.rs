//! `pyo3-lab --check` end to end: real venv, real maturin builds, real
//! embedded CPython racing the real extensions.

mod common;

use serde_json::Value;

/// One `--check` at a time in this file: each runs the GIL scaling batches,
/// whose speed-ups mean nothing while another check loads the other core.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn check(n: &str) -> (Value, String) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let run = common::check(&["--n", n, "--runs", "2", "--warmup", "0"]);
    assert_eq!(
        run.code,
        Some(0),
        "--check failed\n{}\n{}",
        run.stdout,
        run.stderr
    );
    (run.report, run.stdout)
}

#[test]
fn check_races_four_right_lanes_and_shows_both_gil_orders() {
    let (report, stdout) = check("27");
    assert_eq!(report["ok"], true);
    assert_eq!(report["n"], 27);

    let lanes: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lane"].as_str().unwrap())
        .collect();
    assert_eq!(
        lanes,
        ["python", "rust-debug", "rust-release", "rust-native"]
    );
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["result"], "196418", "{r}");
        assert_eq!(r["correct"], true);
        // --runs is the floor; the time budget may race more rounds, the
        // same number for every lane (they are paired round by round).
        let rounds = r["times"].as_array().unwrap().len();
        assert!(rounds >= 2, "{r}");
        assert_eq!(
            rounds,
            report["results"][0]["times"].as_array().unwrap().len()
        );
        for key in ["command", "mean", "stddev", "median", "min", "max"] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
        let (min, median, max) = (
            r["min"].as_f64().unwrap(),
            r["median"].as_f64().unwrap(),
            r["max"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= median && median <= max, "{r}");
    }

    let order = |mode: &str| -> Vec<String> {
        report["gil"][mode]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let held = order("held");
    assert_eq!(
        held[..5],
        [
            "Py: Enter double_list_py...",
            "Rust: Enter double_list...",
            "Rust: Acquire GIL...",
            "Rust: Exit...",
            "Py: Exit..."
        ]
    );
    let released = order("released");
    let pos = |text: &str| released.iter().position(|l| l == text).unwrap();
    assert!(
        pos("Py: Exit...") < pos("Rust: Acquire GIL..."),
        "{released:?}"
    );

    // Timestamps: ascending, and the held run's Python thread really waited:
    // through Rust's two 1 s sleeps, which a busy machine cannot shorten.
    let events = report["gil"]["held"]["events"].as_array().unwrap();
    let times: Vec<f64> = events.iter().map(|e| e["t"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let py_exit = events.iter().find(|e| e["text"] == "Py: Exit...").unwrap();
    assert_eq!(py_exit["thread"], "python");
    assert!(py_exit["t"].as_f64().unwrap() > 1.5, "{py_exit}");

    // The timelines: the held run's Python thread waited through Rust's sleeps.
    let waited = |mode: &str| report["gil"][mode]["python_waited"].as_f64().unwrap();
    assert!(waited("held") > 1.5, "held: {}", waited("held"));
    // Released, it does not wait for the GIL; a busy machine may delay a
    // wake-up by milliseconds, never by Rust's 1 s sleep.
    assert!(
        waited("released") < 0.25,
        "released: {}",
        waited("released")
    );
    let activities: Vec<&str> = report["gil"]["released"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["thread"] == "rust")
        .map(|s| s["activity"].as_str().unwrap())
        .collect();
    assert!(activities.contains(&"rust-without-gil"), "{activities:?}");

    // Parallel scaling: every contender at 1, 2 and 4 threads; releasing wins.
    let rows = report["gil"]["scaling"].as_array().unwrap();
    let speedup = |c: &str, t: u64| {
        rows.iter()
            .find(|r| r["contender"] == c && r["threads"] == t)
            .and_then(|r| r["speedup"].as_f64())
            .unwrap_or_else(|| panic!("no {c} at {t}: {rows:?}"))
    };
    for c in [
        "rust-native",
        "python",
        "rust-gil-held",
        "rust-gil-released",
    ] {
        assert!((speedup(c, 1) - 1.0).abs() < 1e-9);
    }
    // Judged against what native Rust threads reached in the same batches:
    // a verdict where the machine gave enough, "can't tell" where it did not.
    let check = &report["gil"]["scaling_check"];
    assert_eq!(check["ok"], true, "{check}");
    let verdict = check["verdict"].as_str().unwrap();
    let native = speedup("rust-native", 2);
    // Where the machine clearly gave two cores (capacity::CLEAR_CAPACITY).
    if native >= 1.7 {
        assert!(
            speedup("rust-gil-released", 2) > speedup("rust-gil-held", 2),
            "{rows:?}"
        );
        assert!(!verdict.starts_with("can't tell"), "{verdict}");
    } else if native < 1.5 {
        assert!(verdict.starts_with("can't tell"), "{verdict}");
        assert_eq!(check["warning"], true, "{check}");
    }

    assert!(stdout.contains("check: all passed"), "{stdout}");
    assert!(stdout.contains("rust-release"), "{stdout}");
}

#[test]
fn a_second_check_reuses_every_build() {
    // About caching, not timing: one experiment, no GIL demo.
    let quick = || common::check_once(&["--lab", "lab/fibonacci", "--n", "20"]);
    assert_eq!(quick().code, Some(0));
    let run = quick();
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let (report, stdout) = (run.report, run.stdout);
    for b in report["builds"].as_array().unwrap() {
        assert_eq!(b["ok"], true, "{b}");
        assert_eq!(
            b["reused"], true,
            "rebuilt although nothing changed: {b}\n{stdout}"
        );
    }
}

#[test]
fn an_n_past_u64_is_a_usage_error() {
    for bad in ["94", "-1", "ten"] {
        let out = common::lab(&["--check", &format!("--n={bad}")]);
        assert_eq!(out.status.code(), Some(2), "--n {bad}");
        let err = common::text(&out.stderr);
        assert!(err.contains("--n"), "{err}");
    }
    let err = common::text(&common::lab(&["--check", "--n", "94"]).stderr);
    assert!(err.contains("0..=93"), "the valid range is named: {err}");
}

#[test]
fn a_second_lab_on_the_same_home_says_it_waits_for_the_first() {
    // Another lab holds the home's lock (flock, as fd-lock takes it) for a
    // few seconds: this one says so, waits, and then does its work.
    std::fs::create_dir_all(common::home()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let held = dir.path().join("held");
    let mut other = std::process::Command::new("flock")
        .arg(common::home().join("lock"))
        .args(["sh", "-c", "touch \"$0\"; sleep 3"])
        .arg(&held)
        .spawn()
        .expect("flock (util-linux) is installed");
    // The holder says when it has the lock: only then does this lab start.
    let asked = std::time::Instant::now();
    while !held.exists() {
        assert!(asked.elapsed().as_secs() < 60, "flock never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let run = common::check_release(std::path::Path::new("tests/fixtures/sleepy"));
    other.wait().unwrap();
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("[lock] another pyo3-lab is working in"),
        "{}",
        run.stderr
    );
}
