//! Reading an experiment's folder: `lab.toml` checked key by key (every
//! error names the file and the key), the files it names, and discovery of
//! every experiment under the lab's folders.

use super::error::LoadError;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::names::{is_dotted_identifier, is_identifier, requirement as requirement_of};
use super::schema::{
    Check, Input, LabToml, PythonSide, RustSide, ScenarioTable, VerifyInputs, tables,
};
use super::variants::{own_variants, parse_variants};
use super::{Experiment, Implementation, Knob, Scenario, Split};
use crate::engine::types::{BUILTIN_LANES, Language, Route, Variant};
use crate::engine::variant::{VariantClash, Variants};
use crate::worker::protocol::Tolerance;

/// The file that makes a maturin project an experiment.
pub const LAB_TOML: &str = "lab.toml";

impl Experiment {
    /// Reads and checks `dir/lab.toml`, which holds one experiment. The
    /// error names the file and the key.
    #[cfg(test)]
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let mut all = Self::load_all(dir)?;
        if all.len() > 1 {
            let keys: Vec<&str> = all.iter().map(|e| e.key.as_str()).collect();
            return Err(LoadError::Invalid(format!(
                "{}: holds {} races ({}), not one",
                dir.join(LAB_TOML).display(),
                all.len(),
                keys.join(", ")
            )));
        }
        Ok(all.remove(0))
    }

    /// Reads and checks `dir/lab.toml`: one experiment, or one for each of
    /// its `[[race]]` tables (a library's functions, each its own race of
    /// one crate), each checked table by table.
    pub fn load_all(dir: &Path) -> Result<Vec<Self>, LoadError> {
        let path = dir.join(LAB_TOML);
        let text = fs::read_to_string(&path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::load_text(dir, &text)
    }

    /// `load_all` of a lab.toml's text, as if it were `dir/lab.toml`.
    pub fn load_text(dir: &Path, text: &str) -> Result<Vec<Self>, LoadError> {
        let (shown, races) = read(dir, text)?;
        races
            .into_iter()
            .map(|(key, toml)| Self::checked(dir, &shown, key, toml))
            .collect()
    }

    fn checked(dir: &Path, shown: &str, key: String, toml: LabToml) -> Result<Self, LoadError> {
        let module = module_of(dir, shown, toml.module.as_deref())?;
        let scenario = toml.scenario.is_some();
        let (python, setup) = python_sides(dir, shown, scenario, toml.python)?;
        let rust = rust_sides(shown, scenario, &module, toml.rust)?;
        check_labels(shown, &python, &rust)?;
        let (variants, own_variants) = variants_of(shown, toml.variant, toml.variants)?;
        let (args, knob) = input(shown, &toml.input)?;
        let (setup, setup_file) = input_setup(dir, shown, setup, &toml.input)?;
        let requires = requirements_with_routes(dir, shown, toml.requires, &python)?;
        let split = toml.progress.map(|p| p.split);
        if scenario && split.is_some() {
            return Err(LoadError::Invalid(format!(
                "{shown}: [progress] split does not go with [scenario]: a scenario's progress is its phases"
            )));
        }
        let scenario = toml
            .scenario
            .map(|s| scenario_of(dir, shown, s, &python[0]))
            .transpose()?;
        if split == Some(Split::Fibonacci) && (knob.is_none() || args.len() != 1) {
            return Err(LoadError::Invalid(format!(
                "{shown}: [progress] split = \"fibonacci\" needs one whole-number argument as the size knob"
            )));
        }
        // A lab.toml written by hand asks only for what matters.
        let name = toml.name.unwrap_or_else(|| key.clone());
        let description = toml.description.unwrap_or_else(|| name.clone());
        Ok(Self {
            key,
            dir: absolute(dir)
                .map_err(|e| LoadError::Invalid(format!("{}: {e}", dir.display())))?,
            description,
            name,
            module,
            python,
            rust,
            setup,
            setup_file,
            args,
            knob,
            expect: expect_of(shown, toml.expect)?,
            split,
            overhead: toml.overhead.map(|o| (o.python, o.rust)),
            variants,
            own_variants,
            verify_inputs: verify_inputs(shown, toml.verify)?,
            threads: toml
                .threads
                .map(|t| check_counts(&t.counts, "[threads] counts"))
                .transpose()
                .map_err(|e| LoadError::Invalid(format!("{shown}: {e}")))?,
            tolerance: tolerance_of(shown, toml.check)?,
            requires,
            scenario,
        })
    }
}

/// A folder as the user named it (`.`, `..`, a relative path), made
/// absolute with `.` and `..` taken out, so it has a name of its own.
pub fn absolute(dir: &Path) -> std::io::Result<PathBuf> {
    dir.canonicalize().or_else(|_| std::path::absolute(dir))
}

/// `[[variant]]` tables checked, and the builds raced by default.
fn variants_of(
    shown: &str,
    own: Option<Vec<toml::Value>>,
    names: Option<Vec<String>>,
) -> Result<(Vec<Variant>, Vec<Variant>), LoadError> {
    let own = own_variants(shown, own.unwrap_or_default())?;
    let mut table = Variants::default();
    for v in &own {
        table.add(v).map_err(|source| LoadError::Variant {
            path: shown.to_owned(),
            source,
        })?;
    }
    let variants = match &names {
        None => Variant::defaults().to_vec(),
        Some(names) => parse_variants(names, "variants", &table)
            .map_err(|e| LoadError::Invalid(format!("{shown}: {e}")))?,
    };
    Ok((variants, own))
}

/// `requires`, then each route's tool, pinned, installed with the
/// experiment's packages.
fn requirements_with_routes(
    dir: &Path,
    shown: &str,
    requires: Option<Vec<String>>,
    python: &[Implementation],
) -> Result<Vec<String>, LoadError> {
    let mut requires = requirements(dir, shown, requires.unwrap_or_default())?;
    for pin in python.iter().filter_map(|p| p.route?.requirement()) {
        if !requires.iter().any(|r| r == pin) {
            requires.push(pin.to_owned());
        }
    }
    Ok(requires)
}

fn expect_of(
    shown: &str,
    expect: Option<super::schema::Expect>,
) -> Result<Option<Value>, LoadError> {
    expect
        .map(|e| {
            serde_json::to_value(e.result)
                .map_err(|e| LoadError::Invalid(format!("{shown}: [expect] result: {e}")))
        })
        .transpose()
}

/// The file read and parsed into its races, each with its key: the
/// folder's name for a file of one experiment, the race's `name` for each
/// `[[race]]` (whose keys are laid over the file's top-level ones).
fn read(dir: &Path, text: &str) -> Result<(String, Vec<(String, LabToml)>), LoadError> {
    let shown = dir.join(LAB_TOML).display().to_string();
    let toml_error = |source| LoadError::Toml {
        path: shown.clone(),
        source,
    };
    let mut top: toml::Table = toml::from_str(text).map_err(toml_error)?;
    let folder = absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .ok_or_else(|| LoadError::Invalid(format!("{shown}: the experiment folder has no name")))?;
    if let Some(file) = super::maturin::missing_manifest(dir) {
        return Err(LoadError::Invalid(format!(
            "{}: no {file}: an experiment is a maturin project (maturin init -b pyo3) plus a lab.toml",
            dir.display()
        )));
    }
    let Some(races) = top.remove("race") else {
        let toml = LabToml::deserialize(toml::Value::Table(top)).map_err(toml_error)?;
        return Ok((shown, vec![(folder, toml)]));
    };
    let Some(races) = races.as_array().filter(|r| !r.is_empty()) else {
        return Err(LoadError::Invalid(format!(
            "{shown}: race: give one [[race]] table for each race"
        )));
    };
    let mut out = Vec::new();
    for (i, race) in races.iter().enumerate() {
        let bad = |why: &str| LoadError::Invalid(format!("{shown}: [[race]] {}: {why}", i + 1));
        let table = race.as_table().ok_or_else(|| bad("not a table"))?;
        let key = table
            .get("name")
            .and_then(toml::Value::as_str)
            .filter(|n| {
                !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c))
            })
            .ok_or_else(|| bad("give it a name (letters, digits, - _ .), its key in the lab"))?
            .to_owned();
        if out.iter().any(|(k, _)| *k == key) {
            return Err(bad(&format!("another race is also called {key:?}")));
        }
        let mut merged = top.clone();
        merged.extend(table.clone());
        let toml =
            LabToml::deserialize(toml::Value::Table(merged)).map_err(|source| LoadError::Toml {
                path: format!("{shown} [[race]] {key}"),
                source,
            })?;
        out.push((key, toml));
    }
    Ok((shown, out))
}

/// `module`, else the one pyproject.toml and Cargo.toml name.
fn module_of(dir: &Path, shown: &str, module: Option<&str>) -> Result<String, LoadError> {
    let module = match module {
        Some(m) => m.to_owned(),
        None => super::maturin::module_name(dir).ok_or_else(|| {
            LoadError::Invalid(format!(
                "{shown}: no module, and pyproject.toml and Cargo.toml name none: \
                 give module = the extension's Python name"
            ))
        })?,
    };
    if !is_dotted_identifier(&module) {
        return Err(LoadError::Invalid(format!(
            "{shown}: module = {module:?} is not a Python module name (a.b.c)"
        )));
    }
    Ok(module)
}

/// The `[python]` tables: each a file or a module of the project's package;
/// the first one's `setup` is the experiment's.
fn python_sides(
    dir: &Path,
    shown: &str,
    scenario: bool,
    tables_of: toml::Value,
) -> Result<(Vec<Implementation>, Option<String>), LoadError> {
    let mut python = Vec::new();
    let mut setup = None;
    for (i, (name, side)) in tables::<PythonSide>(shown, "python", tables_of)?
        .into_iter()
        .enumerate()
    {
        let route = side.route;
        if let (0, Some(route)) = (i, route) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {name} route = \"{route}\": the first [[python]] is the reference, run by CPython; \
                 give the route to another [[python]] table of the same file"
            )));
        }
        let (module, code_dir) = match (&side.file, &side.module) {
            (Some(file), None) => python_file(dir, shown, &name, file, route)?,
            (None, Some(_)) if route.is_some_and(Route::builds) => {
                return Err(LoadError::Invalid(format!(
                    "{shown}: {name} route = \"{}\" compiles a file: give file (the .py{}), not module",
                    route.map_or("", Route::name),
                    if route == Some(Route::Cython) {
                        " or .pyx"
                    } else {
                        ""
                    }
                )));
            }
            (None, Some(module)) if is_dotted_identifier(module) => (module.clone(), None),
            (None, Some(module)) => {
                return Err(LoadError::Invalid(format!(
                    "{shown}: {name} module = {module:?} is not a Python module name (a.b.c)"
                )));
            }
            _ => {
                return Err(LoadError::Invalid(format!(
                    "{shown}: {name}: give either file (a .py file) or module (a module of the project's package)"
                )));
            }
        };
        if i == 0 {
            setup = side.setup.clone();
        }
        let callable = callable(shown, &name, scenario, side.function, side.class)?;
        let source = side
            .file
            .as_ref()
            .map(|f| std::path::absolute(dir.join(f)).unwrap_or_else(|_| dir.join(f)));
        let label = side.label.or_else(|| route.map(|r| r.name().to_owned()));
        python.push(Implementation {
            route,
            source,
            ..implementation(
                shown,
                &name,
                Language::Python,
                module,
                (callable, side.setup),
                label,
                code_dir,
            )?
        });
    }
    Ok((python, setup))
}

/// The `[rust]` tables: each a function or class of the extension `module`.
fn rust_sides(
    shown: &str,
    scenario: bool,
    module: &str,
    tables_of: toml::Value,
) -> Result<Vec<Implementation>, LoadError> {
    tables::<RustSide>(shown, "rust", tables_of)?
        .into_iter()
        .map(|(name, side)| {
            let callable = callable(shown, &name, scenario, side.function, side.class)?;
            implementation(
                shown,
                &name,
                Language::Rust,
                module.to_owned(),
                (callable, side.setup),
                side.label,
                None,
            )
        })
        .collect()
}

/// `[input]`: the arguments as JSON, and the size knob when one is named.
fn input(shown: &str, input: &Input) -> Result<(Vec<Value>, Option<Knob>), LoadError> {
    let args: Vec<Value> = input
        .args
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .map_err(|e| LoadError::Invalid(format!("{shown}: [input] args: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let Some(index) = input.size else {
        return Ok((args, None));
    };
    let default = args.get(index).and_then(Value::as_u64).ok_or_else(|| {
        LoadError::Invalid(format!(
            "{shown}: [input] size = {index}: args[{index}] must exist and be a whole number \
             (args has {} item(s))",
            args.len()
        ))
    })?;
    let (min, max) = (input.min.unwrap_or(0), input.max.unwrap_or(u64::MAX));
    if !(min <= default && default <= max) {
        return Err(LoadError::Invalid(format!(
            "{shown}: [input] args[{index}] = {default} is outside min..=max ({min}..={max})"
        )));
    }
    let knob = Knob {
        index,
        min,
        max,
        default,
    };
    Ok((args, Some(knob)))
}

/// `[input] file`: the module its setup is in, and that module's folder.
type SetupFile = (String, PathBuf);

/// The experiment's setup: the reference's own (`[python] setup`), or
/// `[input] setup`, of `[input] file` when given (its module and folder).
fn input_setup(
    dir: &Path,
    shown: &str,
    reference: Option<String>,
    input: &Input,
) -> Result<(Option<String>, Option<SetupFile>), LoadError> {
    let invalid = |what: &str| Err(LoadError::Invalid(format!("{shown}: {what}")));
    let setup = match (reference, &input.setup) {
        (Some(_), Some(_)) => {
            return invalid("[python] setup and [input] setup: give the setup once");
        }
        (None, Some(f)) if !is_identifier(f) => {
            return invalid(&format!(
                "[input] setup = {f:?} is not a Python identifier (a function)"
            ));
        }
        (reference, given) => reference.or_else(|| given.clone()),
    };
    let Some(file) = &input.file else {
        return Ok((setup, None));
    };
    if input.setup.is_none() {
        return invalid(&format!(
            "[input] file = {file:?} is the file of [input] setup: give setup = the function that makes the arguments"
        ));
    }
    let (module, folder) = python_file(dir, shown, "[input]", file, None)?;
    Ok((setup, folder.map(|f| (module, f))))
}

/// `[verify] inputs`: the name of the function that makes inputs.
fn verify_inputs(shown: &str, verify: Option<VerifyInputs>) -> Result<Option<String>, LoadError> {
    match verify {
        Some(v) if !is_identifier(&v.inputs) => Err(LoadError::Invalid(format!(
            "{shown}: [verify] inputs = {:?} is not a Python identifier",
            v.inputs
        ))),
        v => Ok(v.map(|v| v.inputs)),
    }
}

/// `[check]`: how closely results must agree (exact unless it says).
fn tolerance_of(shown: &str, check: Option<Check>) -> Result<Tolerance, LoadError> {
    Ok(match check {
        None => Tolerance::default(),
        Some(c) => Tolerance {
            rel_tol: tolerance(shown, "rel_tol", c.rel_tol)?,
            abs_tol: tolerance(shown, "abs_tol", c.abs_tol)?,
            equal_nan: c.equal_nan.unwrap_or(false),
        },
    })
}

/// What a lane calls: its `function`, or under a `[scenario]` its `class`
/// (or a `function` that makes the object). The key named is whichever
/// was given.
fn callable(
    shown: &str,
    name: &str,
    scenario: bool,
    function: Option<String>,
    class: Option<String>,
) -> Result<Callable, LoadError> {
    match (function, class) {
        (Some(f), None) => Ok(Callable::Function(f)),
        (None, Some(c)) if scenario => Ok(Callable::Class(c)),
        (None, Some(_)) => Err(LoadError::Invalid(format!(
            "{shown}: {name} class needs a [scenario] (file, function): the workload that drives the class"
        ))),
        (Some(_), Some(_)) => Err(LoadError::Invalid(format!(
            "{shown}: {name}: give either function or class, not both"
        ))),
        (None, None) if scenario => Err(LoadError::Invalid(format!(
            "{shown}: {name}: give class (or a function that makes the object)"
        ))),
        (None, None) => Err(LoadError::Invalid(format!(
            "{shown}: {name}: missing field `function`"
        ))),
    }
}

/// A lane's callable as lab.toml named it.
enum Callable {
    Function(String),
    Class(String),
}

/// `[scenario]`: its file (the reference's by default) and function, checked.
fn scenario_of(
    dir: &Path,
    shown: &str,
    table: ScenarioTable,
    reference: &Implementation,
) -> Result<Scenario, LoadError> {
    if !is_identifier(&table.function) {
        return Err(LoadError::Invalid(format!(
            "{shown}: [scenario] function = {:?} is not a Python identifier",
            table.function
        )));
    }
    let (module, folder) = match (&table.file, &reference.dir) {
        (Some(file), _) => python_file(dir, shown, "[scenario]", file, None)?,
        (None, Some(folder)) => (reference.module.clone(), Some(folder.clone())),
        (None, None) => {
            return Err(LoadError::Invalid(format!(
                "{shown}: [scenario] file: the reference is a module, not a file: name the .py file the scenario is in"
            )));
        }
    };
    Ok(Scenario {
        module,
        function: table.function,
        dir: folder.unwrap_or_else(|| dir.to_path_buf()),
    })
}

/// A `.py` file's module name and folder, checked (a `.pyx` for Cython).
fn python_file(
    dir: &Path,
    shown: &str,
    name: &str,
    file: &Path,
    route: Option<Route>,
) -> Result<(String, Option<PathBuf>), LoadError> {
    let python_file = dir.join(file);
    if !python_file.is_file() {
        return Err(LoadError::Invalid(format!(
            "{shown}: {name} file = {file:?}: no such file in {}",
            dir.display()
        )));
    }
    let pyx = route == Some(Route::Cython) && python_file.extension().is_some_and(|e| e == "pyx");
    if python_file.extension().is_none_or(|e| e != "py") && !pyx {
        return Err(LoadError::Invalid(format!(
            "{shown}: {name} file = {file:?}: not a .py file{}",
            if route == Some(Route::Cython) {
                " (nor a .pyx)"
            } else {
                ""
            }
        )));
    }
    let module = python_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = std::path::absolute(python_file.parent().unwrap_or(dir))
        .map_err(|e| LoadError::Invalid(format!("{shown}: {e}")))?;
    Ok((module, Some(folder)))
}

fn implementation(
    shown: &str,
    name: &str,
    language: Language,
    module: String,
    (callable, setup): (Callable, Option<String>),
    label: Option<String>,
    dir: Option<PathBuf>,
) -> Result<Implementation, LoadError> {
    let (what, function) = match callable {
        Callable::Function(f) => ("function", f),
        Callable::Class(c) => ("class", c),
    };
    if !is_identifier(&function) {
        return Err(LoadError::Invalid(format!(
            "{shown}: {name} {what} = {function:?} is not a Python identifier"
        )));
    }
    if let Some(setup) = setup.as_ref().filter(|s| !is_identifier(s)) {
        return Err(LoadError::Invalid(format!(
            "{shown}: {name} setup = {setup:?} is not a Python identifier (a function of the reference's module)"
        )));
    }
    let label = label.unwrap_or_else(|| function.clone());
    if label.trim().is_empty() {
        return Err(LoadError::Invalid(format!(
            "{shown}: {name} label is empty"
        )));
    }
    Ok(Implementation {
        label,
        language,
        module,
        function,
        key: match (language, &dir) {
            (Language::Python, Some(_)) => format!("{name} file and {what}"),
            (Language::Python, None) => format!("{name} module and {what}"),
            _ => format!("{name} {what}"),
        },
        dir,
        setup: setup.map(|f| (f, format!("{name} setup"))),
        route: None,
        source: None,
    })
}

/// Labels name lanes, so they must be unique on each side and must not pass
/// for a built-in lane. (A Python and a Rust function may share a name: their
/// lanes differ, `search` and `search (release)`.)
fn check_labels(
    shown: &str,
    python: &[Implementation],
    rust: &[Implementation],
) -> Result<(), LoadError> {
    let single = python.len() == 1 && rust.len() == 1;
    let all: Vec<&Implementation> = python.iter().chain(rust).collect();
    for (i, imp) in all.iter().enumerate() {
        let same_side = |o: &&&Implementation| o.language == imp.language && o.label == imp.label;
        if let Some(other) = all[..i].iter().find(same_side) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {} and {} are both labelled {:?}: give one a label = \"...\"",
                other.key, imp.key, imp.label
            )));
        }
        if !single && BUILTIN_LANES.contains(&imp.label.as_str()) {
            return Err(LoadError::Invalid(format!(
                "{shown}: {} label {:?} is a built-in lane name: choose another",
                imp.key, imp.label
            )));
        }
    }
    Ok(())
}

/// `requires` of lab.toml, then the `[project] dependencies` of the crate's
/// pyproject.toml, each checked as a PEP 508 string before anything is
/// installed; the error names the file and the entry.
fn requirements(dir: &Path, shown: &str, requires: Vec<String>) -> Result<Vec<String>, LoadError> {
    let pyproject = dir.join("pyproject.toml");
    let theirs: Vec<String> = fs::read_to_string(&pyproject)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| {
            let deps = t.get("project")?.get("dependencies")?.as_array()?.clone();
            Some(
                deps.iter()
                    .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
                    .collect(),
            )
        })
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    let labelled = requires
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("{shown}: requires[{i}]"), r))
        .chain(theirs.into_iter().enumerate().map(|(i, r)| {
            (
                format!("{}: [project] dependencies[{i}]", pyproject.display()),
                r,
            )
        }));
    for (key, requirement) in labelled {
        let checked = requirement_of(&requirement).map_err(|why| {
            LoadError::Invalid(format!(
                "{key} = {requirement:?} is not a requirement (PEP 508, e.g. \"numpy>=2\"): {}",
                why.message
            ))
        })?;
        if !out.contains(&checked) {
            out.push(checked);
        }
    }
    Ok(out)
}

/// A `[check]` bound: 0 (exact) when absent, else a finite number >= 0.
fn tolerance(shown: &str, key: &str, value: Option<f64>) -> Result<f64, LoadError> {
    match value {
        None => Ok(0.0),
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Some(v) => Err(LoadError::Invalid(format!(
            "{shown}: [check] {key} = {v}: give a number >= 0 (0 is exact; 1e-12 allows last-bit rounding)"
        ))),
    }
}

/// The experiment folders under `dir`, sorted, down to `depth` levels: a
/// lesson of several experiments (lab/arrays/sumsq, lab/arrays/ema) is a
/// folder of them.
fn experiment_dirs(dir: &Path, depth: u32) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut subdirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    // The chapter's experiment leads the lab (the one the terminal opens
    // on), then the others by name; those of this level first, then those of
    // the lessons in folders below.
    subdirs.sort_by_key(|d| (!d.ends_with(super::DEFAULT_EXPERIMENT), d.clone()));
    let (own, lessons): (Vec<PathBuf>, Vec<PathBuf>) =
        subdirs.into_iter().partition(|d| d.join(LAB_TOML).exists());
    let nested = lessons
        .iter()
        .filter(|_| depth > 1)
        .flat_map(|d| experiment_dirs(d, depth - 1));
    own.iter().cloned().chain(nested).collect()
}

/// Every `lab.toml` in the folders given: each folder is an experiment itself,
/// or holds experiments one or two levels down. Good ones load; bad ones
/// become errors that name their file, and the rest still load.
pub fn discover(dirs: &[PathBuf]) -> (Vec<Experiment>, Vec<LoadError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        if dir.join(LAB_TOML).exists() {
            found.push(Experiment::load_all(dir));
            continue;
        }
        if fs::read_dir(dir).is_err() {
            errors.push(LoadError::Invalid(format!(
                "{}: no such folder, or not readable",
                dir.display()
            )));
            continue;
        }
        let subdirs = experiment_dirs(dir, 2);
        if subdirs.is_empty() {
            errors.push(LoadError::Invalid(format!(
                "{}: holds no {LAB_TOML}, nor do its subfolders",
                dir.display()
            )));
        }
        found.extend(subdirs.iter().map(|d| Experiment::load_all(d)));
    }
    let mut experiments: Vec<Experiment> = Vec::new();
    for result in found.into_iter().flat_map(|all| match all {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(e) => vec![Err(e)],
    }) {
        match result {
            Ok(e) if experiments.iter().any(|x| x.key == e.key) => {
                errors.push(LoadError::Invalid(format!(
                    "{}: another experiment is also called {:?}: rename one of the folders",
                    e.dir.display(),
                    e.key
                )))
            }
            Ok(e) => match table_of(experiments.iter().chain([&e])) {
                Ok(_) => experiments.push(e),
                Err(source) => errors.push(LoadError::Variant {
                    path: e.lab_toml().display().to_string(),
                    source,
                }),
            },
            Err(e) => errors.push(e),
        }
    }
    (experiments, errors)
}

/// Every variant the `experiments` may name: the built-ins and their own
/// `[[variant]]`s, where one name is one set of settings.
pub fn table_of<'a>(
    experiments: impl IntoIterator<Item = &'a Experiment>,
) -> Result<Variants, VariantClash> {
    let mut table = Variants::default();
    for exp in experiments {
        for v in &exp.own_variants {
            table.add(v)?;
        }
    }
    Ok(table)
}

/// The most threads a sweep may ask for.
pub const MAX_THREADS: u32 = 64;

/// Checks a thread count list: 1 to 64 each.
pub fn check_counts(counts: &[u32], key: &str) -> Result<Vec<u32>, LoadError> {
    if counts.is_empty() {
        return Err(LoadError::Invalid(format!(
            "{key} is empty: give thread counts such as 1,2,4"
        )));
    }
    if let Some(bad) = counts.iter().find(|&&t| t == 0 || t > MAX_THREADS) {
        return Err(LoadError::Invalid(format!(
            "{key}: {bad} threads: give 1 to {MAX_THREADS}"
        )));
    }
    let mut counts = counts.to_vec();
    counts.sort_unstable();
    counts.dedup();
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "fibonacci"
description = "Naive recursive Fibonacci"
module = "fibonacci"

[python]
file = "reference.py"
function = "pyrun"

[rust]
function = "run"

[input]
args = [35]
size = 0
min = 0
max = 93

[expect]
result = 9227465
"#;

    fn folder(lab_toml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in ["Cargo.toml", "pyproject.toml"] {
            fs::write(dir.path().join(f), "").unwrap();
        }
        fs::write(dir.path().join("reference.py"), "def pyrun(n): return n\n").unwrap();
        fs::write(dir.path().join(LAB_TOML), lab_toml).unwrap();
        dir
    }

    fn error(lab_toml: &str) -> String {
        Experiment::load(folder(lab_toml).path())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_route_is_a_later_python_table_and_names_the_file_it_compiles() {
        let routed = |extra: &str| {
            GOOD.replace(
                "[python]\nfile = \"reference.py\"\nfunction = \"pyrun\"\n",
                &format!(
                    "[[python]]\nfile = \"reference.py\"\nfunction = \"pyrun\"\n\n[[python]]\n{extra}\n"
                ),
            )
        };
        let dir = folder(&routed(
            "file = \"reference.py\"\nfunction = \"pyrun\"\nroute = \"cython\"",
        ));
        let e = Experiment::load(dir.path()).unwrap();
        let imp = &e.python[1];
        assert_eq!(
            (imp.label.as_str(), imp.route),
            ("cython", Some(Route::Cython))
        );
        assert!(imp.source.as_ref().unwrap().ends_with("reference.py"));
        assert!(
            e.requires.contains(&"cython==3.3.1".to_owned()),
            "{:?}",
            e.requires
        );
        assert!(e.single(), "the chapter's lane names stay beside routes");
        let lanes = e.lanes(&e.variants);
        assert!(
            lanes
                .iter()
                .any(|l| l.name == "cython" && l.route == Some(Route::Cython))
        );

        let err = error(&GOOD.replace(
            "function = \"pyrun\"\n",
            "function = \"pyrun\"\nroute = \"numba\"\n",
        ));
        assert!(
            err.contains("the first [[python]] is the reference"),
            "{err}"
        );
        let err = error(&routed(
            "module = \"reference\"\nfunction = \"pyrun\"\nroute = \"mypyc\"",
        ));
        assert!(err.contains("compiles a file: give file"), "{err}");
        let err = error(&routed(
            "file = \"reference.py\"\nfunction = \"pyrun\"\nroute = \"jython\"",
        ));
        assert!(err.contains("pypy") && err.contains("cython"), "{err}");
        let dir = folder(&routed("file = \"fast.pyx\"\nfunction = \"pyrun\""));
        fs::write(
            dir.path().join("fast.pyx"),
            "cpdef long pyrun(long n): return n\n",
        )
        .unwrap();
        let err = Experiment::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a .py file"), "{err}");
    }

    #[test]
    fn the_documented_format_loads() {
        let dir = folder(GOOD);
        let e = Experiment::load(dir.path()).unwrap();
        assert_eq!(
            (e.name.as_str(), e.module.as_str()),
            ("fibonacci", "fibonacci")
        );
        let reference = e.reference();
        assert_eq!(
            (reference.module.as_str(), reference.function.as_str()),
            ("reference", "pyrun")
        );
        assert!(e.single());
        assert_eq!(e.args, vec![Value::from(35)]);
        assert_eq!(
            e.knob,
            Some(Knob {
                index: 0,
                min: 0,
                max: 93,
                default: 35
            })
        );
        assert_eq!(e.expected_for(&e.args), Ok(Some("9227465".into())));
        assert_eq!(e.args_for(Some(20)).unwrap(), vec![Value::from(20)]);
        assert_eq!(e.expected_for(&e.args_for(Some(20)).unwrap()), Ok(None));
        let names: Vec<String> = e
            .lanes(&Variant::defaults())
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(
            names,
            ["python", "rust-debug", "rust-release"],
            "today's lane names"
        );
        let err = e.args_for(Some(94)).unwrap_err().to_string();
        assert!(err.contains("0..=93"), "{err}");
    }

    /// A class experiment: lanes are factories the scenario drives.
    const CLASSES: &str = r#"
name = "cache"
description = "a class"
module = "cache"

[scenario]
function = "workload"

[[python]]
file = "reference.py"
class = "Lru"

[[rust]]
class = "Lru"
label = "port"

[[rust]]
function = "make_lru"
label = "factory"

[input]
args = [1000]
"#;

    #[test]
    fn a_scenario_makes_every_lane_a_factory_it_drives() {
        use crate::worker::protocol::{Callee, Code};
        let dir = folder(CLASSES);
        let e = Experiment::load(dir.path()).unwrap();
        let scenario = e.scenario.clone().unwrap();
        assert_eq!(
            (scenario.module.as_str(), scenario.function.as_str()),
            ("reference", "workload"),
            "the reference's file by default"
        );
        assert_eq!(e.python_files().len(), 1, "one file, named once");
        let lanes = e.lanes(&[Variant::release()]);
        let call = e.call_of(&lanes[1]);
        assert_eq!(
            call.callee,
            Callee::Scenario {
                scenario: Code::new("reference", "workload"),
                factory: Code::new("cache", "Lru"),
            }
        );
        assert_eq!(call.text(), "reference.workload(cache.Lru,1000)");
        assert_eq!(e.rust[0].key, "[[rust]] #1 class");
        assert_eq!(e.rust[1].key, "[[rust]] #2 function");
        // A scenario of its own file: watched, and on every lane's path.
        fs::write(
            dir.path().join("drive.py"),
            "def workload(make, n): return n\n",
        )
        .unwrap();
        let own = CLASSES.replace("[scenario]\n", "[scenario]\nfile = \"drive.py\"\n");
        fs::write(dir.path().join(LAB_TOML), own).unwrap();
        let e = Experiment::load(dir.path()).unwrap();
        let files = e.python_files();
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[1].ends_with("drive.py"), "{files:?}");
    }

    #[test]
    fn class_lanes_without_a_scenario_and_other_mistakes_are_named() {
        let no_scenario = CLASSES.replace("[scenario]\nfunction = \"workload\"\n", "");
        let err = error(&no_scenario);
        assert!(
            err.contains("[[python]] #1 class needs a [scenario]"),
            "{err}"
        );
        let both = CLASSES.replace(
            "class = \"Lru\"\nlabel",
            "class = \"Lru\"\nfunction = \"f\"\nlabel",
        );
        let err = error(&both);
        assert!(
            err.contains("[[rust]] #1: give either function or class"),
            "{err}"
        );
        let bad = CLASSES.replace("function = \"workload\"", "function = \"work load\"");
        assert!(error(&bad).contains("[scenario] function = \"work load\""));
        let missing = CLASSES.replace(
            "function = \"workload\"",
            "file = \"nope.py\"\nfunction = \"w\"",
        );
        assert!(error(&missing).contains("[scenario] file = \"nope.py\": no such file"));
        let split = format!("{CLASSES}\n[progress]\nsplit = \"fibonacci\"\n");
        assert!(error(&split).contains("[progress] split does not go with [scenario]"));
    }

    #[test]
    fn a_missing_key_is_named_with_the_file() {
        // module may be left out when pyproject.toml or Cargo.toml names it;
        // these name none.
        let err = error(&GOOD.replace("module = \"fibonacci\"\n", ""));
        assert!(
            err.contains("lab.toml") && err.contains("no module") && err.contains("give module ="),
            "{err}"
        );
        let err = error(&GOOD.replace("function = \"run\"\n", ""));
        assert!(
            err.contains("missing field `function`") && err.contains("rust"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_type_is_named() {
        let err = error(&GOOD.replace("args = [35]", "args = 35"));
        assert!(err.contains("lab.toml") && err.contains("args"), "{err}");
        let err = error(&GOOD.replace("min = 0", "min = \"zero\""));
        assert!(err.contains("min"), "{err}");
    }

    #[test]
    fn a_missing_file_or_bad_name_is_named() {
        let err = error(&GOOD.replace("reference.py", "nope.py"));
        assert!(
            err.contains("[python] file") && err.contains("nope.py"),
            "{err}"
        );
        let err = error(&GOOD.replace("function = \"pyrun\"", "function = \"py run\""));
        assert!(err.contains("[python] function"), "{err}");
        let err = error(&GOOD.replace("module = \"fibonacci\"", "module = \"pkg..core\""));
        assert!(err.contains("module = \"pkg..core\""), "{err}");
        let err = error(&GOOD.replace("size = 0", "size = 3"));
        assert!(err.contains("[input] size = 3"), "{err}");
        let err = error(&GOOD.replace("args = [35]", "args = [135]"));
        assert!(err.contains("outside"), "{err}");
        let err = error(&GOOD.replace("[expect]", "[surprise]"));
        assert!(err.contains("surprise"), "an unknown key is refused: {err}");
    }

    const TWO_RUST: &str =
        "[[rust]]\nfunction = \"run\"\n\n[[rust]]\nfunction = \"run_fast\"\nlabel = \"fast\"\n";

    #[test]
    fn several_implementations_race_in_each_build_grouped() {
        let dir = folder(&GOOD.replace("[rust]\nfunction = \"run\"\n", TWO_RUST));
        let e = Experiment::load(dir.path()).unwrap();
        assert!(!e.single());
        let names: Vec<String> = e
            .lanes(&Variant::defaults())
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(
            names,
            [
                "pyrun",
                "run (debug)",
                "run (release)",
                "fast (debug)",
                "fast (release)"
            ]
        );
        let lanes = e.lanes(&[Variant::release()]);
        assert_eq!(lanes.len(), 3, "release only: {lanes:?}");
        assert_eq!(e.implementation(&lanes[2]).unwrap().function, "run_fast");
        assert!(lanes[0].reference && !lanes[1].reference);
    }

    #[test]
    fn bad_implementation_lists_are_named_by_file_and_key() {
        let err = error(&format!(
            "rust = []\n{}",
            GOOD.replace("[rust]\nfunction = \"run\"\n", "")
        ));
        assert!(
            err.contains("lab.toml") && err.contains("[[rust]] is empty"),
            "{err}"
        );
        let same = TWO_RUST.replace("label = \"fast\"", "label = \"run\"");
        let err = error(&GOOD.replace("[rust]\nfunction = \"run\"\n", &same));
        assert!(
            err.contains("[[rust]] #1") && err.contains("[[rust]] #2") && err.contains("\"run\""),
            "{err}"
        );
        let builtin = TWO_RUST.replace("label = \"fast\"", "label = \"rust-release\"");
        let err = error(&GOOD.replace("[rust]\nfunction = \"run\"\n", &builtin));
        assert!(err.contains("built-in lane name"), "{err}");
        let err = error(&format!("variants = [\"fast\"]\n{GOOD}"));
        assert!(
            err.contains("variants") && err.contains("\"fast\""),
            "{err}"
        );
        let err = error(&GOOD.replace(
            "file = \"reference.py\"",
            "module = \"pkg\"\nfile = \"reference.py\"",
        ));
        assert!(err.contains("either file"), "{err}");
    }

    #[test]
    fn each_implementation_may_take_its_own_form_of_the_arguments() {
        let two = "[[rust]]\nfunction = \"run\"\n\n[[rust]]\nfunction = \"run_view\"\nlabel = \"view\"\nsetup = \"make_array\"\n";
        let text = GOOD
            .replace(
                "function = \"pyrun\"",
                "function = \"pyrun\"\nsetup = \"make_list\"",
            )
            .replace("[rust]\nfunction = \"run\"\n", two);
        let dir = folder(&text);
        let e = Experiment::load(dir.path()).unwrap();
        assert!(e.has_own_setups());
        let lanes = e.lanes(&[Variant::release()]);
        let setup = |i: usize| e.setup_of(&lanes[i]).map(|(code, key)| (code.name, key));
        assert_eq!(
            setup(0),
            Some(("make_list".into(), "[python] setup".into()))
        );
        assert_eq!(
            setup(1),
            Some(("make_list".into(), "[python] setup".into())),
            "the reference's is the default"
        );
        assert_eq!(
            setup(2),
            Some(("make_array".into(), "[[rust]] #2 setup".into()))
        );
        let err = error(&text.replace("\"make_array\"", "\"make array\""));
        assert!(err.contains("[[rust]] #2 setup"), "{err}");
    }

    #[test]
    fn requirements_come_from_lab_toml_and_pyproject_and_are_checked_first() {
        let dir = folder(&format!("requires = [\"numpy>=2\"]\n{GOOD}"));
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\ndependencies = [\"numpy>=2\", \"six\"]\n",
        )
        .unwrap();
        let e = Experiment::load(dir.path()).unwrap();
        assert_eq!(e.requires, ["numpy>=2", "six"], "once each, lab.toml first");
        let err = error(&format!("requires = [\"numpy>>2\"]\n{GOOD}"));
        assert!(
            err.contains("lab.toml: requires[0] = \"numpy>>2\" is not a requirement"),
            "{err}"
        );
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\ndependencies = [\"six ==\"]\n",
        )
        .unwrap();
        let err = Experiment::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("pyproject.toml: [project] dependencies[0]"),
            "{err}"
        );
    }

    #[test]
    fn own_variants_are_checked_key_by_key_and_raced_by_name() {
        let table =
            "[[variant]]\nname = \"abort\"\nconfig = [\"profile.release.panic=\\\"abort\\\"\"]\n";
        let text = format!("variants = [\"release\", \"abort\", \"lto\"]\n{GOOD}\n{table}");
        let dir = folder(&text);
        let e = Experiment::load(dir.path()).unwrap();
        let names: Vec<&str> = e.variants.iter().map(|v| v.name()).collect();
        assert_eq!(
            names,
            ["release", "lto", "abort"],
            "built-ins first, then its own"
        );
        let lanes: Vec<String> = e.lanes(&e.variants).into_iter().map(|l| l.name).collect();
        assert_eq!(lanes, ["python", "rust-release", "rust-lto", "rust-abort"]);
        for (bad, says) in [
            (
                "[[variant]]\nname = \"x\"\nprofile = \"fast\"\n",
                "[[variant]] #1 profile = \"fast\"",
            ),
            (
                "[[variant]]\nname = \"x\"\nspeed = 3\n",
                "unknown field `speed`",
            ),
            (
                "[[variant]]\nname = \"x\"\n\n[[variant]]\nname = \"x\"\n",
                "[[variant]] #2 name = \"x\"",
            ),
            ("[[variant]]\nname = \"lto\"\n", "built-in"),
            (
                "[[variant]]\nname = \"x\"\nconfig = [\"lto\"]\n",
                "KEY=VALUE",
            ),
        ] {
            let err = error(&format!("{GOOD}\n{bad}"));
            assert!(err.contains(says), "{bad}: {err}");
        }
        // One name is one set of settings across the lab's experiments:
        // the second to give "fast" other settings is refused at discovery.
        let root = tempfile::tempdir().unwrap();
        for (name, opt) in [("one", "3"), ("two", "\\\"s\\\"")] {
            let fast = format!(
                "{GOOD}\n[[variant]]\nname = \"fast\"\nconfig = [\"profile.release.opt-level={opt}\"]\n"
            );
            fs::rename(folder(&fast).path(), root.path().join(name)).unwrap();
        }
        let (found, errors) = discover(&[root.path().to_path_buf()]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("another experiment defines a variant \"fast\""),
            "{errors:?}"
        );
        let table = table_of(&found).unwrap();
        assert!(table.named("fast").is_some() && table.named("lto").is_some());
        let err = error(&format!("variants = [\"turbo\"]\n{GOOD}"));
        assert!(
            err.contains("\"turbo\" is not a build") && err.contains("lto"),
            "{err}"
        );
    }

    #[test]
    fn check_tolerances_are_numbers_at_least_zero() {
        let dir = folder(&format!(
            "{GOOD}\n[check]\nrel_tol = 1e-12\nequal_nan = true\n"
        ));
        let e = Experiment::load(dir.path()).unwrap();
        assert_eq!(
            e.tolerance,
            Tolerance {
                rel_tol: 1e-12,
                abs_tol: 0.0,
                equal_nan: true
            }
        );
        let err = error(&format!("{GOOD}\n[check]\nabs_tol = -1.0\n"));
        assert!(err.contains("[check] abs_tol = -1"), "{err}");
        let err = error(&format!("{GOOD}\n[check]\nrel_tol = \"tiny\"\n"));
        assert!(err.contains("rel_tol") && err.contains("lab.toml"), "{err}");
        let err = error(&format!("{GOOD}\n[check]\nrel_tol = nan\n"));
        assert!(err.contains("[check] rel_tol"), "{err}");
    }

    #[test]
    fn a_package_module_can_be_the_reference() {
        let dir = folder(&GOOD.replace("file = \"reference.py\"", "module = \"pkg.pure\""));
        let e = Experiment::load(dir.path()).unwrap();
        assert_eq!(e.reference().module, "pkg.pure");
        assert_eq!(
            e.reference().dir,
            None,
            "found in the build, as users import it"
        );
    }

    #[test]
    fn a_folder_that_is_no_maturin_project_is_refused() {
        let dir = folder(GOOD);
        fs::remove_file(dir.path().join("pyproject.toml")).unwrap();
        let err = Experiment::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no pyproject.toml"), "{err}");
    }

    /// `--lab .` and `--lab ..` name no folder by themselves: the key is
    /// the name of the folder they resolve to.
    #[test]
    fn a_path_ending_in_dot_or_dot_dot_is_keyed_by_its_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("wordcount");
        fs::rename(folder(GOOD).path(), &dir).unwrap();
        fs::create_dir(dir.join("tests")).unwrap();
        for path in [dir.join("."), dir.join("tests").join(".."), dir.clone()] {
            let e = Experiment::load(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(e.key, "wordcount", "{path:?}");
        }
    }

    #[test]
    fn discovery_keeps_the_good_and_reports_the_bad() {
        let root = tempfile::tempdir().unwrap();
        let good = folder(GOOD);
        let bad = folder(&GOOD.replace("name = ", "nome = "));
        fs::rename(good.path(), root.path().join("good")).unwrap();
        fs::rename(bad.path(), root.path().join("bad")).unwrap();
        let (found, errors) = discover(&[root.path().to_path_buf()]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            found.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["good"]
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("bad") && errors[0].contains("name"),
            "{errors:?}"
        );
        // A lesson of several experiments, one folder down, comes after.
        let lesson = root.path().join("arrays");
        fs::create_dir(&lesson).unwrap();
        let nested = folder(GOOD);
        fs::rename(nested.path(), lesson.join("ema")).unwrap();
        let (found, _) = discover(&[root.path().to_path_buf()]);
        assert_eq!(
            found.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["good", "ema"]
        );
        // The chapter's experiment leads, whatever sorts before it.
        let chapter = folder(GOOD);
        fs::rename(chapter.path(), root.path().join("fibonacci")).unwrap();
        let (found, _) = discover(&[root.path().to_path_buf()]);
        assert_eq!(
            found.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["fibonacci", "good", "ema"]
        );
        let (_, errors) = discover(&[root.path().join("absent")]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(errors[0].contains("no such folder"), "{errors:?}");
    }
}
