//! pyo3-lab: race a Python function against its PyO3 port, and watch the GIL.

mod check;
mod cli;
mod engine;
mod report;
mod tui;
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
    let (home, project) = match locate(&cli) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let python = cli
        .lab
        .python
        .clone()
        .unwrap_or_else(engine::bootstrap::default_python);
    let lab = |sink| Lab::new(home, project, python, sink, &cli.lab.lab);
    if cli.check {
        let (lab, load_errors) = lab(check::progress_printer());
        check::run(&cli, lab, load_errors)
    } else {
        tui::run(lab)
    }
}

fn locate(cli: &Cli) -> anyhow::Result<(Home, Project)> {
    Ok((
        Home::open(&cli.lab.home)?,
        Project::locate(cli.lab.project.as_deref())?,
    ))
}
