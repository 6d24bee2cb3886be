//! What one lane call is, as the lab sends it and the worker makes it. Every
//! request that runs a lane (race, verify, instructions, threads, profile,
//! PGO training) carries a `Call`; `invoke.rs` is the one place that makes
//! it. A new kind of call is a new `Callee` and its arm there.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Python callable by where it lives: `module.name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    pub module: String,
    pub name: String,
    /// Taken through `numba.njit` (unless it is jitted already): the Numba
    /// route. Its first call compiles, and is made apart from any timing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jit: bool,
}

impl Code {
    pub fn new(module: &str, name: &str) -> Self {
        Self {
            module: module.to_owned(),
            name: name.to_owned(),
            jit: false,
        }
    }

    /// The same callable through Numba's JIT.
    pub fn jitted(self) -> Self {
        Self { jit: true, ..self }
    }

    /// `module.name`, as a person would write it.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// What a call runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Callee {
    /// The naive Fibonacci compiled into pyo3-lab itself, `fib(args[0])`,
    /// with no Python at all.
    Native,
    /// `function(*args)`.
    Function { function: Code },
    /// `scenario(factory, *args)`: a workload that drives whatever the lane
    /// provides (a class, or any callable that makes one), timed phase by
    /// phase when it is a generator that yields each phase's name.
    Scenario { scenario: Code, factory: Code },
}

/// One lane call: what is called, on what arguments, and the function (if
/// any) that turns those into the call's own arguments outside the timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub callee: Callee,
    pub args: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<Code>,
}

impl Call {
    pub fn function(module: &str, name: &str, args: Vec<Value>) -> Self {
        Self {
            callee: Callee::Function {
                function: Code::new(module, name),
            },
            args,
            setup: None,
        }
    }

    /// The same call on other arguments.
    pub fn with_args(&self, args: Vec<Value>) -> Self {
        Self {
            args,
            ..self.clone()
        }
    }

    /// The same call with its arguments taken as they are (already made).
    pub fn without_setup(self) -> Self {
        Self {
            setup: None,
            ..self
        }
    }

    /// The code a lane stands for: the function, or the factory a scenario
    /// drives. None for the lab's native code.
    pub fn code(&self) -> Option<&Code> {
        match &self.callee {
            Callee::Native => None,
            Callee::Function { function } => Some(function),
            Callee::Scenario { factory, .. } => Some(factory),
        }
    }

    /// `fib`'s N for the native callee: its first argument.
    pub fn native_n(&self) -> u64 {
        self.args
            .first()
            .and_then(Value::as_u64)
            .unwrap_or_default()
    }

    /// The call as a person would write it: `module.f(1, 2)`, or
    /// `reference.workload(lab.LruCache, 1000)` for a scenario.
    pub fn text(&self) -> String {
        let args: Vec<String> = self.args.iter().map(Value::to_string).collect();
        match &self.callee {
            Callee::Native => format!("fib({})", args.join(",")),
            Callee::Function { function } => format!("{}({})", function.dotted(), args.join(",")),
            Callee::Scenario { scenario, factory } => {
                let all: Vec<String> = std::iter::once(factory.dotted()).chain(args).collect();
                format!("{}({})", scenario.dotted(), all.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reads_as_a_person_would_write_it() {
        let f = Call::function("listsum", "sum_squares", vec![Value::from(5)]);
        assert_eq!(f.text(), "listsum.sum_squares(5)");
        assert_eq!(
            f.with_args(vec![Value::from(1), Value::from(2)]).text(),
            "listsum.sum_squares(1,2)",
            "as compact as the JSON of the arguments"
        );
        let s = Call {
            callee: Callee::Scenario {
                scenario: Code::new("reference", "workload"),
                factory: Code::new("classes", "LruCache"),
            },
            args: vec![Value::from(1000), Value::from("x")],
            setup: None,
        };
        assert_eq!(s.text(), "reference.workload(classes.LruCache,1000,\"x\")");
        assert_eq!(s.code().unwrap().name, "LruCache");
    }

    #[test]
    fn the_wire_form_is_tagged_and_its_args_are_json_not_text() {
        let call = Call::function("m", "f", vec![Value::from(5)]);
        let line = serde_json::to_string(&call).unwrap();
        assert_eq!(
            line,
            r#"{"callee":{"kind":"function","function":{"module":"m","name":"f"}},"args":[5]}"#
        );
        assert_eq!(serde_json::from_str::<Call>(&line).unwrap(), call);
    }
}
