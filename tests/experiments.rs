//! Experiments from outside the repository: `pyo3-lab new` scaffolds one, and
//! `--check --lab DIR` builds and races it with no change to pyo3-lab; a
//! malformed one is reported by name while the others still race.

mod common;

use serde_json::Value;

/// Runs `pyo3-lab new NAME [FLAGS]` in `dir`; returns the folder and what it printed.
fn scaffold(name: &str, flags: &[&str], dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let out = std::process::Command::new(common::bin())
        .args(["new", name])
        .args(flags)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    (dir.join(name), common::text(&out.stdout))
}

#[test]
fn a_new_experiment_builds_and_races_as_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, out) = scaffold("primes", &[], dir.path());
    assert!(out.contains("--check --lab"), "says what to do next");

    // A malformed lab.toml beside it: reported, and the good one still races.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    for f in ["Cargo.toml", "pyproject.toml", "reference.py"] {
        std::fs::copy(exp.join(f), bad.join(f)).unwrap();
    }
    let lab_toml = std::fs::read_to_string(exp.join("lab.toml")).unwrap();
    std::fs::write(
        bad.join("lab.toml"),
        lab_toml.replace("module = \"primes\"\n", ""),
    )
    .unwrap();

    let run = common::check_once(&[
        "--lab",
        exp.to_str().unwrap(),
        "--lab",
        bad.to_str().unwrap(),
        "--n",
        "20000",
    ]);
    let (stderr, report) = (run.stderr, run.report);
    assert_eq!(run.code, Some(1), "a malformed experiment fails the check");
    assert!(
        stderr.contains("bad/lab.toml") && stderr.contains("missing field `module`"),
        "names the file and the key: {stderr}"
    );
    let rows = report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{report}");
    for r in rows {
        assert_eq!(r["experiment"], "primes");
        assert_eq!(r["result"], "2262", "{r}");
        assert_eq!(r["correct"], true, "{r}");
    }
    assert!(
        report["gil"].is_null(),
        "--lab races just the experiments given"
    );
    assert_eq!(report["problems"].as_array().unwrap().len(), 1, "{report}");
}

#[test]
fn a_new_numpy_experiment_builds_and_races_as_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, _) = scaffold("rough", &["--numpy"], dir.path());
    let run = common::check_once_right(&["--lab", exp.to_str().unwrap(), "--n", "100000"]);
    assert_eq!(
        common::lane_names(&run.report, None),
        [
            "loop",
            "numpy",
            "vec (debug)",
            "vec (release)",
            "view (debug)",
            "view (release)"
        ]
    );
}

#[test]
fn a_new_class_experiment_races_phase_by_phase_as_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, _) = scaffold("bins", &["--class"], dir.path());
    let run = common::check_once_right(&["--lab", exp.to_str().unwrap(), "--n", "5000"]);
    assert_eq!(
        common::lane_names(&run.report, None),
        ["python", "rust-debug", "rust-release"]
    );
    for r in run.report["results"].as_array().unwrap() {
        let phases: Vec<&str> = r["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(phases, ["construct", "add", "count", "attribute"], "{r}");
    }
}

/// An existing maturin project with no lab.toml: `init` reads its exports
/// and its Python twin, and what it writes races as it stands.
#[test]
fn init_writes_a_lab_toml_for_an_existing_crate_that_races() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, _) = scaffold("counted", &[], dir.path());
    std::fs::remove_file(exp.join("lab.toml")).unwrap();
    let reference = std::fs::read_to_string(exp.join("reference.py")).unwrap();
    std::fs::write(
        exp.join("reference.py"),
        reference.replace(
            "def count_primes(n: int)",
            "def count_primes(n: int = 5000)",
        ),
    )
    .unwrap();
    let out = std::process::Command::new(common::bin())
        .arg("init")
        .arg(&exp)
        .output()
        .unwrap();
    let said = common::text(&out.stdout);
    assert!(out.status.success() && said.contains("race it:"), "{said}");
    let run = common::check_once_right(&["--lab", exp.to_str().unwrap()]);
    assert_eq!(
        common::lane_row(&run.report, "python").unwrap()["result"],
        "669"
    );
}

#[test]
fn a_function_that_does_not_exist_is_named_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::project().join("tests/fixtures/faults");
    // A folder name of its own: its builds must not replace the fixture's.
    let exp = dir.path().join("faults_misnamed");
    std::fs::create_dir_all(exp.join("src")).unwrap();
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "pyproject.toml",
        "reference.py",
        "src/lib.rs",
    ] {
        std::fs::copy(fixture.join(f), exp.join(f)).unwrap();
    }
    let lab_toml = std::fs::read_to_string(fixture.join("lab.toml")).unwrap();
    let renamed = lab_toml.replace("[rust]\nfunction = \"run\"", "[rust]\nfunction = \"runn\"");
    assert_ne!(renamed, lab_toml);
    std::fs::write(exp.join("lab.toml"), renamed).unwrap();
    let run = common::check_once(&["--lab", exp.to_str().unwrap()]);
    assert_eq!(run.code, Some(1));
    for r in run.report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["lane"] != "python")
    {
        let failure = r["failure"].as_str().unwrap();
        assert!(
            failure.contains("runn")
                && failure.contains("[rust] function")
                && failure.contains("lab.toml"),
            "{failure}"
        );
    }
}

#[test]
fn a_crate_that_does_not_compile_fails_alone() {
    let fixtures = common::project().join("tests/fixtures");
    let run = common::check_once(&[
        "--lab",
        fixtures.join("broken").to_str().unwrap(),
        "--lab",
        fixtures.join("faults").to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("broken     debug    FAILED: error[E0308]: mismatched types at src/lib.rs:7"),
        "the compiler's first error, with its place: {}",
        run.stdout
    );
    let report = run.report;
    let faults: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["experiment"] == "faults")
        .collect();
    assert_eq!(
        faults.len(),
        3,
        "the other experiment still races: {report}"
    );
    assert!(faults.iter().all(|r| r["correct"] == true), "{report}");
    // A call of a few microseconds is repeated until a run can be timed, and the report says so.
    let release = faults.iter().find(|r| r["lane"] == "rust-release").unwrap();
    assert!(release["calls_per_run"].as_u64().unwrap() > 1, "{release}");
    // Said once, as information, not as a warning to act on.
    let notes = release["notes"].to_string();
    assert!(
        notes.contains("each run = ") && notes.contains("calls"),
        "{notes}"
    );
    assert!(
        !release["warnings"].to_string().contains("too short"),
        "{release}"
    );
    assert!(
        run.stdout.contains("note: rust-release: each run = "),
        "{}",
        run.stdout
    );
}

#[test]
fn a_corrupted_build_is_rebuilt_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let (exp, _) = scaffold("rebuilt", &[], dir.path());
    let args = [
        "--lab",
        exp.to_str().unwrap(),
        "--n",
        "2000",
        "--runs",
        "1",
        "--warmup",
        "0",
    ];
    let first = common::check(&args);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);

    // Overwrite the release module's bytes in place: same name, same size.
    let site = common::home_entry("site", &exp, "").join("release/rebuilt");
    let module = std::fs::read_dir(&site)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "so"))
        .expect("the unpacked module");
    let len = std::fs::metadata(&module).unwrap().len() as usize;
    std::fs::write(&module, vec![0u8; len]).unwrap();

    let second = common::check(&args);
    assert_eq!(second.code, Some(0), "{}\n{}", second.stdout, second.stderr);
    let builds = second.report["builds"].as_array().unwrap();
    let release = builds.iter().find(|b| b["variant"] == "release").unwrap();
    let debug = builds.iter().find(|b| b["variant"] == "debug").unwrap();
    assert_eq!(
        release["reused"], false,
        "the corrupted build was rebuilt: {release}"
    );
    assert_eq!(debug["reused"], true, "the intact one was not: {debug}");
    assert!(
        second.report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["correct"] == true)
    );
}

#[test]
fn a_lab_toml_that_does_not_load_is_said_before_the_variants_it_would_define() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("collatz_noref");
    common::copy_dir(&common::project().join("tests/fixtures/collatz"), &exp);
    std::fs::remove_file(exp.join("reference.py")).unwrap();
    let out = common::lab(&[
        "--check",
        "--lab",
        exp.to_str().unwrap(),
        "--variants",
        "release,nolines",
    ]);
    let err = common::text(&out.stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.contains("reference.py") && first.contains("lab.toml"),
        "the missing file first: {err}"
    );
    let missing = err.find("reference.py").unwrap();
    if let Some(variants) = err.find("--variants") {
        assert!(missing < variants, "{err}");
    }
    assert_ne!(out.status.code(), Some(0), "{err}");
}
