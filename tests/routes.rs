//! Other routes to speed beside the Rust port: Cython (the `.py` as it
//! stands, and a `.pyx` with C types), mypyc, Numba and PyPy race as lanes
//! of their own, built like a Rust build (by content, into the home), or run
//! by PyPy in a worker of its own, and checked like any lane.

mod common;

use serde_json::Value;

fn row<'a>(report: &'a Value, lane: &str) -> &'a Value {
    common::lane_row(report, lane)
        .unwrap_or_else(|| panic!("no lane {lane}: {}", report["results"]))
}

fn reused(report: &Value, lane: &str) -> bool {
    report["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lane"] == lane)
        .unwrap_or_else(|| panic!("no route build of {lane}: {}", report["routes"]))["reused"]
        .as_bool()
        .unwrap()
}

#[test]
fn every_route_races_right_and_says_what_it_cost() {
    let run = common::check_once_right(&["--lab", "lab/routes/fib", "--n", "20"]);
    let report = &run.report;
    for (lane, route, ran_as) in [
        ("cython-pure", "cython", "[Cython, compiled C]"),
        ("cython-typed", "cython", "[Cython, compiled C]"),
        ("mypyc", "mypyc", "[mypyc, compiled C]"),
        ("numba", "numba", "[Numba, JIT-compiled]"),
        ("pypy", "pypy", "[PyPy, a tracing JIT]"),
    ] {
        let r = row(report, lane);
        assert_eq!(r["route"], route, "{r}");
        assert_eq!(r["result"], "6765", "{r}");
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(lane) && l.ends_with(ran_as)),
            "{lane} runs as {ran_as}:\n{}",
            run.stdout
        );
    }
    // A module built from the file, not the `.py` beside it: its size and
    // build time are the route's cost.
    for lane in ["cython-pure", "cython-typed", "mypyc"] {
        let r = row(report, lane);
        assert!(r["module_bytes"].as_u64().unwrap() > 10_000, "{r}");
        assert!(r["build_seconds"].as_f64().unwrap() > 0.0, "{r}");
    }
    // The JIT's compile (PyPy's tracing) is its first call, kept out of the runs.
    for lane in ["numba", "pypy"] {
        let r = row(report, lane);
        assert!(r["first_call_seconds"].as_f64().unwrap() > 0.0, "{r}");
        assert!(
            run.stdout.contains(&format!("first call: {lane} ")),
            "{}",
            run.stdout
        );
    }

    // Whether the code had to change: the `.pyx` with C types is a rewrite
    // of one line of four; the other routes took fib.py as it stands.
    let code = &row(report, "cython-typed")["code"];
    assert_eq!(
        (&code["file"], &code["changed"]),
        (&"fib_typed.pyx".into(), &1.into()),
        "{code}"
    );
    for lane in ["cython-pure", "mypyc", "numba", "pypy"] {
        assert_eq!(row(report, lane)["code"]["changed"], 0, "{lane}");
    }
    assert!(
        run.stdout
            .contains("cython-typed rewritten: 1 of 4 lines (fib_typed.pyx)")
    );
    assert!(
        row(report, "python")["route"].is_null() && row(report, "rust-release")["route"].is_null()
    );
    assert!(row(report, "python")["code"].is_null());
    // Which lane wins is the machine's to say (at fib(20) cython-typed and
    // rust-release can tie); that the race says it is the lab's.
    assert!(
        run.stdout.contains("fastest right lane: ")
            || run.stdout.contains("no clear fastest lane: "),
        "{}",
        run.stdout
    );
}

#[test]
fn a_route_module_is_reused_by_content_rebuilt_when_its_file_changes_and_a_failed_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("routes_copy");
    common::copy_dir(&common::project().join("lab/routes/fib"), &copy);
    let lab = copy.to_str().unwrap();
    let once = || common::check_once(&["--lab", lab, "--n", "15"]);
    let first = once();
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let again = once();
    assert!(reused(&again.report, "cython-typed") && reused(&again.report, "mypyc"));

    // A comment is a change of content: that module alone is made again.
    // (A comment of this run's own: the test home keeps every build made.)
    let pyx = copy.join("fib_typed.pyx");
    let text = std::fs::read_to_string(&pyx).unwrap();
    std::fs::write(
        &pyx,
        format!("{text}\n# edited in {}\n", dir.path().display()),
    )
    .unwrap();
    let edited = once();
    assert!(
        !reused(&edited.report, "cython-typed"),
        "{}",
        edited.report["routes"]
    );
    assert!(reused(&edited.report, "cython-pure") && reused(&edited.report, "mypyc"));

    // A file Cython refuses: that lane is named with Cython's error and left
    // out; the other routes still race.
    std::fs::write(&pyx, "cpdef long fib(long n:\n    return n\n").unwrap();
    let broken = once();
    assert_eq!(broken.code, Some(1), "{}", broken.stdout);
    let problems = broken.report["problems"].to_string();
    assert!(
        problems.contains("cython-typed") && problems.contains("did not build"),
        "{problems}"
    );
    assert!(
        !broken.report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["lane"] == "cython-typed")
    );
    assert_eq!(row(&broken.report, "mypyc")["correct"], true);
    // And it leaves no half-made build in the home: a `.part-PID` folder of
    // a lab that has ended. (Another test's lab may be building one now.)
    let routes = std::fs::read_dir(common::home().join("routes")).unwrap();
    let left: Vec<String> = routes
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.rsplit_once(".part-")
                .is_some_and(|(_, pid)| !std::path::Path::new("/proc").join(pid).exists())
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn typed_routes_overflow_where_python_mypyc_pypy_and_the_rust_port_stay_right_and_verify_finds_it()
{
    let lab = ["--lab", "lab/routes/overflow"];
    // A sweep across 2**63: just under it every lane is right; past it the
    // 64-bit routes wrap, the others do not, and the sweep says where.
    let swept = common::check_once(&[&lab[..], &["--sweep", "3000000,4000000"]].concat());
    assert_eq!(swept.code, Some(1), "{}", swept.stdout);
    let at = |lane: &str, n: &str| {
        swept.report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["lane"] == lane && r["parameters"]["n"] == n)
            .unwrap_or_else(|| panic!("no {lane} at {n}: {}", swept.report["results"]))
    };
    for (lane, past_right) in [
        ("cython-typed", false),
        ("numba", false),
        ("mypyc", true),
        ("pypy", true),
        ("rust-release", true),
    ] {
        let under = at(lane, "3000000");
        assert_eq!(under["correct"], true, "{under}");
        assert_eq!(under["result"], "8999995500000500000", "{under}");
        assert_eq!(at(lane, "4000000")["correct"], past_right, "{lane}");
    }
    for lane in ["cython-typed", "numba"] {
        let said = format!("wrong:  {lane:<12} at N = 4000000 (right up to N = 3000000)");
        assert!(swept.stdout.contains(&said), "{said}:\n{}", swept.stdout);
    }
    assert!(
        swept.stdout.contains("off by -18,446,744,073,709,551,616"),
        "the wrap is 2**64: {}",
        swept.stdout
    );
    // `compare` does not count a wrong answer's time as a speed-up.
    let json = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(json.path(), swept.report.to_string()).unwrap();
    let path = json.path().to_str().unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["compare", path, path])
        .output()
        .unwrap();
    let table = common::text(&out.stdout);
    let row = |lane: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!("{lane} (N = 4000000)")))
            .unwrap_or_else(|| panic!("{lane}: {table}"))
            .to_owned()
    };
    assert!(row("numba").contains("WRONG ("), "{table}");
    assert!(!row("pypy").contains("WRONG"), "{table}");
    // The differential check finds an overflowing size, with its replay.
    let verify = common::check_once(
        &[
            &lab[..],
            // The budget a call: beside two CPU hogs and three other test
            // binaries, sumsq(3 million) took over a second, and the one
            // overflowing size drawn was left out at the default 2 s.
            &[
                "--n",
                "3000000",
                "--verify",
                "30",
                "--verify-seed",
                "1",
                "--verify-budget",
                "30",
            ],
        ]
        .concat(),
    );
    assert_eq!(verify.code, Some(1), "{}", verify.stdout);
    let problems = verify.report["problems"].to_string();
    assert!(
        problems.contains("cython-typed disagrees") && problems.contains("--verify-seed"),
        "{problems}"
    );
    assert!(
        !problems.contains("mypyc disagrees")
            && !problems.contains("pypy disagrees")
            && !problems.contains("rust-release disagrees")
    );
}

/// Without PyPy, its lane says how to get it, and every other lane races.
#[test]
fn a_missing_pypy_is_one_message_and_the_other_lanes_race() {
    let args = [
        "--check",
        "--lab",
        "lab/routes/fib",
        "--n",
        "15",
        "--pypy",
        "/nonexistent/pypy3",
    ];
    let out = common::lab(&[&args[..], &common::ONCE].concat());
    let stdout = common::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let said: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("no PyPy at /nonexistent/pypy3"))
        .collect();
    assert!(!said.is_empty(), "{stdout}");
    assert!(said[0].contains("install PyPy"), "{}", said[0]);
    for lane in ["python", "cython-typed", "mypyc", "numba", "rust-release"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(lane) && l.contains("610 (r")),
            "{lane} still races: {stdout}"
        );
    }
}

/// Cython's `with nogil`, Numba's `nogil=True` and a Rust port that
/// detaches release the GIL, and the lab says so; CPython holds it.
#[test]
fn the_routes_that_release_the_gil_are_said_to_and_cpython_holds_it() {
    let run = common::check_once(&["--lab", "lab/routes/nogil", "--threads", "1,2"]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let rows = run.report["threads"].as_array().expect("thread rows");
    let capacity = rows
        .iter()
        .filter(|r| r["threads"] == 2)
        .map(|r| r["capacity"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let said = |lane: &str| {
        run.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(lane) && l.contains("2 threads"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // As the GIL sweep test judges: read from the CPU time; where the
    // machine clearly gave two cores each lane is named rightly, under 1.5x
    // the lab says it can't tell, and CPython is never said to release it.
    assert!(
        !said("python").contains("(releases the GIL"),
        "{}",
        run.stdout
    );
    if capacity >= 1.7 {
        for lane in ["cython-nogil", "numba-nogil", "rust-release"] {
            assert!(
                said(lane).contains("(releases the GIL") && !said(lane).contains("holds the GIL"),
                "{lane} releases the GIL:\n{}\n{}",
                run.stdout,
                run.report["threads"]
            );
        }
        assert!(said("python").contains("holds the GIL"), "{}", run.stdout);
    } else if capacity < 1.5 {
        assert!(run.stdout.contains("can't tell"), "{}", run.stdout);
    }
}
