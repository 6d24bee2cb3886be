//! The program, not just the function: `profile` says where a program's time
//! goes and what porting each function could buy it (Amdahl's bound), and
//! records how the candidates are really called; `swap` runs the whole
//! program with the ports in place of their twins and measures what they
//! bought, beside what the profile and the recorded calls predicted.
//!
//! Both run in a maturin project, the program as it is, in the lab's venv,
//! with the project's release build importable as after `maturin develop
//! --release`.

pub mod command;
pub mod new_port;
pub mod profile;
pub mod run;
mod signature;
pub mod swap;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::cancel::Cancel;
use crate::engine::Lab;
use crate::engine::compile::bootstrap::Toolchain;
use crate::engine::compile::packages;
use crate::engine::types::{Target, Variant};
use crate::init;

/// The profiler, pinned as maturin is: it samples the running process from
/// outside (no hook in the program's calls to charge them overhead).
pub const PY_SPY: &str = "py-spy==0.4.3";
/// Installed when the program is pytest.
pub const PYTEST: &str = "pytest==9.2.0";
/// Where `profile` leaves what `swap` and `init` read, in the project.
pub const STATE: &str = ".pyo3-lab";

/// A Python function with a Rust port beside it: where the twin is imported
/// from, and the export that replaces it.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// The twin's dotted module and name.
    pub module: String,
    pub name: String,
    pub port_module: String,
    pub port_name: String,
}

impl Port {
    pub fn twin(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    pub fn port(&self) -> String {
        format!("{}.{}", self.port_module, self.port_name)
    }
}

/// Where a command's progress goes: stderr on the command line, the status
/// line in the terminal.
pub type Say = Box<dyn Fn(String) + Send + Sync>;

/// A project made ready for its program: built, with the tools installed.
pub struct Setting {
    pub dir: PathBuf,
    pub lab: Arc<Lab>,
    pub say: Say,
    /// Kills the program's runs (Esc in the terminal, Ctrl-C).
    pub cancel: Cancel,
    pub toolchain: Toolchain,
    pub project: init::Project,
    /// PYTHONPATH for the program: the build, then the tools.
    pub path: Vec<PathBuf>,
    /// The tools' folder (py-spy's binary is in its `bin`).
    pub tools: Option<PathBuf>,
    pub runner: PathBuf,
}

impl Setting {
    /// Sets up the venv, builds `dir`'s crate (release) and installs `tools`.
    pub fn open(
        dir: &Path,
        lab: Arc<Lab>,
        tools: &[String],
        say: Say,
        cancel: Cancel,
    ) -> Result<Self> {
        let dir = crate::engine::experiment::absolute(dir)?;
        let project = init::Project::read(&dir).map_err(|e| {
            anyhow!("{e:#}").context(format!("{}: not a maturin project", dir.display()))
        })?;
        let toolchain = lab.bootstrap()?;
        let key = dir
            .file_name()
            .map_or_else(|| project.module.clone(), |n| n.to_string_lossy().into());
        let target = Target {
            module: Some(project.module.clone()),
            ..Target::new(&key, &dir, Variant::release())
        };
        lab.build(&toolchain, &target, false, &cancel)
            .with_context(|| format!("the release build of {}", dir.display()))?;
        let mut path = vec![lab.home.site(&target)];
        let tools_dir = packages::dir_for(&lab.home, &toolchain, tools);
        if !tools.is_empty() {
            say(format!("installing {}", tools.join(", ")));
            packages::ensure(&lab.home, &toolchain, tools, &cancel, &mut |_| {})
                .with_context(|| format!("installing {}", tools.join(", ")))?;
            path.extend(tools_dir.clone());
        }
        let runner = lab.project.assets().join("program_runner.py");
        if !runner.is_file() {
            bail!(
                "{} is missing: the lab's assets are incomplete",
                runner.display()
            );
        }
        Ok(Self {
            dir,
            lab,
            say,
            cancel,
            toolchain,
            project,
            path,
            tools: tools_dir,
            runner,
        })
    }

    /// The functions of the project with a port: each family's twin, when it
    /// is in a module of the package maturin builds.
    pub fn ports(&self) -> Vec<Port> {
        let port_module = self.project.module.clone();
        init::families::of(&self.project)
            .iter()
            .filter_map(|f| {
                let twin = f.twin.as_ref()?;
                Some(Port {
                    module: twin.module.clone()?,
                    name: twin.def.name.clone(),
                    port_module: port_module.clone(),
                    port_name: f.head.name.clone(),
                })
            })
            .collect()
    }

    /// `python program_runner.py ARGS`: `program` under the lab's runner.
    pub fn runner(
        &self,
        program: &run::Program,
        args: Vec<OsString>,
        timeout: Duration,
    ) -> Result<run::Ran> {
        let mut all: Vec<OsString> = vec![self.runner.clone().into()];
        all.extend(args);
        self.run(program, &self.toolchain.venv_python, &all, timeout)
    }

    /// `exe ARGS` where `program` runs, with the build importable.
    pub fn run(
        &self,
        program: &run::Program,
        exe: &Path,
        args: &[OsString],
        timeout: Duration,
    ) -> Result<run::Ran> {
        run::command(exe, args, &self.path, (&program.cwd, timeout), &self.cancel)
    }

    /// The project's folder of what `profile` found.
    pub fn state(&self) -> PathBuf {
        self.dir.join(STATE)
    }
}

/// The swap of `program` in the project `dir`, from the command line or the
/// terminal alike: the project set up and built, each port with a twin (or
/// those `only` names) swapped in, the rounds run.
pub fn swap_in(
    dir: &Path,
    lab: Arc<Lab>,
    program: &run::Program,
    only: &[String],
    options: &swap::Options,
    say: Say,
    cancel: Cancel,
) -> Result<swap::Report> {
    let setting = Setting::open(dir, lab, &program.tools(), say, cancel)?;
    let ports = swap::chosen(setting.ports(), only, &setting.dir)?;
    swap::swap(&setting, program, &ports, options)
}

/// What `profile` recorded in the project `dir`, as init replays it: the
/// replayable functions, their pickles relative to `dir`.
pub fn replays(dir: &Path) -> Vec<init::Replay> {
    let Some(profile) = profile::Profile::read(&dir.join(STATE)) else {
        return Vec::new();
    };
    let Ok(root) = crate::engine::experiment::absolute(dir) else {
        return Vec::new();
    };
    profile
        .recorded
        .into_iter()
        .filter(|r| r.not_replayable.is_none())
        .filter_map(|r| {
            let pickle = Path::new(r.pickle.as_ref()?).strip_prefix(&root).ok()?;
            Some(init::Replay {
                pickle: pickle.display().to_string(),
                module: r.module,
                name: r.name,
                calls: r.kept,
            })
        })
        .collect()
}
