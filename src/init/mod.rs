//! `pyo3-lab init [DIR]`: a `lab.toml` for an existing maturin project, read
//! as the tools read it: the crate with `syn` (its module tree, what its
//! `#[pymodule]`s export), its Python with Python's own `ast` (the package
//! maturin builds and the project's `.py` files), and its pytest-benchmark
//! tests for the inputs and the expected result. Each finding says which
//! rule found it; what cannot be found is one marked TODO.

mod inputs;
mod python;
mod render;
mod rust;
mod twins;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::engine::experiment::maturin;
use python::Scan;
use rust::{Exports, RustFunction};
use twins::Twin;

/// What `init` was asked.
#[derive(Debug, Default)]
pub struct Options {
    /// Name the function families and write nothing.
    pub list: bool,
    /// Write the family of this function (a Rust export or its twin).
    pub function: Option<String>,
}

/// Rust exports Python calls the same way (the same parameters): the lanes
/// of one race, with the twin that is their reference and the inputs the
/// project's benchmarks give them.
pub struct Family<'a> {
    pub lanes: Vec<&'a RustFunction>,
    pub twin: Option<Twin>,
    pub inputs: Result<Option<inputs::Inputs>, String>,
    pub benchmarks: usize,
}

impl Family<'_> {
    pub fn name(&self) -> &str {
        &self.lanes[0].name
    }

    /// The names its benchmarks may call: the exports', and the twin's.
    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.lanes.iter().map(|f| f.name.as_str()).collect();
        if let Some(t) = self
            .twin
            .as_ref()
            .filter(|t| !names.contains(&t.def.name.as_str()))
        {
            names.push(&t.def.name);
        }
        names
    }

    /// "search: search, search_sequential; twin search_py (NAME_py); 3 benchmarks".
    pub fn describe(&self) -> String {
        let lanes: Vec<&str> = self.lanes.iter().map(|f| f.name.as_str()).collect();
        let twin = self.twin.as_ref().map_or_else(
            || "no Python twin".to_owned(),
            |t| format!("twin {} in {} ({})", t.def.name, t.file, t.rule),
        );
        format!(
            "{}: {}; {twin}; {} benchmark call(s)",
            self.name(),
            lanes.join(", "),
            self.benchmarks
        )
    }
}

/// A project as init reads it.
pub struct Project {
    pub name: String,
    pub module: String,
    pub exports: Exports,
    pub scan: Scan,
}

impl Project {
    pub fn read(dir: &Path) -> Result<Self> {
        if let Some(file) = maturin::missing_manifest(dir) {
            bail!(
                "{}: no {file}: init needs a maturin project (maturin new, or maturin init)",
                dir.display()
            );
        }
        let module = maturin::module_name(dir).context("Cargo.toml names no package")?;
        let root = maturin::crate_root(dir);
        let exports = rust::read(&root);
        if exports.functions.is_empty() && exports.classes.is_empty() {
            bail!(
                "{}: no #[pyfunction] or #[pyclass] exported from {}: nothing to race",
                dir.display(),
                root.display()
            );
        }
        // Without the Python side init still writes the Rust one, and says why.
        let scan = python::scan(dir, &maturin::python_source(dir)).unwrap_or_else(|e| Scan {
            errors: vec![format!("{e:#}")],
            ..Scan::default()
        });
        let name = std::path::absolute(dir)?
            .file_name()
            .map_or_else(|| module.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            module,
            exports,
            scan,
        })
    }

    /// The exports grouped by their Python parameters, in source order.
    pub fn families(&self) -> Vec<Family<'_>> {
        let mut groups: Vec<Vec<&RustFunction>> = Vec::new();
        for f in &self.exports.functions {
            let types = |g: &RustFunction| g.params.iter().map(|p| p.1.clone()).collect::<Vec<_>>();
            match groups.iter_mut().find(|g| types(g[0]) == types(f)) {
                Some(g) => g.push(f),
                None => groups.push(vec![f]),
            }
        }
        groups
            .into_iter()
            .map(|lanes| {
                let names: Vec<&str> = lanes.iter().map(|f| f.name.as_str()).collect();
                let twin = twins::find(&names, &self.scan.modules);
                let mut family = Family {
                    lanes,
                    twin,
                    inputs: Ok(None),
                    benchmarks: 0,
                };
                let calls = inputs::calls_of(&family.names(), &self.scan.tests);
                family.benchmarks = calls.len();
                let reference = family.twin.as_ref().map(|t| t.def.name.as_str());
                family.inputs = inputs::from_calls(&calls, reference, &self.name);
                family
            })
            .collect()
    }
}

/// The family of `function`, else the first with a twin and benchmarks,
/// else with a twin, else the first.
fn choose<'f, 'a>(families: &'f [Family<'a>], function: Option<&str>) -> Result<&'f Family<'a>> {
    if let Some(wanted) = function {
        return families
            .iter()
            .find(|f| f.names().contains(&wanted))
            .with_context(|| {
                let names: Vec<&str> = families.iter().map(Family::name).collect();
                format!(
                    "--function {wanted}: no exported function or twin of that name (the families: {})",
                    names.join(", ")
                )
            });
    }
    families
        .iter()
        .find(|f| f.twin.is_some() && f.benchmarks > 0)
        .or_else(|| families.iter().find(|f| f.twin.is_some()))
        .or_else(|| families.first())
        .context("no function to race")
}

/// What `init` wrote: the files, what it found and by which rule, and the
/// line to fill in when it could not find one.
pub struct Written {
    pub lab_toml: PathBuf,
    pub files: Vec<PathBuf>,
    pub found: Vec<String>,
    pub others: Vec<String>,
    pub todo: Option<String>,
}

/// `init --list`: each family, one line.
pub fn list(dir: &Path) -> Result<Vec<String>> {
    let project = Project::read(dir)?;
    let mut out: Vec<String> = project.families().iter().map(Family::describe).collect();
    for c in &project.exports.classes {
        out.push(format!("class {}", c.name));
    }
    Ok(out)
}

/// Writes `dir/lab.toml` (and `lab_inputs.py` or `lab_scenario.py` when
/// needed) for the maturin project in `dir`.
pub fn init(dir: &Path, options: &Options) -> Result<Written> {
    let lab_toml = dir.join("lab.toml");
    if lab_toml.exists() {
        bail!(
            "{} exists already: race it with pyo3-lab --lab {}",
            lab_toml.display(),
            dir.display()
        );
    }
    let project = Project::read(dir)?;
    let families = project.families();
    let written = if families.is_empty() {
        render::classes(&project)
    } else {
        let chosen = choose(&families, options.function.as_deref())?;
        let mut w = render::family(&project, chosen);
        w.others = families
            .iter()
            .filter(|f| f.name() != chosen.name())
            .map(Family::describe)
            .chain(project.exports.classes.iter().map(|c| {
                format!(
                    "class {}: a [scenario] races a class (docs/lab-toml.md)",
                    c.name
                )
            }))
            .collect();
        w
    };
    for (name, text) in &written.files {
        let path = dir.join(name);
        if path.exists() {
            bail!(
                "{} exists already: init writes it, so move it aside first",
                path.display()
            );
        }
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    fs::write(&lab_toml, &written.lab_toml)
        .with_context(|| format!("cannot write {}", lab_toml.display()))?;
    let mut found = written.found;
    found.extend(project.scan.errors.iter().map(|e| format!("not read: {e}")));
    found.extend(
        project
            .exports
            .unreadable
            .iter()
            .map(|e| format!("not read: {e}")),
    );
    Ok(Written {
        lab_toml,
        files: written.files.iter().map(|(n, _)| dir.join(n)).collect(),
        found,
        others: written.others,
        todo: written.todo,
    })
}
