//! That a module was compiled from the files on disk, not taken for fresh.
//!
//! Cargo decides a path package is fresh by modification times, and names its
//! artifacts by package name and version, not by folder. Two copies of one
//! crate (`cp -a`, two worktrees, a restored backup) share one artifact in a
//! shared target directory, and a source whose mtime went back looks older than
//! the library built from another version. So before every compile the lab
//! forgets the package's artifacts in that target directory (`cargo clean -p`,
//! its dependencies stay), and after it requires cargo's own word that it
//! compiled the package from this folder.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

/// The `[package] name` of the crate's `Cargo.toml`: what cargo calls it.
pub fn package_name(crate_dir: &Path) -> Result<String> {
    let path = crate_dir.join("Cargo.toml");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            anyhow!(
                "{} has no [package] name: point the lab at the crate's own folder",
                path.display()
            )
        })
}

/// Removes `package`'s own artifacts (library, fingerprint, build-script
/// output) from `target_dir`'s profile, so the next build must compile it.
/// A target directory that has no such profile yet has nothing to forget.
pub fn forget(crate_dir: &Path, target_dir: &Path, release: bool, package: &str) -> Result<()> {
    let profile = if release { "release" } else { "debug" };
    if !target_dir.join(profile).is_dir() {
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args: Vec<std::ffi::OsString> = vec![
        "clean".into(),
        "--quiet".into(),
        "-p".into(),
        package.into(),
        "--manifest-path".into(),
        crate_dir.join("Cargo.toml").into(),
        "--target-dir".into(),
        target_dir.into(),
    ];
    if release {
        args.push("--release".into());
    }
    let out = duct::cmd(cargo, args)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("cannot run cargo clean")?;
    if !out.status.success() {
        bail!(
            "cannot clear {package}'s earlier build from {}: {}",
            target_dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Cargo's own word, in the build's output, that it compiled `package` from
/// `crate_dir`: `Compiling NAME vX.Y.Z (/path/to/crate)`.
pub fn prove_compiled(lines: &[String], package: &str, crate_dir: &Path) -> Result<()> {
    let places: Vec<String> = [
        std::path::absolute(crate_dir).ok(),
        fs::canonicalize(crate_dir).ok(),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.display().to_string())
    .collect();
    let compiled_here = lines
        .iter()
        .filter_map(|l| compiled(l))
        .any(|(name, place)| {
            name == package && places.iter().any(|p| p.trim_end_matches('/') == place)
        });
    if compiled_here {
        return Ok(());
    }
    bail!(
        "cargo did not compile {package} from {} in this build, so its module may be another \
         copy's: nothing was recorded; build again",
        crate_dir.display()
    )
}

/// `(name, folder)` of a `Compiling name vX (folder)` line of cargo's.
fn compiled(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("Compiling ")?;
    let (name, rest) = rest.split_once(' ')?;
    let place = rest.split_once(" (")?.1.strip_suffix(')')?;
    Some((name, place.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cargos_compile_of_this_folder_counts() {
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().display().to_string();
        let line = |name: &str, place: &str| vec![format!("   Compiling {name} v0.1.0 ({place})")];
        assert!(prove_compiled(&line("sleepy", &here), "sleepy", dir.path()).is_ok());
        let elsewhere = prove_compiled(&line("sleepy", "/tmp/B"), "sleepy", dir.path());
        assert!(format!("{:#}", elsewhere.unwrap_err()).contains("did not compile sleepy from"));
        assert!(prove_compiled(&line("pyo3", &here), "sleepy", dir.path()).is_err());
        let fresh = vec!["    Finished `release` profile [optimized] target(s) in 0.01s".into()];
        assert!(prove_compiled(&fresh, "sleepy", dir.path()).is_err());
    }

    #[test]
    fn the_package_name_comes_from_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"my-crate\"\n",
        )
        .unwrap();
        assert_eq!(package_name(dir.path()).unwrap(), "my-crate");
        fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        let err = format!("{:#}", package_name(dir.path()).unwrap_err());
        assert!(err.contains("has no [package] name"), "{err}");
    }
}
