//! Whose code a source file is, from its path in the line tables: the
//! crate's own, PyO3's, Rust's standard library, CPython's headers. Release
//! builds inline across crates, so a function's symbol says little about
//! whose lines it runs; the file each line came from does.

use std::collections::HashMap;
use std::path::Path;

use crate::engine::types::Category;

/// The crates that make up the boundary between Python and Rust.
const BOUNDARY_CRATES: [&str; 6] = [
    "pyo3",
    "pyo3-ffi",
    "pyo3-macros",
    "pyo3-macros-backend",
    "pyo3-build-config",
    "numpy",
];

/// Where Rust's own library sits in the paths rustc records, besides its
/// source as the Rust project built it (`/rustc/<commit>/library/core/...`):
/// a local `rust-src` component, and the crates the standard library vendors.
const STD_MARKS: [&str; 2] = ["/lib/rustlib/src/rust/library/", "/rust/deps/"];

/// The category of code from `path`, or None when callgrind knows no file
/// (`???`): then the function's symbol decides. `crate_dir` is the folder of
/// the lane's crate.
pub fn category(path: &str, crate_dir: Option<&Path>) -> Option<Category> {
    if path.is_empty() || path == "???" {
        return None;
    }
    if own_file(path, crate_dir).is_some() {
        return Some(Category::Crate);
    }
    if path.starts_with("/rustc/") || STD_MARKS.iter().any(|m| path.contains(m)) {
        return Some(Category::RustStd);
    }
    if let Some(name) = registry_crate(path) {
        return Some(if BOUNDARY_CRATES.contains(&name) {
            Category::Pyo3
        } else {
            // A dependency the crate chose is its code.
            Category::Crate
        });
    }
    // CPython's inline functions, from its headers. A `.c` file inside an
    // extension is its own: the C that Cython or mypyc generated from the
    // lane's Python, or a C dependency the crate builds.
    if path.ends_with(".h") {
        return Some(Category::Cpython);
    }
    Some(Category::Crate)
}

/// `path` within the lane's own crate folder (`src/lib.rs`), or None for a
/// file of anyone else's (its dependencies' too).
pub fn own_file<'p>(path: &'p str, crate_dir: Option<&Path>) -> Option<&'p Path> {
    Path::new(path).strip_prefix(crate_dir?).ok()
}

/// The name of the crates.io crate a path is in: `pyo3` of
/// `~/.cargo/registry/src/index.crates.io-…/pyo3-0.30.1/src/conversion.rs`.
fn registry_crate(path: &str) -> Option<&str> {
    let (_, rest) = path.split_once("/registry/src/")?;
    let folder = rest.split('/').nth(1)?;
    let (name, version) = folder.rsplit_once('-')?;
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(name)
}

/// A path as a flame graph's frame names it: within its crate or library
/// (`pyo3-0.30.1/src/impl_/trampoline.rs`, `core/src/iter/range.rs`), else
/// its last three parts.
pub fn short(path: &str) -> String {
    if let Some((_, rest)) = path.split_once("/registry/src/") {
        return rest.split_once('/').map_or(rest, |(_, r)| r).to_owned();
    }
    if path.starts_with("/rustc/")
        && let Some((_, rest)) = path.split_once("/library/")
    {
        return rest.to_owned();
    }
    for mark in STD_MARKS {
        if let Some((_, rest)) = path.split_once(mark) {
            return rest.to_owned();
        }
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    parts[parts.len().saturating_sub(3)..].join("/")
}

/// Source files read once each, for the text of their lines.
#[derive(Default)]
pub struct Sources(HashMap<String, Option<Vec<String>>>);

impl Sources {
    /// Line `line` (from 1) of `path` as it is on disk, trimmed; None when
    /// the file cannot be read or is shorter.
    pub fn line(&mut self, path: &str, line: u32) -> Option<&str> {
        let lines = self.0.entry(path.to_owned()).or_insert_with(|| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.lines().map(|l| l.trim().to_owned()).collect())
        });
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        lines.as_ref()?.get(index).map(String::as_str)
    }
}

/// Code a PyO3 attribute macro wrote (the `#[pyfunction]` wrapper) is
/// charged to the attribute's line: it is PyO3's glue, not the crate's loop.
pub fn is_pyo3_attribute(text: &str) -> bool {
    text.starts_with("#[py")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &str = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f";

    #[test]
    fn files_are_charged_to_whose_code_they_are() {
        let dir = Path::new("/work/lab/collatz");
        let of = |p: &str| category(p, Some(dir));
        assert_eq!(of("/work/lab/collatz/src/lib.rs"), Some(Category::Crate));
        assert_eq!(
            of(&format!("{REGISTRY}/pyo3-0.30.1/src/impl_/trampoline.rs")),
            Some(Category::Pyo3)
        );
        assert_eq!(
            of(&format!("{REGISTRY}/pyo3-ffi-0.30.1/src/object.rs")),
            Some(Category::Pyo3)
        );
        assert_eq!(
            of("/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/result.rs"),
            Some(Category::RustStd)
        );
        assert_eq!(
            of(&format!("{REGISTRY}/ndarray-0.16.1/src/impl_methods.rs")),
            Some(Category::Crate),
            "a dependency is the crate's code"
        );
        assert_eq!(
            of("/tmp/python-build/Python-3.11.7/Include/object.h"),
            Some(Category::Cpython)
        );
        assert_eq!(of("???"), None);
        assert_eq!(
            of("/work/lab/collatz-other/src/lib.rs"),
            Some(Category::Crate),
            "a folder that only begins like the crate's is not it, but still no one else's"
        );
    }

    #[test]
    fn paths_are_shortened_to_their_crate_or_library() {
        assert_eq!(
            short(&format!("{REGISTRY}/pyo3-0.30.1/src/impl_/trampoline.rs")),
            "pyo3-0.30.1/src/impl_/trampoline.rs"
        );
        assert_eq!(
            short("/rustc/5980761/library/core/src/iter/range.rs"),
            "core/src/iter/range.rs"
        );
        assert_eq!(short("/work/lab/collatz/src/lib.rs"), "collatz/src/lib.rs");
    }

    #[test]
    fn a_line_is_read_from_the_file_as_it_is() {
        let dir = std::env::temp_dir().join(format!("pyo3-lab-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lib.rs");
        std::fs::write(&file, "fn a() {\n    let x = 1;\n}\n").unwrap();
        let mut sources = Sources::default();
        let path = file.to_string_lossy();
        assert_eq!(sources.line(&path, 2), Some("let x = 1;"));
        assert_eq!(sources.line(&path, 0), None);
        assert_eq!(sources.line(&path, 9), None);
        assert_eq!(sources.line("/no/such/file.rs", 1), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
