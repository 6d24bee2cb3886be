//! `pyo3-lab new NAME --from MODULE:FUNCTION`: the port of a function that
//! has none yet, scaffolded from what `profile` recorded of it: the
//! `#[pyfunction]` with the signature its calls suggest, its Python beside it
//! as a comment, `todo!()` for a body, and a race on the recorded calls. It
//! builds and races as it stands, and the race says the port is not written.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::STATE;
use super::profile::{Profile, Recorded};

const REPLAY: &str = include_str!("../../assets/template/lab_replay.py");
/// The recorded calls, copied beside the race that replays them.
const CALLS: &str = "calls.pickle";

/// Writes `parent/name` from the profile in `project` and returns the folder.
pub fn write(name: &str, parent: &Path, from: &str, project: &Path) -> Result<PathBuf> {
    let Some((module, function)) = from.rsplit_once(':') else {
        bail!("--from {from}: say which function as MODULE:FUNCTION (spellcheck.pure:closest)");
    };
    let profile = Profile::read(&project.join(STATE)).with_context(|| {
        format!(
            "no profile in {}: run `pyo3-lab profile -- python YOUR_PROGRAM.py` there first",
            project.display()
        )
    })?;
    let recorded = profile
        .recorded
        .iter()
        .find(|r| r.module == module && r.name == function)
        .with_context(|| {
            let names: Vec<String> = profile
                .recorded
                .iter()
                .map(|r| format!("{}:{}", r.module, r.name))
                .collect();
            format!(
                "--from {from}: the profile recorded no calls of it (it recorded {}); \
                 profile again with --record {function}",
                names.join(", ")
            )
        })?;
    if let Some(why) = &recorded.not_replayable {
        bail!("--from {from}: its calls cannot be replayed: {why}");
    }
    let pickle = recorded
        .pickle
        .as_deref()
        .context("the profile kept no calls of it")?;
    let file = python_file(project, &profile, recorded)?;
    let [cargo, pyproject] = crate::scaffold::crate_files(name);
    let files = [
        cargo,
        pyproject,
        ("src/lib.rs", lib_rs(name, recorded)),
        ("lab_replay.py", REPLAY.to_owned()),
        ("lab.toml", lab_toml(name, recorded, &file)),
    ];
    let dir = crate::scaffold::write_experiment(name, parent, &files)?;
    fs::copy(pickle, dir.join(CALLS)).with_context(|| format!("cannot copy {pickle}"))?;
    Ok(dir)
}

/// The file that defines the function: the project's own source, found by
/// its module, rather than the build's copy the program imported.
fn python_file(project: &Path, profile: &Profile, recorded: &Recorded) -> Result<PathBuf> {
    let source = crate::init::Project::read(project).ok().and_then(|p| {
        p.scan
            .modules
            .iter()
            .find(|m| m.module.as_deref() == Some(recorded.module.as_str()))
            .map(|m| project.join(&m.file))
    });
    let profiled = profile
        .functions
        .iter()
        .find(|f| f.module.as_deref() == Some(recorded.module.as_str()) && f.name == recorded.name)
        .map(|f| PathBuf::from(&f.file));
    let file = source
        .or(profiled)
        .context("the profile does not say which file defines it")?;
    Ok(crate::engine::experiment::absolute(&file)?)
}

fn lib_rs(name: &str, r: &Recorded) -> String {
    let python: String = r
        .source
        .as_deref()
        .unwrap_or("(its source was not found)")
        .lines()
        .map(|l| format!("/// {l}\n").replace("/// \n", "///\n"))
        .collect();
    format!(
        "//! The port of `{module}.{function}`, as `pyo3-lab new --from` wrote it: NOT WRITTEN\n\
         //! YET. Write the Rust in place of `todo!()`; `pyo3-lab --lab .` races it on the\n\
         //! {calls} calls the program made, and says it panicked until then.\n\n\
         use pyo3::prelude::*;\n\n\
         /// `{module}.{function}`, as the program runs it ({types}):\n\
         ///\n\
         /// ```python\n\
         {python}\
         /// ```\n\
         #[pyfunction]\n\
         #[allow(unused_variables)]\n\
         {signature} {{\n    \
             todo!(\"port {module}.{function}: its Python is in the comment above\")\n\
         }}\n\n\
         #[pymodule]\n\
         mod {name} {{\n    \
             #[pymodule_export]\n    \
             use super::{function};\n\
         }}\n",
        module = r.module,
        function = r.name,
        calls = r.kept,
        types = r.types,
        signature = r.signature,
    )
}

fn lab_toml(name: &str, r: &Recorded, file: &Path) -> String {
    format!(
        "# Written by `pyo3-lab new --from {module}:{function}`: a port of the function the\n\
         # program calls, not written yet, raced on the calls the program made.\n\
         name = \"{name}\"\n\
         description = \"The port of {module}.{function}, on {calls} calls the program made\"\n\
         module = \"{name}\"\n\n\
         [scenario]   # the calls pyo3-lab profile recorded, replayed: a pass a run\n\
         file = \"lab_replay.py\"\n\
         function = \"replay\"\n\n\
         [[python]]   # the program's own\n\
         file = \"{file}\"\n\
         function = \"{function}\"\n\n\
         [[rust]]   # the port: todo!() until you write it\n\
         function = \"{function}\"\n\n\
         [input]\n\
         args = [\"{CALLS}\"]\n",
        module = r.module,
        function = r.name,
        calls = r.kept,
        file = file.display(),
    )
}
