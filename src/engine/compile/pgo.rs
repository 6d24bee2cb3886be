//! Profile-guided builds, the steps by hand (as maturin's `--pgo` does them):
//! an instrumented build, a training run on the experiment's own calls, the
//! profiles merged by an `llvm-profdata` that reads rustc's format, then the
//! optimised build with that profile. `build.rs` runs the builds; this file
//! owns the training and the merge.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use crate::cancel::Cancel;
use crate::engine::types::Training;
use crate::worker::Worker;
use crate::worker::protocol::{Reply, Request};

/// Makes each training call once in a worker with the instrumented build
/// first on `sys.path`: the same `Call` a race sends. The profile runtime
/// writes its counts into `profiles` when the worker exits.
pub fn train(
    paths: &[PathBuf],
    calls: &Training,
    profiles: &Path,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<()> {
    if calls.0.is_empty() {
        bail!("no Rust function to train the profile on");
    }
    // `%m`: one file per instrumented module, `%p`: per process.
    let file = profiles.join("%m-%p.profraw");
    let mut worker =
        Worker::spawn_with_env(&[("LLVM_PROFILE_FILE", file.as_os_str())], paths, cancel)?;
    for call in &calls.0 {
        let request = Request::Call { call: call.clone() };
        worker
            .call(&request, None, |reply| {
                if let Reply::Line { text, .. } = reply {
                    on_line(text.clone());
                }
            })
            .map_err(|e| anyhow!("the PGO training run failed: {} {e}", call.text()))?;
        on_line(format!("pgo: trained on {}", call.text()));
    }
    worker
        .finish(WRITE_PROFILES)
        .map_err(|e| anyhow!("the PGO training run did not end well: {e}"))
}

/// How long a trained worker may take to write its profiles and exit.
const WRITE_PROFILES: Duration = Duration::from_secs(60);

/// The `llvm-profdata` tools to try, best first: rustup's llvm-tools (the
/// same LLVM as rustc), then versioned Debian ones, newest first, then the
/// plain name.
fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(o) = Command::new("rustc").args(["--print", "sysroot"]).output() {
        let sysroot = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if let Ok(entries) = std::fs::read_dir(sysroot.join("lib/rustlib")) {
            out.extend(
                entries
                    .flatten()
                    .map(|e| e.path().join("bin/llvm-profdata"))
                    .filter(|p| p.is_file()),
            );
        }
    }
    out.extend(
        (17..=23)
            .rev()
            .map(|v| PathBuf::from(format!("llvm-profdata-{v}"))),
    );
    out.push(PathBuf::from("llvm-profdata"));
    out
}

/// Merges every `.profraw` in `profiles` into `merged` with the first tool
/// that can read them; returns its name. The error names what to install.
pub fn merge(profiles: &Path, merged: &Path) -> Result<(String, usize)> {
    let raw: Vec<PathBuf> = std::fs::read_dir(profiles)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "profraw"))
        .collect();
    if raw.is_empty() {
        bail!(
            "the PGO training run left no profile in {}: did it call the extension?",
            profiles.display()
        );
    }
    let mut tried = Vec::new();
    for tool in candidates() {
        let out = Command::new(&tool)
            .arg("merge")
            .arg("-o")
            .arg(merged)
            .args(&raw)
            .output();
        match out {
            Ok(o) if o.status.success() => return Ok((tool.display().to_string(), raw.len())),
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr);
                let why = why
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("failed");
                tried.push(format!("{}: {}", tool.display(), why.trim()));
            }
            Err(_) => {} // not installed: the next one
        }
    }
    let tried = if tried.is_empty() {
        "none is installed".to_owned()
    } else {
        format!("none could read rustc's profiles ({})", tried.join("; "))
    };
    bail!(
        "PGO needs an llvm-profdata of rustc's LLVM or newer, and {tried}: run `rustup component \
         add llvm-tools`, or install Debian's llvm-19 (apt-get install llvm-19)"
    )
}
