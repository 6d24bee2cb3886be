//! A build is of the files as they are on disk: copies that keep their old
//! modification times, worktrees of one crate, a source restored with an
//! older mtime, an edit while cargo compiles, and a module Python could not
//! import. Each test asserts the raced result is the one the files on disk give.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const NAP: &str = "    ms\n}";
const NAP_PLUS_ONE: &str = "    ms + 1\n}";

/// A copy of the `sleepy` fixture as `cp -a` makes it: every mtime kept.
fn cp_a(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A folder name of this run alone: an earlier run's build of the same name
/// in the shared home would be reused, and nothing would be tested.
fn fresh(name: &str) -> String {
    format!("{name}_{}", std::process::id())
}

fn sleepy() -> PathBuf {
    common::project().join("tests/fixtures/sleepy")
}

/// Rewrites `nap`'s return in `exp` and gives the file `like`'s mtime, as a
/// restored backup would: mtimes then say nothing about which is newer.
fn returns_one_more(exp: &Path, like: &Path) {
    let lib = exp.join("src/lib.rs");
    let text = fs::read_to_string(&lib).unwrap();
    assert!(text.contains(NAP), "the fixture's nap returns ms");
    fs::write(&lib, text.replace(NAP, NAP_PLUS_ONE)).unwrap();
    touch(&lib, &["-r", like.join("src/lib.rs").to_str().unwrap()]);
}

fn touch(file: &Path, how: &[&str]) {
    let status = Command::new("touch").args(how).arg(file).status().unwrap();
    assert!(status.success());
}

/// `--check` of `exp`'s release build on the shared home: the release
/// lane's result and the build row.
fn raced(exp: &Path) -> (String, Value, common::Checked) {
    let run = common::check_release(exp);
    let result = common::lane_row(&run.report, "rust-release")
        .map(|r| r["result"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let build = run.report["builds"][0].clone();
    (result, build, run)
}

/// What `nap(2)` returns with the files on disk in `exp`.
fn on_disk(exp: &Path) -> &'static str {
    let text = fs::read_to_string(exp.join("src/lib.rs")).unwrap();
    if text.contains(NAP_PLUS_ONE) {
        "3"
    } else {
        "2"
    }
}

#[test]
fn copies_with_their_old_mtimes_race_their_own_code_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    // The same folder name under two parents: one key, one build record.
    let twin = fresh("twin");
    let a = dir.path().join("a").join(&twin);
    let b = dir.path().join("b").join(&twin);
    cp_a(&sleepy(), &a);
    cp_a(&a, &b);
    returns_one_more(&b, &a);
    for exp in [&a, &b, &a, &b] {
        let (result, build, run) = raced(exp);
        assert_eq!(
            result,
            on_disk(exp),
            "{} raced another copy's code: {build}\n{}",
            exp.display(),
            run.stderr
        );
        assert_eq!(build["ok"], true, "{build}");
    }
    // Told apart by their contents, each build names what it was made from.
    let (_, again, run) = raced(&b);
    assert_eq!(again["reused"], true, "{again}");
    let inputs = again["inputs"].as_str().expect("inputs in the JSON");
    assert_eq!(inputs.len(), 64, "a SHA-256: {inputs}");
    assert_eq!(again["module_sha256"].as_str().map(str::len), Some(64));
    assert!(
        run.stdout
            .contains(&format!("reused: inputs {} as on disk", &inputs[..12])),
        "{}",
        run.stdout
    );
}

#[test]
fn two_worktrees_of_one_crate_race_their_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join(fresh("wt_main"));
    cp_a(&sleepy(), &main);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=lab", "-c", "user.email=lab@example.com"])
            .args(args)
            .current_dir(&main)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::text(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "nap"]);
    let other = dir.path().join(fresh("wt_other"));
    git(&[
        "worktree",
        "add",
        "-q",
        other.to_str().unwrap(),
        "-b",
        "plus-one",
    ]);
    returns_one_more(&other, &main);
    // Checked out at one moment: every file of both trees has one mtime.
    for tree in [&main, &other] {
        let status = Command::new("find")
            .arg(tree)
            .args(["-type", "f", "-not", "-path", "*/.git*"])
            .args(["-exec", "touch", "-d", "2021-06-01 12:00", "{}", "+"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    for exp in [&other, &main, &other] {
        let (result, build, run) = raced(exp);
        assert_eq!(result, on_disk(exp), "{build}\n{}", run.stderr);
    }
}

#[test]
fn a_source_restored_with_an_older_mtime_is_built_again() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join(fresh("restored"));
    cp_a(&sleepy(), &exp);
    let lib = exp.join("src/lib.rs");
    let original = fs::read_to_string(&lib).unwrap();
    let (result, ..) = raced(&exp);
    assert_eq!(result, "2");
    // Edited twice within a second, built after each.
    fs::write(&lib, original.replace(NAP, "    ms + 2\n}")).unwrap();
    let (result, ..) = raced(&exp);
    assert_eq!(result, "4");
    fs::write(&lib, original.replace(NAP, NAP_PLUS_ONE)).unwrap();
    let (result, ..) = raced(&exp);
    assert_eq!(result, "3");
    // The backup comes back, older than every build.
    fs::write(&lib, &original).unwrap();
    touch(&lib, &["-d", "2020-01-01"]);
    let (result, build, run) = raced(&exp);
    assert_eq!(result, "2", "{build}\n{}", run.stderr);
    assert_eq!(build["reused"], false);
}

#[test]
fn an_edit_during_the_build_builds_again_and_is_never_recorded_as_the_old_files() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join(fresh("edited_mid_build"));
    cp_a(&sleepy(), &exp);
    // A build script that says when it starts and then gives the edit time
    // to land before rustc reads the sources.
    fs::write(
        exp.join("build.rs"),
        "fn main() {\n    let dir = std::env::var(\"CARGO_MANIFEST_DIR\").unwrap();\n    \
         std::fs::write(format!(\"{dir}/build-started\"), \"\").unwrap();\n    \
         std::thread::sleep(std::time::Duration::from_secs(3));\n}\n",
    )
    .unwrap();
    let lib = exp.join("src/lib.rs");
    let original = fs::read_to_string(&lib).unwrap();
    let json = dir.path().join("report.json");
    let lab = Command::new(common::bin())
        .args(["--check", "--json", json.to_str().unwrap(), "--lab"])
        .arg(&exp)
        .args(["--variants", "release"])
        .args(common::ONCE)
        .arg("--home")
        .arg(common::home())
        .current_dir(common::project())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !exp.join("build-started").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the build script never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    fs::write(&lib, original.replace(NAP, NAP_PLUS_ONE)).unwrap();
    let out = lab.wait_with_output().unwrap();
    let stderr = common::text(&out.stderr);
    assert!(
        stderr.contains("src/lib.rs changed during the build") && stderr.contains("building again"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    let result = common::lane_row(&report, "rust-release").map(|r| &r["result"]);
    assert_eq!(result, Some(&Value::from("3")), "{report}");
    // Had the module of the edited files been recorded under the hash of the
    // files before the edit, putting them back would race the edit.
    fs::write(&lib, &original).unwrap();
    let (result, build, run) = raced(&exp);
    assert_eq!(result, "2", "{build}\n{}", run.stderr);
}

#[test]
fn a_module_python_cannot_import_fails_its_build_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join(fresh("empty_lib"));
    cp_a(&sleepy(), &empty);
    fs::write(empty.join("src/lib.rs"), "").unwrap();
    let renamed = dir.path().join(fresh("renamed_module"));
    cp_a(&sleepy(), &renamed);
    let lib = fs::read_to_string(renamed.join("src/lib.rs")).unwrap();
    fs::write(
        renamed.join("src/lib.rs"),
        lib.replace("mod sleepy {", "mod sleepy_two {"),
    )
    .unwrap();
    for (exp, says) in [
        (
            &empty,
            "defines no PyInit_sleepy, so `import sleepy` would fail",
        ),
        (
            &renamed,
            "defines PyInit_sleepy_two (#[pymodule] sleepy_two), but lab.toml's module is `sleepy`",
        ),
    ] {
        let (result, build, run) = raced(exp);
        assert_eq!(run.code, Some(1), "{}", run.stdout);
        assert_eq!(build["ok"], false);
        let error = build["error"].as_str().unwrap();
        assert!(error.contains(says), "{error}");
        assert!(!error.contains('\n'), "one sentence: {error}");
        assert_eq!(result, "", "nothing raced");
        let manifest = common::home_entry("builds", exp, "-release.json");
        assert!(
            !manifest.exists(),
            "recorded as built: {}",
            manifest.display()
        );
    }
}
