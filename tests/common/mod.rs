//! Shared by the integration tests: the real binary and one lab home for all
//! of them, so the maturin builds happen once per clean checkout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pyo3-lab")
}

pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lab home every test shares; the lab's own lock serialises its set-up.
pub fn home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("lab-home")
}

pub fn lab(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .arg("--home")
        .arg(home())
        .current_dir(project())
        .output()
        .expect("pyo3-lab runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
