//! The worker's event stream, spoken to directly: requests in on stdin, one
//! JSON reply per line out, printed lines captured apart from the protocol.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn worker(
    paths: &[&std::path::Path],
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut cmd = Command::new(common::bin());
    cmd.arg("__worker");
    for p in paths {
        cmd.arg("--path").arg(p);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

/// A lane call on the wire: `module.function(*args)`.
fn call(module: &str, function: &str, args: Value) -> Value {
    json!({"callee": {"kind": "function", "function": {"module": module, "name": function}}, "args": args})
}

fn next(out: &mut BufReader<std::process::ChildStdout>) -> Value {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

#[test]
fn a_race_request_streams_progress_then_the_result() {
    let assets = common::project().join("assets");
    let (mut child, mut out) = worker(&[&assets]);
    let ready = next(&mut out);
    assert_eq!(ready["ev"], "ready");
    assert!(ready["python"].as_str().unwrap().starts_with("3."));

    let stdin = child.stdin.as_mut().unwrap();
    let request = json!({"cmd": "race", "call": call("fib_reference", "pyrun", json!([21])), "chunks": [20, 19, 18], "expect": {"json": "13530"}});
    writeln!(stdin, "{request}").unwrap();
    for done in 1..=3 {
        assert_eq!(next(&mut out), json!({"ev": "progress", "done": done}));
    }
    // The run's resident peak comes just before its end.
    let memory = next(&mut out);
    assert_eq!(memory["ev"], "memory", "{memory}");
    let finished = next(&mut out);
    assert_eq!(finished["ev"], "finished");
    // fib(20) + fib(19) + fib(18) = 6765 + 4181 + 2584
    assert_eq!(finished["result"], "13530");
    assert!(
        finished["json"].is_null(),
        "an answer checked in the worker is not sent back: {finished}"
    );
    assert_eq!(finished["correct"], true, "checked in the worker");
    assert!(finished["mismatch"].is_null(), "{finished}");
    assert!(finished["seconds"].as_f64().unwrap() > 0.0);

    // A missing function is a reply, and the worker keeps serving.
    writeln!(
        stdin,
        "{}",
        json!({"cmd": "race", "call": call("fib_reference", "nope", json!([1]))})
    )
    .unwrap();
    let failed = next(&mut out);
    assert_eq!(failed["ev"], "failed");
    assert_eq!(failed["kind"], "import");
    assert!(failed["message"].as_str().unwrap().contains("nope"));

    // Without chunks: one call with the JSON arguments, then one progress report.
    let mut race = |n: u64, expect: Value| {
        let request = json!({"cmd": "race", "call": call("fib_reference", "pyrun", json!([n])), "expect": expect});
        writeln!(stdin, "{request}").unwrap();
        assert_eq!(next(&mut out), json!({"ev": "progress", "done": 1}));
        assert_eq!(next(&mut out)["ev"], "memory");
        let finished = next(&mut out);
        (
            finished["result"].as_str().map(str::to_owned),
            finished["correct"].as_bool(),
        )
    };
    assert_eq!(
        race(10, json!({"json": "56"})),
        (Some("55".into()), Some(false))
    );
    // The answer sent last is kept: a request may name it instead of
    // carrying it again (a long answer costs more to send than a run).
    assert_eq!(race(11, json!("kept")), (Some("89".into()), Some(false)));
    assert_eq!(race(10, json!("kept")), (Some("55".into()), Some(false)));
    assert_eq!(
        race(10, json!({"json": "55"})),
        (Some("55".into()), Some(true))
    );
    assert_eq!(race(10, json!("kept")), (Some("55".into()), Some(true)));

    drop(child.stdin.take());
    assert!(
        child.wait().unwrap().success(),
        "EOF on stdin ends the worker"
    );
}

#[test]
fn printed_lines_become_timestamped_line_replies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("chatty.py"),
        "import time\ndef scenario(f):\n    print('first')\n    time.sleep(0.2)\n    print('second', end='')\n    print(' half')\n    return f(3)\n",
    )
    .unwrap();
    let (mut child, mut out) = worker(&[dir.path()]);
    assert_eq!(next(&mut out)["ev"], "ready");
    let request = json!({"cmd": "gil", "scenario": {"module": "chatty", "name": "scenario"}, "function": {"module": "math", "name": "factorial"}});
    writeln!(child.stdin.as_mut().unwrap(), "{request}").unwrap();
    let first = next(&mut out);
    let second = next(&mut out);
    let finished = next(&mut out);
    assert_eq!(
        (first["ev"].as_str(), first["text"].as_str()),
        (Some("line"), Some("first"))
    );
    assert_eq!(second["text"], "second half", "a line arrives whole");
    let gap = second["t"].as_f64().unwrap() - first["t"].as_f64().unwrap();
    assert!(gap >= 0.19, "timestamps taken as lines are printed: {gap}");
    assert_eq!(
        finished,
        json!({"ev": "finished", "seconds": finished["seconds"], "result": "6"})
    );
    child.kill().unwrap();
}

/// A scenario that is a generator is timed phase by phase, its set-up
/// before the first phase left out; its lane time is the phases' sum.
#[test]
fn a_scenario_is_timed_phase_by_phase() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shop.py"),
        "import time\n\
         class Basket:\n    def __init__(self):\n        self.items = []\n    def add(self, x):\n        self.items.append(x)\n\n\
         def workload(make, n):\n    time.sleep(0.05)\n    yield 'make'\n    b = make()\n    yield 'add'\n    for i in range(n):\n        b.add(i)\n    time.sleep(0.02)\n    yield 'make'\n    make()\n    return len(b.items)\n\n\
         def plain(make, n):\n    return n\n\n\
         def bad(make, n):\n    yield 3\n",
    )
    .unwrap();
    let (mut child, mut out) = worker(&[dir.path()]);
    assert_eq!(next(&mut out)["ev"], "ready");
    let scenario = |name: &str| {
        json!({"callee": {"kind": "scenario", "scenario": {"module": "shop", "name": name},
                          "factory": {"module": "shop", "name": "Basket"}}, "args": [1000]})
    };
    let stdin = child.stdin.as_mut().unwrap();
    let asked = std::time::Instant::now();
    writeln!(
        stdin,
        "{}",
        json!({"cmd": "race", "call": scenario("workload"), "expect": {"json": "1000"}})
    )
    .unwrap();
    assert_eq!(next(&mut out)["ev"], "progress");
    assert_eq!(next(&mut out)["ev"], "memory");
    let finished = next(&mut out);
    assert_eq!(finished["correct"], true, "{finished}");
    let phases = finished["phases"].as_array().unwrap();
    let names: Vec<&str> = phases.iter().map(|p| p[0].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["make", "add"],
        "a phase named twice adds up: {finished}"
    );
    let add = phases[1][1].as_f64().unwrap();
    assert!(add >= 0.02, "the add phase holds its sleep: {finished}");
    let sum: f64 = phases.iter().map(|p| p[1].as_f64().unwrap()).sum();
    let seconds = finished["seconds"].as_f64().unwrap();
    assert!((seconds - sum).abs() < 1e-9, "{seconds} vs {sum}");
    // The request took the set-up's 50 ms sleep and the timed phases at
    // least; had the set-up been timed, its time would be all but the IPC.
    let wall = asked.elapsed().as_secs_f64();
    assert!(
        seconds + 0.05 <= wall,
        "the set-up's 50 ms sleep is not timed: {seconds} of {wall}"
    );

    writeln!(
        stdin,
        "{}",
        json!({"cmd": "call", "call": scenario("plain")})
    )
    .unwrap();
    let finished = next(&mut out);
    assert_eq!(finished["result"], "1000");
    assert_eq!(
        finished["phases"][0][0], "plain",
        "a plain scenario is one phase"
    );

    writeln!(stdin, "{}", json!({"cmd": "race", "call": scenario("bad")})).unwrap();
    let failed = next(&mut out);
    assert_eq!(failed["ev"], "failed", "{failed}");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("yields the name of its next phase"),
        "{failed}"
    );
    child.kill().unwrap();
}
