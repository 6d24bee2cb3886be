//! The `lab.toml` file as serde reads it: its keys and their types, nothing
//! more. `load` turns it into an `Experiment` and checks what serde cannot.

use super::error::LoadError;
use std::path::PathBuf;

use serde::Deserialize;

use super::Split;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LabToml {
    /// The folder's name unless given.
    pub(super) name: Option<String>,
    /// The name unless given.
    pub(super) description: Option<String>,
    /// The module maturin builds, read from pyproject.toml and Cargo.toml
    /// unless given.
    pub(super) module: Option<String>,
    /// One table or an array of tables: read one by one for clear errors.
    pub(super) python: toml::Value,
    pub(super) rust: toml::Value,
    /// No arguments unless given.
    #[serde(default)]
    pub(super) input: Input,
    pub(super) expect: Option<Expect>,
    pub(super) progress: Option<Progress>,
    pub(super) overhead: Option<Overhead>,
    pub(super) verify: Option<VerifyInputs>,
    pub(super) threads: Option<Threads>,
    pub(super) check: Option<Check>,
    /// The builds raced unless the command line says otherwise.
    pub(super) variants: Option<Vec<String>>,
    /// Python packages the implementations import (PEP 508 strings).
    pub(super) requires: Option<Vec<String>>,
    /// Build configurations of its own (`[[variant]]`), raced by name.
    pub(super) variant: Option<Vec<toml::Value>>,
    /// The workload that drives each lane's class or factory.
    pub(super) scenario: Option<ScenarioTable>,
}

/// `[scenario]`: `function(factory, *args)` of a `.py` file (the
/// reference's by default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioTable {
    pub(super) file: Option<PathBuf>,
    pub(super) function: String,
}

/// Trivial functions (one int in, the same out) of each side, to time what
/// one call across the boundary costs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Overhead {
    pub(super) python: String,
    pub(super) rust: String,
}

/// Where the differential check's inputs come from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VerifyInputs {
    /// A function of the reference's module: `random.Random` in, one list of
    /// the call's arguments out.
    pub(super) inputs: String,
}

/// A build configuration: a cargo profile and what changes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VariantTable {
    pub(super) name: String,
    /// "debug" or "release" (the default).
    pub(super) profile: Option<String>,
    #[serde(default)]
    pub(super) rustflags: Vec<String>,
    #[serde(default)]
    pub(super) features: Vec<String>,
    /// Cargo `--config` entries: `profile.release.panic="abort"`.
    #[serde(default)]
    pub(super) config: Vec<String>,
    #[serde(default)]
    pub(super) pgo: bool,
}

/// How closely results must agree: exact unless said.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Check {
    pub(super) rel_tol: Option<f64>,
    pub(super) abs_tol: Option<f64>,
    pub(super) equal_nan: Option<bool>,
}

/// Thread counts each implementation is called from at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Threads {
    pub(super) counts: Vec<u32>,
}

/// A Python implementation: a function of a `.py` file, or of a module of the
/// project's own package (imported as its users import it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PythonSide {
    pub(super) file: Option<PathBuf>,
    pub(super) module: Option<String>,
    pub(super) function: Option<String>,
    /// Under a `[scenario]`: the class the scenario makes its objects from.
    pub(super) class: Option<String>,
    pub(super) label: Option<String>,
    pub(super) setup: Option<String>,
    /// Another route than CPython for this file's function.
    pub(super) route: Option<crate::engine::types::Route>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RustSide {
    pub(super) function: Option<String>,
    /// Under a `[scenario]`: a #[pyclass] of the module.
    pub(super) class: Option<String>,
    pub(super) label: Option<String>,
    pub(super) setup: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Input {
    #[serde(default)]
    pub(super) args: Vec<toml::Value>,
    pub(super) size: Option<usize>,
    pub(super) min: Option<u64>,
    pub(super) max: Option<u64>,
    /// A function that turns `args` into every lane's arguments, outside
    /// the timing: of `file` when given (a `.py` of the lab's own, such as
    /// the inputs `init` takes from a project's benchmarks), else of the
    /// reference's module.
    pub(super) setup: Option<String>,
    pub(super) file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Expect {
    pub(super) result: toml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Progress {
    pub(super) split: Split,
}

/// The tables of a key that may be one table (`[rust]`) or many (`[[rust]]`),
/// each read on its own so an error names which one.
pub(super) fn tables<T: serde::de::DeserializeOwned>(
    shown: &str,
    key: &str,
    value: toml::Value,
) -> Result<Vec<(String, T)>, LoadError> {
    let (items, many) = match value {
        toml::Value::Array(items) => (items, true),
        table @ toml::Value::Table(_) => (vec![table], false),
        other => {
            return Err(LoadError::Invalid(format!(
                "{shown}: {key} must be a table ([{key}]) or a list of them ([[{key}]]), not a {}",
                other.type_str()
            )));
        }
    };
    if items.is_empty() {
        return Err(LoadError::Invalid(format!(
            "{shown}: [[{key}]] is empty: name at least one function"
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = if many {
                format!("[[{key}]] #{}", i + 1)
            } else {
                format!("[{key}]")
            };
            T::deserialize(item)
                .map(|t| (name.clone(), t))
                .map_err(|e| {
                    LoadError::Invalid(format!(
                        "{shown}: {name}: {}",
                        e.to_string().trim_end().replace('\n', " ")
                    ))
                })
        })
        .collect()
}
