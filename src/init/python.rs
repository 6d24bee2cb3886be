//! What a project's Python says, read by Python's own parser (`ast`) in the
//! lab's embedded CPython: `scan.py` walks the project and answers JSON.

use std::path::Path;

use pyo3::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::worker::invoke::Helper;

const SCAN: Helper = Helper {
    source: include_str!("scan.py"),
    file: c"pyo3_lab_init_scan.py",
    name: c"pyo3_lab_init_scan",
};

#[derive(Debug, Default, Deserialize)]
pub struct Scan {
    /// The project's own modules (not its tests).
    pub modules: Vec<Module>,
    /// Its test files with pytest-benchmark calls.
    pub tests: Vec<TestFile>,
    /// Files Python could not parse.
    pub errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Module {
    /// Relative to the project.
    pub file: String,
    /// Its dotted name inside the package maturin builds; None for a plain
    /// file.
    pub module: Option<String>,
    pub defs: Vec<Def>,
    pub classes: Vec<ClassDef>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Def {
    pub name: String,
    pub params: Vec<Param>,
}

impl Def {
    /// Its defaults as TOML values, when every parameter has a literal one.
    pub fn toml_defaults(&self) -> Option<Vec<String>> {
        self.params
            .iter()
            .map(|p| {
                (p.has_default && p.literal)
                    .then(|| toml_value(&p.default))
                    .flatten()
            })
            .collect()
    }
}

/// A JSON value as TOML writes it, when TOML can hold it.
pub fn toml_value(v: &Value) -> Option<String> {
    toml::Value::try_from(v).ok().map(|t| t.to_string())
}

#[derive(Clone, Debug, Deserialize)]
pub struct Param {
    #[serde(default)]
    pub has_default: bool,
    #[serde(default)]
    pub literal: bool,
    #[serde(default)]
    pub default: Value,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ClassDef {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct TestFile {
    pub file: String,
    pub calls: Vec<BenchCall>,
    pub fixtures: std::collections::BTreeMap<String, Fixture>,
    pub preamble: Vec<Bound>,
}

/// `benchmark(target, *args)` in a test.
#[derive(Clone, Debug, Deserialize)]
pub struct BenchCall {
    /// As written: `word_count.search`.
    pub target: String,
    pub args: Vec<Arg>,
    /// Keyword arguments it passes (not taken over: named in the note).
    #[serde(default)]
    pub kwargs: Vec<String>,
    /// What its result is asserted to equal.
    #[serde(default)]
    pub expect: Option<Value>,
    pub test: String,
    pub line: u32,
}

impl BenchCall {
    /// The function's own name: `search` of `word_count.search`.
    pub fn function(&self) -> &str {
        self.target.rsplit('.').next().unwrap_or(&self.target)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Arg {
    Fixture(String),
    Value(Value),
    /// A constant of the benchmark's module (asv's `time_*` take no fixtures).
    Constant(String),
    Expr(String),
}

#[derive(Clone, Debug, Deserialize)]
pub struct Fixture {
    /// As a plain function, its size constant made a parameter `n`.
    pub source: String,
    /// The fixtures it takes.
    pub params: Vec<String>,
    pub knob: Option<Knob>,
    pub preamble: Vec<Bound>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Knob {
    pub value: u64,
    pub what: String,
}

/// Scans `dir`, whose package maturin builds from `package_root`.
pub fn scan(dir: &Path, package_root: &Path) -> anyhow::Result<Scan> {
    let json: String = Python::attach(|py| -> PyResult<String> {
        SCAN.load(py)?
            .getattr("scan")?
            .call1((dir, package_root))?
            .extract()
    })
    .map_err(|e| anyhow::anyhow!("reading the project's Python: {e}"))?;
    Ok(serde_json::from_str(&json)?)
}

/// A module-level statement of a test file (an import, a constant) and the
/// names it binds.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Bound {
    pub text: String,
    pub names: Vec<String>,
}
