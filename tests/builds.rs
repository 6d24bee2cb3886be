//! Builds of crates as a new user brings them: what counts as a change, what a
//! failed build says, symlinked sources, and which PyO3 a crate really uses.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A copy of the `sleepy` fixture named `name`, in `dir`.
fn sleepy_copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    common::copy_dir(&common::project().join("tests/fixtures/sleepy"), &to);
    to
}

/// `--check` of one experiment in its release build; the run and its build row.
fn check(exp: &Path) -> (common::Checked, Value) {
    let run = common::check_release(exp);
    let build = run.report["builds"][0].clone();
    (run, build)
}

#[test]
fn only_what_maturin_reads_triggers_a_rebuild_and_a_rewritten_lock_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sleepy_copy(dir.path(), "sleepy_edits");
    // A stale entry: the first build rewrites the lock without it.
    let lock = fs::read_to_string(exp.join("Cargo.lock")).unwrap();
    fs::write(
        exp.join("Cargo.lock"),
        format!("{lock}\n[[package]]\nname = \"unused-crate\"\nversion = \"1.0.0\"\n"),
    )
    .unwrap();
    let (run, build) = check(&exp);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(build["reused"], false);
    assert_ne!(
        fs::read_to_string(exp.join("Cargo.lock")).unwrap(),
        lock + "\n[[package]]\nname = \"unused-crate\"\nversion = \"1.0.0\"\n",
        "the build rewrote the lock"
    );
    assert_eq!(build["pyo3"], "pyo3 0.30.1", "{build}");

    // Notes, the reference and lab.toml are not build inputs.
    fs::write(exp.join("NOTES.md"), "try a faster sleep").unwrap();
    let reference = fs::read_to_string(exp.join("reference.py")).unwrap();
    fs::write(exp.join("reference.py"), reference + "\n# edited\n").unwrap();
    let lab_toml = fs::read_to_string(exp.join("lab.toml")).unwrap();
    fs::write(exp.join("lab.toml"), lab_toml + "\n# edited\n").unwrap();
    let (run, build) = check(&exp);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(build["reused"], true, "no rebuild: {}", run.stderr);

    // A source edit is; and the build reused pyo3 from the shared target.
    let lib = fs::read_to_string(exp.join("src/lib.rs")).unwrap();
    fs::write(exp.join("src/lib.rs"), lib + "\n// edited\n").unwrap();
    let (run, build) = check(&exp);
    assert_eq!(build["reused"], false);
    assert_eq!(build["clean"], false, "dependencies reused: {build}");
    assert!(
        run.stdout.contains("(incremental, dependencies reused)"),
        "the build cost says what kind of build it was: {}",
        run.stdout
    );
}

#[test]
fn a_failed_build_shows_its_cause_chain_and_keeps_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sleepy_copy(dir.path(), "sleepy_manifest");
    let manifest = fs::read_to_string(exp.join("Cargo.toml")).unwrap();
    fs::write(
        exp.join("Cargo.toml"),
        manifest + "helper = { path = \"../no-such-helper\" }\n",
    )
    .unwrap();
    let (run, build) = check(&exp);
    assert_eq!(run.code, Some(1));
    let error = build["error"].as_str().unwrap();
    assert!(
        error.contains("failed to load manifest for dependency `helper`")
            && error.contains("failed to read")
            && error.contains("No such file or directory"),
        "the causes, not only the first line: {error}"
    );
    let log = error
        .split("full log: ")
        .nth(1)
        .map(|l| l.trim_end_matches(')'))
        .expect("names its log file");
    let text = fs::read_to_string(log).expect("the log is kept");
    assert!(text.contains("Caused by:"), "{text}");
}

#[test]
fn a_symlinked_source_folder_builds() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sleepy_copy(dir.path(), "sleepy_linked");
    let real = dir.path().join("shared-src");
    fs::rename(exp.join("src"), &real).unwrap();
    std::os::unix::fs::symlink(&real, exp.join("src")).unwrap();
    // A loop inside it must not hang the hashing.
    std::os::unix::fs::symlink(&real, real.join("loop")).unwrap();
    let (run, build) = check(&exp);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(build["ok"], true);
}

#[test]
fn clean_removes_the_builds_of_a_deleted_crate_folder_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sleepy_copy(dir.path(), "sleepy_deleted");
    let (run, _) = check(&exp);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let outputs = |exp: &Path| {
        [
            common::home_entry("site", exp, ""),
            common::home_entry("wheels", exp, ""),
            common::home_entry("builds", exp, "-release.json"),
            common::home_entry("logs", exp, "-release.log"),
        ]
    };
    let kept = common::project().join("tests/fixtures/sleepy");
    let (kept_run, _) = check(&kept);
    assert_eq!(kept_run.code, Some(0), "{}", kept_run.stderr);
    for path in outputs(&exp).iter().chain(&outputs(&kept)) {
        assert!(path.exists(), "built: {}", path.display());
    }

    fs::remove_dir_all(&exp).unwrap();
    let dry = common::lab(&["clean", "--dry-run"]);
    let said = common::text(&dry.stdout);
    assert_eq!(dry.status.code(), Some(0), "{said}");
    assert!(said.contains("would free"), "{said}");
    assert!(outputs(&exp)[0].exists(), "a dry run removes nothing");

    let out = common::lab(&["clean"]);
    let said = common::text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}\n{}",
        common::text(&out.stderr)
    );
    assert!(
        said.contains("lab home ") && said.contains("venv: "),
        "{said}"
    );
    assert!(
        said.contains(&format!("its crate folder {} is gone", exp.display()))
            && said.contains("freed "),
        "{said}"
    );
    for path in outputs(&exp) {
        assert!(!path.exists(), "removed: {}", path.display());
    }
    for path in outputs(&kept) {
        assert!(path.exists(), "kept: {}", path.display());
    }
    assert!(
        common::home().join("venv/bin/python").exists(),
        "the venv stays"
    );
}

/// A new home compiles pyo3 for its first release build while pip and
/// maturin go into the venv; that build then compiles its own crate alone,
/// and its log says where pyo3 came from.
#[test]
fn a_new_home_compiles_pyo3_for_its_first_release_build_during_set_up() {
    let home = tempfile::tempdir().unwrap();
    let exp = common::project().join("tests/fixtures/sleepy");
    let json = home.path().join("report.json");
    let out = common::lab_alone(
        home.path(),
        &[
            &[
                "--check",
                "--lab",
                exp.to_str().unwrap(),
                "--variants",
                "release",
            ][..],
            &common::ONCE,
            &["--json", json.to_str().unwrap()],
        ]
        .concat(),
        &[],
    );
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("compiling pyo3 for sleepy's release build meanwhile"),
        "{stderr}"
    );
    let log = fs::read_dir(home.path().join("logs"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("-release.log"))
        .map(|e| fs::read_to_string(e.path()).unwrap())
        .expect("the release build's log");
    assert!(
        log.starts_with("pyo3 was compiled for this build during set-up"),
        "{log}"
    );
    assert!(log.contains("Compiling sleepy v"), "{log}");
    assert!(
        !log.contains("Compiling pyo3 v"),
        "pyo3 compiled twice: {log}"
    );
    let report: Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["builds"][0]["clean"], false, "{}", report["builds"]);
}
