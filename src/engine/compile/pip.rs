//! pip, run for the lab: maturin into its venv at set-up, an experiment's
//! packages into their folder. One way to run it, one way to say why it failed.

use std::path::Path;

use super::stream;
use crate::cancel::Cancel;

/// Why an install did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PipError {
    /// pip could not be run at all (or the install was cancelled).
    #[error(transparent)]
    NotRun(#[from] anyhow::Error),
    /// pip ran and refused: its own reason, its conclusion, its last error,
    /// but for a conflict the first (the last only points to the docs, the
    /// first names the packages).
    #[error("{0}")]
    Refused(String),
}

/// `python -m pip install ARGS`, its output to `on_line`; `yield_cpu`: at a
/// lower priority (`stream::yielding`).
pub fn install(
    python: &Path,
    args: &[String],
    dir: &Path,
    yield_cpu: bool,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<(), PipError> {
    let mut all: Vec<String> = [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
    ]
    .map(String::from)
    .to_vec();
    all.extend(args.iter().cloned());
    let mut command = duct::cmd(python, all);
    if yield_cpu {
        command = stream::yielding(command);
    }
    let (ok, lines) = stream::lines(command, dir, cancel, on_line)?;
    if cancel.is_cancelled() {
        return Err(anyhow::anyhow!("cancelled").into());
    }
    if ok {
        return Ok(());
    }
    let errors: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("ERROR: "))
        .filter(|l| !l.starts_with("ResolutionImpossible") && !l.starts_with("Ignored "))
        .collect();
    let reason = errors
        .iter()
        .find(|l| l.starts_with("Cannot install"))
        .or(errors.last())
        .copied()
        .or_else(|| lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty()))
        .unwrap_or("no output");
    Err(PipError::Refused(reason.to_owned()))
}
