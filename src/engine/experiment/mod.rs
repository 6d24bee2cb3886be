//! Experiments: folders holding a maturin project plus a `lab.toml` that says
//! which Python function races which Rust function, on what arguments.
//!
//! - `schema`: the `lab.toml` keys as serde reads them;
//! - `error`: what can be wrong with a folder or its `lab.toml`;
//! - `load`: reading one folder, checking every key, finding experiments;
//! - `variants`: the builds it races, its `[[variant]]` tables;
//! - this module: the `Experiment` model the lab races.

mod error;
pub mod load;
pub mod maturin;
mod names;
mod rewrite;
mod schema;
mod variants;

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::types::{Lane, Language, Route, Variant};
use crate::fibonacci;
use crate::worker::protocol::{Call, Callee, Code, Tolerance};

/// The experiment raced when none is named: the chapter's. It leads the
/// lab whatever the other folders are called.
pub const DEFAULT_EXPERIMENT: &str = "fibonacci";

pub use error::{LoadError, SizeError};
pub use load::table_of;
pub use load::{LAB_TOML, absolute, discover};
pub use rewrite::Rewrite;
pub use variants::parse_variants;

/// that a bar can move between them. Without one, a run is one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// fib(n) = fib(n-1) + fib(n-2), unrolled at the top of the recursion.
    Fibonacci,
}

/// The size knob: which argument the UI and `--n` change, within what bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    pub index: usize,
    pub min: u64,
    pub max: u64,
    pub default: u64,
}

/// `[scenario]`: the Python function that drives what each lane provides
/// (a class, or a function that makes an object), `workload(factory, *args)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub module: String,
    pub function: String,
    /// The folder of its `.py` file, put on every lane's `sys.path`.
    pub dir: PathBuf,
}

/// One function raced, or under a scenario one factory (a class or a
/// function): a Python one or a Rust one of the extension.
#[derive(Clone, Debug, PartialEq)]
pub struct Implementation {
    pub label: String,
    pub language: Language,
    /// The module to import (dotted for a package's submodule).
    pub module: String,
    /// What it calls: a function, or under a scenario a class or factory.
    pub function: String,
    /// A folder to put first on `sys.path` for it; None when it is found in
    /// the experiment's own build (the extension, or the package around it).
    pub dir: Option<PathBuf>,
    /// The lab.toml keys that name it, for messages: `[rust] function`.
    pub key: String,
    /// Its own `setup` (a function of the reference's module) and the key
    /// naming it; None takes the reference's.
    pub setup: Option<(String, String)>,
    /// A Python implementation's route other than CPython.
    pub route: Option<Route>,
    /// The file a Python implementation is in, when lab.toml names one (for
    /// a route that builds, the `.py` or `.pyx` it builds from).
    pub source: Option<PathBuf>,
}

impl Implementation {
    /// The route that builds a module for it (Cython, mypyc) and the file
    /// it builds from; None for CPython, Rust and Numba.
    pub fn built_route(&self) -> Option<(Route, &std::path::Path)> {
        self.route
            .filter(|r| r.builds())
            .zip(self.source.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The folder's name: the key of its builds, unique in a lab.
    pub key: String,
    pub dir: PathBuf,
    pub name: String,
    pub description: String,
    /// The extension module maturin builds (dotted for `pkg._core`).
    pub module: String,
    /// The Python implementations; the first is the reference.
    pub python: Vec<Implementation>,
    pub rust: Vec<Implementation>,
    /// A function of the reference's module that turns args into the call's
    /// arguments, outside the timing: the reference's own, the default of
    /// every implementation without one.
    pub setup: Option<String>,
    /// `[input] file`: the module `setup` is in and its folder, when it is
    /// not the reference's.
    pub setup_file: Option<(String, PathBuf)>,
    pub args: Vec<Value>,
    pub knob: Option<Knob>,
    pub expect: Option<Value>,
    pub split: Option<Split>,
    /// Trivial functions (Python, Rust) to time one call's overhead with.
    pub overhead: Option<(String, String)>,
    /// The builds raced by default.
    pub variants: Vec<Variant>,
    /// Its `[[variant]]` tables: the builds of its own it may race.
    pub own_variants: Vec<Variant>,
    /// `[verify] inputs`: the reference module's function that makes the
    /// differential check's argument lists; else the knob is varied.
    pub verify_inputs: Option<String>,
    /// `[threads] counts`: after each race, every implementation is called
    /// from that many Python threads at once.
    pub threads: Option<Vec<u32>>,
    /// `[check]`: how closely every lane must agree with the reference.
    pub tolerance: Tolerance,
    /// The Python packages it needs: lab.toml's `requires`, then the
    /// pyproject's `[project] dependencies`.
    pub requires: Vec<String>,
    /// `[scenario]`: lanes are factories the scenario drives; without
    /// one, lanes are functions called with the arguments.
    pub scenario: Option<Scenario>,
}

impl Experiment {
    /// The name of its crate's builds: its folder's. The races of one
    /// lab.toml share their crate, so they share its builds.
    pub fn crate_key(&self) -> String {
        self.dir
            .file_name()
            .map_or_else(|| self.key.clone(), |n| n.to_string_lossy().into_owned())
    }

    /// The file this experiment was read from.
    pub fn lab_toml(&self) -> PathBuf {
        self.dir.join(LAB_TOML)
    }

    /// The implementation every other is checked against.
    pub fn reference(&self) -> &Implementation {
        &self.python[0]
    }

    /// One function a side: lanes keep the built-in names (`python`, `rust-release`).
    /// One CPython function and one Rust function (routes aside): the lanes
    /// keep the chapter's names, `python` and `rust-release`.
    pub fn single(&self) -> bool {
        self.python.iter().filter(|p| p.route.is_none()).count() == 1 && self.rust.len() == 1
    }

    /// Whether pyo3-lab has this experiment's algorithm built in (`rust-native`).
    pub fn has_native(&self) -> bool {
        self.split == Some(Split::Fibonacci)
    }

    /// The `setup` a lane's arguments go through, as (module, function), and
    /// the lab.toml key that names it.
    pub fn setup_of(&self, lane: &Lane) -> Option<(Code, String)> {
        let module = &self.reference().module;
        match self.implementation(lane).and_then(|i| i.setup.as_ref()) {
            Some((function, key)) => Some((Code::new(module, function), key.clone())),
            None => {
                let function = self.setup.as_ref()?;
                let key = self
                    .reference()
                    .setup
                    .as_ref()
                    .map_or_else(|| "[input] setup".to_owned(), |s| s.1.clone());
                let module = self.setup_file.as_ref().map_or(module, |(m, _)| m);
                Some((Code::new(module, function), key))
            }
        }
    }

    /// The call a lane makes on the default arguments: the one place that
    /// says what a lane of an experiment calls.
    pub fn call_of(&self, lane: &Lane) -> Call {
        let Some(imp) = self.implementation(lane) else {
            return Call {
                callee: Callee::Native,
                args: self.args.clone(),
                setup: None,
            };
        };
        let code = Code::new(&imp.module, &imp.function);
        let code = match imp.route {
            Some(Route::Numba) => code.jitted(),
            _ => code,
        };
        let callee = match &self.scenario {
            None => Callee::Function { function: code },
            Some(s) => Callee::Scenario {
                scenario: Code::new(&s.module, &s.function),
                factory: code,
            },
        };
        Call {
            callee,
            args: self.args.clone(),
            setup: self.setup_of(lane).map(|(code, _)| code),
        }
    }

    /// Whether some implementation takes its arguments in a form of its own.
    pub fn has_own_setups(&self) -> bool {
        self.python
            .iter()
            .skip(1)
            .chain(&self.rust)
            .any(|i| i.setup.is_some())
    }

    /// The lanes a race runs with these builds: Python ones once each, every
    /// Rust one in each build, grouped by implementation, then `rust-native`.
    pub fn lanes(&self, variants: &[Variant]) -> Vec<Lane> {
        let single = self.single();
        let mut lanes: Vec<Lane> = self
            .python
            .iter()
            .enumerate()
            .map(|(i, p)| match p.route {
                Some(route) => Lane::routed(&p.label, route),
                None => Lane::python(&p.label, single, i == 0),
            })
            .collect();
        for r in &self.rust {
            let mut variants = variants.to_vec();
            variants.sort();
            variants.dedup();
            for v in variants {
                lanes.push(Lane::rust(&r.label, v, single));
            }
        }
        if self.has_native() {
            lanes.push(Lane::native());
        }
        lanes
    }

    /// The `.py` files the Python implementations and the scenario live in.
    pub fn python_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .python
            .iter()
            .filter_map(|p| {
                p.source
                    .clone()
                    .or_else(|| Some(p.dir.as_ref()?.join(format!("{}.py", p.module))))
            })
            .collect();
        if let Some((module, dir)) = &self.setup_file {
            files.push(dir.join(format!("{module}.py")));
        }
        if let Some(s) = &self.scenario {
            let file = s.dir.join(format!("{}.py", s.module));
            if !files.contains(&file) {
                files.push(file);
            }
        }
        files
    }

    /// The implementation a lane runs; None for `rust-native`.
    pub fn implementation(&self, lane: &Lane) -> Option<&Implementation> {
        let side = match lane.language {
            Language::Python => &self.python,
            Language::Rust => &self.rust,
            Language::Native => return None,
        };
        side.iter().find(|i| i.label == lane.implementation)
    }

    /// The arguments with the size knob set to `size` (the default when None).
    /// Errors name the valid range.
    pub fn args_for(&self, size: Option<u64>) -> Result<Vec<Value>, SizeError> {
        let mut args = self.args.clone();
        let (Some(size), Some(knob)) = (size, &self.knob) else {
            return match (size, &self.knob) {
                (Some(_), None) => Err(SizeError::NoKnob {
                    experiment: self.name.clone(),
                }),
                _ => Ok(args),
            };
        };
        if !(knob.min..=knob.max).contains(&size) {
            return Err(SizeError::Outside {
                size,
                min: knob.min,
                max: knob.max,
                experiment: self.name.clone(),
            });
        }
        args[knob.index] = Value::from(size);
        Ok(args)
    }

    /// What the call must return, when the lab knows it: fib(N) for a
    /// Fibonacci experiment, else `[expect] result` for the default arguments.
    pub fn expected_for(&self, args: &[Value]) -> Result<Option<String>, SizeError> {
        if self.has_native()
            && let Some(n) = self.size_of(args)
        {
            return Ok(Some(fibonacci::answer(n)?));
        }
        Ok((args == self.args.as_slice())
            .then(|| self.expect.as_ref().map(Value::to_string))
            .flatten())
    }

    /// The value of the size knob in `args`, if there is one.
    pub fn size_of(&self, args: &[Value]) -> Option<u64> {
        self.knob
            .as_ref()
            .and_then(|k| args.get(k.index))
            .and_then(Value::as_u64)
    }
}

/// Experiments for tests that need no files.
#[cfg(test)]
pub mod fixtures {
    use super::*;

    fn imp(language: Language, module: &str, function: &str, key: &str) -> Implementation {
        Implementation {
            label: function.into(),
            language,
            module: module.into(),
            function: function.into(),
            dir: (language == Language::Python).then(|| PathBuf::from("/lab/assets")),
            key: key.into(),
            setup: None,
            route: None,
            source: None,
        }
    }

    /// An experiment of one Python reference `f` and the Rust `functions`.
    pub fn with_rust(
        key: &str,
        args: u64,
        max: u64,
        split: bool,
        functions: &[&str],
    ) -> Experiment {
        Experiment {
            key: key.into(),
            dir: PathBuf::from("/lab").join(key),
            name: key.into(),
            description: format!("the {key} experiment"),
            module: key.into(),
            python: vec![imp(Language::Python, "reference", "f", "[python]")],
            rust: functions
                .iter()
                .enumerate()
                .map(|(i, f)| imp(Language::Rust, key, f, &format!("[[rust]] #{}", i + 1)))
                .collect(),
            setup: None,
            setup_file: None,
            args: vec![args.into()],
            knob: Some(Knob {
                index: 0,
                min: 0,
                max,
                default: args,
            }),
            expect: None,
            split: split.then_some(Split::Fibonacci),
            overhead: None,
            variants: Variant::defaults().to_vec(),
            own_variants: Vec::new(),
            verify_inputs: None,
            threads: None,
            tolerance: Tolerance::default(),
            requires: Vec::new(),
            scenario: None,
        }
    }

    pub fn experiment(key: &str, args: u64, max: u64, split: bool) -> Experiment {
        with_rust(key, args, max, split, &["f"])
    }

    pub fn lab_experiments() -> Vec<Experiment> {
        vec![
            experiment("fibonacci", 35, 93, true),
            experiment("listsum", 1_000_000, 2_000_000, false),
        ]
    }
}
