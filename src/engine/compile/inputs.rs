//! What a maturin build is made from, and so what decides whether it must be
//! made again: the manifests, the lock file, `build.rs`, the Rust sources and,
//! in a mixed project, the package's Python sources. Nothing else in the
//! experiment folder (lab.toml, reference.py, notes) triggers a rebuild.
//! Symlinks are followed, loops are cut, and every I/O error names its path.

use crate::engine::files::{hex, is_output};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// The files at the top of a crate that maturin reads.
const TOP_FILES: [&str; 4] = ["Cargo.toml", "Cargo.lock", "pyproject.toml", "build.rs"];

/// A crate's build inputs as read at one moment: each file's digest, and one
/// hash of them all with what else shapes the build (variant, Python,
/// maturin). Read twice, at a build's start and end, they say whether the
/// files changed while cargo was reading them, and which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    pub hash: String,
    files: BTreeMap<PathBuf, [u8; 32]>,
}

impl Inputs {
    pub fn read(crate_dir: &Path, salt: &str) -> Result<Self> {
        let mut names = Vec::new();
        for name in TOP_FILES {
            if crate_dir.join(name).exists() {
                names.push(PathBuf::from(name));
            }
        }
        let mut seen = HashSet::new();
        for dir in source_dirs(crate_dir) {
            if crate_dir.join(&dir).is_dir() {
                collect_files(crate_dir, &crate_dir.join(&dir), &mut names, &mut seen)?;
            }
        }
        let mut files = BTreeMap::new();
        for rel in names {
            let path = crate_dir.join(&rel);
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            files.insert(rel, Sha256::digest(&bytes).into());
        }
        // BTreeMap order: the same files always hash in the same order.
        let mut hasher = Sha256::new();
        hasher.update(salt.as_bytes());
        for (rel, digest) in &files {
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update(digest);
        }
        Ok(Self {
            hash: hex(&hasher.finalize()),
            files,
        })
    }

    /// The first file (added, removed or edited) that differs in `later`,
    /// leaving out `Cargo.lock`, which a build may write itself.
    pub fn changed_in(&self, later: &Inputs) -> Option<PathBuf> {
        let lock = Path::new("Cargo.lock");
        let names: BTreeSet<&PathBuf> = self.files.keys().chain(later.files.keys()).collect();
        names
            .into_iter()
            .find(|name| *name != lock && self.files.get(*name) != later.files.get(*name))
            .cloned()
    }
}

/// The hash of a crate's build inputs (see [`Inputs`]).
pub fn inputs_hash(crate_dir: &Path, salt: &str) -> Result<String> {
    Ok(Inputs::read(crate_dir, salt)?.hash)
}

/// The folders whose files go into the build: `src/`, and a mixed project's
/// Python package (`[tool.maturin] python-source`, else a folder named after
/// the package of `module-name` when it holds an `__init__.py`).
fn source_dirs(crate_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("src")];
    let pyproject: Option<toml::Table> = fs::read_to_string(crate_dir.join("pyproject.toml"))
        .ok()
        .and_then(|t| t.parse().ok());
    let maturin = pyproject
        .as_ref()
        .and_then(|p| p.get("tool")?.get("maturin")?.as_table().cloned());
    let get = |key: &str| {
        maturin
            .as_ref()
            .and_then(|m| m.get(key)?.as_str().map(str::to_owned))
    };
    if let Some(source) = get("python-source") {
        dirs.push(PathBuf::from(source));
    } else if let Some(package) = get("module-name")
        .or_else(|| {
            pyproject
                .as_ref()
                .and_then(|p| p.get("project")?.get("name")?.as_str().map(str::to_owned))
        })
        .and_then(|m| m.split('.').next().map(str::to_owned))
        && crate_dir.join(&package).join("__init__.py").is_file()
    {
        dirs.push(PathBuf::from(package));
    }
    dirs
}

/// Every file under `dir`, following symlinks; a folder reached twice (a
/// symlink loop, or two links to one place) is read once.
fn collect_files(
    base: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut HashSet<PathBuf>,
) -> Result<()> {
    let real =
        fs::canonicalize(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    if !seen.insert(real) {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_none_or(|n| is_output(&n)) {
            continue;
        }
        // metadata() follows a symlink to what it points at.
        let meta =
            fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            collect_files(base, &path, out, seen)?;
        } else if path.extension().is_none_or(|e| e != "so" && e != "pyc") {
            out.push(path.strip_prefix(base)?.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        fs::write(dir.path().join("src/lib.rs"), "fn a() {}\n").unwrap();
        dir
    }

    #[test]
    fn the_hash_follows_sources_not_outputs() {
        let dir = crate_dir();
        let before = inputs_hash(dir.path(), "debug").unwrap();
        fs::create_dir_all(dir.path().join("target/debug")).unwrap();
        fs::write(dir.path().join("target/debug/junk"), "x").unwrap();
        assert_eq!(
            inputs_hash(dir.path(), "debug").unwrap(),
            before,
            "target/ ignored"
        );
        assert_ne!(
            inputs_hash(dir.path(), "release").unwrap(),
            before,
            "variant counts"
        );
        fs::write(dir.path().join("src/lib.rs"), "fn b() {}\n").unwrap();
        let edited = inputs_hash(dir.path(), "debug").unwrap();
        assert_ne!(edited, before, "a source edit counts");
        fs::write(dir.path().join("src/other.rs"), "fn c() {}\n").unwrap();
        assert_ne!(
            inputs_hash(dir.path(), "debug").unwrap(),
            edited,
            "a new file counts"
        );
    }

    #[test]
    fn what_maturin_does_not_read_never_rebuilds() {
        let dir = crate_dir();
        let before = inputs_hash(dir.path(), "debug").unwrap();
        for (file, text) in [
            ("lab.toml", "name = \"x\""),
            ("reference.py", "def f(): pass"),
            ("NOTES.md", "an idea"),
        ] {
            fs::write(dir.path().join(file), text).unwrap();
        }
        assert_eq!(inputs_hash(dir.path(), "debug").unwrap(), before);
        fs::write(dir.path().join("Cargo.lock"), "# lock").unwrap();
        assert_ne!(
            inputs_hash(dir.path(), "debug").unwrap(),
            before,
            "the lock counts"
        );
    }

    #[test]
    fn a_mixed_projects_python_package_counts() {
        let dir = crate_dir();
        fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.maturin]\npython-source = \"python\"\nmodule-name = \"pkg._core\"\n",
        )
        .unwrap();
        fs::create_dir_all(dir.path().join("python/pkg")).unwrap();
        fs::write(dir.path().join("python/pkg/__init__.py"), "").unwrap();
        let before = inputs_hash(dir.path(), "debug").unwrap();
        fs::write(dir.path().join("python/pkg/pure.py"), "def f(): pass").unwrap();
        assert_ne!(inputs_hash(dir.path(), "debug").unwrap(), before);
    }

    #[test]
    fn symlinks_are_followed_and_loops_cut() {
        let other = crate_dir();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"y\"\n").unwrap();
        std::os::unix::fs::symlink(other.path().join("src"), dir.path().join("src")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("src"), other.path().join("src/again")).unwrap();
        let before = inputs_hash(dir.path(), "debug").expect("a linked src/ hashes");
        fs::write(other.path().join("src/lib.rs"), "fn z() {}\n").unwrap();
        assert_ne!(
            inputs_hash(dir.path(), "debug").unwrap(),
            before,
            "through the link"
        );
        // A dangling link is an error that names its path.
        std::os::unix::fs::symlink("/nowhere", other.path().join("src/gone.rs")).unwrap();
        let err = format!("{:#}", inputs_hash(dir.path(), "debug").unwrap_err());
        assert!(err.contains("gone.rs"), "{err}");
    }

    #[test]
    fn a_change_between_two_readings_is_named() {
        let dir = crate_dir();
        let before = Inputs::read(dir.path(), "debug").unwrap();
        assert_eq!(before.changed_in(&before.clone()), None);
        fs::write(dir.path().join("Cargo.lock"), "# written by the build").unwrap();
        let locked = Inputs::read(dir.path(), "debug").unwrap();
        assert_ne!(locked.hash, before.hash, "the lock is an input");
        assert_eq!(before.changed_in(&locked), None, "but the build's own");
        fs::write(dir.path().join("src/lib.rs"), "fn edited() {}\n").unwrap();
        let edited = Inputs::read(dir.path(), "debug").unwrap();
        assert_eq!(
            locked.changed_in(&edited),
            Some(PathBuf::from("src/lib.rs"))
        );
        fs::write(dir.path().join("src/new.rs"), "").unwrap();
        let added = Inputs::read(dir.path(), "debug").unwrap();
        assert_eq!(edited.changed_in(&added), Some(PathBuf::from("src/new.rs")));
    }
}
