//! `profile`, `swap` and `new --from` on the command line: what each is asked
//! (in the program's own terms, so the command line depends on this and not
//! the other way round), its output and its exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{Say, Setting, new_port, profile, run, swap, swap_in};
use crate::cancel::Cancel;
use crate::engine::Lab;

/// What `profile` and `swap` share: the project, the program, its time
/// limit, the JSON.
pub struct Run {
    pub dir: PathBuf,
    pub timeout: Duration,
    pub json: Option<PathBuf>,
    pub cmd: Vec<String>,
}

/// One of the program commands, as the command line asked it.
pub enum Request {
    Profile {
        top: usize,
        record: Vec<String>,
        rows: usize,
        run: Run,
    },
    Swap {
        rounds: usize,
        only: Vec<String>,
        run: Run,
    },
}

/// `profile` or `swap`: its exit code. 0: done (and for swap, the program
/// behaved the same); 1: a swap changed the program's output or a port
/// answered a recorded call otherwise; 2: the program, the project or the
/// set-up failed, said in one message.
pub fn exit_code(lab: Lab, request: Request) -> ExitCode {
    match answer(lab, request) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn answer(lab: Lab, request: Request) -> Result<bool> {
    let lab = Arc::new(lab);
    let say = || -> Say { Box::new(|line| eprintln!("[program] {line}")) };
    match request {
        Request::Profile {
            top,
            record,
            rows,
            run,
        } => {
            let program = run::Program::parse(&run.cmd, &std::env::current_dir()?)?;
            let setting = Setting::open(
                &run.dir,
                lab,
                &profile::tools(&program),
                say(),
                Cancel::new(),
            )?;
            let options = profile::Options {
                top,
                record,
                timeout: run.timeout,
            };
            let found = profile::profile(&setting, &program, &options)?;
            print!("{}", profile::text(&found, rows));
            if let Some(path) = &run.json {
                write_json(path, &found)?;
            }
            Ok(true)
        }
        Request::Swap { rounds, only, run } => {
            let program = run::Program::parse(&run.cmd, &std::env::current_dir()?)?;
            let options = swap::Options {
                rounds,
                timeout: run.timeout,
            };
            let report = swap_in(
                &run.dir,
                lab,
                &program,
                &only,
                &options,
                say(),
                Cancel::new(),
            )?;
            print!("{}", swap::text(&report));
            if let Some(path) = &run.json {
                write_json(path, &report)?;
            }
            Ok(report.passed())
        }
    }
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `pyo3-lab new NAME --from MODULE:FUNCTION`, from the profile here.
pub fn new_port(name: &str, parent: &Path, from: &str) -> ExitCode {
    let written = std::env::current_dir()
        .map_err(anyhow::Error::from)
        .and_then(|here| new_port::write(name, parent, from, &here));
    match written {
        Ok(dir) => {
            println!(
                "created {0}: the port of {from}, NOT WRITTEN YET (its body is todo!(), its \
                 Python in a comment above it)\n  write it in {0}/src/lib.rs, then race it on \
                 the program's calls:  pyo3-lab --lab {0}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
