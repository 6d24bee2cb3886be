//! Build configurations as lanes: the built-in variants (lto, native, abi3,
//! pgo) and a lab.toml's own, each built, raced and set against release in
//! the build matrix; a changed setting rebuilds, and a variant that fails to
//! build fails alone.

mod common;

use serde_json::Value;

const FIVE: &str = "release,lto,native,abi3,pgo";

fn matrix_of<'a>(report: &'a Value, experiment: &str) -> Vec<&'a Value> {
    report["matrix"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["experiment"] == experiment)
                .collect()
        })
        .unwrap_or_default()
}

/// Five builds of the chapter's crate and of an outside one, raced: each
/// module is what its settings say, and the matrix gives each a verdict.
#[test]
fn five_variants_build_race_and_get_a_verdict_against_release() {
    let sleepy = common::project().join("tests/fixtures/sleepy");
    let run = common::check(&[
        "--lab",
        "lab/fibonacci",
        "--lab",
        sleepy.to_str().unwrap(),
        "--variants",
        FIVE,
        "--n",
        "22",
        "--runs",
        "3",
        "--warmup",
        "0",
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for experiment in ["fibonacci", "sleepy"] {
        let rows = matrix_of(&run.report, experiment);
        let variants: Vec<&str> = rows
            .iter()
            .map(|r| r["variant"].as_str().unwrap())
            .collect();
        assert_eq!(
            variants,
            ["release", "lto", "native", "abi3", "pgo"],
            "{experiment}"
        );
        for r in &rows[1..] {
            let verdict = r["verdict"].as_str().unwrap();
            assert!(
                verdict.contains("than release")
                    || verdict.contains("no measurable difference")
                    || verdict.contains("not enough runs to tell"),
                "{verdict}"
            );
            assert!(r["vs_release"]["p"].is_number(), "{r}");
        }
    }
    common::assert_all_correct(&run.report);
    assert_eq!(
        common::lane_names(&run.report, Some("fibonacci")),
        [
            "python",
            "rust-release",
            "rust-lto",
            "rust-target-native",
            "rust-abi3",
            "rust-pgo",
            "rust-native"
        ]
    );
    // A build's outputs are named by its crate and where that crate is.
    let fibonacci = common::project().join("lab/fibonacci");
    let named = |folder: &str, suffix: &str| common::home_entry(folder, &fibonacci, suffix);
    let abi3 = named("site", "").join("abi3/fibonacci/fibonacci.abi3.so");
    assert!(abi3.is_file(), "the abi3 module says so in its name");
    let log = std::fs::read_to_string(named("logs", "-pgo.log")).unwrap();
    assert!(
        log.contains("pgo: merged") && log.contains("-Cprofile-use"),
        "the PGO build used a profile: {log}"
    );
    assert!(run.stdout.contains("build matrix"), "{}", run.stdout);
}

/// A lab.toml's own variant races by its name; one a toolchain rejects fails
/// alone with the compiler's words, and the others race.
#[test]
fn an_own_variant_races_and_a_broken_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("sleepy_variants");
    common::copy_dir(&common::project().join("tests/fixtures/sleepy"), &exp);
    let lab_toml = std::fs::read_to_string(exp.join("lab.toml")).unwrap();
    std::fs::write(
        exp.join("lab.toml"),
        format!(
            "variants = [\"release\", \"small\", \"broken\"]\n{lab_toml}\n\
             [[variant]]\nname = \"small\"\nconfig = [\"profile.release.opt-level=\\\"s\\\"\"]\n\n\
             [[variant]]\nname = \"broken\"\nrustflags = [\"-Ctarget-cpu=no-such-cpu-at-all\", \"-Dwarnings\"]\n"
        ),
    )
    .unwrap();
    let run = common::check(&[
        "--lab",
        exp.to_str().unwrap(),
        "--runs",
        "2",
        "--warmup",
        "0",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(
        common::lane_names(&run.report, None),
        ["python", "rust-release", "rust-small"],
        "{}",
        run.stdout
    );
    let broken = run.report["builds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["variant"] == "broken")
        .unwrap();
    assert!(
        broken["error"]
            .as_str()
            .unwrap()
            .contains("no-such-cpu-at-all"),
        "{broken}"
    );
}

#[test]
fn the_same_build_raced_against_itself_is_almost_never_significant() {
    // A/A: busywork's release build and the same settings under another
    // name, ten paired rounds a race, six races. The test is at 1%; a busy
    // machine (load that comes and goes between rounds) may push a race
    // over, but not most of them.
    let fixture = common::project().join("tests/fixtures/busywork");
    let mut alarms = Vec::new();
    for _ in 0..6 {
        let run = common::check(&[
            "--lab",
            fixture.to_str().unwrap(),
            "--variants",
            "release,again",
            "--runs",
            "10",
            "--warmup",
            "1",
            "--budget",
            "0",
        ]);
        assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
        let row = run.report["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant"] == "again")
            .cloned()
            .unwrap_or_else(|| panic!("no matrix row for again: {}", run.report));
        if row["vs_release"]["significant"] == true {
            alarms.push(row["verdict"].to_string());
        }
    }
    assert!(alarms.len() <= 3, "A/A called significant: {alarms:#?}");
}
