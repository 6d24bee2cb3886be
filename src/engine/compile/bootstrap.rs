//! Step 1 of the chapter, done for the user: a virtual environment of the right
//! Python with a pinned maturin in it, created once and reused.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use super::{pip, stream};
use crate::cancel::Cancel;
use crate::engine::event::{Event, Sink};
use crate::engine::home::places::Home;

pub const MATURIN_VERSION: &str = "1.16.0";

/// The Python version the embedded interpreter was built against ("3.11").
pub const EMBEDDED_PYTHON: &str = env!("PYO3_LAB_EMBEDDED_PYTHON");

/// What the lab found or made.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub python_version: String,
    pub venv_python: PathBuf,
    pub site_packages: PathBuf,
    pub maturin: PathBuf,
    pub maturin_version: String,
}

#[derive(Deserialize)]
struct PyFacts {
    version: String,
    short: String,
    purelib: PathBuf,
    has_venv: bool,
    has_pip: bool,
}

const FACTS: &str = "import json, sys, sysconfig, importlib.util as u; \
print(json.dumps({'version': sys.version.split()[0], \
'short': '%d.%d' % sys.version_info[:2], \
'purelib': sysconfig.get_paths()['purelib'], \
'has_venv': u.find_spec('venv') is not None and u.find_spec('ensurepip') is not None, \
'has_pip': u.find_spec('pip') is not None}))";

/// The interpreter to build the venv from: `--python`, else the one this binary
/// was compiled against, else `python3` on the PATH.
pub fn default_python() -> PathBuf {
    option_env!("PYO3_LAB_BUILD_PYTHON")
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

fn facts(python: &Path) -> Result<PyFacts> {
    let out = Command::new(python)
        .args(["-c", FACTS])
        .output()
        .map_err(|e| {
            anyhow!(
                "cannot run Python ({}: {e}): install Python {EMBEDDED_PYTHON} \
             (Debian: apt-get install python3 python3-venv) or pass --python PATH",
                python.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("unexpected answer from Python")
}

/// Makes sure the venv and maturin are there, creating what is missing. A
/// new venv is made without pip, and `ahead` told of its interpreter (path,
/// "3.11") before pip and maturin go in: a build can start meanwhile (it
/// says whether one did, and pip then yields it the CPU).
pub fn ensure(
    home: &Home,
    python: &Path,
    sink: &Sink,
    ahead: &mut dyn FnMut(&Path, &str) -> bool,
) -> Result<Toolchain> {
    let venv_python = home.venv_bin("python");
    let reusable =
        venv_python.exists() && facts(&venv_python).is_ok_and(|f| f.short == EMBEDDED_PYTHON);
    let mut yielding = false;
    if !reusable {
        create_venv(home, python, sink)?;
        yielding = ahead(&venv_python, EMBEDDED_PYTHON);
    }
    let venv = facts(&venv_python)?;
    let maturin = home.venv_bin("maturin");
    let maturin_version = match installed_maturin(&maturin) {
        Some(v) if v == MATURIN_VERSION => v,
        _ => {
            if !venv.has_pip {
                install_pip(&venv_python, sink, yielding)?;
            }
            install_maturin(&venv_python, sink, yielding)?;
            installed_maturin(&maturin)
                .ok_or_else(|| anyhow!("maturin was installed but does not run"))?
        }
    };
    Ok(Toolchain {
        python_version: venv.version,
        venv_python,
        site_packages: venv.purelib,
        maturin,
        maturin_version,
    })
}

fn create_venv(home: &Home, python: &Path, sink: &Sink) -> Result<()> {
    let base = facts(python)?;
    if base.short != EMBEDDED_PYTHON {
        bail!(
            "{} is Python {}, but pyo3-lab embeds Python {EMBEDDED_PYTHON}: an extension built \
             for one does not load into the other. Pass --python with a {EMBEDDED_PYTHON} \
             interpreter, or rebuild pyo3-lab with PYO3_PYTHON pointing at {}",
            python.display(),
            base.version,
            python.display()
        );
    }
    if !base.has_venv {
        bail!(
            "{} has no `venv` module: install it (Debian: apt-get install python3-venv)",
            python.display()
        );
    }
    let venv = home.venv();
    sink(Event::Status(format!(
        "creating the virtual environment {} (Python {})",
        venv.display(),
        base.version
    )));
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .with_context(|| format!("cannot remove the stale venv {}", venv.display()))?;
    }
    let args = [
        "-m".as_ref(),
        "venv".as_ref(),
        "--without-pip".as_ref(),
        venv.as_os_str(),
    ];
    run_python(python, &args, false)
}

/// pip into a venv made without it, as `python -m venv` would have put it.
fn install_pip(venv_python: &Path, sink: &Sink, yielding: bool) -> Result<()> {
    sink(Event::Status("installing pip into the lab's venv".into()));
    run_python(
        venv_python,
        &["-m", "ensurepip", "--upgrade", "--default-pip"].map(OsStr::new),
        yielding,
    )
}

/// `python ARGS`, its output kept for the error should it fail; at a lower
/// priority when `yielding`.
fn run_python(python: &Path, args: &[&OsStr], yielding: bool) -> Result<()> {
    let mut command = duct::cmd(python, args);
    if yielding {
        command = stream::yielding(command);
    }
    let out = command
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    if !out.status.success() {
        bail!(
            "`{} {}` failed: {}",
            python.display(),
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    Ok(())
}

fn installed_maturin(maturin: &Path) -> Option<String> {
    let out = Command::new(maturin).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace().nth(1).map(str::to_owned)
}

fn install_maturin(venv_python: &Path, sink: &Sink, yielding: bool) -> Result<()> {
    sink(Event::Status(format!(
        "installing maturin {MATURIN_VERSION} into the lab's venv"
    )));
    let spec = format!("maturin=={MATURIN_VERSION}");
    let venv = venv_python.parent().unwrap_or(venv_python);
    match pip::install(
        venv_python,
        &[spec],
        venv,
        yielding,
        &Cancel::new(),
        &mut |_| {},
    ) {
        Ok(()) => Ok(()),
        Err(pip::PipError::NotRun(e)) => Err(e),
        Err(reason @ pip::PipError::Refused(_)) => bail!(
            "pip could not install maturin {MATURIN_VERSION} ({reason}): check that the package \
             index is reachable (pip config list; PIP_INDEX_URL), then run the lab again"
        ),
    }
}
