//! The Python packages an experiment asks for (`requires` in lab.toml and its
//! pyproject's `[project] dependencies`), installed by pip into a folder of
//! their own per requirement set: two experiments that ask for conflicting
//! versions never meet, and a set installed once is reused until it changes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::bootstrap::Toolchain;
use super::pip;
use crate::cancel::Cancel;
use crate::engine::files::hex;
use crate::engine::home::places::Home;

/// What `ensure` found or made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Installed {
    /// The requirements, as lab.toml and pyproject.toml give them.
    pub requires: Vec<String>,
    /// What pip resolved, `numpy 2.3.5`, dependencies included.
    pub versions: Vec<String>,
    /// How long pip took when it last installed the set.
    pub seconds: f64,
}

/// The folder a requirement set is installed in: put on the workers' `sys.path`.
fn dir(home: &Home, toolchain: &Toolchain, requires: &[String]) -> PathBuf {
    let mut sorted = requires.to_vec();
    sorted.sort();
    sorted.dedup();
    let key = format!("python {}\n{}", toolchain.python_version, sorted.join("\n"));
    home.packages().join(&hex(&Sha256::digest(key))[..16])
}

/// The folder a worker puts on `sys.path` for these requirements; None when
/// there are none.
pub fn dir_for(home: &Home, toolchain: &Toolchain, requires: &[String]) -> Option<PathBuf> {
    (!requires.is_empty()).then(|| dir(home, toolchain, requires))
}

const MARKER: &str = ".pyo3-lab-installed.json";

/// The set in `dir`, when a whole install of it is there.
pub fn existing(dir: &Path) -> Option<Installed> {
    serde_json::from_slice(&fs::read(dir.join(MARKER)).ok()?).ok()
}

/// Installs `requires` unless they are there already; pip's output goes to
/// `on_line` as it comes. The error names the requirements and pip's reason.
pub fn ensure(
    home: &Home,
    toolchain: &Toolchain,
    requires: &[String],
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<(Installed, bool)> {
    let target = dir(home, toolchain, requires);
    if let Some(installed) = existing(&target) {
        return Ok((installed, true));
    }
    // Into a staging folder first: an interrupted install never passes for one.
    let staging = target.with_extension("partial");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;
    on_line(format!("pip install {}", requires.join(" ")));
    let started = Instant::now();
    let mut args: Vec<String> = [
        "--progress-bar",
        "off",
        "--no-warn-script-location",
        "--target",
    ]
    .map(String::from)
    .to_vec();
    args.push(staging.to_string_lossy().into_owned());
    args.extend(requires.iter().cloned());
    let installed = pip::install(
        toolchain.venv_python.as_path(),
        &args,
        &home.packages(),
        false,
        cancel,
        on_line,
    );
    if let Err(reason) = installed {
        let reason = match reason {
            pip::PipError::NotRun(e) => return Err(e),
            refused => refused,
        };
        bail!(
            "pip could not install {} ({reason}): check requires in lab.toml (and the crate's \
             pyproject dependencies), and that the package index is reachable (pip config list; \
             PIP_INDEX_URL)",
            requires.join(", ")
        );
    }
    let installed = Installed {
        requires: requires.to_vec(),
        versions: versions(&staging),
        seconds: started.elapsed().as_secs_f64(),
    };
    fs::write(staging.join(MARKER), serde_json::to_vec_pretty(&installed)?)?;
    if target.exists() {
        fs::remove_dir_all(&target)?;
    }
    fs::rename(&staging, &target).map_err(|e| anyhow!("cannot keep {}: {e}", target.display()))?;
    Ok((installed, false))
}

/// `name version` of every distribution in `dir`, from its `.dist-info` folder.
fn versions(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (package, version) = name.strip_suffix(".dist-info")?.rsplit_once('-')?;
            Some(format!("{package} {version}"))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_dist_info_folders() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["numpy-2.3.5.dist-info", "numpy", "six-1.17.0.dist-info"] {
            fs::create_dir(dir.path().join(d)).unwrap();
        }
        assert_eq!(versions(dir.path()), ["numpy 2.3.5", "six 1.17.0"]);
    }
}
