//! Real faults, provoked for real: an extension that panics, segfaults,
//! aborts, loops forever or answers wrong (tests/fixtures/faults), and bad
//! set-up. Each gets one clear message and exit code 1, and leaves no worker.

mod common;

use serde_json::Value;

/// Runs `--check` on the faults fixture with its knob at `mode`.
fn fault(mode: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let fixture = common::project().join("tests/fixtures/faults");
    let mut args = vec!["--lab", fixture.to_str().unwrap(), "--n", mode];
    args.extend_from_slice(extra);
    let run = common::check_once(&args);
    (run.code, run.report, run.stdout)
}

fn rust_failures(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["lane"] != "python")
        .map(|r| r["failure"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn no_worker_left() {
    let orphans = common::orphan_workers();
    assert!(
        orphans.is_empty(),
        "workers outlived their lab: {orphans:?}"
    );
}

#[test]
fn a_panic_ends_the_lane_as_panicked() {
    let (code, report, stdout) = fault("1", &[]);
    assert_eq!(code, Some(1));
    for f in rust_failures(&report) {
        assert_eq!(
            f,
            "panicked (PanicException: deliberate panic in faults.run)"
        );
    }
    assert_eq!(
        report["results"][0]["correct"], true,
        "the python lane still ran"
    );
    assert!(stdout.contains("check: FAILED"), "{stdout}");
    no_worker_left();
}

#[test]
fn a_segfault_or_abort_ends_the_lane_as_crashed() {
    let (code, report, _) = fault("2", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(rust_failures(&report), ["crashed (signal 11, SIGSEGV)"; 2]);
    let (_, report, _) = fault("3", &[]);
    assert_eq!(rust_failures(&report), ["crashed (signal 6, SIGABRT)"; 2]);
    no_worker_left();
}

#[test]
fn a_panic_that_aborts_keeps_its_message_and_place() {
    let (code, report, stdout) = fault("6", &[]);
    assert_eq!(code, Some(1));
    let failures = rust_failures(&report);
    let debug = &failures[0];
    assert!(
        debug.starts_with("crashed (signal 6, SIGABRT): panicked at src/lib.rs:")
            && debug.contains("attempt to add with overflow"),
        "{debug}"
    );
    assert!(stdout.contains("attempt to add with overflow"), "{stdout}");
    let release = &report["results"][2];
    assert_eq!(
        release["correct"], false,
        "release wraps silently: {release}"
    );
    no_worker_left();
}

#[test]
fn a_killed_lab_takes_its_workers_with_it() {
    let fixture = common::project().join("tests/fixtures/faults");
    let args: Vec<&std::ffi::OsStr> = ["--check", "--lab"]
        .iter()
        .map(|a| a.as_ref())
        .chain([fixture.as_os_str()])
        .chain(
            [
                "--n",
                "4",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--variants",
                "release",
            ]
            .iter()
            .map(|a| a.as_ref()),
        )
        .collect();
    // Once the python lane has run (measured, or the run that settles how
    // many calls a run makes), the Rust lane spins forever in its worker:
    // wait until a worker of the lab has used CPU time of its own.
    let mut lab = common::spawn_until(&args, "[race] python ");
    let start = std::time::Instant::now();
    let spinning = || {
        common::children_of(lab.id())
            .into_iter()
            .filter(|pid| {
                common::stat_field(*pid, 11)
                    .and_then(|t| t.parse::<u64>().ok())
                    .is_some_and(|ticks| ticks > 0)
            })
            .collect::<Vec<_>>()
    };
    let workers = loop {
        let found = spinning();
        if !found.is_empty() {
            break found;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no worker ever spun"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // kill -9: the lab runs no handler at all.
    lab.kill().unwrap();
    lab.wait().unwrap();
    let start = std::time::Instant::now();
    while workers.iter().any(|pid| alive(*pid)) {
        assert!(
            // A poll: the worker spins forever unless its lab's death ends it.
            start.elapsed() < std::time::Duration::from_secs(30),
            "the spinning worker outlived its killed lab"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z')
    })
}

#[test]
fn a_lane_that_never_ends_is_aborted_at_the_time_limit() {
    let (code, report, _) = fault("4", &["--timeout", "1"]);
    assert_eq!(code, Some(1), "an unverified lane fails the check");
    assert_eq!(
        rust_failures(&report),
        ["aborted (over the 1 s time limit)"; 2]
    );
    no_worker_left();
}

#[test]
fn a_wrong_answer_is_reported_never_passed() {
    let (code, report, stdout) = fault("5", &[]);
    assert_eq!(code, Some(1));
    for r in report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["lane"] != "python")
    {
        assert_eq!(
            (r["result"].as_str(), r["correct"].as_bool()),
            (Some("41"), Some(false))
        );
    }
    assert!(stdout.contains("41 (WRONG, expected 42)"), "{stdout}");
}

#[test]
fn an_out_of_range_knob_is_refused_before_anything_runs() {
    let fixture = common::project().join("tests/fixtures/faults");
    let out = common::lab(&["--check", "--lab", fixture.to_str().unwrap(), "--n", "7"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(err.contains("0..=6"), "{err}");
    assert!(!err.contains("[build]"), "nothing was built: {err}");
}

/// Set-up faults, each in a home of its own: exit 1 and the message's words.
fn setup_fails(home: Option<&std::path::Path>, args: &[&str], env: &[(&str, &str)]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let out = common::lab_alone(
        home.unwrap_or(scratch.path()),
        &[&["--check"], args].concat(),
        env,
    );
    assert_eq!(out.status.code(), Some(1));
    common::text(&out.stderr)
}

#[test]
fn a_missing_python_is_one_clear_message() {
    let err = setup_fails(None, &["--python", "/nonexistent/python3"], &[]);
    assert!(
        err.contains("cannot run Python (/nonexistent/python3"),
        "{err}"
    );
    assert!(err.contains("--python"), "says how to fix it: {err}");
}

#[test]
fn an_unwritable_home_is_named() {
    let err = setup_fails(Some("/proc/version/lab".as_ref()), &[], &[]);
    assert!(
        err.contains("/proc/version/lab") && err.contains("--home"),
        "{err}"
    );
}

#[test]
fn an_unreachable_package_index_says_what_to_check() {
    let unreachable = [
        ("PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
        ("PIP_RETRIES", "0"),
        ("PIP_TIMEOUT", "2"),
        ("PIP_NO_CACHE_DIR", "1"),
    ];
    let err = setup_fails(None, &[], &unreachable);
    assert!(
        err.contains("pip could not install maturin 1.16.0"),
        "{err}"
    );
    assert!(err.contains("package index"), "names the fix: {err}");
}

#[test]
fn a_broken_venv_is_made_again_not_used() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    // No experiment in the folder: the run stops after set-up, which is all this needs.
    let setup = |env: &[(&str, &str)]| {
        let out = common::lab_alone(
            home.path(),
            &["--check", "--lab", empty.path().to_str().unwrap()],
            env,
        );
        assert_eq!(out.status.code(), Some(1), "an empty --lab fails the check");
        common::text(&out.stderr)
    };
    let first = setup(&[]);
    assert!(
        first.contains("creating the virtual environment"),
        "{first}"
    );
    assert!(first.contains("holds no lab.toml"), "{first}");
    assert!(
        !setup(&[]).contains("creating the virtual environment"),
        "a good venv is reused"
    );

    // A venv whose python no longer runs (moved, or made by a Python since removed).
    let python = home.path().join("venv/bin/python");
    std::fs::remove_file(&python).unwrap();
    std::os::unix::fs::symlink("/bin/false", &python).unwrap();
    let again = setup(&[]);
    assert!(
        again.contains("creating the virtual environment"),
        "{again}"
    );
    assert!(
        home.path().join("venv/bin/maturin").exists(),
        "maturin is installed again too"
    );
}

#[test]
fn a_python_without_venv_support_names_the_package_to_install() {
    // Debian's python3 without python3-venv has no ensurepip: make this Python
    // lose it the same way, for the processes of this test alone.
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("sitecustomize.py"),
        "import sys\nsys.modules['ensurepip'] = None\n",
    )
    .unwrap();
    let err = setup_fails(None, &[], &[("PYTHONPATH", site.path().to_str().unwrap())]);
    assert!(err.contains("has no `venv` module"), "{err}");
    assert!(err.contains("apt-get install python3-venv"), "{err}");
}
