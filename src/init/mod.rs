//! `pyo3-lab init [DIR]`: a `lab.toml` for an existing maturin project, read
//! as the tools read it: the crate with `syn` (its module tree, what its
//! `#[pymodule]`s export), its Python with Python's own `ast` (the package
//! maturin builds and the project's `.py` files), and its pytest-benchmark
//! tests for the inputs and the expected result. Each finding says which
//! rule found it; what cannot be found is one marked TODO.

pub mod families;
mod inputs;
pub mod python;
mod render;
mod rust;
mod trial;
mod twins;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::engine::experiment::maturin;
pub use families::{Family, Verdict};
use python::Scan;
pub use render::Draft;
use rust::Exports;
pub use trial::try_candidates;

/// What `init` was asked.
#[derive(Debug, Default)]
pub struct Options {
    /// Name the function families and write nothing.
    pub list: bool,
    /// Write the family of this function (a Rust export or its twin).
    pub function: Option<String>,
    /// Calls a profile recorded: with `function`, its race replays its twin's.
    pub replays: Vec<Replay>,
}

/// A function's calls as `pyo3-lab profile` recorded them in the project.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// The twin's dotted module and name.
    pub module: String,
    pub name: String,
    /// The pickle, relative to the project.
    pub pickle: String,
    pub calls: u64,
}

/// Tries candidates: given the project's folder and a lab.toml of races
/// with the candidates as lanes, each (race, candidate, what it answered).
pub type Trial<'t> = &'t mut dyn FnMut(&Path, &Draft) -> Result<Vec<(String, String, Verdict)>>;

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
        let name = crate::engine::experiment::absolute(dir)?
            .file_name()
            .map_or_else(|| module.clone(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            module,
            exports,
            scan,
        })
    }

    /// The families, their candidates tried where they can be (`trial`);
    /// and why they could not be, if so.
    pub fn families(&self, dir: &Path, trial: Trial) -> (Vec<Family<'_>>, Option<String>) {
        let mut families = families::of(self);
        let triable: Vec<&Family> = families.iter().filter(|f| f.triable()).collect();
        if triable.is_empty() {
            return (families, None);
        }
        let draft = render::races(self, triable.into_iter(), true);
        match trial(dir, &draft) {
            Ok(verdicts) => {
                families::settle_all(&mut families, &verdicts);
                (families, None)
            }
            Err(e) => (
                families,
                Some(format!(
                    "candidates not tried (exports of a family's parameters without a twin of their own): {e:#}"
                )),
            ),
        }
    }
}

/// The family of `function`: the one it heads, whose twin it is, or whose
/// lane it became.
fn chosen<'f, 'a>(families: &'f [Family<'a>], wanted: &str) -> Result<&'f Family<'a>> {
    families
        .iter()
        .find(|f| f.name() == wanted)
        .or_else(|| {
            families
                .iter()
                .find(|f| f.twin.as_ref().is_some_and(|t| t.def.name == wanted))
        })
        .or_else(|| {
            families
                .iter()
                .find(|f| f.lanes().any(|l| l.name == wanted))
        })
        .with_context(|| {
            let names: Vec<&str> = families.iter().map(Family::name).collect();
            format!(
                "--function {wanted}: no exported function or twin of that name (the families: {})",
                names.join(", ")
            )
        })
}

/// What `init` wrote: the files, what it found and by which rule, and the
/// lines to fill in where it could not find one.
pub struct Written {
    pub lab_toml: PathBuf,
    pub files: Vec<PathBuf>,
    pub found: Vec<String>,
    pub others: Vec<String>,
    pub todos: Vec<String>,
    /// The races written: one per family.
    pub races: usize,
}

/// `init --list`: each family, and each export's place in it, with why.
pub fn list(dir: &Path, trial: Trial) -> Result<Vec<String>> {
    let project = Project::read(dir)?;
    let (families, untried) = project.families(dir, trial);
    let mut out: Vec<String> = families.iter().flat_map(Family::describe).collect();
    for c in &project.exports.classes {
        out.push(format!("class {}", c.name));
    }
    out.extend(untried);
    Ok(out)
}

/// Writes `dir/lab.toml` (and the `lab_inputs*.py` or `lab_scenario.py` it
/// needs) for the maturin project in `dir`: a race for every family, or for
/// the one of `--function`.
pub fn init(dir: &Path, options: &Options, trial: Trial) -> Result<Written> {
    let lab_toml = dir.join("lab.toml");
    if lab_toml.exists() {
        bail!(
            "{} exists already: race it with pyo3-lab --lab {}",
            lab_toml.display(),
            dir.display()
        );
    }
    let project = Project::read(dir)?;
    let (families, untried) = project.families(dir, trial);
    let classes = project.exports.classes.iter().map(|c| {
        format!(
            "class {}: a [scenario] races a class (docs/lab-toml.md)",
            c.name
        )
    });
    let (mut written, races) = match (&options.function, families.len()) {
        (_, 0) => (render::classes(&project), 1),
        (Some(wanted), _) => {
            let one = chosen(&families, wanted)?;
            let mut w = match recorded(&options.replays, one) {
                Some(r) => render::replayed(&project, one, &r.pickle, r.calls),
                None => render::family(&project, one, false),
            };
            w.others = families
                .iter()
                .filter(|f| f.name() != one.name())
                .map(|f| f.describe().remove(0))
                .chain(classes)
                .collect();
            (w, 1)
        }
        (None, 1) => {
            let mut w = render::family(&project, &families[0], false);
            w.others = classes.collect();
            (w, 1)
        }
        (None, n) => {
            let mut w = render::races(&project, families.iter(), false);
            w.others = classes.collect();
            (w, n)
        }
    };
    written.found.extend(untried);
    write_files(dir, &written)?;
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
        todos: written.todos,
        races,
    })
}

/// The recorded calls of `family`'s twin, if a profile kept some.
fn recorded<'r>(replays: &'r [Replay], family: &Family) -> Option<&'r Replay> {
    let twin = family.twin.as_ref()?;
    replays
        .iter()
        .find(|r| Some(&r.module) == twin.module.as_ref() && r.name == twin.def.name)
}

/// The draft's own files beside lab.toml; one that is there already stops
/// init before it writes anything.
fn write_files(dir: &Path, draft: &Draft) -> Result<()> {
    for (name, _) in &draft.files {
        let path = dir.join(name);
        if path.exists() {
            bail!(
                "{} exists already: init writes it, so move it aside first",
                path.display()
            );
        }
    }
    for (name, text) in &draft.files {
        let path = dir.join(name);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
