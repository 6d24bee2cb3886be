//! Another route's module: a `.py` (or Cython's `.pyx`) compiled by Cython
//! or mypyc into an extension module, in a folder of the home named by what
//! it was made from. A build is its inputs' hash: the route, the tool's pin,
//! the Python, the file's name and bytes. The same inputs are the same
//! folder, so a build is reused by content, never by modification time,
//! and a folder exists only once its module is complete (made aside, then
//! renamed into place).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use super::bootstrap::Toolchain;
use super::stream;
use crate::cancel::Cancel;
use crate::engine::files::hex;
use crate::engine::home::places::Home;
use crate::engine::types::{Route, RouteBuild};

const RECORD: &str = "route.json";

/// The folder a build of `source` by `route` lives in: a worker puts it
/// first on `sys.path`, so the module there is imported, not the `.py`.
pub fn dir_for(home: &Home, toolchain: &Toolchain, route: Route, source: &Path) -> PathBuf {
    let bytes = fs::read(source).unwrap_or_default();
    let name = source.file_name().unwrap_or_default().to_string_lossy();
    let mut hash = Sha256::new();
    hash.update(format!(
        "route {route}\ntool {}\npython {}\nfile {name}\n",
        route.requirement().unwrap_or_default(),
        toolchain.python_version
    ));
    hash.update(&bytes);
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    home.routes()
        .join(format!("{stem}-{route}-{}", &hex(&hash.finalize())[..16]))
}

/// A complete build of these inputs, when there is one.
pub fn existing(dir: &Path) -> Option<RouteBuild> {
    let text = fs::read_to_string(dir.join(RECORD)).ok()?;
    let record: RouteBuild = serde_json::from_str(&text).ok()?;
    dir.join(&record.module_file)
        .is_file()
        .then_some(RouteBuild {
            fresh: true,
            ..record
        })
}

/// What a route build is made with: the tool's route, the file, the
/// Python, and the experiment's packages (where the tool is installed).
pub struct Job<'a> {
    pub route: Route,
    pub source: &'a Path,
    pub toolchain: &'a Toolchain,
    pub packages: &'a [PathBuf],
}

/// Builds the job's file unless a complete build of the same inputs is
/// there; each line of the tool's output goes to `on_line`.
pub fn ensure(
    home: &Home,
    job: &Job,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<RouteBuild> {
    let dir = dir_for(home, job.toolchain, job.route, job.source);
    if let Some(done) = existing(&dir) {
        return Ok(done);
    }
    let aside = dir.with_extension(format!("part-{}", std::process::id()));
    let _ = fs::remove_dir_all(&aside);
    let record = match make_in(&aside, job, cancel, on_line) {
        Ok(record) => record,
        // A failed or cancelled build leaves nothing behind.
        Err(e) => {
            let _ = fs::remove_dir_all(&aside);
            return Err(e);
        }
    };
    // Another lab may have finished the same build meanwhile: theirs stays.
    if fs::rename(&aside, &dir).is_err() {
        let _ = fs::remove_dir_all(&aside);
        return existing(&dir).ok_or_else(|| anyhow!("cannot move the build to {}", dir.display()));
    }
    Ok(record)
}

/// Compiles a copy of the job's file in `aside` and records what it made.
fn make_in(
    aside: &Path,
    job: &Job,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<RouteBuild> {
    let &Job {
        route,
        source,
        toolchain,
        packages,
    } = job;
    fs::create_dir_all(aside).with_context(|| format!("cannot create {}", aside.display()))?;
    let name = source
        .file_name()
        .ok_or_else(|| anyhow!("{} names no file", source.display()))?;
    fs::copy(source, aside.join(name))
        .with_context(|| format!("cannot copy {}", source.display()))?;
    let started = Instant::now();
    let (ok, lines) = stream::lines(
        command(toolchain, route, name.as_ref(), packages),
        aside,
        cancel,
        on_line,
    )
    .with_context(|| format!("{route} could not start"))?;
    if cancel.is_cancelled() {
        bail!("cancelled");
    }
    if !ok {
        bail!(
            "{route} failed on {}: {}",
            source.display(),
            first_error(&lines)
        );
    }
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    let module_file = module_in(aside, &stem)
        .ok_or_else(|| anyhow!("{route} made no module {stem}.*.so in {}", aside.display()))?;
    let record = RouteBuild {
        route,
        source: source.to_owned(),
        module_bytes: fs::metadata(aside.join(&module_file))?.len(),
        module_file,
        seconds: started.elapsed().as_secs_f64(),
        tool: route.requirement().unwrap_or_default().to_owned(),
        fresh: false,
    };
    fs::write(aside.join(RECORD), serde_json::to_string_pretty(&record)?)?;
    Ok(record)
}

/// The tool's command line, run in the build folder on the copied file,
/// with the experiment's packages (where the tool is) on `PYTHONPATH`.
fn command(
    toolchain: &Toolchain,
    route: Route,
    file: &Path,
    packages: &[PathBuf],
) -> duct::Expression {
    let python = toolchain.venv_python.as_os_str();
    let args: Vec<&std::ffi::OsStr> = match route {
        // `-i`: in place, beside the file; `-3`: Python 3 semantics.
        Route::Cython => vec![
            "-m".as_ref(),
            "Cython.Build.Cythonize".as_ref(),
            "-i".as_ref(),
            "-3".as_ref(),
        ],
        Route::Mypyc => vec!["-m".as_ref(), "mypyc".as_ref()],
        Route::Numba | Route::Pypy => Vec::new(),
    };
    let path = std::env::join_paths(packages).unwrap_or_default();
    duct::cmd(python, args.into_iter().chain([file.as_os_str()])).env("PYTHONPATH", path)
}

/// The extension module a tool left in `dir` for `stem`, by name.
fn module_in(dir: &Path, stem: &str) -> Option<PathBuf> {
    fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        (name.starts_with(&format!("{stem}.")) && name.ends_with(".so"))
            .then(|| PathBuf::from(name))
    })
}

/// The line a person needs from a failed tool's output: the compiler's or
/// the tool's first error, else its last line.
fn first_error(lines: &[String]) -> String {
    lines
        .iter()
        .find(|l| l.contains("error") || l.contains("Error"))
        .or_else(|| lines.iter().rev().find(|l| !l.trim().is_empty()))
        .map_or_else(|| "no output".to_owned(), |l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_tool_is_said_by_its_first_error() {
        let lines = [
            "Compiling reference.py because it changed.".to_owned(),
            "reference.py:3:4: Error compiling Cython file".to_owned(),
            "more".to_owned(),
        ];
        assert_eq!(
            first_error(&lines),
            "reference.py:3:4: Error compiling Cython file"
        );
        assert_eq!(first_error(&["a".into(), "".into()]), "a");
    }
}
