//! numpy as a first-class lane: the lab installs an experiment's Python
//! packages itself, each implementation gets its own form of the input, and
//! results are compared as a numeric programmer would (arrays by shape, dtype
//! and values, floats within the stated tolerance, a mismatch located).

mod common;

use std::path::Path;

use serde_json::Value;

fn lanes(report: &Value) -> &Vec<Value> {
    report["results"].as_array().expect("results")
}

fn lane<'a>(report: &'a Value, experiment: &str, name: &str) -> &'a Value {
    lanes(report)
        .iter()
        .find(|r| r["experiment"] == experiment && r["lane"] == name)
        .unwrap_or_else(|| panic!("no lane {name} of {experiment}: {report}"))
}

const QUICK: [&str; 4] = ["--runs", "1", "--warmup", "0"];

/// A copy of `from` named `name` whose lab.toml is `edit`ed, with the
/// reference file given by its absolute path (the copy lives elsewhere).
fn copy_edited(from: &Path, dir: &Path, name: &str, edit: impl Fn(String) -> String) -> String {
    let to = dir.join(name);
    common::copy_dir(from, &to);
    let _ = std::fs::remove_dir_all(to.join("target"));
    let assets = common::project().join("assets");
    let text = std::fs::read_to_string(to.join("lab.toml"))
        .unwrap()
        .replace("../../../assets", assets.to_str().unwrap());
    std::fs::write(to.join("lab.toml"), edit(text)).unwrap();
    to.to_str().unwrap().to_owned()
}

#[test]
fn the_arrays_lesson_installs_numpy_and_every_lane_is_right() {
    let mut args = vec!["--lab", "lab/arrays"];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = &run.report;
    for b in report["builds"].as_array().unwrap() {
        let packages = b["packages"].as_array().expect("packages named");
        assert!(
            packages
                .iter()
                .any(|p| p.as_str().unwrap().starts_with("numpy 2.")),
            "pip's numpy is named in the report: {b}"
        );
    }
    for r in lanes(report) {
        assert_eq!(r["correct"], true, "{r}");
    }
    assert_eq!(lanes(report).len(), 9, "5 sumsq lanes and 4 ema lanes");
    // Zero copy: the view reads the array in place; Vec<f64> copies 8 bytes
    // an element (a million of them) on every call.
    let peak = |name: &str| {
        let r = lane(report, "sumsq", name);
        r["memory_peak_bytes"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no memory peak: {r}"))
    };
    let (view, vec) = (peak("view (release)"), peak("vec (release)"));
    assert!(view < 1 << 20, "the view copies nothing: {view} bytes");
    assert!(
        (7_000_000..16_000_000).contains(&vec),
        "a Vec<f64> of a million: {vec} bytes"
    );
    // What each lane does with threads is the machine's to say (a busy one
    // says "can't tell"); the sweep's rows must be there, each with a verdict.
    let sweep: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains("threads: each implementation"))
        .filter(|l| {
            l.trim_start().starts_with("parallel (release)") || l.trim_start().starts_with("numpy ")
        })
        .collect();
    assert_eq!(sweep.len(), 2, "{}", run.stdout);
    for line in sweep {
        assert!(
            [
                "parallel inside",
                "can't tell",
                "scales",
                "holds the GIL",
                "partly"
            ]
            .iter()
            .any(|v| line.contains(v)),
            "{line}"
        );
    }
}

#[test]
fn a_float_sum_off_in_the_last_bits_is_wrong_when_exact_and_right_within_rel_tol() {
    let dir = tempfile::tempdir().unwrap();
    let sumsq = common::project().join("lab/arrays/sumsq");
    let exact = copy_edited(&sumsq, dir.path(), "sumsq_exact", |t| {
        t.replace("rel_tol = 1e-12", "")
            .replace("[threads]\ncounts = [1, 2]\n", "")
    });
    let mut args = vec!["--lab", exact.as_str(), "--n", "100000"];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let numpy = lane(&run.report, "sumsq_exact", "numpy");
    assert_eq!(numpy["correct"], false, "{numpy}");
    let why = numpy["mismatch"].as_str().unwrap();
    assert!(
        why.contains(" vs ") && why.contains("relative") && why.contains("rel_tol"),
        "the difference is shown, with the key that settles it: {why}"
    );
    assert!(
        run.stdout.contains("lane numpy returned a wrong result: "),
        "{}",
        run.stdout
    );

    let within = copy_edited(&sumsq, dir.path(), "sumsq_exact", |t| {
        t.replace("[threads]\ncounts = [1, 2]\n", "")
    });
    let mut args = vec!["--lab", within.as_str(), "--n", "100000"];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(0), "rel_tol = 1e-12: {}", run.stdout);
}

#[test]
fn an_outside_crate_taking_numpy_arrays_races_a_numpy_reference() {
    let fixture = common::project().join("tests/fixtures/rust_ext");
    let mut args = vec!["--lab", fixture.to_str().unwrap()];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let rust = lane(&run.report, "rust_ext", "rust-release");
    assert_eq!(rust["correct"], true, "{rust}");
    assert!(
        rust["result"]
            .as_str()
            .unwrap()
            .contains("shape=(300, 400)"),
        "{rust}"
    );

    // One element of a 2-D result off by its last bit: found, and placed.
    let dir = tempfile::tempdir().unwrap();
    let off = copy_edited(&fixture, dir.path(), "rust_ext_off", |t| {
        t + "\n[[rust]]\nfunction = \"axpy_off_by_a_bit\"\nlabel = \"off\"\n"
    });
    let mut args = vec!["--lab", off.as_str()];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let why = lane(&run.report, "rust_ext_off", "off (release)")["mismatch"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.starts_with("element (150, 1) differs: ") && why.contains("relative 2"),
        "{why}"
    );
    assert_eq!(
        lane(&run.report, "rust_ext_off", "axpy (release)")["correct"],
        true
    );
}

#[test]
fn a_package_pip_cannot_install_fails_its_experiment_alone() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::project().join("tests/fixtures/rust_ext");
    let missing = copy_edited(&fixture, dir.path(), "rust_ext_missing", |t| {
        t.replace(
            "requires = [\"numpy>=2\"]",
            "requires = [\"numpy>=2\", \"pyo3-lab-no-such-package==1.0\"]",
        )
    });
    let mut args = vec![
        "--lab",
        missing.as_str(),
        "--lab",
        "lab/fibonacci",
        "--n",
        "20",
    ];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("pip could not install")
            && run.stderr.contains("pyo3-lab-no-such-package==1.0")
            && run.stderr.contains("requires"),
        "names the requirement and pip's reason: {}",
        run.stderr
    );
    assert!(
        lanes(&run.report)
            .iter()
            .filter(|r| r["experiment"] == "fibonacci")
            .all(|r| r["correct"] == true),
        "the other experiment races: {}",
        run.report
    );
}

#[test]
fn a_setup_that_is_missing_or_returns_no_argument_list_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::project().join("tests/fixtures/rust_ext");
    let missing = copy_edited(&fixture, dir.path(), "rust_ext_nosetup", |t| {
        t.replace("setup = \"make_input\"", "setup = \"make_inputs\"")
    });
    // The Rust function's own form: a bare array, not a list of arguments.
    let bare = copy_edited(&fixture, dir.path(), "rust_ext_bare", |t| {
        t.replace(
            "[[rust]]\nfunction = \"axpy\"\n",
            "[[rust]]\nfunction = \"axpy\"\nsetup = \"make_array_only\"\n",
        )
    });
    let mut args = vec!["--lab", missing.as_str(), "--lab", bare.as_str()];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(1));
    for r in lanes(&run.report)
        .iter()
        .filter(|r| r["experiment"] == "rust_ext_nosetup")
    {
        let failure = r["failure"].as_str().unwrap_or_default();
        assert!(
            failure.contains("make_inputs") && failure.contains("check [python] setup in"),
            "{r}"
        );
    }
    let rust = lane(&run.report, "rust_ext_bare", "rust-release");
    let failure = rust["failure"].as_str().unwrap_or_default();
    assert!(
        failure.contains("make_array_only returned ndarray, not a list of the call's arguments")
            && failure.contains("[[rust]] #1 setup"),
        "{rust}"
    );
    assert_eq!(
        lane(&run.report, "rust_ext_bare", "python")["correct"],
        true,
        "the reference's own setup still works"
    );
}
