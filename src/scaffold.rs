//! `pyo3-lab new NAME`: a new experiment folder that builds and races as it stands.
//! The files are `assets/template/`, built into the binary so `new` works anywhere.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

const TEMPLATE: [(&str, &str); 5] = [
    ("Cargo.toml", include_str!("../assets/template/Cargo.toml")),
    (
        "pyproject.toml",
        include_str!("../assets/template/pyproject.toml"),
    ),
    ("src/lib.rs", include_str!("../assets/template/src/lib.rs")),
    (
        "reference.py",
        include_str!("../assets/template/reference.py"),
    ),
    ("lab.toml", include_str!("../assets/template/lab.toml")),
];

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
pub fn new_experiment(name: &str, parent: &Path) -> Result<PathBuf> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.exists() {
        bail!(
            "{} already exists: pick another name or remove it",
            dir.display()
        );
    }
    for (file, text) in TEMPLATE {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap())
            .with_context(|| format!("cannot create {}", path.parent().unwrap().display()))?;
        fs::write(&path, text.replace("{{name}}", name))
            .with_context(|| format!("cannot write {}", path.display()))?;
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
        let dir = new_experiment("primes", parent.path()).unwrap();
        let exp = Experiment::load(&dir).unwrap();
        assert_eq!(
            (exp.key.as_str(), exp.module.as_str()),
            ("primes", "primes")
        );
        let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("mod primes {") && !lib.contains("{{name}}"));
        let again = new_experiment("primes", parent.path()).unwrap_err();
        assert!(again.to_string().contains("already exists"));
    }

    #[test]
    fn names_that_cannot_be_modules_are_refused() {
        let parent = tempfile::tempdir().unwrap();
        for bad in ["", "Primes", "1x", "my-exp", "a b"] {
            assert!(new_experiment(bad, parent.path()).is_err(), "{bad:?}");
        }
    }
}
