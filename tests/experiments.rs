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
        lab_toml.replace("module = \"primes\"\n", "modul = \"primes\"\n"),
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
        stderr.contains("bad/lab.toml") && stderr.contains("unknown field `modul`"),
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

/// A fixture project copied where a user would have it, then `pyo3-lab
/// ARGS init DIR INIT_ARGS` run on it in the shared home.
fn init_copy(
    fixture: &str,
    name: &str,
    args: &[&str],
    init_args: &[&str],
) -> (tempfile::TempDir, std::path::PathBuf, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(name);
    common::copy_dir(
        &common::project().join("tests/fixtures").join(fixture),
        &project,
    );
    // Before init, the lab run in the project says what to do, and does
    // nothing else.
    let before = common::lab_in(&project, &[]);
    let said = common::text(&before.stderr);
    assert_eq!(before.status.code(), Some(2), "{said}");
    assert!(
        said.contains("`pyo3-lab init --check` writes it and races it"),
        "{said}"
    );
    let out = std::process::Command::new(common::bin())
        .arg("--home")
        .arg(common::home())
        .args(args)
        .arg("init")
        .arg(&project)
        .args(init_args)
        .output()
        .unwrap();
    (dir, project, out)
}

/// PyO3's examples/word-count as published, in a crate of the lab's own of
/// the same shape (the example's code is not copied here): `init --check`
/// writes a lab.toml with no TODO (search_py the reference, the three
/// exports as lanes, the benchmark fixture's text as input, the asserted
/// count as [expect]) and races it right, in one command.
#[test]
fn init_reads_a_word_count_project_as_it_is_and_races_it_in_one_command() {
    let json = tempfile::NamedTempFile::new().unwrap();
    let report = json.path().to_str().unwrap();
    let (_dir, project, out) = init_copy(
        "wordcount",
        "word-count",
        &[
            &["--variants", "release"][..],
            &common::ONCE,
            &["--json", report],
        ]
        .concat(),
        &["--check"],
    );
    let stdout = common::text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        common::text(&out.stderr)
    );
    let lab_toml = std::fs::read_to_string(project.join("lab.toml")).unwrap();
    assert!(!lab_toml.contains("TODO"), "{lab_toml}");
    assert!(lab_toml.contains("function = \"search_py\""), "{lab_toml}");
    assert_eq!(lab_toml.matches("\n[[rust]]").count(), 3, "{lab_toml}");
    assert!(lab_toml.contains("result = 3000"), "{lab_toml}");
    assert!(stdout.contains("rule: NAME_py"), "{stdout}");
    assert!(
        stdout.contains("size knob: the fixture contents, repeated N times (N = 500)"),
        "{stdout}"
    );
    let inputs = std::fs::read_to_string(project.join("lab_inputs.py")).unwrap();
    assert!(
        inputs.contains("return text * n") && !inputs.contains("pytest"),
        "{inputs}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    common::assert_all_correct(&report);
    assert_eq!(
        common::lane_names(&report, None),
        [
            "search_py",
            "search (release)",
            "search_sequential (release)",
            "search_sequential_detached (release)"
        ]
    );
    assert_eq!(
        common::lane_row(&report, "search (release)").unwrap()["result"],
        "3000"
    );
}

/// A library shaped like jellyfish (tests/fixtures/strsim): a pure module
/// of twins by the same name, several exports of one signature, three
/// without a twin. init writes a race for every function, each against its
/// own twin; the export that is another port of levenshtein joins its race
/// (it answered as the twin on every input tried); the two that compute
/// something else are no lanes, each named with where it disagreed; and
/// the lab races them all from the project's folder as `--lab .`.
#[test]
fn init_races_each_function_of_a_library_against_its_own_twin() {
    let (_dir, project, out) = init_copy("strsim", "strsim", &[], &["--list"]);
    let listed = common::text(&out.stdout);
    assert!(
        out.status.success(),
        "{listed}{}",
        common::text(&out.stderr)
    );
    for line in [
        "levenshtein_distance: twin levenshtein_distance in python/strsim/_strsim.py (the same name)",
        "  hamming_distance: a lane, its own twin hamming_distance",
        "  edit_distance: a lane, no twin of its own, answers as levenshtein_distance's twin on 24 inputs",
        "  common_prefix_length: not a lane: answers otherwise than levenshtein_distance's twin at",
        "  reverse: not a lane: answers otherwise than soundex's twin at",
    ] {
        assert!(listed.contains(line), "{line}\n{listed}");
    }
    assert!(!project.join("lab.toml").exists(), "--list writes nothing");
    let init = common::lab_in(&project, &["init", "."]);
    let said = common::text(&init.stdout);
    assert!(
        init.status.success(),
        "{said}{}",
        common::text(&init.stderr)
    );
    assert!(said.contains("(4 races, one a function)"), "{said}");
    let lab_toml = std::fs::read_to_string(project.join("lab.toml")).unwrap();
    assert_eq!(lab_toml.matches("[[race]]").count(), 4, "{lab_toml}");
    assert!(!lab_toml.contains("TODO"), "{lab_toml}");
    let json = project.join("report.json");
    let args = [
        "--check",
        "--lab",
        ".",
        "--variants",
        "release",
        "--json",
        "report.json",
    ];
    let raced = common::lab_in(&project, &[&args[..], &common::ONCE].concat());
    let stdout = common::text(&raced.stdout);
    assert_eq!(
        raced.status.code(),
        Some(0),
        "{stdout}{}",
        common::text(&raced.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    common::assert_all_correct(&report);
    let lanes = |race: &str| common::lane_names(&report, Some(race));
    assert_eq!(
        lanes("levenshtein_distance"),
        [
            "levenshtein_distance",
            "levenshtein_distance (release)",
            "edit_distance (release)"
        ]
    );
    assert_eq!(lanes("osa_distance"), ["python", "rust-release"]);
    assert_eq!(lanes("hamming_distance"), ["python", "rust-release"]);
    assert_eq!(lanes("soundex"), ["python", "rust-release"]);
}

/// A declared module (`#[pymodule] mod` with `#[pymodule_export]`), its
/// package under python/ and its twins in a `pure` module: init finds what
/// the module exports (not the #[pyfunction] no module adds), and it races.
#[test]
fn init_follows_a_declared_module_and_finds_twins_in_a_pure_module() {
    let (_dir, project, out) = init_copy("declared", "declared", &[], &[]);
    let stdout = common::text(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        common::text(&out.stderr)
    );
    assert!(
        stdout.contains("the same name in a pure module"),
        "{stdout}"
    );
    assert!(stdout.contains("class Tally"), "{stdout}");
    let lab_toml = std::fs::read_to_string(project.join("lab.toml")).unwrap();
    assert!(
        lab_toml.contains("module = \"declared._native\"")
            && lab_toml.contains("module = \"declared.pure\"")
            && lab_toml.contains("function = \"collatz_total_branchless\"")
            && !lab_toml.contains("unused"),
        "{lab_toml}"
    );
    let run =
        common::check_once_right(&["--lab", project.to_str().unwrap(), "--variants", "release"]);
    assert_eq!(common::lane_names(&run.report, None).len(), 3);
    assert_eq!(
        common::lane_row(&run.report, "collatz_total").unwrap()["result"],
        "1834604"
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
    // Whether or not --variants is complained of too, never before it.
    let missing = err.find("reference.py").unwrap();
    let variants = err.find("--variants");
    assert!(variants.is_none_or(|v| missing < v), "{err}");
    assert_ne!(out.status.code(), Some(0), "{err}");
}
