//! The worker's side of the boundary: it imports the modules it is asked for,
//! runs and times them, and replies.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, anyhow};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::capture::Channel;
use super::memory;
use super::protocol::{FailKind, Reply, Request, Tolerance, decode};
use crate::fibonacci;

pub fn main(paths: &[PathBuf]) -> Result<()> {
    let channel = Channel::install()?;
    let python = Python::attach(|py| setup(py, paths)).map_err(|e| anyhow!("{e}"))?;
    channel.send(&Reply::Ready { python });
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let request: Request = decode(&line)?;
        let reply = Python::attach(|py| {
            serve(py, &channel, request).unwrap_or_else(|err| failure(py, &err))
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
    let compare = COMPARE.load(py)?;
    sys.getattr("modules")?
        .set_item("pyo3_lab_compare", compare)?;
    let version = sys.getattr("version")?.extract::<String>()?;
    Ok(version.split_whitespace().next().unwrap_or("").to_owned())
}

fn function<'py>(py: Python<'py>, module: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(module)?.getattr(name)
}

fn serve(py: Python<'_>, channel: &Channel, request: Request) -> PyResult<Reply> {
    match request {
        Request::Load {
            module,
            function: name,
            compiled,
            setup,
        } => {
            if let Some((module, name)) = &setup {
                function(py, module, name).map_err(|e| setup_error(py, name, &e))?;
            }
            let f = function(py, &module, &name)?;
            if compiled && let Some(what) = python_code(py, &f)? {
                return Ok(Reply::Failed {
                    kind: FailKind::NotCompiled,
                    message: format!("{module}.{name} is {what}"),
                });
            }
            Ok(Reply::unchecked(0.0, f.repr()?.to_string(), None))
        }
        Request::Race {
            module,
            function: name,
            args,
            setup,
            chunks,
            expect,
            tolerance,
            repeat,
            trace,
        } => {
            let f = function(py, &module, &name)?;
            let call_args = call_arguments(py, &args, setup)?;
            let run = Run {
                channel,
                repeat,
                chunks: chunks.as_deref(),
            };
            let tracemalloc = py.import("tracemalloc")?;
            if trace {
                tracemalloc.call_method0("start")?;
            }
            // The level the calls start from: the arguments are made already.
            let start = memory::reset_peak();
            let timed = run.time(py, |chunk| match chunk {
                Some(c) => f.call1((c,)),
                None => f.call1(&call_args),
            });
            let peak = memory::peak_above(start);
            let traced = if trace {
                let (_, most): (u64, u64) =
                    tracemalloc.call_method0("get_traced_memory")?.extract()?;
                tracemalloc.call_method0("stop")?;
                Some(most)
            } else {
                None
            };
            let (seconds, result) = timed?;
            channel.send(&Reply::Memory { peak, traced });
            finished(py, seconds, &result, expect, tolerance)
        }
        Request::Native {
            n,
            chunks,
            expect,
            repeat,
        } => {
            let run = Run {
                channel,
                repeat,
                chunks: chunks.as_deref(),
            };
            let start = memory::reset_peak();
            let (seconds, result) = run.time(py, |chunk| {
                Ok(fibonacci::native(chunk.unwrap_or(n))
                    .into_pyobject(py)?
                    .into_any())
            })?;
            let peak = memory::peak_above(start);
            channel.send(&Reply::Memory { peak, traced: None });
            finished(py, seconds, &result, expect, Tolerance::default())
        }
        Request::Threads {
            module,
            function: name,
            args,
            setup,
            counts,
            batches,
            expect,
            tolerance,
        } => {
            let f = function(py, &module, &name)?;
            let call_args = call_arguments(py, &args, setup)?;
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
            })
        }
        Request::Profile {
            module,
            function: name,
            args,
            setup,
        } => {
            let f = function(py, &module, &name)?;
            let call_args = call_arguments(py, &args, setup)?;
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
        Request::Inputs {
            module,
            function: name,
            seeds,
        } => {
            let f = function(py, &module, &name)?;
            let random = py.import("random")?.getattr("Random")?;
            let json = py.import("json")?;
            let mut inputs = Vec::with_capacity(seeds.len());
            for seed in seeds {
                let args = f.call1((random.call1((seed,))?,))?;
                if !(args.is_instance_of::<PyList>() || args.is_instance_of::<PyTuple>()) {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "returned {}, not a list of the call's arguments",
                        args.repr()?
                    )));
                }
                inputs.push(json.call_method1("dumps", (args,))?.extract::<String>()?);
            }
            Ok(Reply::unchecked(
                0.0,
                format!("{} inputs", inputs.len()),
                Some(serde_json::to_string(&inputs).expect("strings serialise")),
            ))
        }
        Request::Overhead {
            module,
            function: name,
            calls,
        } => {
            let f = function(py, &module, &name)?;
            let arg = (1u8,).into_pyobject(py)?;
            let started = Instant::now();
            for _ in 0..calls {
                f.call1(&arg)?;
            }
            let seconds = started.elapsed().as_secs_f64() / calls.max(1) as f64;
            Ok(Reply::unchecked(seconds, format!("{calls} calls"), None))
        }
        Request::Gil {
            scenario_module,
            scenario_function,
            module,
            function: name,
        } => {
            let rust = function(py, &module, &name)?;
            let scenario = function(py, &scenario_module, &scenario_function)?;
            // Each side may leave phase marks on perf_counter's clock: drop old
            // ones, and note where that clock stands when ours starts.
            let tracers = [
                ("python", function(py, &scenario_module, "trace").ok()),
                ("rust", function(py, &module, "take_trace").ok()),
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
            let result = scenario.call1((rust,));
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
        Request::Call {
            module,
            function: name,
            args,
        } => {
            let f = function(py, &module, &name)?;
            let args = call_arguments(py, &args, None)?;
            let started = Instant::now();
            let result = f.call1(args)?;
            finished(
                py,
                started.elapsed().as_secs_f64(),
                &result,
                None,
                Tolerance::default(),
            )
        }
    }
}

/// What `f` is when it is Python code (a function defined in a .py file, a
/// method, a lambda), with where it was defined; None for compiled code.
fn python_code(py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let inspect = py.import("inspect")?;
    let target = inspect.call_method1("unwrap", (f,))?;
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
}

impl Run<'_> {
    /// Times the run and returns the time per repetition and the last result.
    fn time<'py>(
        &self,
        py: Python<'py>,
        mut call: impl FnMut(Option<u64>) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<(f64, Bound<'py, PyAny>)> {
        let repeat = self.repeat.max(1);
        // Repeated runs are short: a report per call would cost more than the call.
        let every = (repeat / 50).max(1);
        let mut result = py.None().into_bound(py);
        let started = Instant::now();
        for rep in 0..repeat {
            result = match self.chunks {
                None => counted(&mut call, None)?,
                Some(chunks) => {
                    let mut total = 0u8.into_pyobject(py)?.into_any();
                    for (i, chunk) in chunks.iter().enumerate() {
                        total = total.add(counted(&mut call, Some(*chunk))?)?;
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
        let seconds = started.elapsed().as_secs_f64() / repeat as f64;
        if repeat == 1 && self.chunks.is_none() {
            self.channel.send(&Reply::Progress { done: 1 });
        }
        Ok((seconds, result))
    }
}

/// Python code the worker runs as a module of its own.
struct Helper {
    source: &'static str,
    file: &'static std::ffi::CStr,
    name: &'static std::ffi::CStr,
}

impl Helper {
    fn load<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
        let code = std::ffi::CString::new(self.source).expect("no NUL in the source");
        PyModule::from_code(py, &code, self.file, self.name)
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
    call: &mut dyn FnMut(Option<u64>) -> PyResult<Bound<'py, PyAny>>,
    chunk: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    call(chunk)
}

fn counted<'py>(
    call: &mut impl FnMut(Option<u64>) -> PyResult<Bound<'py, PyAny>>,
    chunk: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    pyo3_lab_counted(call, chunk)
}

/// The worker's comparison module (compare.py), loaded once at start.
fn compare(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("pyo3_lab_compare")
}

/// The end of a run: its time and its result shown short; then either the
/// result as JSON (nothing was expected: it is the answer) or whether it
/// agrees with `expect` and, if not, where it differs.
fn finished(
    py: Python<'_>,
    seconds: f64,
    result: &Bound<'_, PyAny>,
    expect: Option<String>,
    tolerance: Tolerance,
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
    })
}

pyo3::create_exception!(
    pyo3_lab,
    SetupError,
    pyo3::exceptions::PyException,
    "The function that makes a call's arguments failed."
);

/// `setup` failing in words, as the error the engine names the key for.
fn setup_error(py: Python<'_>, name: &str, err: &PyErr) -> PyErr {
    let Reply::Failed { message, .. } = failure(py, err) else {
        unreachable!("failure() makes a Failed reply")
    };
    SetupError::new_err(format!("{name}: {message}"))
}

/// The call's arguments: the JSON list, passed through `setup` (untimed)
/// when there is one, which must give a list or tuple of them.
fn call_arguments<'py>(
    py: Python<'py>,
    args: &str,
    setup: Option<(String, String)>,
) -> PyResult<Bound<'py, PyTuple>> {
    let call_args = py.import("json")?.call_method1("loads", (args,))?;
    let Some((setup_module, setup_function)) = setup else {
        return as_tuple(py, &call_args);
    };
    let made = function(py, &setup_module, &setup_function)
        .and_then(|setup| setup.call1(as_tuple(py, &call_args)?))
        .map_err(|e| setup_error(py, &setup_function, &e))?;
    if !(made.is_instance_of::<PyList>() || made.is_instance_of::<PyTuple>()) {
        return Err(SetupError::new_err(format!(
            "{setup_function} returned {}, not a list of the call's arguments (return [x] for one argument)",
            made.get_type().name()?
        )));
    }
    as_tuple(py, &made)
}

/// Any iterable of arguments as the tuple a call takes.
fn as_tuple<'py>(py: Python<'py>, args: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, args.try_iter()?.collect::<PyResult<Vec<_>>>()?)
}

fn failure(py: Python<'_>, err: &PyErr) -> Reply {
    let type_name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let value = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    Reply::Failed {
        kind: FailKind::of_exception(&type_name),
        message: format!("{type_name}: {value}"),
    }
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
