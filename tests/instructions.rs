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
    let args = [
        "--lab",
        "lab/fibonacci",
        "--instructions",
        "--n",
        "20",
        "--runs",
        "1",
        "--warmup",
        "0",
    ];
    let first = common::check(&args);
    let second = common::check(&args);
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
        assert_eq!(r["memory_runs_bytes"].as_array().unwrap().len(), 2);
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
    let run = common::check(&[
        "--lab",
        fixture.to_str().unwrap(),
        "--n",
        "0",
        "--instructions",
        "--variants",
        "release",
        "--runs",
        "1",
        "--warmup",
        "0",
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
    let run = common::check(&[
        "--lab",
        fixture.to_str().unwrap(),
        "--n",
        "1",
        "--instructions",
        "--variants",
        "release",
        "--runs",
        "1",
        "--warmup",
        "0",
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
