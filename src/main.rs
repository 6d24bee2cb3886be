//! pyo3-lab: race a Python function against its PyO3 port, and watch the GIL.

mod check;
mod cli;
mod engine;
mod report;
mod worker;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use engine::Lab;
use engine::home::{Home, Project};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Worker { paths }) = &cli.command {
        return match worker::main(paths) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pyo3-lab worker: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let lab = match open_lab(&cli) {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if cli.check {
        check::run(&cli, lab)
    } else {
        eprintln!("the terminal UI is not built yet: use --check");
        ExitCode::FAILURE
    }
}

fn open_lab(cli: &Cli) -> anyhow::Result<Lab> {
    Ok(Lab {
        home: Home::open(&cli.lab.home)?,
        project: Project::locate(cli.lab.project.as_deref())?,
        python: cli
            .lab
            .python
            .clone()
            .unwrap_or_else(engine::bootstrap::default_python),
        sink: check::lab_sink(),
    })
}
