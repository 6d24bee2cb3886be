//! pip, run for the lab: maturin into its venv at set-up, an experiment's
//! packages into their folder. One way to run it, one way to say why it failed.

use std::path::Path;

use anyhow::{Result, bail};

use super::stream;
use crate::cancel::Cancel;

/// `python -m pip install ARGS`, its output to `on_line`. The outer error is
/// pip that could not run (or a cancel); the inner one pip's own reason for
/// failing: its conclusion, its last error, but for a conflict the first
/// (the last only points to the docs, the first names the packages).
pub fn install(
    python: &Path,
    args: &[String],
    dir: &Path,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<Result<(), String>> {
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
    let (ok, lines) = stream::lines(duct::cmd(python, all), dir, cancel, on_line)?;
    if cancel.is_cancelled() {
        bail!("cancelled");
    }
    if ok {
        return Ok(Ok(()));
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
    Ok(Err(reason.to_owned()))
}
