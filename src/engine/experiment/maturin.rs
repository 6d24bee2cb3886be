//! What a maturin project says of itself: the module it builds, and where
//! its Python code lives.

use std::path::{Path, PathBuf};

/// The files that make a folder a maturin project.
const MANIFESTS: [&str; 2] = ["Cargo.toml", "pyproject.toml"];

/// The first of a maturin project's manifests `dir` lacks; None when it is one.
pub fn missing_manifest(dir: &Path) -> Option<&'static str> {
    MANIFESTS.into_iter().find(|f| !dir.join(f).is_file())
}

fn table(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

fn string(t: &toml::Table, path: &[&str]) -> Option<String> {
    let mut v = t.get(path[0])?;
    for key in &path[1..] {
        v = v.get(key)?;
    }
    v.as_str().map(str::to_owned)
}

/// The Python module maturin builds: `[tool.maturin] module-name`, else the
/// crate's `[lib] name`, else its package name. In a mixed project without a
/// module-name, a package folder named like the crate holds the extension
/// as its submodule (`word_count/word_count.so`): `word_count.word_count`.
pub fn module_name(dir: &Path) -> Option<String> {
    let pyproject = table(&dir.join("pyproject.toml"))?;
    if let Some(name) = string(&pyproject, &["tool", "maturin", "module-name"]) {
        return Some(name);
    }
    let cargo = table(&dir.join("Cargo.toml"))?;
    let name = string(&cargo, &["lib", "name"])
        .or_else(|| string(&cargo, &["package", "name"]).map(|n| n.replace('-', "_")))?;
    let package = python_source(dir).join(&name).join("__init__.py");
    Some(if package.is_file() {
        format!("{name}.{name}")
    } else {
        name
    })
}

/// The folder maturin takes a mixed project's Python packages from:
/// `[tool.maturin] python-source`, else the project's own folder.
pub fn python_source(dir: &Path) -> PathBuf {
    table(&dir.join("pyproject.toml"))
        .and_then(|t| string(&t, &["tool", "maturin", "python-source"]))
        .map_or_else(|| dir.to_path_buf(), |s| dir.join(s))
}

/// The crate root maturin compiles: `[lib] path`, else `src/lib.rs`.
pub fn crate_root(dir: &Path) -> PathBuf {
    table(&dir.join("Cargo.toml"))
        .and_then(|t| string(&t, &["lib", "path"]))
        .map_or_else(|| dir.join("src/lib.rs"), |p| dir.join(p))
}
