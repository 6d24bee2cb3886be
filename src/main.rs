//! pyo3-lab: race a Python function against its PyO3 port, and watch the GIL.

mod bench;
mod cancel;
mod check;
mod clean;
mod cli;
mod engine;
mod fibonacci;
mod init;
mod program;
mod report;
mod scaffold;
mod tui;
mod units;
mod worker;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use engine::Lab;
use engine::home::places::{Home, Project};

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Init {
        dir,
        list,
        function,
        check,
    }) = &cli.command
    {
        let options = init::Options {
            list: *list,
            function: function.clone(),
            replays: program::replays(dir),
        };
        match (init_command(dir, &options, &cli), check) {
            // A new user's first minute: the lab.toml written, then raced.
            (Ok(true), true) => {
                cli.lab.lab = vec![dir.clone()];
                cli.check = true;
                cli.command = None;
            }
            (Ok(false), true) => return ExitCode::FAILURE,
            (Ok(_), false) => return ExitCode::SUCCESS,
            (Err(code), _) => return code,
        }
    }
    if let Some(code) = cli.command.as_ref().and_then(|c| on_its_own(c, &cli)) {
        return code;
    }
    if let Err(e) = race_where_the_code_is(&mut cli) {
        eprintln!("{e}");
        return ExitCode::from(2);
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
        .unwrap_or_else(engine::compile::bootstrap::default_python);
    let pypy = cli.lab.pypy.clone();
    // A program's own project is the lab's one experiment folder: a new
    // home's head start is for its build, not a lesson's.
    let dirs = match &cli.command {
        Some(Command::Profile { program, .. } | Command::Swap { program, .. }) => {
            vec![program.dir.clone()]
        }
        _ => cli.lab.lab.clone(),
    };
    let lab = |sink| Lab::new(home, project, (python, pypy), sink, &dirs);
    // Ctrl-C, SIGTERM, SIGHUP: kill every build and worker first. --check then
    // finishes its report as incomplete; the TUI restores the terminal and goes.
    let tui = !cli.check && cli.command.is_none();
    let _ = ctrlc::set_handler(move || {
        cancel::interrupt();
        if tui {
            ratatui::restore();
            std::process::exit(130);
        }
    });
    if let Some(request) = cli.command.as_ref().and_then(Command::program_request) {
        let (lab, _) = lab(check::progress_printer());
        program::command::exit_code(lab, request)
    } else if let Some(Command::Bench { n, rounds }) = cli.command {
        let (lab, _) = lab(check::progress_printer());
        bench::run(&lab, n, rounds)
    } else if cli.check {
        let (lab, load_errors) = lab(check::progress_printer());
        check::run(&cli, lab, load_errors)
    } else {
        tui::run(lab, cli.race.n)
    }
}

/// The commands that need no lab: their exit code. None for those that do
/// (bench), which `main` runs with the lab.
fn on_its_own(command: &Command, cli: &Cli) -> Option<ExitCode> {
    Some(match command {
        Command::Worker { paths } => match worker::server::main(paths) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pyo3-lab worker: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Init { .. } => unreachable!("init is run before the other commands"),
        Command::New {
            name,
            dir,
            from: Some(from),
            ..
        } => program::command::new_port(name, dir, from),
        Command::New {
            name,
            dir,
            numpy,
            class,
            routes,
            from: None,
        } => new_command(name, dir, (*numpy, *class, *routes)),
        Command::Compare {
            reports,
            markdown,
            fail_if_slower,
        } => report::compare::run(&report::compare::Args {
            reports: reports.clone(),
            markdown: markdown.clone(),
            fail_if_slower: *fail_if_slower,
        }),
        Command::Clean {
            unused_for,
            all,
            dry_run,
        } => {
            let options = engine::home::clean::Options {
                unused_for: *unused_for,
                all: *all,
                dry_run: *dry_run,
            };
            clean::run(&cli.lab.home, options)
        }
        Command::Bench { .. } | Command::Profile { .. } | Command::Swap { .. } => return None,
    })
}

/// `pyo3-lab init`: the lab.toml written, what was found and by which
/// rule, and what to do next. Ok(true) when it races as written (no TODO).
fn init_command(
    dir: &std::path::Path,
    options: &init::Options,
    cli: &Cli,
) -> Result<bool, ExitCode> {
    let failed = |e: anyhow::Error| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    };
    // Candidates are tried in a lab of the project's own, made only when
    // there is one to try: a build and the differential check.
    let mut trial = |dir: &std::path::Path, draft: &init::Draft| {
        eprintln!("init: trying exports that share a family's parameters, on its inputs");
        let (home, project) = locate(cli)?;
        let python = cli
            .lab
            .python
            .clone()
            .unwrap_or_else(engine::compile::bootstrap::default_python);
        let (lab, _) = Lab::new(
            home,
            project,
            (python, cli.lab.pypy.clone()),
            check::progress_printer(),
            &[dir.to_path_buf()],
        );
        init::try_candidates(&lab, dir, draft)
    };
    if options.list {
        for family in init::list(dir, &mut trial).map_err(failed)? {
            println!("{family}");
        }
        return Ok(false);
    }
    let written = init::init(dir, options, &mut trial).map_err(failed)?;
    println!("wrote {}", written.lab_toml.display());
    for file in &written.files {
        println!("wrote {}", file.display());
    }
    for line in &written.found {
        println!("  {line}");
    }
    if !written.others.is_empty() {
        println!("  also exported (init --function NAME writes one of these instead):");
        for other in &written.others {
            println!("    {other}");
        }
    }
    if !written.todos.is_empty() {
        println!(
            "fill in the lines marked TODO, then pyo3-lab --lab {}:",
            dir.display()
        );
        for todo in &written.todos {
            println!("  {todo}");
        }
        return Ok(false);
    }
    let races = match written.races {
        1 => String::new(),
        n => format!(" ({n} races, one a function)"),
    };
    println!(
        "race it{races}:  pyo3-lab --lab {0}\ncheck it (CI):  pyo3-lab --check --lab {0}",
        dir.display()
    );
    Ok(true)
}

/// `pyo3-lab new`: the experiment scaffolded, and how to race it.
fn new_command(
    name: &str,
    dir: &std::path::Path,
    (numpy, class, routes): (bool, bool, bool),
) -> ExitCode {
    let kind = match (numpy, class, routes) {
        (true, _, _) => scaffold::Kind::Numpy,
        (_, true, _) => scaffold::Kind::Class,
        (_, _, true) => scaffold::Kind::Routes,
        _ => scaffold::Kind::Function,
    };
    match scaffold::new_experiment(name, dir, kind) {
        Ok(path) => {
            println!(
                "created {0}\n  race it:        pyo3-lab --lab {0}\n  check it (CI):  pyo3-lab --check --lab {0}\n\
                 edit reference.py and src/lib.rs, and lab.toml to say what to call",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// With no `--lab`, a folder with a lab.toml is the experiment to race;
/// a maturin project without one is told how to make one.
fn race_where_the_code_is(cli: &mut Cli) -> anyhow::Result<()> {
    if !cli.lab.lab.is_empty() || cli.command.is_some() {
        return Ok(());
    }
    let Ok(here) = std::env::current_dir() else {
        return Ok(());
    };
    if here.join(engine::experiment::LAB_TOML).is_file() {
        cli.lab.lab.push(here);
    } else if engine::experiment::maturin::missing_manifest(&here).is_none() {
        anyhow::bail!(
            "{} is a maturin project without a lab.toml: `pyo3-lab init` writes one from the \
             project as it is, `pyo3-lab init --check` writes it and races it (or pass --lab DIR \
             to race another experiment)",
            here.display()
        );
    }
    Ok(())
}

fn locate(cli: &Cli) -> anyhow::Result<(Home, Project)> {
    let home = Home::open(&cli.lab.home)?;
    let project = Project::locate(cli.lab.project.as_deref(), &home)?;
    Ok((home, project))
}
