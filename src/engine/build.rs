//! Steps 2, 4 and 6 of the chapter: maturin builds of the experiment crates in
//! debug and release, kept side by side, streamed line by line, and skipped
//! when nothing they are built from has changed.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use super::bootstrap::Toolchain;
use super::error::{LabError, LabResult};
use super::event::{Event, Sink};
use super::home::Home;
use super::types::{BuildInfo, Target, Variant};
use crate::cancel::Cancel;

/// Hash of a crate's sources plus what else shapes the build (variant, Python,
/// maturin), in a stable order. Cargo's own outputs are left out.
pub fn inputs_hash(crate_dir: &Path, salt: &str) -> Result<String> {
    let mut files = Vec::new();
    collect_files(crate_dir, crate_dir, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    for rel in files {
        let bytes = fs::read(crate_dir.join(&rel))?;
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex(&hasher.finalize()))
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // lab.toml says how to race the build, not how to make it.
        if name.starts_with('.') || name == "target" || name == "__pycache__" || name == "lab.toml"
        {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(base, &path, out)?;
        } else {
            out.push(path.strip_prefix(base)?.to_path_buf());
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_sha256(path: &Path) -> Result<String> {
    Ok(hex(&Sha256::digest(fs::read(path)?)))
}

/// The recorded build, if it was made from these inputs and its module is still
/// there, byte for byte: a deleted or corrupted output means a rebuild.
pub fn reusable(manifest: &Path, inputs: &str) -> Option<BuildInfo> {
    let info: BuildInfo = serde_json::from_slice(&fs::read(manifest).ok()?).ok()?;
    let intact = info.inputs == inputs
        && fs::metadata(&info.module).is_ok_and(|m| m.len() == info.module_bytes)
        && file_sha256(&info.module).is_ok_and(|h| h == info.module_sha256);
    intact.then_some(BuildInfo {
        fresh: true,
        ..info
    })
}

/// Everything a build needs to know about its surroundings.
pub struct Builder<'a> {
    pub home: &'a Home,
    pub toolchain: &'a Toolchain,
    pub sink: &'a Sink,
    pub cancel: &'a Cancel,
}

impl Builder<'_> {
    fn salt(&self, variant: Variant) -> String {
        format!(
            "{}|python {}|maturin {}",
            variant.name(),
            self.toolchain.python_version,
            self.toolchain.maturin_version
        )
    }

    /// The current build of `target`, if it is intact and made from today's inputs.
    pub fn existing(&self, target: &Target) -> Option<BuildInfo> {
        let inputs = inputs_hash(&target.dir, &self.salt(target.variant)).ok()?;
        reusable(&self.home.manifest(target), &inputs)
    }

    /// Builds `target` unless an intact build of the same inputs exists.
    /// Reports on the sink either way; the error is a one-line summary.
    pub fn build(&self, target: &Target, force: bool) -> LabResult<BuildInfo> {
        self.sink.as_ref()(Event::BuildStarted(target.clone()));
        let result = self
            .build_inner(target, force)
            .map_err(|e| LabError::Build(format!("{e:#}")));
        self.sink.as_ref()(Event::BuildFinished(target.clone(), result.clone()));
        result
    }

    fn build_inner(&self, target: &Target, force: bool) -> Result<BuildInfo> {
        let crate_dir = &target.dir;
        let inputs = inputs_hash(crate_dir, &self.salt(target.variant))?;
        let manifest = self.home.manifest(target);
        if !force && let Some(info) = reusable(&manifest, &inputs) {
            return Ok(info);
        }
        // From here on the old build no longer counts: a half-finished one never will.
        let _ = fs::remove_file(&manifest);
        let had_lock = crate_dir.join("Cargo.lock").exists();
        let started = Instant::now();
        let wheel = self.run_maturin(target, crate_dir)?;
        let seconds = started.elapsed().as_secs_f64();
        // The first build of a crate writes its Cargo.lock: the one input a
        // build makes itself. Count it, or the next run would build again.
        let inputs = if had_lock {
            inputs
        } else {
            inputs_hash(crate_dir, &self.salt(target.variant))?
        };
        let site = self.home.site(target);
        let module = unpack(&wheel, &site)?;
        let info = BuildInfo {
            inputs,
            seconds,
            wheel_bytes: fs::metadata(&wheel)?.len(),
            module_bytes: fs::metadata(&module)?.len(),
            module_sha256: file_sha256(&module)?,
            module,
            fresh: false,
        };
        fs::create_dir_all(manifest.parent().unwrap())?;
        fs::write(&manifest, serde_json::to_vec_pretty(&info)?)?;
        Ok(info)
    }

    /// Runs `maturin build` with its output streamed to the sink; returns the wheel.
    fn run_maturin(&self, target: &Target, crate_dir: &Path) -> Result<PathBuf> {
        let out_dir = self.home.wheels(target);
        if out_dir.exists() {
            fs::remove_dir_all(&out_dir)?;
        }
        let mut args: Vec<std::ffi::OsString> = vec![
            "build".into(),
            "--manifest-path".into(),
            crate_dir.join("Cargo.toml").into(),
            "--interpreter".into(),
            self.toolchain.venv_python.clone().into(),
            "--out".into(),
            out_dir.clone().into(),
            // A wheel that stays on this machine: no manylinux audit needed.
            "--auditwheel".into(),
            "skip".into(),
        ];
        if target.variant == Variant::Release {
            args.push("--release".into());
        }
        let handle = duct::cmd(&self.toolchain.maturin, args)
            .dir(crate_dir)
            .env("CARGO_TARGET_DIR", self.home.cargo_target())
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_TERM_PROGRESS_WHEN", "never")
            .stdin_null()
            .stderr_to_stdout()
            .unchecked()
            .before_spawn(|cmd| {
                cmd.process_group(0);
                Ok(())
            })
            .reader()
            .context("cannot start maturin")?;
        let _group = self.cancel.register(handle.pids()[0] as i32);
        let mut first_error = None;
        let mut reader = BufReader::new(&handle);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
            match &mut first_error {
                None if is_error_line(&line) => first_error = Some((line.clone(), false)),
                // The compiler's next "-->" line says where the first error is.
                Some((error, located @ false)) if line.trim_start().starts_with("-->") => {
                    error.push_str(&format!(
                        " at {}",
                        line.trim_start().trim_start_matches("-->").trim()
                    ));
                    *located = true;
                }
                _ => {}
            }
            self.sink.as_ref()(Event::BuildLine(target.clone(), line));
        }
        let status = handle
            .try_wait()?
            .map(|o| o.status)
            .ok_or_else(|| anyhow!("maturin closed its output but did not exit"))?;
        if self.cancel.is_cancelled() {
            bail!("cancelled");
        }
        if !status.success() {
            match first_error {
                Some((e, _)) => bail!("{e}"),
                None => bail!("maturin failed ({status}); see the build log"),
            }
        }
        find_with_extension(&out_dir, "whl").ok_or_else(|| {
            anyhow!(
                "maturin succeeded but left no wheel in {}",
                out_dir.display()
            )
        })
    }
}

/// Cargo's and maturin's error lines: `error: ...`, `error[E0308]: ...`, `💥 maturin failed`.
fn is_error_line(line: &str) -> bool {
    line.starts_with("error") || line.contains("maturin failed")
}

fn find_with_extension(dir: &Path, ext: &str) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == ext))
}

/// Unpacks a wheel into `site` (replacing what was there) and returns the
/// extension module in it. Unpacking into a fresh directory first means a
/// failure leaves no half-written site behind.
pub fn unpack(wheel: &Path, site: &Path) -> Result<PathBuf> {
    let staging = site.with_extension("unpacking");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    let file = fs::File::open(wheel)?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a readable wheel", wheel.display()))?;
    archive.extract(&staging)?;
    if site.exists() {
        fs::remove_dir_all(site)?;
    }
    fs::rename(&staging, site)?;
    find_module(site).ok_or_else(|| anyhow!("no extension module (.so) in {}", wheel.display()))
}

fn find_module(dir: &Path) -> Option<PathBuf> {
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_module(&path) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "so") {
            return Some(path);
        }
    }
    None
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
        assert_ne!(
            inputs_hash(dir.path(), "debug").unwrap(),
            before,
            "a source edit counts"
        );
        fs::rename(
            dir.path().join("src/lib.rs"),
            dir.path().join("src/other.rs"),
        )
        .unwrap();
        fs::write(dir.path().join("src/lib.rs"), "fn b() {}\n").unwrap();
        let with_new_file = inputs_hash(dir.path(), "debug").unwrap();
        fs::remove_file(dir.path().join("src/other.rs")).unwrap();
        assert_ne!(
            inputs_hash(dir.path(), "debug").unwrap(),
            with_new_file,
            "a new file counts"
        );
    }

    #[test]
    fn a_build_is_reused_only_when_intact() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.so");
        fs::write(&module, b"\x7fELF module").unwrap();
        let info = BuildInfo {
            inputs: "abc".into(),
            seconds: 1.0,
            wheel_bytes: 10,
            module_bytes: fs::metadata(&module).unwrap().len(),
            module_sha256: file_sha256(&module).unwrap(),
            module: module.clone(),
            fresh: false,
        };
        let manifest = dir.path().join("manifest.json");
        fs::write(&manifest, serde_json::to_vec(&info).unwrap()).unwrap();

        let reused = reusable(&manifest, "abc").expect("intact and same inputs");
        assert!(reused.fresh);
        assert!(reusable(&manifest, "abd").is_none(), "other inputs");

        fs::write(&module, b"\x7fELF modulX").unwrap();
        assert!(reusable(&manifest, "abc").is_none(), "corrupted, same size");
        fs::remove_file(&module).unwrap();
        assert!(reusable(&manifest, "abc").is_none(), "deleted");
        fs::write(&manifest, b"{ half a manifest").unwrap();
        assert!(reusable(&manifest, "abc").is_none(), "unreadable manifest");
    }
}
