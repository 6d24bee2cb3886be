//! The worker's side of the boundary: it imports the modules it is asked for,
//! runs and times them, and replies.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, anyhow};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::capture::Channel;
use super::invoke::{Helper, Made, Prepared, failure, import};
use super::memory;
use super::protocol::{Call, Code, Expect, FailKind, Reply, Request, Tolerance, decode};

pub fn main(paths: &[PathBuf]) -> Result<()> {
    let channel = Channel::install()?;
    let python = Python::attach(|py| setup(py, paths)).map_err(|e| anyhow!("{e}"))?;
    channel.send(&Reply::Ready { python });
    let mut kept = None;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let request: Request = decode(&line)?;
        let reply = Python::attach(|py| {
            serve(py, &channel, request, &mut kept).unwrap_or_else(|err| failure(py, &err))
        });
        channel.send(&reply);
    }
    Ok(())
}

/// Puts the given directories first on `sys.path` and returns the Python version.
fn setup(py: Python<'_>, paths: &[PathBuf]) -> PyResult<String> {
    let sys = py.import("sys")?;
    let sys_path = sys.getattr("path")?;
    for path in paths.iter().rev() {
        sys_path.call_method1("insert", (0, path.to_string_lossy()))?;
    }
    // Every line must reach the pipe as it is printed, or its timestamp lies;
    // but whole, or an extension's `println!` could land inside it.
    let kwargs = PyDict::new(py);
    kwargs.set_item("line_buffering", true)?;
    kwargs.set_item("write_through", false)?;
    sys.getattr("stdout")?
        .call_method("reconfigure", (), Some(&kwargs))?;
    super::native::install(py)?;
    // One module for the whole worker: it keeps the last answer decoded.
    COMPARE.shared(py)?;
    let version = sys.getattr("version")?.extract::<String>()?;
    Ok(version.split_whitespace().next().unwrap_or("").to_owned())
}

/// What a result is checked against, and how closely.
struct Expected<'a> {
    expect: Option<&'a str>,
    tolerance: Tolerance,
}

impl<'a> Expected<'a> {
    /// The answer a request names: the one it carries, which is then kept
    /// for the requests that name the kept one. Borrowed from `kept`, never
    /// copied: an answer can be 20 MB.
    fn of(
        expect: Option<Expect>,
        tolerance: Tolerance,
        kept: &'a mut Option<String>,
    ) -> PyResult<Self> {
        let expect = match expect {
            None => None,
            Some(Expect::Json(json)) => Some(kept.insert(json).as_str()),
            Some(Expect::Kept) => Some(kept.as_deref().ok_or_else(|| {
                PyRuntimeError::new_err("the lab named a kept answer, but none was sent")
            })?),
        };
        Ok(Self { expect, tolerance })
    }
}

/// One handler per request.
fn serve(
    py: Python<'_>,
    channel: &Channel,
    request: Request,
    kept: &mut Option<String>,
) -> PyResult<Reply> {
    match request {
        Request::Load { call, compiled } => load(py, call, compiled),
        Request::Race {
            call,
            chunks,
            expect,
            tolerance,
            repeat,
            trace,
        } => race(
            py,
            channel,
            call,
            chunks,
            repeat,
            trace,
            Expected::of(expect, tolerance, kept)?,
        ),
        Request::Threads {
            call,
            counts,
            batches,
            expect,
            tolerance,
        } => threads(
            py,
            call,
            counts,
            batches,
            Expected::of(expect, tolerance, kept)?,
        ),
        Request::Profile { call } => profile(py, call),
        Request::Inputs { inputs, seeds } => make_inputs(py, inputs, seeds),
        Request::Overhead { function, calls } => overhead(py, function, calls),
        Request::Gil { scenario, function } => gil(py, channel, scenario, function),
        Request::Call { call } => call_once(py, call),
    }
}

/// Imports what a call names; with `compiled`, refuses Python code.
fn load(py: Python<'_>, call: Call, compiled: bool) -> PyResult<Reply> {
    let Some(code) = Prepared::load(py, &call)? else {
        return Ok(Reply::unchecked(0.0, "native".into(), None));
    };
    if compiled && let Some(what) = python_code(py, &code)? {
        let name = call.code().map(Code::dotted).unwrap_or_default();
        return Ok(Reply::Failed {
            kind: FailKind::NotCompiled,
            message: format!("{name} is {what}"),
        });
    }
    Ok(Reply::unchecked(0.0, code.repr()?.to_string(), None))
}

/// Times a lane's call (repeated, or split into chunks), with its memory.
fn race(
    py: Python<'_>,
    channel: &Channel,
    call: Call,
    chunks: Option<Vec<u64>>,
    repeat: u32,
    trace: bool,
    Expected { expect, tolerance }: Expected<'_>,
) -> PyResult<Reply> {
    let prepared = Prepared::new(py, &call)?;
    if let Some(seconds) = prepared.first_call() {
        channel.send(&Reply::FirstCall { seconds });
    }
    let run = Run {
        channel,
        repeat,
        chunks: chunks.as_deref(),
        // A scenario's phases are counted one by one, never its set-up.
        counted: !prepared.is_scenario(),
    };
    let tracemalloc = py.import("tracemalloc")?;
    if trace {
        tracemalloc.call_method0("start")?;
    }
    // The level the calls start from: the arguments are made already.
    let start = memory::reset_peak();
    let timed = run.time(py, |chunk| prepared.make(py, chunk));
    let peak = memory::peak_above(start);
    let traced = if trace {
        let (_, most): (u64, u64) = tracemalloc.call_method0("get_traced_memory")?.extract()?;
        tracemalloc.call_method0("stop")?;
        Some(most)
    } else {
        None
    };
    let timed = match timed {
        Ok(timed) => timed,
        Err(e) => return Ok(raised(py, &e)),
    };
    channel.send(&Reply::Memory { peak, traced });
    finished(
        py,
        timed.seconds,
        &timed.result,
        expect,
        tolerance,
        timed.phases,
    )
}

/// Calls from each count of threads at once, beside native threads.
fn threads(
    py: Python<'_>,
    call: Call,
    counts: Vec<u32>,
    batches: u32,
    Expected { expect, tolerance }: Expected<'_>,
) -> PyResult<Reply> {
    let (f, call_args) = Prepared::new(py, &call)?.callable(py)?;
    let runner = THREADS.load(py)?;
    let check = match &expect {
        Some(e) => Some(compare(py)?.call_method1(
            "checker",
            (e, tolerance.rel_tol, tolerance.abs_tol, tolerance.equal_nan),
        )?),
        None => None,
    };
    type Rows = Vec<(u32, Vec<f64>, Vec<f64>, Vec<f64>)>;
    let (rows, result, mismatch): (Rows, String, Option<String>) = runner
        .getattr("run")?
        .call1((f, call_args, counts, batches, check))?
        .extract()?;
    // Every count's (threads, [wall per call], [native wall], [cores
    // busy]), a figure per round, rides in `json`.
    Ok(Reply::Finished {
        seconds: rows.iter().flat_map(|r| &r.1).sum(),
        result,
        json: Some(serde_json::to_string(&rows).expect("numbers serialise")),
        correct: expect.map(|_| mismatch.is_none()),
        mismatch,
        phases: Vec::new(),
    })
}

/// One call under cProfile: the Python functions by cumulative time.
fn profile(py: Python<'_>, call: Call) -> PyResult<Reply> {
    let (f, call_args) = Prepared::new(py, &call)?.callable(py)?;
    let runner = PROFILE.load(py)?;
    let rows: Vec<(String, f64, f64)> = runner
        .getattr("run")?
        .call1((f, call_args, 10))?
        .extract()?;
    Ok(Reply::unchecked(
        0.0,
        format!("{} functions", rows.len()),
        Some(serde_json::to_string(&rows).expect("rows serialise")),
    ))
}

/// The differential check's inputs, made by the user's function per seed.
fn make_inputs(py: Python<'_>, inputs: Code, seeds: Vec<u64>) -> PyResult<Reply> {
    let f = import(py, &inputs)?;
    let random = py.import("random")?.getattr("Random")?;
    let json = py.import("json")?;
    let mut made = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let args = f.call1((random.call1((seed,))?,))?;
        if !(args.is_instance_of::<PyList>() || args.is_instance_of::<PyTuple>()) {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "returned {}, not a list of the call's arguments",
                args.repr()?
            )));
        }
        made.push(json.call_method1("dumps", (args,))?.extract::<String>()?);
    }
    Ok(Reply::unchecked(
        0.0,
        format!("{} inputs", made.len()),
        Some(serde_json::to_string(&made).expect("strings serialise")),
    ))
}

/// One trivial call's cost, from many.
fn overhead(py: Python<'_>, function: Code, calls: u64) -> PyResult<Reply> {
    let f = import(py, &function)?;
    let arg = (1u8,).into_pyobject(py)?;
    let started = Instant::now();
    for _ in 0..calls {
        f.call1(&arg)?;
    }
    let seconds = started.elapsed().as_secs_f64() / calls.max(1) as f64;
    Ok(Reply::unchecked(seconds, format!("{calls} calls"), None))
}

/// The GIL scenario: its lines and phase marks on one clock.
fn gil(py: Python<'_>, channel: &Channel, scenario: Code, function: Code) -> PyResult<Reply> {
    let module = |code: &Code| py.import(code.module.as_str());
    let rust = import(py, &function)?;
    let run = import(py, &scenario)?;
    // Each side may leave phase marks on perf_counter's clock: drop old
    // ones, and note where that clock stands when ours starts.
    let tracers = [
        ("python", module(&scenario)?.getattr("trace").ok()),
        ("rust", module(&function)?.getattr("take_trace").ok()),
    ];
    for (_, tracer) in &tracers {
        if let Some(t) = tracer {
            t.call0()?;
        }
    }
    let perf_counter = py.import("time")?.getattr("perf_counter")?;
    channel.restart_clock();
    let clock_zero: f64 = perf_counter.call0()?.extract()?;
    let started = Instant::now();
    let result = run.call1((rust,));
    let seconds = started.elapsed().as_secs_f64();
    py.import("sys")?.getattr("stdout")?.call_method0("flush")?;
    // Release the GIL while waiting: the reader thread needs none, but
    // a still-running Python thread might want to print.
    py.detach(|| channel.sync());
    for (thread, tracer) in tracers {
        let Some(tracer) = tracer else { continue };
        let marks: Vec<(f64, String)> = tracer.call0()?.extract()?;
        for (t, what) in marks {
            channel.send(&Reply::Mark {
                t: t - clock_zero,
                thread: thread.into(),
                what,
            });
        }
    }
    Ok(Reply::unchecked(seconds, result?.repr()?.to_string(), None))
}

/// One call, untimed but for its phases: PGO training and the like.
fn call_once(py: Python<'_>, call: Call) -> PyResult<Reply> {
    let prepared = Prepared::new(py, &call)?;
    let started = Instant::now();
    let made = match prepared.make(py, None) {
        Ok(made) => made,
        Err(e) => return Ok(raised(py, &e)),
    };
    finished(
        py,
        started.elapsed().as_secs_f64(),
        &made.result,
        None,
        Tolerance::default(),
        made.phases.unwrap_or_default(),
    )
}

/// What a call raised once everything it names was loaded: an
/// AttributeError there is the code's own (a scenario asking for a method
/// the class lacks), not a name lab.toml got wrong.
fn raised(py: Python<'_>, err: &PyErr) -> Reply {
    match failure(py, err) {
        Reply::Failed {
            kind: FailKind::Import,
            message,
        } => Reply::Failed {
            kind: FailKind::Exception,
            message,
        },
        other => other,
    }
}

/// What `f` is when it is Python code (a function defined in a .py file, a
/// method, a lambda), with where it was defined; None for compiled code.
fn python_code(py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let inspect = py.import("inspect")?;
    let target = inspect.call_method1("unwrap", (f,))?;
    if inspect.call_method1("isclass", (&target,))?.is_truthy()? {
        // A class of a .py file; a #[pyclass]'s file is its extension's.
        let file = inspect.call_method1("getfile", (&target,));
        return Ok(match file.and_then(|f| f.extract::<String>()) {
            Ok(file) if file.ends_with(".py") => {
                Some(format!("a Python class (defined in {file})"))
            }
            _ => None,
        });
    }
    let is_python = inspect
        .call_method1("isfunction", (&target,))?
        .is_truthy()?
        || inspect.call_method1("ismethod", (&target,))?.is_truthy()?;
    if !is_python {
        return Ok(None);
    }
    let code = target.getattr("__code__")?;
    let file: String = code.getattr("co_filename")?.extract()?;
    let line: u32 = code.getattr("co_firstlineno")?.extract()?;
    Ok(Some(format!(
        "a Python function (defined at {file}:{line})"
    )))
}

/// How one timed run is made: `repeat` times over, either one call or one
/// call per chunk (results added up), with progress between calls.
struct Run<'a> {
    channel: &'a Channel,
    repeat: u32,
    chunks: Option<&'a [u64]>,
    /// Whether each call is made inside `pyo3_lab_counted`.
    counted: bool,
}

/// One timed run's time per repetition, its last result, and a scenario's
/// phases (seconds per repetition).
struct Timed<'py> {
    seconds: f64,
    result: Bound<'py, PyAny>,
    phases: Vec<(String, f64)>,
}

impl Run<'_> {
    /// Times the run. A scenario's time is the sum of its phases (its
    /// set-up before the first phase is not timed).
    fn time<'py>(
        &self,
        py: Python<'py>,
        mut call: impl FnMut(Option<u64>) -> PyResult<Made<'py>>,
    ) -> PyResult<Timed<'py>> {
        let repeat = self.repeat.max(1);
        // Repeated runs are short: a report per call would cost more than the call.
        let every = (repeat / 50).max(1);
        let mut result = py.None().into_bound(py);
        let mut phases: Vec<(String, f64)> = Vec::new();
        let mut scenario = false;
        let started = Instant::now();
        for rep in 0..repeat {
            result = match self.chunks {
                None => {
                    let made = if self.counted {
                        counted(&mut call, None)?
                    } else {
                        call(None)?
                    };
                    if let Some(times) = made.phases {
                        scenario = true;
                        add_phases(&mut phases, times);
                    }
                    made.result
                }
                Some(chunks) => {
                    let mut total = 0u8.into_pyobject(py)?.into_any();
                    for (i, chunk) in chunks.iter().enumerate() {
                        total = total.add(counted(&mut call, Some(*chunk))?.result)?;
                        if repeat == 1 {
                            self.channel.send(&Reply::Progress { done: i + 1 });
                        }
                    }
                    total
                }
            };
            if repeat > 1 && (rep + 1) % every == 0 {
                self.channel.send(&Reply::Progress {
                    done: rep as usize + 1,
                });
            }
        }
        let mut seconds = started.elapsed().as_secs_f64() / repeat as f64;
        for (_, t) in &mut phases {
            *t /= repeat as f64;
        }
        if scenario {
            seconds = phases.iter().map(|(_, t)| t).sum();
        }
        if repeat == 1 && self.chunks.is_none() {
            self.channel.send(&Reply::Progress { done: 1 });
        }
        Ok(Timed {
            seconds,
            result,
            phases,
        })
    }
}

/// Adds one call's phase times to the run's, phase by phase in order of
/// first appearance.
fn add_phases(phases: &mut Vec<(String, f64)>, times: Vec<(String, f64)>) {
    for (name, t) in times {
        match phases.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += t,
            None => phases.push((name, t)),
        }
    }
}

/// The threads' side of a thread sweep, in Python (threads are Python's here).
const THREADS: Helper = Helper {
    source: include_str!("threads.py"),
    file: c"pyo3_lab_threads.py",
    name: c"pyo3_lab_threads",
};

/// How results are compared and carried between workers.
const COMPARE: Helper = Helper {
    source: include_str!("compare.py"),
    file: c"pyo3_lab_compare.py",
    name: c"pyo3_lab_compare",
};

/// The reference's call under cProfile (the "why" of a Python lane).
const PROFILE: Helper = Helper {
    source: include_str!("profile.py"),
    file: c"pyo3_lab_profile.py",
    name: c"pyo3_lab_profile",
};

/// One measured call, and nothing else: under Valgrind's callgrind,
/// `--toggle-collect=pyo3_lab_counted` counts instructions inside this
/// function only (not start-up, imports, set-up, progress reports or IPC).
#[inline(never)]
#[unsafe(no_mangle)]
pub fn pyo3_lab_counted<'py>(
    call: &mut dyn FnMut(Option<u64>) -> PyResult<Made<'py>>,
    chunk: Option<u64>,
) -> PyResult<Made<'py>> {
    call(chunk)
}

fn counted<'py>(
    call: &mut impl FnMut(Option<u64>) -> PyResult<Made<'py>>,
    chunk: Option<u64>,
) -> PyResult<Made<'py>> {
    pyo3_lab_counted(call, chunk)
}

/// The worker's comparison module (compare.py), loaded once at start.
fn compare(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("pyo3_lab_compare")
}

/// The end of a run: its time, a scenario's phases, and its result shown
/// short; then either the result as JSON (nothing was expected: it is the
/// answer) or whether it agrees with `expect` and, if not, where it differs.
fn finished(
    py: Python<'_>,
    seconds: f64,
    result: &Bound<'_, PyAny>,
    expect: Option<&str>,
    tolerance: Tolerance,
    phases: Vec<(String, f64)>,
) -> PyResult<Reply> {
    let compare = compare(py)?;
    let (json, mismatch) = match &expect {
        None => (compare.call_method1("encode", (result,))?.extract()?, None),
        Some(e) => (
            None,
            compare
                .call_method1(
                    "mismatch",
                    (
                        result,
                        e,
                        tolerance.rel_tol,
                        tolerance.abs_tol,
                        tolerance.equal_nan,
                    ),
                )?
                .extract::<Option<String>>()?,
        ),
    };
    Ok(Reply::Finished {
        seconds,
        result: compare.call_method1("shown", (result,))?.extract()?,
        json,
        correct: expect.map(|_| mismatch.is_none()),
        mismatch,
        phases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What compare.py says of a result against the JSON of an answer.
    fn mismatch(result: &str, expected: &str, tolerance: (f64, f64, bool)) -> Option<String> {
        Python::attach(|py| {
            let compare = COMPARE.load(py).unwrap();
            let code = std::ffi::CString::new(result).unwrap();
            let actual = py.eval(&code, None, None).unwrap();
            compare
                .call_method1(
                    "mismatch",
                    (actual, expected, tolerance.0, tolerance.1, tolerance.2),
                )
                .unwrap()
                .extract()
                .unwrap()
        })
    }

    #[test]
    fn floats_agree_exactly_or_within_the_stated_tolerance_and_say_by_how_much() {
        let exact = (0.0, 0.0, false);
        let why = mismatch("0.1 + 0.2", "0.3", exact).expect("the last bit differs");
        assert!(
            why.starts_with("0.30000000000000004 vs 0.3 (relative 1.9e-16")
                && why.contains("[check] rel_tol"),
            "{why}"
        );
        assert_eq!(mismatch("0.1 + 0.2", "0.3", (1e-12, 0.0, false)), None);
        assert_eq!(mismatch("1e-20", "0.0", (0.0, 1e-12, false)), None);
        let why = mismatch(
            "[0.5] * 4310 + [0.1 + 0.2] + [0.5]",
            &format!("[{}0.3, 0.5]", "0.5, ".repeat(4310)),
            exact,
        )
        .unwrap();
        assert!(
            why.starts_with("element 4,310 differs: 0.30000000000000004 vs 0.3"),
            "{why}"
        );
        assert_eq!(
            mismatch("(1, 2)", "[1, 2]", exact),
            None,
            "JSON has no tuples"
        );
        assert_eq!(
            mismatch("[1, 2, 3]", "[1, 2]", exact).as_deref(),
            Some("length 3 vs 2")
        );
        assert_eq!(
            mismatch("41", "42", exact).as_deref(),
            Some("41 vs 42 (off by -1)")
        );
        let nan = "float('nan')";
        assert!(mismatch(nan, "NaN", exact).unwrap().contains("equal_nan"));
        assert_eq!(mismatch(nan, "NaN", (0.0, 0.0, true)), None);
        assert!(
            mismatch("{'a': [1, 2.5]}", r#"{"a": [1, 2.0]}"#, exact)
                .unwrap()
                .starts_with("item ['a'][1] differs: 2.5 vs 2.0"),
        );
    }

    /// The real profile.py, in the embedded interpreter, on a reference that
    /// calls a light helper and a heavy one.
    #[test]
    fn cprofile_names_the_heavy_helper_first() {
        Python::attach(|py| {
            let reference = PyModule::from_code(
                py,
                c"def light(n):\n    return sum(range(n))\n\n\
                  def heavy(n):\n    return sum(i * i for i in range(n * 50))\n\n\
                  def reference(n):\n    return light(n) + heavy(n)\n",
                c"two_helpers.py",
                c"two_helpers",
            )
            .unwrap();
            let runner = PROFILE.load(py).unwrap();
            let rows: Vec<(String, f64, f64)> = runner
                .getattr("run")
                .unwrap()
                .call1((reference.getattr("reference").unwrap(), (20_000,), 10))
                .unwrap()
                .extract()
                .unwrap();
            assert!(
                rows[0].0.starts_with("heavy (two_helpers.py:4)"),
                "{rows:?}"
            );
            let light = rows.iter().position(|r| r.0.starts_with("light")).unwrap();
            assert!(light > 0 && rows[0].2 > rows[light].2, "{rows:?}");
            assert!(
                rows.iter().all(|r| !r.0.starts_with("reference ")),
                "the called function itself is left out: {rows:?}"
            );
        });
    }
}
