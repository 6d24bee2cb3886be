//! The PyPy route's worker: a Python script that PyPy runs, speaking the
//! same protocol as the CPython worker, with the same comparison and
//! scenario modules. Its files are written once to a folder named by their
//! contents, so a changed lab never runs an older script.

use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The files, by the names the script imports them as.
const FILES: [(&str, &str); 4] = [
    ("pypy_worker.py", include_str!("pypy_worker.py")),
    ("pyo3_lab_compare.py", include_str!("compare.py")),
    ("pyo3_lab_scenario.py", include_str!("scenario.py")),
    // A scenario runs each phase through `pyo3_lab.phase`, which the
    // CPython worker's native module gives for instruction counts.
    (
        "pyo3_lab.py",
        "def phase(generator):\n    return next(generator)\n",
    ),
];

/// The worker script's path, its files written first if they are not yet.
pub fn script() -> std::io::Result<PathBuf> {
    let mut hash = Sha256::new();
    for (name, text) in FILES {
        hash.update(name);
        hash.update(text);
    }
    let short: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = std::env::temp_dir().join(format!("pyo3-lab-pypy-{short}"));
    if !dir.is_dir() {
        // Written aside and renamed into place: a folder of that name is
        // always whole, even with two labs starting at once.
        let aside = dir.with_extension(format!("part-{}", std::process::id()));
        fs::create_dir_all(&aside)?;
        for (name, text) in FILES {
            fs::write(aside.join(name), text)?;
        }
        if fs::rename(&aside, &dir).is_err() && !dir.is_dir() {
            return Err(std::io::Error::other(format!(
                "could not make {}",
                dir.display()
            )));
        }
        let _ = fs::remove_dir_all(&aside);
    }
    Ok(dir.join(FILES[0].0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_and_its_modules_are_written_once_by_content() {
        let script = script().unwrap();
        assert_eq!(script, super::script().unwrap());
        let dir = script.parent().unwrap();
        for (name, text) in FILES {
            assert_eq!(fs::read_to_string(dir.join(name)).unwrap(), text);
        }
    }
}
