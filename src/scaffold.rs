//! `pyo3-lab new NAME [--numpy | --class | --routes]`: a new experiment
//! folder that builds and races as it stands. The files are
//! `assets/template/` (or `template_numpy/`, `template_class/`; `--routes`
//! takes the first with `lab_routes.toml`), built into the binary so `new`
//! works anywhere.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

type Template = [(&'static str, &'static str); 5];

/// The files of a template folder under `assets/`, each with its path in
/// the new experiment: one list, whichever template.
macro_rules! template {
    ($folder:literal) => {
        [
            // `.tmpl`: a folder holding a Cargo.toml is a package of its own
            // to cargo, which `cargo package` would leave out.
            (
                "Cargo.toml",
                include_str!(concat!("../assets/", $folder, "/Cargo.toml.tmpl")),
            ),
            (
                "pyproject.toml",
                include_str!(concat!("../assets/", $folder, "/pyproject.toml")),
            ),
            (
                "src/lib.rs",
                include_str!(concat!("../assets/", $folder, "/src/lib.rs")),
            ),
            (
                "reference.py",
                include_str!(concat!("../assets/", $folder, "/reference.py")),
            ),
            (
                "lab.toml",
                include_str!(concat!("../assets/", $folder, "/lab.toml")),
            ),
        ]
    };
}

/// Prime counting: one Python function, one Rust port.
const TEMPLATE: Template = template!("template");

/// A numpy kernel: a loop, numpy, and Rust from a list and from an array.
const NUMPY: Template = template!("template_numpy");

/// A class: a Python class and its #[pyclass] port, raced through a scenario.
const CLASS: Template = template!("template_class");

/// The function template's lab.toml with every route beside the Rust port.
const ROUTES_LAB_TOML: &str = include_str!("../assets/template/lab_routes.toml");

/// Which experiment `new` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Function,
    Numpy,
    Class,
    /// The function, and the routes beside the Rust port: Cython, mypyc, Numba.
    Routes,
}

impl Kind {
    fn template(self) -> Template {
        match self {
            Kind::Function => TEMPLATE,
            Kind::Numpy => NUMPY,
            Kind::Class => CLASS,
            Kind::Routes => TEMPLATE.map(|(file, text)| match file {
                "lab.toml" => (file, ROUTES_LAB_TOML),
                _ => (file, text),
            }),
        }
    }
}

/// A name that works as a crate, a Python module and a folder alike.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!(
            "{name:?} cannot name an experiment: use lowercase letters, digits and _, \
             starting with a letter (it becomes the crate and the Python module name)"
        );
    }
    Ok(())
}

/// Writes the experiment into `parent/name` and returns that folder.
pub fn new_experiment(name: &str, parent: &Path, kind: Kind) -> Result<PathBuf> {
    let files = kind
        .template()
        .map(|(file, text)| (file, text.replace("{{name}}", name)));
    write_experiment(name, parent, &files)
}

/// The crate files every experiment starts from (Cargo.toml, pyproject.toml),
/// named `name`.
pub fn crate_files(name: &str) -> [(&'static str, String); 2] {
    // The template macro lists them first, in this order.
    [TEMPLATE[0], TEMPLATE[1]].map(|(file, text)| (file, text.replace("{{name}}", name)))
}

/// Writes `files` (path in the folder, text) into a new folder `parent/name`
/// and returns it: a name that works as crate, module and folder alike, and
/// a folder that is not there yet.
pub fn write_experiment(name: &str, parent: &Path, files: &[(&str, String)]) -> Result<PathBuf> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.exists() {
        bail!(
            "{} already exists: pick another name or remove it",
            dir.display()
        );
    }
    for (file, text) in files {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap())
            .with_context(|| format!("cannot create {}", path.parent().unwrap().display()))?;
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::experiment::Experiment;

    #[test]
    fn the_scaffold_is_a_loadable_experiment() {
        let parent = tempfile::tempdir().unwrap();
        let dir = new_experiment("primes", parent.path(), Kind::Function).unwrap();
        let exp = Experiment::load(&dir).unwrap();
        assert_eq!(
            (exp.key.as_str(), exp.module.as_str()),
            ("primes", "primes")
        );
        let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("mod primes {") && !lib.contains("{{name}}"));
        let again = new_experiment("primes", parent.path(), Kind::Function).unwrap_err();
        assert!(again.to_string().contains("already exists"));
    }

    #[test]
    fn the_numpy_scaffold_asks_for_numpy_and_gives_each_lane_its_form() {
        let parent = tempfile::tempdir().unwrap();
        let dir = new_experiment("rough", parent.path(), Kind::Numpy).unwrap();
        let exp = Experiment::load(&dir).unwrap();
        assert_eq!(
            exp.requires,
            ["numpy>=2"],
            "lab.toml's and pyproject's, once"
        );
        assert!(exp.has_own_setups());
        assert!(exp.tolerance.rel_tol > 0.0);
        assert_eq!(exp.python.len() + exp.rust.len(), 4);
    }

    #[test]
    fn the_class_scaffold_races_a_class_through_a_scenario() {
        let parent = tempfile::tempdir().unwrap();
        let dir = new_experiment("bins", parent.path(), Kind::Class).unwrap();
        let exp = Experiment::load(&dir).unwrap();
        let scenario = exp.scenario.as_ref().expect("a [scenario]");
        assert_eq!(
            (scenario.module.as_str(), scenario.function.as_str()),
            ("reference", "workload")
        );
        assert_eq!(exp.python[0].key, "[python] file and class");
        assert_eq!(exp.rust[0].function, "Histogram");
        let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("mod bins {") && lib.contains("#[pyclass]"));
    }

    #[test]
    fn the_routes_scaffold_races_every_route_beside_the_port() {
        use crate::engine::types::Route;
        let parent = tempfile::tempdir().unwrap();
        let dir = new_experiment("primes", parent.path(), Kind::Routes).unwrap();
        let exp = Experiment::load(&dir).unwrap();
        let routes: Vec<Option<Route>> = exp.python.iter().map(|p| p.route).collect();
        assert_eq!(
            routes,
            [
                None,
                Some(Route::Cython),
                Some(Route::Mypyc),
                Some(Route::Numba)
            ]
        );
        for route in [Route::Cython, Route::Mypyc, Route::Numba] {
            let pin = route.requirement().expect("a pip-installed tool");
            assert!(exp.requires.iter().any(|r| r == pin));
        }
        assert_eq!(exp.rust[0].function, "count_primes");
    }

    #[test]
    fn names_that_cannot_be_modules_are_refused() {
        let parent = tempfile::tempdir().unwrap();
        for bad in ["", "Primes", "1x", "my-exp", "a b"] {
            assert!(
                new_experiment(bad, parent.path(), Kind::Numpy).is_err(),
                "{bad:?}"
            );
        }
    }
}
