//! Shared by the integration tests: the real binary and one lab home for all
//! of them, so the maturin builds happen once per clean checkout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pyo3-lab")
}

pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lab home every test shares; the lab's own lock serialises its set-up.
pub fn home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("lab-home")
}

pub fn lab(args: &[&str]) -> Output {
    lab_in(project(), args)
}

/// The lab run in `dir` (as a user runs it where their code is), in the
/// shared home.
pub fn lab_in(dir: &Path, args: &[&str]) -> Output {
    // The home first: whatever follows `--` in `args` is a program's own.
    Command::new(bin())
        .arg("--home")
        .arg(home())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("pyo3-lab runs")
}

/// A `--check` run: its exit code, its JSON report (when one was written) and its output.
pub struct Checked {
    pub code: Option<i32>,
    pub report: serde_json::Value,
    pub stdout: String,
    pub stderr: String,
}

/// What the shared home keeps under `folder` of the crate in `dir` (an
/// absolute path): a build is named by its folder's name and a short hash
/// of where it is, `{name}-{place}{suffix}`, as `Home` names it.
pub fn home_entry(folder: &str, dir: &Path, suffix: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(dir.to_string_lossy().as_bytes());
    let place: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    let name = dir.file_name().unwrap().to_string_lossy();
    home().join(folder).join(format!("{name}-{place}{suffix}"))
}

/// Runs `--check` in the shared home with `args`, writing the JSON report.
pub fn check(args: &[&str]) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut all = vec!["--check", "--json", json.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = lab(&all);
    let report = std::fs::read(&json)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(serde_json::Value::Null);
    Checked {
        code: out.status.code(),
        report,
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

/// `--check` with `args`, one measured run and no warm-up, which must pass
/// with every lane right.
pub fn check_once_right(args: &[&str]) -> Checked {
    let run = check_once(args);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_all_correct(&run.report);
    run
}

/// One timed run of the release build, no warm-up: enough to see a result.
/// `--check` of one experiment folder's release build, once, no warm-up.
pub fn check_release(exp: &Path) -> Checked {
    check_once(&["--lab", exp.to_str().unwrap(), "--variants", "release"])
}

/// The result row of `lane` in a JSON report.
pub fn lane_row<'a>(report: &'a serde_json::Value, lane: &str) -> Option<&'a serde_json::Value> {
    report["results"]
        .as_array()?
        .iter()
        .find(|r| r["lane"] == lane)
}

/// Runs the binary with a home of its own and extra environment.
pub fn lab_alone(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin())
        .args(args)
        .arg("--home")
        .arg(home)
        .envs(env.iter().copied())
        .current_dir(project())
        .output()
        .expect("pyo3-lab runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Worker processes whose lab is gone: a lab that exited must take its workers
/// with it. Workers of labs that still run, in other tests, are fine, and so
/// are the ones a test binary starts itself (tests/worker.rs, which may run
/// beside this one). A lab that another test just killed takes its workers
/// with it a moment later, so a leftover must still be there after 5 s.
pub fn orphan_workers() -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let found = orphan_workers_now();
        if found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn orphan_workers_now() -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-f", "pyo3-lab __worker"])
        .output()
        .unwrap();
    text(&out.stdout)
        .lines()
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let (state, ppid) = (
                fields.first().copied().unwrap_or("Z"),
                fields.get(1).copied().unwrap_or("0"),
            );
            let parent = text(&std::fs::read(format!("/proc/{ppid}/cmdline")).unwrap_or_default());
            // A test binary is target/debug/deps/NAME-HASH.
            let started_by_a_test = parent.contains("/deps/");
            state != "Z" && !parent.contains("pyo3-lab") && !started_by_a_test
        })
        .map(str::to_owned)
        .collect()
}

/// A copy of a folder, as a user would copy an experiment to change it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The lane names of a JSON report, in order (of one experiment, if given).
pub fn lane_names<'a>(report: &'a serde_json::Value, experiment: Option<&str>) -> Vec<&'a str> {
    report["results"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| experiment.is_none_or(|e| r["experiment"] == e))
                .map(|r| r["lane"].as_str().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// Every lane of a JSON report answered right; a report without lanes fails.
pub fn assert_all_correct(report: &serde_json::Value) {
    let rows = report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in the report: {report}"));
    assert!(!rows.is_empty(), "no lane in the report: {report}");
    for r in rows {
        assert_eq!(r["correct"], true, "{r}");
    }
}

/// The lab started with `args` in the shared home, its stderr read until a
/// line that starts with `prefix`; the rest of its stderr is drained on a
/// thread, so the lab never writes into a closed or full pipe.
pub fn spawn_until(args: &[&std::ffi::OsStr], prefix: &str) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut lab = Command::new(bin())
        .args(args)
        .arg("--home")
        .arg(home())
        .current_dir(project())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pyo3-lab runs");
    let mut lines = BufReader::new(lab.stderr.take().unwrap()).lines();
    let seen = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.starts_with(prefix));
    assert!(seen, "the lab ended before a line starting {prefix:?}");
    std::thread::spawn(move || lines.for_each(drop));
    lab
}

/// Processes whose parent is `parent`.
pub fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| stat_field(*pid, 1).as_deref() == Some(&parent.to_string()))
        .collect()
}

/// A field of `/proc/PID/stat` after the command's name (0: state, 1: the
/// parent, 11: user time in clock ticks).
pub fn stat_field(pid: u32, index: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit(')').next()?;
    after_name.split_whitespace().nth(index).map(str::to_owned)
}

/// One measured run and no warm-up: enough to see a result.
pub const ONCE: [&str; 4] = ["--runs", "1", "--warmup", "0"];

/// `--check` with `args`, one measured run and no warm-up.
pub fn check_once(args: &[&str]) -> Checked {
    let mut all = args.to_vec();
    all.extend(ONCE);
    check(&all)
}
