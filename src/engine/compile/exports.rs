//! What a built extension module offers Python: its `PyInit_<name>` entry
//! point. CPython imports `a.b.name` by calling `PyInit_name` in the module's
//! file; a crate whose `#[pymodule]` has another name (or none) builds
//! cleanly and fails only at import, so the build step checks it, as
//! maturin's own warning does.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSection, ObjectSymbol};

/// The module's file, once it is known to parse as one.
fn read(module: &Path) -> Result<Vec<u8>> {
    let bytes = fs::read(module).with_context(|| format!("cannot read {}", module.display()))?;
    object::File::parse(&*bytes)
        .with_context(|| format!("{} is not a shared library", module.display()))?;
    Ok(bytes)
}

/// Bytes of the module's file that are debug information (`.debug_*`
/// sections): the line tables `--instructions` reads. Python never loads
/// them, so the module's size as shipped is the file's without them.
pub fn debug_bytes(module: &Path) -> Result<u64> {
    let bytes = read(module)?;
    let file = object::File::parse(&*bytes)?;
    Ok(file
        .sections()
        .filter(|s| s.name().is_ok_and(|n| n.starts_with(".debug")))
        .filter_map(|s| s.file_range().map(|(_, size)| size))
        .sum())
}

/// Every `PyInit_*` the module's file exports, without the prefix.
fn init_names(module: &Path) -> Result<Vec<String>> {
    let bytes = read(module)?;
    let file = object::File::parse(&*bytes)?;
    let mut names: Vec<String> = file
        .dynamic_symbols()
        .filter(|s| s.is_definition() && s.is_global())
        .filter_map(|s| s.name().ok()?.strip_prefix("PyInit_").map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Fails unless `module` defines `PyInit_<its name>`: the name maturin gave
/// its file (`sleepy` of `sleepy.cpython-311-x86_64-linux-gnu.so`), which is
/// what Python calls on import. One sentence names the `#[pymodule]` it has
/// instead, if any, and lab.toml's `module` (`lab_module`; the file's name
/// where there is none).
pub fn check_init(module: &Path, lab_module: Option<&str>) -> Result<()> {
    let file = module.file_name().unwrap_or_default().to_string_lossy();
    let wanted = file.split('.').next().unwrap_or_default();
    let lab_module = lab_module.unwrap_or(wanted);
    let found = init_names(module)?;
    if found.iter().any(|n| n == wanted) {
        return Ok(());
    }
    match found.as_slice() {
        [] => bail!(
            "{file} defines no PyInit_{wanted}, so `import {lab_module}` would fail: the crate \
             has no #[pymodule]; add `#[pymodule] mod {wanted} {{ ... }}` to its lib.rs"
        ),
        names => bail!(
            "{file} defines PyInit_{} (#[pymodule] {}), but lab.toml's module is `{lab_module}`, \
             built as {wanted}, which needs PyInit_{wanted}: rename the #[pymodule] to {wanted}",
            names.join(", PyInit_"),
            names.join(", ")
        ),
    }
}
