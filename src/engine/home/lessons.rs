//! The built-in lessons carried in the binary: `lab/` and `assets/` as one
//! tar (`assets/lessons.tar`, which a test keeps equal to the source tree),
//! unpacked into the lab home, a folder per archive, when pyo3-lab runs
//! without its source tree (installed with `cargo install`). An archive, not
//! the folders: `cargo package` leaves out every folder holding a
//! `Cargo.toml` (another package, to cargo), which each lesson's crate is.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// The lessons as the binary was built with them.
const ARCHIVE: &[u8] = include_bytes!("../../../assets/lessons.tar");

/// Where the archive sits in the source tree.
#[cfg(test)]
const ARCHIVE_PATH: &str = "assets/lessons.tar";

/// The lessons' files under `root`, relative and sorted: `lab/` and
/// `assets/`, less build outputs, the README's pictures and the archive.
#[cfg(test)]
fn members(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = dir.join(&name);
            if crate::engine::files::is_output(&name)
                || path == Path::new(ARCHIVE_PATH)
                || path == Path::new("assets/readme")
            {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for top in ["lab", "assets"] {
        walk(root, Path::new(top), &mut out);
    }
    out.sort();
    out
}

/// The archive of `root`'s lessons: the same bytes for the same files (no
/// times, owners or modes of the machine that made it). The test below
/// makes it; the binary only reads it.
#[cfg(test)]
fn pack(root: &Path) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for path in members(root) {
        let bytes = fs::read(root.join(&path))
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, &path, bytes.as_slice())?;
    }
    Ok(builder.into_inner()?)
}

/// The lessons unpacked under `home` (once per archive): the folder to use
/// as the project, holding `lab/` and `assets/`.
pub fn unpacked(home: &Path) -> Result<PathBuf> {
    let tag = crate::engine::files::hex(&Sha256::digest(ARCHIVE)[..6]);
    let dir = home
        .join("lessons")
        .join(format!("{}-{tag}", env!("CARGO_PKG_VERSION")));
    let done = dir.join(".unpacked");
    if done.exists() {
        return Ok(dir);
    }
    // Unpacked beside, then moved into place: a lab stopped half-way leaves
    // no half lesson behind.
    let partial = dir.with_extension("partial");
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    tar::Archive::new(ARCHIVE)
        .unpack(&partial)
        .with_context(|| format!("cannot unpack the lessons into {}", partial.display()))?;
    fs::write(partial.join(".unpacked"), &tag)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&partial, &dir)
        .with_context(|| format!("cannot move {} into place", dir.display()))?;
    Ok(dir)
}

/// The archive's files and their bytes, for tests.
#[cfg(test)]
fn contents(archive: &[u8]) -> Vec<(PathBuf, Vec<u8>)> {
    use std::io::Read;
    let mut out = Vec::new();
    for entry in tar::Archive::new(archive).entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.push((path, bytes));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The archive the binary carries is the source tree's lessons. When it
    /// is not, `PYO3_LAB_UPDATE_LESSONS=1 cargo test lessons` writes it anew.
    #[test]
    fn the_embedded_lessons_are_the_source_trees() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fresh = pack(root).unwrap();
        if std::env::var_os("PYO3_LAB_UPDATE_LESSONS").is_some() {
            fs::write(root.join(ARCHIVE_PATH), &fresh).unwrap();
            return;
        }
        let (now, carried) = (contents(&fresh), contents(ARCHIVE));
        let names = |c: &[(PathBuf, Vec<u8>)]| c.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&carried),
            names(&now),
            "{ARCHIVE_PATH} is stale: run PYO3_LAB_UPDATE_LESSONS=1 cargo test lessons"
        );
        for ((path, a), (_, b)) in carried.iter().zip(&now) {
            assert!(
                a == b,
                "{} changed since {ARCHIVE_PATH} was made: run PYO3_LAB_UPDATE_LESSONS=1 cargo test lessons",
                path.display()
            );
        }
        assert!(names(&now).contains(&PathBuf::from("lab/gil/Cargo.toml")));
        assert!(names(&now).contains(&PathBuf::from("assets/gil_demo.py")));
    }

    #[test]
    fn the_lessons_unpack_once_into_the_home() {
        let home = tempfile::tempdir().unwrap();
        let dir = unpacked(home.path()).unwrap();
        assert!(dir.join("lab/fibonacci/Cargo.toml").is_file());
        assert!(dir.join("assets/fib_reference.py").is_file());
        let (found, errors) = crate::engine::experiment::discover(&[dir.join("lab")]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found[0].key, "fibonacci");
        // Again: the same folder, not unpacked over a lab that may be using it.
        fs::write(dir.join("lab/marker"), "kept").unwrap();
        assert_eq!(unpacked(home.path()).unwrap(), dir);
        assert!(dir.join("lab/marker").exists());
    }
}
