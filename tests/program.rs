//! The program, not just the function: `profile` and `swap` on the lab's
//! own slow program (`lab/programs/spellcheck`: a spell checker whose time
//! goes to one pure function with a Rust port beside it), run as a user
//! runs them, in a copy of the project, with the real py-spy, build and
//! interpreter; and the program's own failures said as such.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A copy of the spell checker in a folder of its own (profile writes
/// `.pyo3-lab/` into the project), named `name`.
fn spellcheck(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    common::copy_dir(&common::project().join("lab/programs/spellcheck"), &to);
    let _ = fs::remove_dir_all(to.join(".pyo3-lab"));
    to
}

/// The lab in `dir` with `args`, and the JSON it wrote to `dir/out.json`.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String, String) {
    let json = dir.join("out.json");
    let _ = fs::remove_file(&json);
    let mut all = vec![args[0], "--json", json.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    let out = common::lab_in(dir, &all);
    let value = fs::read(&json)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (
        out.status.code(),
        value,
        common::text(&out.stdout),
        common::text(&out.stderr),
    )
}

/// `--check --lab .` in `dir`, as a user races what init or new wrote there:
/// one run of the release build; its exit code and report.
fn race_here(dir: &Path) -> (Option<i32>, String) {
    let args = [
        &["--check", "--lab", ".", "--variants", "release"][..],
        &common::ONCE,
    ]
    .concat();
    let raced = common::lab_in(dir, &args);
    (raced.status.code(), common::text(&raced.stdout))
}

#[test]
fn profile_finds_the_hot_function_records_its_calls_and_swap_measures_the_port() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = spellcheck(tmp.path(), "spellcheck");
    let (code, profile, stdout, stderr) = run(
        &dir,
        // closest's own time is small beside the script's set-up: it is
        // recorded by name, as `new --from` says to when it is not.
        &[
            "profile", "--record", "closest", "--", "python", "app.py", "150",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let top = &profile["functions"][0];
    assert_eq!(top["name"], "edit_distance", "{stdout}");
    assert_eq!(top["module"], "spellcheck.pure");
    assert_eq!(top["twin"], "spellcheck._native.edit_distance");
    let share = top["total_share"].as_f64().unwrap();
    assert!(share > 0.5, "most of the run: {stdout}");
    assert!((top["bound"].as_f64().unwrap() - 1.0 / (1.0 - share)).abs() < 1e-9);
    assert!(profile["profiler"].as_str().unwrap().starts_with("py-spy"));
    assert!(profile["wall_seconds"].as_f64().unwrap() > 0.0);
    // Every call counted: one per dictionary word (300) for each word the
    // program corrects.
    let recorded = profile["recorded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "edit_distance")
        .expect("edit_distance recorded");
    assert_eq!(top["calls"], recorded["calls"]);
    let calls = recorded["calls"].as_u64().unwrap();
    assert!(
        calls > 0 && calls % 300 == 0,
        "300 a word corrected: {calls}"
    );
    let kept = recorded["kept"].as_u64().unwrap();
    assert!((1..=64).contains(&kept), "bounded: {kept}");
    assert!(Path::new(recorded["pickle"].as_str().unwrap()).is_file());
    assert_eq!(
        recorded["signature"],
        "fn edit_distance(a: &str, b: &str) -> usize"
    );
    assert!(stdout.contains("suggests fn edit_distance(a: &str, b: &str) -> usize"));

    // The whole program with the port swapped in, against the profile's
    // prediction; its output the same in every run.
    let (code, swap, stdout, stderr) = run(
        &dir,
        &["swap", "--rounds", "8", "--", "python", "app.py", "150"],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(swap["output_same"], true);
    assert_eq!(swap["rounds"], 8);
    assert_eq!(swap["swapped"][0], "spellcheck.pure.edit_distance");
    assert_eq!(swap["baseline_seconds"].as_array().unwrap().len(), 8);
    let speedup = swap["speedup"].as_f64().unwrap();
    let (low, high) = (
        swap["interval"][0].as_f64().unwrap(),
        swap["interval"][1].as_f64().unwrap(),
    );
    assert!(low <= speedup && speedup <= high, "{swap}");
    let prediction = &swap["prediction"];
    assert_eq!(prediction["functions"][0]["wrong"], Value::Null, "{swap}");
    assert_eq!(prediction["functions"][0]["calls"].as_u64(), Some(kept));
    assert!(swap["predicted"].as_f64().unwrap() > 1.0);
    // Inside the bound: no port can buy more than 1 / (1 - share), so the
    // speed-up measured needs a share of at least 1 - 1 / speed-up. The
    // share is of one profiled run beside the other tests, where imports and
    // start-up, slowed more than the loop, once took 86% for 93% quiet: five
    // points are allowed. (Shares of the wrong wall time had made it 55%
    // beside a measured 7.2x, which needs 86%.)
    let needed = 1.0 - 1.0 / low;
    assert!(
        needed <= share + 0.05,
        "the interval's low {low:.2}x needs a share of {needed:.3}, the profile found {share:.3}: {swap}"
    );
    assert!(
        stdout.contains("output    the same in every run"),
        "{stdout}"
    );

    // The recorded calls are a race's input: one run, one pass over them,
    // every answer checked against what the program got.
    let out = common::lab_in(&dir, &["init", "--function", "edit_distance"]);
    let said = common::text(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "input the {kept} calls recorded by pyo3-lab profile"
        )),
        "{said}"
    );
    let (code, report) = race_here(&dir);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains(&format!(
            "'{kept} answers, each as the program got it' (right)"
        )),
        "{report}"
    );

    // A function without a port: its scaffold builds and races, and says
    // plainly that the port is not written yet.
    let ports = tmp.path().join("ports");
    fs::create_dir_all(&ports).unwrap();
    let ports_arg = ports.to_str().unwrap();
    let missing = common::lab_in(
        &dir,
        &[
            "new",
            "tokenizer",
            "--dir",
            ports_arg,
            "--from",
            "spellcheck.pure:tokenize",
        ],
    );
    let e = common::text(&missing.stderr);
    assert!(e.contains("the profile recorded no calls of it"), "{e}");
    let out = common::lab_in(
        &dir,
        &[
            "new",
            "closest_port",
            "--dir",
            ports_arg,
            "--from",
            "spellcheck.pure:closest",
        ],
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stdout).contains("NOT WRITTEN YET"));
    let port = ports.join("closest_port");
    let lib = fs::read_to_string(port.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("fn closest(word: &str, dictionary: Vec<String>) -> (String, i64)")
            && lib.contains("/// def closest(word, dictionary):"),
        "{lib}"
    );
    let (code, report) = race_here(&port);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("not yet implemented: port spellcheck.pure.closest"),
        "{report}"
    );
    assert!(
        report.contains("answers, each as the program got it' (reference)"),
        "{report}"
    );
}

#[test]
fn a_port_that_changes_the_output_fails_the_swap_with_the_first_line_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = spellcheck(tmp.path(), "spellcheck_off_by_one");
    let lib = dir.join("src/lib.rs");
    let source = fs::read_to_string(&lib).unwrap();
    fs::write(
        &lib,
        source.replace("    row[b.len()]\n}", "    row[b.len()] + 1\n}"),
    )
    .unwrap();
    let (code, swap, stdout, stderr) = run(
        &dir,
        &[
            "swap",
            "--rounds",
            "2",
            "--swap",
            "edit_distance",
            "--",
            "python",
            "app.py",
            "40",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert_eq!(swap["output_same"], false);
    let difference = swap["difference"].as_str().unwrap();
    assert!(difference.starts_with("stdout line 1:"), "{difference}");
    assert!(
        difference.contains("swapped: spellcheck.pure.edit_distance"),
        "{difference}"
    );
    assert!(stdout.contains("OUTPUT DIFFERS"), "{stdout}");
}

#[test]
fn the_programs_own_failures_and_bad_commands_are_one_message_each() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = spellcheck(tmp.path(), "spellcheck_faults");
    fs::write(
        dir.join("boom.py"),
        "import sys\nimport spellcheck\nprint('working', file=sys.stderr)\n\
         raise SystemExit('boom: no input file')\n",
    )
    .unwrap();
    fs::write(
        dir.join("slow_faults_test.py"),
        "import time\ntime.sleep(30)\n",
    )
    .unwrap();
    let said = |args: &[&str]| {
        let (code, _, stdout, stderr) = run(&dir, args);
        assert_eq!(code, Some(2), "{args:?}: {stdout}\n{stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "one message: {stderr}");
        stderr
    };
    let e = said(&["profile", "--", "python", "no_such.py"]);
    assert!(
        e.contains("the program is not found: no file no_such.py"),
        "{e}"
    );
    let e = said(&["profile", "--", "make", "all"]);
    assert!(e.contains("the lab runs Python programs"), "{e}");
    let e = said(&["swap", "--", "python", "boom.py"]);
    assert!(
        e.contains("`python boom.py` exited with code 1 (its failure, not the lab's)")
            && e.contains("boom: no input file"),
        "{e}"
    );
    let e = said(&[
        "swap",
        "--timeout",
        "1",
        "--",
        "python",
        "slow_faults_test.py",
    ]);
    assert!(e.contains("ran for more than 1 s, and was stopped"), "{e}");
    let e = said(&["swap", "--swap", "tokenize", "--", "python", "app.py", "10"]);
    assert!(
        e.contains("--swap tokenize: no twin of that name to swap")
            && e.contains("spellcheck.pure.edit_distance"),
        "{e}"
    );
    let plain = tmp.path().join("not_a_project");
    fs::create_dir_all(&plain).unwrap();
    fs::write(plain.join("app.py"), "print(1)\n").unwrap();
    let (code, _, _, stderr) = run(&plain, &["swap", "--", "python", "app.py"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not a maturin project"), "{stderr}");
    let left = std::process::Command::new("pgrep")
        .args(["-f", "slow_faults_test.py"])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "the stopped program is gone: {left:?}"
    );
}

/// A project's test suite is a program too: `profile -- python -m pytest`
/// installs pytest (pinned) and ranks what the tests spend their time in.
#[test]
fn a_test_suite_is_profiled_as_a_program() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = spellcheck(tmp.path(), "spellcheck_suite");
    fs::write(
        dir.join("test_spelling.py"),
        "from spellcheck import closest\n\n\
         WORDS = ['kitten', 'sitting', 'mitten', 'fitting', 'written', 'bitten'] * 40\n\n\n\
         def test_the_nearest_word_is_found():\n\
         \x20   for w in ['kiten', 'sittin', 'mittens']:\n\
         \x20       for _ in range(10):\n\
         \x20           assert closest(w, WORDS)[1] <= 1\n",
    )
    .unwrap();
    let (code, profile, stdout, stderr) = run(
        &dir,
        &[
            "profile",
            "--",
            "python",
            "-m",
            "pytest",
            "-q",
            "test_spelling.py",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let names: Vec<&str> = profile["functions"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"edit_distance"), "{names:?}\n{stdout}");
    assert_eq!(profile["command"], "python -m pytest -q test_spelling.py");
}
