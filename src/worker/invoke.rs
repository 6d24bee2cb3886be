//! The worker making a `Call`: the one place that knows how each kind of
//! callee is imported, given its arguments and called. Every request that
//! runs a lane goes through `Prepared`.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::call::{Call, Callee, Code};
use super::protocol::{FailKind, Reply};
use crate::fibonacci;

/// What one call gave: its result and, for a scenario, each phase's seconds
/// in the order the phases first ran.
pub struct Made<'py> {
    pub result: Bound<'py, PyAny>,
    pub phases: Option<Vec<(String, f64)>>,
}

/// A call imported and given its arguments, ready to be made again and again.
pub enum Prepared<'py> {
    Native(u64),
    Function {
        function: Bound<'py, PyAny>,
        args: Bound<'py, PyTuple>,
        /// The JIT's first call, when this preparation made it.
        first_call: Option<f64>,
    },
    Scenario {
        /// `pyo3_lab_scenario.run`, which drives the generator.
        run: Bound<'py, PyAny>,
        scenario: Bound<'py, PyAny>,
        factory: Bound<'py, PyAny>,
        args: Bound<'py, PyTuple>,
        /// The one phase of a scenario that is no generator.
        name: String,
    },
}

impl<'py> Prepared<'py> {
    /// Imports what `call` names (the setup and its arguments too: a setup
    /// that fails is a `SetupError`).
    pub fn new(py: Python<'py>, call: &Call) -> PyResult<Self> {
        Ok(match &call.callee {
            Callee::Native => Self::Native(call.native_n()),
            Callee::Function { function: code } => {
                let (function, args) = (import(py, code)?, arguments(py, call)?);
                let first_call = first_call(&function, &args, code)?;
                Self::Function {
                    function,
                    args,
                    first_call,
                }
            }
            Callee::Scenario { scenario, factory } => Self::Scenario {
                run: SCENARIO.shared(py)?.getattr("run")?,
                scenario: import(py, scenario)?,
                factory: import(py, factory)?,
                args: arguments(py, call)?,
                name: scenario.name.clone(),
            },
        })
    }

    pub fn is_scenario(&self) -> bool {
        matches!(self, Self::Scenario { .. })
    }

    /// The JIT's first call, when preparing made it.
    pub fn first_call(&self) -> Option<f64> {
        match self {
            Self::Function { first_call, .. } => *first_call,
            _ => None,
        }
    }

    /// Imports what `call` names and nothing else: the arguments are not made.
    pub fn load(py: Python<'py>, call: &Call) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Some(setup) = &call.setup {
            import(py, setup).map_err(|e| setup_error(py, &setup.name, &e))?;
        }
        if let Callee::Scenario { scenario, .. } = &call.callee {
            import(py, scenario)?;
        }
        call.code().map(|code| import(py, code)).transpose()
    }

    /// Makes the call once; `chunk` stands for the arguments when the run
    /// is split into smaller calls (fib(n) as fib(n-1) + fib(n-2)...).
    pub fn make(&self, py: Python<'py>, chunk: Option<u64>) -> PyResult<Made<'py>> {
        let plain = |result| Made {
            result,
            phases: None,
        };
        match self {
            Self::Native(n) => Ok(plain(
                fibonacci::native(chunk.unwrap_or(*n))
                    .into_pyobject(py)?
                    .into_any(),
            )),
            Self::Function { function, args, .. } => Ok(plain(match chunk {
                Some(c) => function.call1((c,))?,
                None => function.call1(args)?,
            })),
            Self::Scenario {
                run,
                scenario,
                factory,
                args,
                name,
            } => {
                let started = Instant::now();
                let (result, phases): (Bound<'py, PyAny>, Option<Vec<(String, f64)>>) =
                    run.call1((scenario, factory, args))?.extract()?;
                let phases =
                    phases.unwrap_or_else(|| vec![(name.clone(), started.elapsed().as_secs_f64())]);
                Ok(Made {
                    result,
                    phases: Some(phases),
                })
            }
        }
    }

    /// The call as one Python callable and its arguments, for code that
    /// makes it in its own way (threads, cProfile): a scenario's callable
    /// makes a new object each time it is called.
    pub fn callable(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        match self {
            Self::Native(n) => Ok((
                py.import("pyo3_lab")?.getattr("fib")?,
                PyTuple::new(py, [*n])?,
            )),
            Self::Function { function, args, .. } => Ok((function.clone(), args.clone())),
            Self::Scenario {
                scenario,
                factory,
                args,
                ..
            } => Ok((
                SCENARIO
                    .shared(py)?
                    .call_method1("caller", (scenario, factory))?,
                args.clone(),
            )),
        }
    }
}

/// `module.name`, imported.
pub fn import<'py>(py: Python<'py>, code: &Code) -> PyResult<Bound<'py, PyAny>> {
    let module = py.import(code.module.as_str())?;
    let found = module.getattr(code.name.as_str())?;
    if !code.jit || found.hasattr("py_func")? {
        return Ok(found);
    }
    // As `@njit` would: the module's name now means the jitted function, so
    // a recursive call inside it calls the jitted one too.
    let jitted = py.import("numba")?.call_method1("njit", (&found,))?;
    module.setattr(code.name.as_str(), &jitted)?;
    Ok(jitted)
}

/// A jitted function not compiled yet is called once, timed: the JIT's
/// compile time (and one run), kept out of every timing that follows.
fn first_call<'py>(
    function: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    code: &Code,
) -> PyResult<Option<f64>> {
    if !code.jit || !function.getattr("signatures")?.is_empty()? {
        return Ok(None);
    }
    let started = Instant::now();
    function.call1(args.clone())?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

/// Python code the worker runs as a module of its own.
pub struct Helper {
    pub source: &'static str,
    pub file: &'static std::ffi::CStr,
    pub name: &'static std::ffi::CStr,
}

impl Helper {
    /// A fresh module: its globals start anew.
    pub fn load<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
        let code = std::ffi::CString::new(self.source).expect("no NUL in the source");
        PyModule::from_code(py, &code, self.file, self.name)
    }

    /// The module made once per worker, then taken from `sys.modules`
    /// (where other helpers import it from).
    pub fn shared<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
        let name = self.name.to_str().expect("helper names are ASCII");
        if let Ok(module) = py.import(name) {
            return Ok(module);
        }
        let module = self.load(py)?;
        py.import("sys")?
            .getattr("modules")?
            .set_item(name, &module)?;
        Ok(module)
    }
}

/// A scenario driven phase by phase.
const SCENARIO: Helper = Helper {
    source: include_str!("scenario.py"),
    file: c"pyo3_lab_scenario.py",
    name: c"pyo3_lab_scenario",
};

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
fn arguments<'py>(py: Python<'py>, call: &Call) -> PyResult<Bound<'py, PyTuple>> {
    let text = serde_json::to_string(&call.args).expect("JSON values serialise");
    let args = py.import("json")?.call_method1("loads", (text,))?;
    let Some(setup) = &call.setup else {
        return as_tuple(py, &args);
    };
    let made = import(py, setup)
        .and_then(|f| f.call1(as_tuple(py, &args)?))
        .map_err(|e| setup_error(py, &setup.name, &e))?;
    if !(made.is_instance_of::<PyList>() || made.is_instance_of::<PyTuple>()) {
        return Err(SetupError::new_err(format!(
            "{} returned {}, not a list of the call's arguments (return [x] for one argument)",
            setup.name,
            made.get_type().name()?
        )));
    }
    as_tuple(py, &made)
}

/// Any iterable of arguments as the tuple a call takes.
fn as_tuple<'py>(py: Python<'py>, args: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, args.try_iter()?.collect::<PyResult<Vec<_>>>()?)
}

/// A Python error as the reply that says what it was.
pub fn failure(py: Python<'_>, err: &PyErr) -> Reply {
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
