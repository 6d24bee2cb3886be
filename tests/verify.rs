//! The differential check, for real: the built-in `floordiv` lesson's straight
//! port disagrees with Python on negative readings, its fixed port and the
//! other built-ins agree, and a seed replays what was found.

mod common;

use serde_json::Value;

fn verify_rows(report: &Value, lane: &str) -> Value {
    report["verify"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["lane"] == lane)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn the_straight_port_disagrees_the_fixed_one_agrees_and_a_seed_replays_it() {
    let run = common::check_once(&[
        "--lab",
        "lab/floordiv",
        "--verify",
        "20",
        "--verify-seed",
        "40",
        "--variants",
        "release",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let straight = verify_rows(&run.report, "straight (release)");
    assert_eq!(straight["tried"], 20);
    assert!(straight["agreed"].as_u64().unwrap() < 20, "{straight}");
    let first = &straight["disagreements"][0];
    let seed = first["seed"].as_u64().unwrap();
    assert!(
        first["input"].as_str().unwrap().starts_with("bucket_sum(["),
        "{first}"
    );
    assert_ne!(first["reference"], first["lane"]);
    let floor = verify_rows(&run.report, "floor (release)");
    assert_eq!(floor["agreed"], 20, "the fixed port agrees: {floor}");
    assert!(
        run.stdout
            .contains(&format!("replay: --verify 1 --verify-seed {seed}")),
        "{}",
        run.stdout
    );
    // The race alone passes: the default input holds no negative reading.
    let races: Vec<&Value> = run.report["results"].as_array().unwrap().iter().collect();
    assert!(races.iter().all(|r| r["correct"] == true), "{races:?}");

    // The seed replays that one input, and finds the same answers.
    let seed = seed.to_string();
    let replay = common::check_once(&[
        "--lab",
        "lab/floordiv",
        "--verify",
        "1",
        "--verify-seed",
        &seed,
        "--variants",
        "release",
    ]);
    assert_eq!(replay.code, Some(1));
    let again = &verify_rows(&replay.report, "straight (release)")["disagreements"][0];
    assert_eq!(again, first);
}

#[test]
fn the_chapters_experiments_agree() {
    let run = common::check_once(&[
        "--lab",
        "lab/fibonacci",
        "--lab",
        "lab/listsum",
        "--verify",
        "8",
        "--n",
        "1000",
        "--variants",
        "release",
    ]);
    // --n 1000 is past fib's range: a usage error before anything runs.
    assert_eq!(run.code, Some(2));
    let run = common::check_once(&[
        "--lab",
        "lab/fibonacci",
        "--lab",
        "lab/listsum",
        "--verify",
        "8",
        "--variants",
        "release",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let rows = run.report["verify"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "fib: release + native; listsum: release");
    // Sizes over the whole declared range, those the reference could not
    // afford (fib's above about 35) left out and said.
    for v in rows {
        let skipped = v["coverage"]["skipped"].as_u64().unwrap();
        assert_eq!(v["agreed"], v["tried"], "{v}");
        assert_eq!(v["tried"].as_u64().unwrap() + skipped, 8, "{v}");
    }
    assert!(
        run.stdout.contains("covered, of 0 to 2,000,000 declared"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_verify_settings_are_named() {
    let run = common::check(&["--lab", "lab/floordiv", "--verify", "0"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("mixed_verify");
    common::copy_dir(&common::project().join("tests/fixtures/mixed"), &copy);
    let lab_toml = std::fs::read_to_string(copy.join("lab.toml")).unwrap();
    std::fs::write(
        copy.join("lab.toml"),
        format!("{lab_toml}\n[verify]\ninputs = \"no_such_generator\"\n"),
    )
    .unwrap();
    let run = common::check_once(&[
        "--lab",
        copy.to_str().unwrap(),
        "--verify",
        "3",
        "--variants",
        "release",
        "--n",
        "30",
    ]);
    assert_eq!(run.code, Some(1));
    let problems = run.report["problems"].to_string();
    assert!(
        problems.contains("[verify] inputs = \\\"no_such_generator\\\"")
            && problems.contains("lab.toml"),
        "{problems}"
    );
    assert_eq!(
        run.report["results"].as_array().unwrap().len(),
        3,
        "the race still ran"
    );
}
