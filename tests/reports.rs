//! The exports: Markdown tables, and a baseline comparison that fails on a real
//! slowdown (a lane slowed on purpose) and passes on noise.

mod common;

fn sleepy(n: &str, extra: &[&str]) -> common::Checked {
    let fixture = common::project().join("tests/fixtures/sleepy");
    let mut args = vec![
        "--lab",
        fixture.to_str().unwrap(),
        "--n",
        n,
        "--runs",
        "5",
        "--warmup",
        "1",
    ];
    args.extend_from_slice(extra);
    common::check(&args)
}

#[test]
fn a_baseline_comparison_fails_on_a_real_slowdown_and_passes_on_noise() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let markdown = dir.path().join("table.md");
    std::fs::write(&baseline, b"").unwrap();
    let first = common::check(&[
        "--lab",
        common::project()
            .join("tests/fixtures/sleepy")
            .to_str()
            .unwrap(),
        "--n",
        "2",
        "--runs",
        "5",
        "--warmup",
        "1",
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    std::fs::write(&baseline, serde_json::to_vec(&first.report).unwrap()).unwrap();

    // hyperfine's layout: results[] with command, mean, stddev, median, min, max, times.
    for r in first.report["results"].as_array().unwrap() {
        for key in ["command", "mean", "stddev", "median", "min", "max", "times"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
    let table = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        table.contains("| lane | median |") && table.contains("| `rust-release` |"),
        "{table}"
    );
    assert!(
        table.contains("**Build cost**") && table.contains("| sleepy | release |"),
        "{table}"
    );

    let base = baseline.to_str().unwrap();
    let same = sleepy("2", &["--baseline", base, "--fail-if-slower", "25"]);
    assert_eq!(same.code, Some(0), "noise passes:\n{}", same.stdout);
    assert!(
        same.stdout.contains("Against the baseline"),
        "{}",
        same.stdout
    );

    let slowed = sleepy("10", &["--baseline", base, "--fail-if-slower", "25"]);
    assert_eq!(
        slowed.code,
        Some(1),
        "a 5x slower lane fails:\n{}",
        slowed.stdout
    );
    assert!(
        slowed
            .stdout
            .contains("slower than the baseline by more than 25%"),
        "{}",
        slowed.stdout
    );
    assert_eq!(slowed.report["ok"], false);

    let unreadable = sleepy("2", &["--baseline", markdown.to_str().unwrap()]);
    assert_eq!(unreadable.code, Some(2), "a bad baseline is a usage error");
    assert!(
        unreadable.stderr.contains("not a pyo3-lab --json report"),
        "{}",
        unreadable.stderr
    );
}

#[test]
fn ctrl_c_stops_everything_and_keeps_what_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    // fib(40) in Python takes many seconds: the interrupt lands mid-race.
    let child = std::process::Command::new(common::bin())
        .args([
            "--check", "--n", "40", "--runs", "1", "--warmup", "0", "--json",
        ])
        .arg(&json)
        .arg("--home")
        .arg(common::home())
        .current_dir(common::project())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Wait for one of its own workers: the race has begun.
    let parent = child.id().to_string();
    let has_worker = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            let cmd = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .nth(1)
                .unwrap_or("");
            common::text(&cmd).contains("__worker") && ppid == parent
        })
    };
    while !has_worker() {
        assert!(started.elapsed().as_secs() < 600, "no worker ever started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A worker of its own is there: the race has begun, and fib(40)'s first
    // run lasts half a minute, so the interrupt lands inside it.
    // SAFETY: kill(2) sends SIGINT to the child we started; no memory is involved.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let stopped = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    // Mid-race (the report says incomplete, below), and promptly: fib(40)
    // in Python alone runs for half a minute and more.
    assert!(
        stopped.elapsed().as_secs_f64() < 15.0,
        "Ctrl-C took {:?}",
        stopped.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["complete"], false, "{report}");
    assert!(common::text(&out.stdout).contains("INCOMPLETE"));
    assert!(
        common::orphan_workers().is_empty(),
        "no worker outlives the lab"
    );
}

/// `compare` on real reports: the same build twice shows no slowdown, the
/// Rust lane made slower (a 10 ms nap for 5 ms, its speed-up about halved) shows as significantly
/// slower and fails `--fail-if-slower 10`; a file that is no report is named.
#[test]
fn compare_sets_reports_side_by_side_and_fails_on_a_real_slowdown() {
    let dir = tempfile::tempdir().unwrap();
    let save = |name: &str, n: &str| {
        let run = sleepy(n, &[]);
        assert_eq!(run.code, Some(0), "{}", run.stdout);
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec(&run.report).unwrap()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (a, b, slow) = (
        save("a.json", "5"),
        save("b.json", "5"),
        save("slow.json", "10"),
    );
    let compare = |args: &[&str]| {
        let out = std::process::Command::new(common::bin())
            .arg("compare")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            common::text(&out.stdout),
            common::text(&out.stderr),
        )
    };
    let markdown = dir.path().join("compare.md");
    let (code, stdout, _) = compare(&[
        &a,
        &b,
        &slow,
        "--markdown",
        markdown.to_str().unwrap(),
        "--fail-if-slower",
        "10",
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("sleepy") && l.contains("rust-release"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("significantly slower"), "{stdout}");
    // Which lanes clear the gate's "at least" end depends on the noise the
    // other tests make meanwhile; that one does, and is named, does not.
    assert!(
        stdout.contains(" in slow.json: ") && stdout.contains("slower than in a.json"),
        "{stdout}"
    );
    let table = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        table.contains("| experiment | lane | a.json | b.json | slow.json |"),
        "{table}"
    );

    let (code, stdout, _) = compare(&[&a, &b, "--fail-if-slower", "10"]);
    assert_eq!(code, Some(0), "the same build twice: {stdout}");

    let (code, _, stderr) = compare(&[&a, markdown.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("compare.md: not a pyo3-lab report"),
        "{stderr}"
    );
}
