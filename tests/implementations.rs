//! Several implementations per experiment, in a real mixed Rust/Python project:
//! the package's own Python function is the reference, two Rust functions of
//! its compiled submodule race in each build, and a Python function named as
//! Rust is refused.

mod common;

use serde_json::Value;

const MIXED: &str = "tests/fixtures/mixed";
const QUICK: [&str; 6] = ["--runs", "1", "--warmup", "0", "--n", "3000"];

fn lanes(report: &Value) -> Vec<(String, String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("null").to_owned();
            (s("lane"), s("implementation"), s("language"), s("variant"))
        })
        .collect()
}

#[test]
fn two_rust_functions_race_in_both_builds_against_the_packages_python() {
    let mut args = vec!["--lab", MIXED];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let got = lanes(&run.report);
    let want = [
        ("search_py", "search_py", "python", "null"),
        ("parallel (debug)", "parallel", "rust", "debug"),
        ("parallel (release)", "parallel", "rust", "release"),
        ("sequential (debug)", "sequential", "rust", "debug"),
        ("sequential (release)", "sequential", "rust", "release"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into())),
        "{}",
        run.stdout
    );
    for r in run.report["results"].as_array().unwrap() {
        assert_eq!(r["experiment"], "mixed");
        assert_eq!(r["correct"], true, "{r}");
        // 3000 lines, the word in every third: checked against the reference's answer.
        assert_eq!(r["result"], "1000", "{r}");
    }
    assert!(
        run.stdout.contains("vs search_py") && run.stdout.contains("sequential (release)"),
        "{}",
        run.stdout
    );

    let mut args = vec!["--lab", MIXED, "--variants", "release"];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let names: Vec<String> = lanes(&run.report).into_iter().map(|l| l.0).collect();
    assert_eq!(
        names,
        ["search_py", "parallel (release)", "sequential (release)"]
    );
}

#[test]
fn a_python_function_named_as_rust_is_refused_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("mixed_wrong");
    common::copy_dir(&common::project().join(MIXED), &copy);
    let lab_toml = std::fs::read_to_string(copy.join("lab.toml")).unwrap();
    let wrong = lab_toml
        .replace("module = \"mixedpkg._core\"", "module = \"mixedpkg\"")
        .replace(
            "[[rust]]\nfunction = \"search\"\nlabel = \"parallel\"\n\n[[rust]]\nfunction = \"search_sequential\"\nlabel = \"sequential\"",
            "[rust]\nfunction = \"search_fast\"",
        );
    assert_ne!(wrong, lab_toml);
    std::fs::write(copy.join("lab.toml"), wrong).unwrap();
    let mut args = vec!["--lab", copy.to_str().unwrap(), "--variants", "release"];
    args.extend(QUICK);
    let run = common::check(&args);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let release = &run.report["results"][1];
    assert_eq!(release["lane"], "rust-release");
    let failure = release["failure"].as_str().unwrap();
    assert!(
        failure.contains("not compiled code")
            && failure.contains("a Python function")
            && failure.contains("[rust]")
            && failure.contains("lab.toml"),
        "{failure}"
    );
    assert!(
        release["times"].as_array().unwrap().is_empty(),
        "never raced"
    );
}

#[test]
fn a_variant_that_is_no_build_is_a_usage_error() {
    let run = common::check(&["--lab", MIXED, "--variants", "release,fast"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("--variants") && run.stderr.contains("\"fast\""),
        "{}",
        run.stderr
    );
}
