//! Steps 2, 4 and 6 of the chapter: maturin builds of the experiment crates in
//! debug and release, kept side by side, streamed line by line, and skipped
//! when nothing they are built from has changed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use super::bootstrap::Toolchain;
use super::exports;
use super::head_start::HeadStart;
use super::inputs::{Inputs, inputs_hash};
use super::packages;
use super::pgo;
use super::provenance;
use super::stream;
use crate::cancel::Cancel;
use crate::engine::error::{LabError, LabResult};
use crate::engine::event::{Event, Sink};
use crate::engine::files::hex;
use crate::engine::home::places::Home;
use crate::engine::types::{BuildInfo, Target};

/// A file of the crate changed while cargo read the sources.
#[derive(Debug, thiserror::Error)]
#[error("{} changed during the build", .0.display())]
struct ChangedDuringBuild(PathBuf);

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
    /// What a build depends on besides its files: its settings (a changed
    /// rustflag rebuilds), Python and maturin, and whether it is a counted
    /// twin with line tables.
    /// The `proven` mark sets apart the builds made since each compile is
    /// proven to be of the files on disk, `shipped` those made as the user's
    /// profile says (no line tables added): older records are built again.
    fn salt(&self, target: &Target) -> String {
        format!(
            "{}|python {}|maturin {}|proven|{}",
            target.variant.spec().salt(),
            self.toolchain.python_version,
            self.toolchain.maturin_version,
            if target.counted {
                "crate-lines"
            } else {
                "shipped"
            }
        )
    }

    /// The current build of `target`, if it is intact and made from today's inputs.
    pub fn existing(&self, target: &Target) -> Option<BuildInfo> {
        let inputs = inputs_hash(&target.dir, &self.salt(target)).ok()?;
        reusable(&self.home.manifest(target), &inputs)
    }

    /// One line of the build's output: to its log and to the build pane.
    fn log_line(&self, target: &Target, line: String) {
        // The log was made writable when the build started.
        let _ = fs::OpenOptions::new()
            .append(true)
            .open(self.home.build_log(target))
            .and_then(|mut log| writeln!(log, "{line}"));
        self.sink.as_ref()(Event::BuildLine(target.clone(), line));
    }

    /// The build log, ready for lines: made fresh for a build that will
    /// compile (its packages step is then its first lines); a build that is
    /// reused keeps the log it was made with, its packages noted after it.
    fn open_log(&self, target: &Target, compiles: bool) -> LabResult<()> {
        let log = self.home.build_log(target);
        fs::create_dir_all(log.parent().expect("in the home"))
            .and_then(|_| {
                fs::OpenOptions::new()
                    .create(true)
                    .append(!compiles)
                    .write(true)
                    .truncate(compiles)
                    .open(&log)
            })
            .map(|_| ())
            .map_err(|e| {
                LabError::Build(format!("cannot write the build log {}: {e}", log.display()))
            })
    }

    /// The Python packages `target`'s experiment asks for, installed once per
    /// requirement set; pip's output goes to the build log and pane.
    fn packages(&self, target: &Target) -> LabResult<Vec<String>> {
        if target.requires.is_empty() {
            return Ok(Vec::new());
        }
        let (installed, fresh) = packages::ensure(
            self.home,
            self.toolchain,
            &target.requires,
            self.cancel,
            &mut |line| self.log_line(target, line),
        )
        .map_err(|e| LabError::Packages(format!("{e:#}")))?;
        let versions = installed.versions.join(", ");
        self.log_line(
            target,
            if fresh {
                format!("packages: {versions} (installed already)")
            } else {
                format!(
                    "packages: installed {versions} in {:.1} s",
                    installed.seconds
                )
            },
        );
        Ok(installed.versions)
    }

    /// Builds `target` unless an intact build of the same inputs exists.
    /// Reports on the sink either way; the error is a one-line summary.
    /// `ahead`: the head start compiling for it, waited for first.
    pub fn build(
        &self,
        target: &Target,
        force: bool,
        ahead: Option<HeadStart>,
    ) -> LabResult<BuildInfo> {
        self.sink.as_ref()(Event::BuildStarted(target.clone()));
        let result = self.build_steps(target, force, ahead);
        self.sink.as_ref()(Event::BuildFinished(target.clone(), result.clone()));
        result
    }

    /// The inputs hashed once; then the log, the packages, and a compile
    /// unless an intact build of those inputs is there. A compile during
    /// which a file changed is of neither version: it is made again, once.
    fn build_steps(
        &self,
        target: &Target,
        force: bool,
        ahead: Option<HeadStart>,
    ) -> LabResult<BuildInfo> {
        let failed = |e: anyhow::Error| LabError::Build(format!("{e:#}"));
        // Its cargo may write the crate's Cargo.lock: it ends before the
        // inputs are read.
        let ahead = ahead.map(|h| {
            self.sink.as_ref()(Event::BuildLine(
                target.clone(),
                "waiting for pyo3, compiling for this build since set-up began".into(),
            ));
            h.finish(&|| self.cancel.is_cancelled())
        });
        let salt = self.salt(target);
        let mut inputs = Inputs::read(&target.dir, &salt).map_err(failed)?;
        let reused = (!force)
            .then(|| reusable(&self.home.manifest(target), &inputs.hash))
            .flatten();
        self.open_log(target, reused.is_none())?;
        if let Some(ended) = ahead {
            self.log_line(target, ended.describe());
        }
        if target.counted && reused.is_none() {
            self.log_line(
                target,
                format!(
                    "a twin of the {} build with line tables, for --instructions only: \
                     it is counted, never raced",
                    target.variant.name()
                ),
            );
        }
        let packages = self.packages(target)?;
        if let Some(info) = reused {
            // Its record's time is when it was last used: what `clean
            // --unused-for` goes by.
            let _ = fs::File::options()
                .append(true)
                .open(self.home.manifest(target))
                .and_then(|f| f.set_modified(std::time::SystemTime::now()));
            return Ok(BuildInfo { packages, ..info });
        }
        let mut again = false;
        loop {
            let error = match self.build_inner(target, &salt, &inputs, packages.clone()) {
                Ok(info) => return Ok(info),
                Err(e) => e,
            };
            let Some(ChangedDuringBuild(file)) = error.downcast_ref() else {
                return Err(failed(error));
            };
            let file = file.display();
            if again {
                return Err(LabError::Build(format!(
                    "{file} changed during the build, twice: nothing was recorded; \
                     build again once your edits are saved"
                )));
            }
            let why = format!(
                "{file} changed during the build, so its module is of neither version: \
                 building again"
            );
            self.log_line(target, why.clone());
            self.sink.as_ref()(Event::BuildRestarted(target.clone(), why));
            inputs = Inputs::read(&target.dir, &salt).map_err(failed)?;
            again = true;
        }
    }

    /// One compile of the files as `before` read them, unpacked and checked;
    /// recorded only if the files were still the same when it ended.
    fn build_inner(
        &self,
        target: &Target,
        salt: &str,
        before: &Inputs,
        packages: Vec<String>,
    ) -> Result<BuildInfo> {
        let crate_dir = &target.dir;
        let manifest = self.home.manifest(target);
        let site = self.home.site(target);
        // From here on the old build no longer counts: a half-finished one never will.
        let _ = fs::remove_file(&manifest);
        let started = Instant::now();
        let (wheel, clean) = self.compile(target, crate_dir)?;
        let seconds = started.elapsed().as_secs_f64();
        // Read again: the same files, or the build is of neither version. A
        // build may write its Cargo.lock (the first one, or a dependency
        // bumped), the one input it makes itself: the hash counts the lock it
        // left, or the next run would build again.
        let after = Inputs::read(crate_dir, salt)?;
        if let Some(file) = before.changed_in(&after) {
            return Err(ChangedDuringBuild(file).into());
        }
        let module = unpack(&wheel, &site)?;
        if let Err(e) = exports::check_init(&module, target.module.as_deref()) {
            // Nothing of it may be raced: no manifest, no site.
            let _ = fs::remove_dir_all(&site);
            return Err(e);
        }
        let lock = fs::read(crate_dir.join("Cargo.lock")).ok();
        let info = BuildInfo {
            inputs: after.hash,
            crate_dir: Some(crate_dir.clone()),
            seconds,
            wheel_bytes: fs::metadata(&wheel)?.len(),
            module_bytes: fs::metadata(&module)?.len(),
            line_table_bytes: exports::debug_bytes(&module)?,
            module_sha256: file_sha256(&module)?,
            module,
            fresh: false,
            clean: Some(clean),
            pyo3: lock.as_deref().and_then(pyo3_version),
            packages,
        };
        fs::create_dir_all(manifest.parent().unwrap())?;
        fs::write(&manifest, serde_json::to_vec_pretty(&info)?)?;
        Ok(info)
    }

    /// The build of `target`: one maturin run, or a profile-guided build's
    /// three steps.
    fn compile(&self, target: &Target, crate_dir: &Path) -> Result<(PathBuf, bool)> {
        if !target.variant.spec().pgo {
            return self.run_maturin(target, crate_dir, &Phase::plain(self.home, target));
        }
        let dir = self.home.pgo(target);
        let profiles = dir.join("profiles");
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&profiles)?;
        fs::create_dir_all(self.home.pgo_unread())?;
        self.log_line(
            target,
            "pgo: 1/3 an instrumented build (-Cprofile-generate)".into(),
        );
        // One instrumenting flag for every crate of the home, so that their
        // instrumented builds share one pyo3 (a crate's own path here would
        // compile pyo3 again for each). The training run is told where its
        // crate's profiles go (LLVM_PROFILE_FILE); the build scripts, which
        // ran instrumented too, write theirs to the shared folder, unread.
        let instrumented = Phase {
            rustflags: vec![format!(
                "-Cprofile-generate={}",
                self.home.pgo_unread().display()
            )],
            target_dir: PathBuf::from(format!(
                "{}-instrumented",
                self.home.cargo_target_of(&target.variant).display()
            )),
            out_dir: dir.join("wheel"),
        };
        let (wheel, _) = self.run_maturin(target, crate_dir, &instrumented)?;
        let site = dir.join("site");
        unpack(&wheel, &site)?;
        self.log_line(
            target,
            "pgo: 2/3 training on the experiment's own calls".into(),
        );
        let mut paths = vec![site];
        paths.extend(target.training_paths.iter().cloned());
        paths.extend(packages::dir_for(
            self.home,
            self.toolchain,
            &target.requires,
        ));
        paths.push(self.toolchain.site_packages.clone());
        pgo::train(
            &paths,
            &target.training,
            &profiles,
            self.cancel,
            &mut |line| self.log_line(target, line),
        )?;
        let merged = dir.join("merged.profdata");
        let (tool, count) = pgo::merge(&profiles, &merged)?;
        self.log_line(
            target,
            format!(
                "pgo: merged {count} profile(s) with {tool} into {} ({} bytes)",
                merged.display(),
                fs::metadata(&merged).map_or(0, |m| m.len())
            ),
        );
        self.log_line(
            target,
            "pgo: 3/3 the optimised build (-Cprofile-use)".into(),
        );
        let optimised = Phase {
            rustflags: vec![
                format!("-Cprofile-use={}", merged.display()),
                // Says in the log which functions the profile did not cover.
                "-Cllvm-args=-pgo-warn-missing-function".into(),
            ],
            ..Phase::plain(self.home, target)
        };
        self.run_maturin(target, crate_dir, &optimised)
    }

    /// Runs `maturin build` with its output streamed to the sink; returns the
    /// wheel, and whether pyo3 itself was compiled (a clean build) rather than
    /// reused from the shared target directory (an incremental one).
    fn run_maturin(
        &self,
        target: &Target,
        crate_dir: &Path,
        phase: &Phase,
    ) -> Result<(PathBuf, bool)> {
        let out_dir = phase.out_dir.clone();
        if out_dir.exists() {
            fs::remove_dir_all(&out_dir)?;
        }
        // Cargo's freshness is by mtimes, and another copy of this package
        // may have been compiled into the same target directory last: forget
        // the package's own artifacts there, so this build compiles it.
        let spec = target.variant.spec();
        let package = provenance::package_name(crate_dir)?;
        // A crate cargo cannot read fails in maturin's run with the whole
        // story; and a package cargo then takes for fresh fails the proof.
        if let Err(e) = provenance::forget(crate_dir, &phase.target_dir, spec.release, &package) {
            self.log_line(target, format!("{e:#}"));
        }
        let args = self.maturin_args(target, crate_dir, &out_dir, &package);
        let rustflags =
            super::head_start::rustflags(&[&spec.rustflags[..], &phase.rustflags[..]].concat());
        let expression = duct::cmd(&self.toolchain.maturin, args)
            .env("CARGO_TARGET_DIR", &phase.target_dir)
            .env("RUSTFLAGS", rustflags.join(" "))
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_TERM_PROGRESS_WHEN", "never");
        let (ok, lines) = stream::lines(expression, crate_dir, self.cancel, &mut |line| {
            self.log_line(target, line)
        })
        .context("cannot run maturin")?;
        if self.cancel.is_cancelled() {
            bail!("cancelled");
        }
        if !ok {
            return Err(self.failure(target, &lines));
        }
        provenance::prove_compiled(&lines, &package, crate_dir)?;
        let clean = lines
            .iter()
            .any(|l| l.trim_start().starts_with("Compiling pyo3 v"));
        let wheel = find_with_extension(&out_dir, "whl").ok_or_else(|| {
            anyhow!(
                "maturin succeeded but left no wheel in {}",
                out_dir.display()
            )
        })?;
        Ok((wheel, clean))
    }

    /// `maturin build`'s arguments: the crate, the venv's Python, the wheel
    /// folder, and the variant's profile, features and `--config` entries.
    fn maturin_args(
        &self,
        target: &Target,
        crate_dir: &Path,
        out_dir: &Path,
        package: &str,
    ) -> Vec<std::ffi::OsString> {
        let spec = target.variant.spec();
        let mut args: Vec<std::ffi::OsString> = vec![
            "build".into(),
            "--manifest-path".into(),
            crate_dir.join("Cargo.toml").into(),
            "--interpreter".into(),
            self.toolchain.venv_python.clone().into(),
            "--out".into(),
            out_dir.into(),
            // A wheel that stays on this machine: no manylinux audit needed.
            "--auditwheel".into(),
            "skip".into(),
        ];
        if spec.release {
            args.push("--release".into());
        }
        if !spec.features.is_empty() {
            args.push("--features".into());
            args.push(spec.features.join(",").into());
        }
        for entry in &spec.config {
            args.push("--config".into());
            args.push(entry.into());
        }
        // Line tables let `--instructions` charge inlined code to the source
        // line it came from. They keep the instructions but move the code,
        // so only a counted twin gets them, and only for the crate itself:
        // its dependencies (pyo3) are the raced build's own, reused from the
        // same target directory, and the raced build is the profile as the
        // user's Cargo.toml gives it.
        if target.counted {
            let profile = if spec.release { "release" } else { "dev" };
            args.push("--config".into());
            args.push(
                format!("profile.{profile}.package.\"{package}\".debug=\"line-tables-only\"")
                    .into(),
            );
        }
        args
    }

    /// A failed build's error: its first error and causes, and for abi3 why.
    fn failure(&self, target: &Target, lines: &[String]) -> anyhow::Error {
        let log = self.home.build_log(target);
        let log = log.display();
        // A crate that builds but not for abi3 uses more than Python's
        // limited API: say so beside the compiler's words.
        let abi3 = if target
            .variant
            .spec()
            .features
            .iter()
            .any(|f| f.contains("abi3"))
        {
            " (an abi3 limitation: the crate uses an API outside Python's limited API, \
             which abi3 builds may not; build it without abi3, or use the limited API)"
        } else {
            ""
        };
        match first_error(lines) {
            Some(e) => anyhow!("{e}{abi3} (full log: {log})"),
            None => anyhow!("maturin failed{abi3}; full log: {log}"),
        }
    }
}

/// One maturin run: flags beyond the variant's, where it compiles, where
/// the wheel goes.
struct Phase {
    rustflags: Vec<String>,
    target_dir: PathBuf,
    out_dir: PathBuf,
}

impl Phase {
    /// The variant's own build, into its target directory and wheel folder.
    fn plain(home: &Home, target: &Target) -> Self {
        Self {
            rustflags: Vec::new(),
            target_dir: home.cargo_target_of(&target.variant),
            out_dir: home.wheels(target),
        }
    }
}

/// The pyo3 (or, for a raw FFI crate, pyo3-ffi) version a Cargo.lock resolved.
pub fn pyo3_version(lock: &[u8]) -> Option<String> {
    let lock: toml::Table = std::str::from_utf8(lock).ok()?.parse().ok()?;
    let packages = lock.get("package")?.as_array()?;
    ["pyo3", "pyo3-ffi"].into_iter().find_map(|name| {
        packages
            .iter()
            .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))?
            .get("version")?
            .as_str()
            .map(|v| format!("{name} {v}"))
    })
}

/// The build's first error, where the compiler says it is, and cargo's
/// `Caused by:` chain after it, in one line:
/// `error: failed to load manifest for dependency `pyo3`: failed to read ...: No such file`.
pub fn first_error(lines: &[String]) -> Option<String> {
    let start = lines.iter().position(|l| is_error_line(l))?;
    let mut error = lines[start].clone();
    let rest = &lines[start + 1..];
    // The compiler's next "-->" line says where the first error is.
    if let Some(place) = rest
        .iter()
        .take_while(|l| !is_error_line(l))
        .find(|l| l.trim_start().starts_with("-->"))
    {
        error.push_str(&format!(
            " at {}",
            place.trim_start().trim_start_matches("-->").trim()
        ));
    }
    let mut rest = rest.iter();
    while let Some(line) = rest.next() {
        if line.trim() == "Caused by:"
            && let Some(cause) = rest.by_ref().find(|l| !l.trim().is_empty())
        {
            error.push_str(": ");
            error.push_str(cause.trim());
        }
    }
    Some(error)
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

    #[test]
    fn a_build_is_reused_only_when_intact() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.so");
        fs::write(&module, b"\x7fELF module").unwrap();
        let info = BuildInfo {
            inputs: "abc".into(),
            crate_dir: None,
            seconds: 1.0,
            wheel_bytes: 10,
            module_bytes: fs::metadata(&module).unwrap().len(),
            line_table_bytes: 0,
            module_sha256: file_sha256(&module).unwrap(),
            module: module.clone(),
            fresh: false,
            clean: None,
            pyo3: None,
            packages: Vec::new(),
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
