//! Instruction counts and memory, for real: callgrind around the calls only,
//! the same count twice, a baseline gate that cannot flake, and the resident
//! peak that shows listsum's copy of the list.

mod common;

use serde_json::Value;

fn lane<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lane"] == name)
        .unwrap_or_else(|| panic!("no lane {name}: {report}"))
}

#[test]
fn counts_repeat_exactly_and_sit_beside_the_wall_time() {
    // Not about the GIL demo: --lab leaves it out.
    let args = ["--lab", "lab/fibonacci", "--instructions", "--n", "20"];
    let first = common::check_once(&args);
    let second = common::check_once(&args);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    for name in ["python", "rust-debug", "rust-release", "rust-native"] {
        let a = lane(&first.report, name)["instructions"].as_f64().unwrap();
        let b = lane(&second.report, name)["instructions"].as_f64().unwrap();
        assert!((a - b).abs() / a < 0.005, "{name}: {a} then {b}");
    }
    let release = lane(&first.report, "rust-release");
    assert!(
        release["instruction_speedup"].as_f64().unwrap() > 10.0,
        "{release}"
    );
    assert!(
        first
            .stdout
            .contains("instructions per call, under callgrind")
            && first.stdout.contains("fewer; wall time"),
        "the instruction ratio beside the wall-time one: {}",
        first.stdout
    );
    assert!(
        first.stderr.contains("[instructions] python: counting"),
        "progress shows"
    );
    // Why: the same run's breakdown. Fib passes nothing across the boundary.
    for name in ["python", "rust-debug", "rust-release", "rust-native"] {
        let r = lane(&first.report, name);
        assert_eq!(shares_sum(r), 1.0, "{name}: categories add up: {r}");
    }
    let release = lane(&first.report, "rust-release");
    assert!(share(release, "crate") > 0.9, "{release}");
    let said = release["diagnosis"].as_str().unwrap();
    assert!(said.contains("the boundary costs nothing"), "{said}");
    assert!(share(lane(&first.report, "python"), "interpreter") > 0.9);
}

/// A category's share of a lane's instructions per call.
fn share(lane: &Value, category: &str) -> f64 {
    lane["breakdown"][category].as_f64().unwrap() / lane["instructions"].as_f64().unwrap()
}

/// The categories' sum against the instructions per call, to 1%.
fn shares_sum(lane: &Value) -> f64 {
    let sum: f64 = lane["breakdown"]
        .as_object()
        .unwrap_or_else(|| panic!("no breakdown: {lane}"))
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    (sum / lane["instructions"].as_f64().unwrap() * 100.0).round() / 100.0
}

#[test]
fn a_loop_release_inlines_into_pyo3s_trampoline_is_charged_to_its_own_lines() {
    let flames = tempfile::tempdir().unwrap();
    let run = common::check_once(&[
        "--lab",
        "tests/fixtures/collatz",
        "--variants",
        "release,nolines",
        "--n",
        "2000",
        "--budget",
        "0",
        "--flamegraph",
        flames.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let release = lane(&run.report, "rust-release");
    assert_eq!(shares_sum(release), 1.0, "{release}");
    assert!(share(release, "crate") >= 0.9, "{release}");
    let top = &release["hot_lines"][0];
    assert_eq!(top["file"], "src/lib.rs", "{release}");
    assert!(
        top["text"].as_str().unwrap().contains("3 * n + 1"),
        "the loop's step is the hottest line: {top}"
    );
    let said = release["diagnosis"].as_str().unwrap();
    assert!(
        said.contains("in the crate's own code") && said.contains("src/lib.rs:"),
        "{said}"
    );
    assert!(
        run.stdout.contains("rust-release src/lib.rs:"),
        "{}",
        run.stdout
    );
    // The raced module is the build the user ships, without line tables;
    // only its counted twin has them (the hot lines above come from it).
    let raced = run.report["builds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["crate"] == "collatz" && b["variant"] == "release")
        .unwrap_or_else(|| panic!("no release build: {}", run.report["builds"]));
    assert_eq!(raced["line_table_bytes"], 0, "{raced}");
    // The twin's count is the shipped module's, to the instruction: nolines
    // is the same profile, counted as raced (its own --config outranks the
    // line tables), and its breakdown can only go by symbol and says so.
    let nolines = lane(&run.report, "rust-nolines");
    assert_eq!(release["instructions"], nolines["instructions"]);
    let said = nolines["diagnosis"].as_str().unwrap();
    assert!(
        said.contains("no line tables") && !said.contains("take a buffer"),
        "{said}"
    );
    // The flame graph shows the inlined loop as a frame of its own.
    let svg = std::fs::read_to_string(flames.path().join("collatz-rust-release.svg")).unwrap();
    assert!(
        svg.contains("[inlined] collatz/src/lib.rs"),
        "inlined frames"
    );
}

#[test]
fn listsums_rust_lanes_spend_their_instructions_converting_the_list() {
    let flames = tempfile::tempdir().unwrap();
    let run = common::check_once(&[
        "--lab",
        "lab/listsum",
        "--n",
        "100000",
        "--flamegraph",
        flames.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for name in ["rust-debug", "rust-release"] {
        let r = lane(&run.report, name);
        assert_eq!(shares_sum(r), 1.0, "{name}: {r}");
        assert!(
            share(r, "cpython") + share(r, "pyo3") > 0.5,
            "{name}: the conversion dominates: {r}"
        );
        let said = r["diagnosis"].as_str().unwrap();
        assert!(
            said.contains("The conversion, not the loop, is the cost"),
            "{said}"
        );
        assert!(!r["hot"].as_array().unwrap().is_empty());
    }
    let python = lane(&run.report, "python");
    let hot = python["python_hot"].as_array().unwrap();
    assert!(
        hot[0]["function"]
            .as_str()
            .unwrap()
            .starts_with("sum_squares"),
        "{python}"
    );
    assert!(
        run.stdout.contains("where the instructions go"),
        "{}",
        run.stdout
    );
    // A flame graph per lane: well-formed SVG naming the crate's functions.
    for name in ["python", "rust-debug", "rust-release"] {
        let svg = std::fs::read_to_string(flames.path().join(format!("listsum-{name}.svg")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(
            svg.contains("stacks rebuilt from callgrind"),
            "the title says how"
        );
    }
    let debug = std::fs::read_to_string(flames.path().join("listsum-rust-debug.svg")).unwrap();
    assert!(
        debug.contains("listsum::"),
        "the crate's own functions are named"
    );
}

#[test]
fn an_unwritable_flamegraph_directory_is_a_usage_error_before_anything_runs() {
    let out = common::lab(&[
        "--check",
        "--lab",
        "lab/listsum",
        "--flamegraph",
        "/proc/version/flames",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(err.contains("/proc/version/flames"), "{err}");
    assert!(!err.contains("[build]"), "nothing ran: {err}");
}

#[test]
fn the_baseline_gate_on_instructions_fails_real_extra_work_and_passes_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let fixture = common::project().join("tests/fixtures/busywork");
    let run = |extra: &str, baseline: bool| {
        let mut cmd = std::process::Command::new(common::bin());
        cmd.args([
            "--check",
            "--instructions",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--lab",
        ])
        .arg(&fixture)
        .arg("--home")
        .arg(common::home())
        .env("PYO3_LAB_TEST_EXTRA_WORK", extra)
        .current_dir(common::project());
        if baseline {
            cmd.arg("--baseline")
                .arg(&base)
                .args(["--fail-if-slower", "10"]);
        } else {
            cmd.arg("--json").arg(&base);
        }
        let out = cmd.output().unwrap();
        (out.status.code(), common::text(&out.stdout))
    };
    let (code, stdout) = run("0", false);
    assert_eq!(code, Some(0), "{stdout}");
    let (code, stdout) = run("3", true);
    assert_eq!(
        code,
        Some(1),
        "four times the work fails the gate: {stdout}"
    );
    assert!(stdout.contains("rust-release (instructions)"), "{stdout}");
    let (code, stdout) = run("0", true);
    assert_eq!(code, Some(0), "the same code passes: {stdout}");
}

#[test]
fn listsums_rust_lanes_show_the_copy_of_the_list_and_python_does_not() {
    let run = common::check(&["--lab", "lab/listsum", "--runs", "2", "--warmup", "0"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for name in ["rust-debug", "rust-release"] {
        let r = lane(&run.report, name);
        let peak = r["memory_peak_bytes"].as_u64().unwrap();
        assert!(peak >= 7_500_000, "{name}: a million i64 is 8 MB: {peak}");
        // One peak a measured run (--runs is their floor).
        assert_eq!(
            r["memory_runs_bytes"].as_array().unwrap().len(),
            r["times"].as_array().unwrap().len()
        );
    }
    let python = lane(&run.report, "python");
    assert!(
        python["memory_peak_bytes"].as_u64().unwrap() < 1_000_000,
        "{python}"
    );
    assert!(
        python["tracemalloc_peak_bytes"].as_u64().is_some(),
        "{python}"
    );
}

#[test]
fn without_valgrind_instructions_is_one_line_and_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let out = common::lab_alone(
        home.path(),
        &["--check", "--instructions"],
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = common::text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("Valgrind") && err.contains("apt-get install valgrind"),
        "{err}"
    );
}

#[test]
fn a_lane_that_panics_under_valgrind_is_named_and_the_race_stands() {
    let fixture = common::project().join("tests/fixtures/faults");
    let run = common::check_once(&[
        "--lab",
        fixture.to_str().unwrap(),
        "--n",
        "0",
        "--instructions",
        "--variants",
        "release",
        "--timeout",
        "5",
    ]);
    // Mode 0 answers right: counted like any lane, and the race passes.
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(
        lane(&run.report, "rust-release")["instructions"]
            .as_f64()
            .is_some()
    );
    let run = common::check_once(&[
        "--lab",
        fixture.to_str().unwrap(),
        "--n",
        "1",
        "--instructions",
        "--variants",
        "release",
    ]);
    assert_eq!(run.code, Some(1));
    let problems = run.report["problems"].to_string();
    assert!(
        problems.contains("rust-release: instructions: panicked"),
        "named like any failure: {problems}"
    );
    assert!(
        lane(&run.report, "python")["instructions"]
            .as_f64()
            .is_some(),
        "the other lanes are still counted"
    );
}
