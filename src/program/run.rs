//! A user's program, as `profile` and `swap` run it: the command read as
//! Python reads it, run in the lab's venv with the project's release build
//! importable, timed, its output kept, killed at `--timeout`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cancel::Cancel;

/// A run of the program is stopped after this long unless `--timeout` says.
pub const TIMEOUT_SECONDS: u64 = 600;

/// What the program is: a script or a module, and its arguments, as they
/// follow `python`.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// `app.py ARGS` or `-m MODULE ARGS`.
    pub argv: Vec<String>,
    /// The command as the user gave it, for messages.
    pub shown: String,
    /// Where it runs: where the user ran the lab.
    pub cwd: PathBuf,
    /// The command as given.
    pub cmd: Vec<String>,
}

impl Program {
    /// Reads `python SCRIPT ARGS`, `python -m MODULE ARGS`, `SCRIPT.py ARGS`
    /// or `pytest ARGS`, run in `cwd`; the venv's Python stands in for any
    /// `python`.
    pub fn parse(cmd: &[String], cwd: &Path) -> Result<Self> {
        let shown = cmd.join(" ");
        let Some(first) = cmd.first() else {
            bail!("no program given: put it after --, as in `pyo3-lab profile -- python app.py`");
        };
        let base = Path::new(first)
            .file_name()
            .map_or(first.clone(), |n| n.to_string_lossy().into_owned());
        let argv: Vec<String> = if base.starts_with("python") {
            cmd[1..].to_vec()
        } else if base == "pytest" || base == "py.test" {
            ["-m", "pytest"]
                .iter()
                .map(|s| s.to_string())
                .chain(cmd[1..].iter().cloned())
                .collect()
        } else if first.ends_with(".py") {
            cmd.to_vec()
        } else {
            bail!(
                "{shown}: the lab runs Python programs: `python SCRIPT ARGS`, `python -m MODULE ARGS` \
                 or `pytest ARGS`"
            );
        };
        match argv.first().map(String::as_str) {
            None => bail!("{shown}: no script or -m MODULE after python"),
            Some("-m") if argv.len() < 2 => bail!("{shown}: no module after -m"),
            Some("-m") => {}
            Some(flag) if flag.starts_with('-') => {
                bail!(
                    "{shown}: the lab runs `python SCRIPT` or `python -m MODULE`, not python {flag}"
                )
            }
            Some(script) if !cwd.join(script).is_file() => {
                bail!(
                    "{shown}: the program is not found: no file {script} in {}",
                    cwd.display()
                )
            }
            Some(_) => {}
        }
        Ok(Self {
            argv,
            shown,
            cwd: cwd.to_path_buf(),
            cmd: cmd.to_vec(),
        })
    }

    /// Whether it runs pytest, which the lab then installs.
    pub fn is_pytest(&self) -> bool {
        self.argv.len() >= 2 && self.argv[0] == "-m" && self.argv[1] == "pytest"
    }

    /// What the lab installs for it to run: pytest, pinned, when it runs it.
    pub fn tools(&self) -> Vec<String> {
        if self.is_pytest() {
            vec![super::PYTEST.to_owned()]
        } else {
            Vec::new()
        }
    }
}

/// How one run of the program ended.
#[derive(Clone, Debug)]
pub struct Ran {
    pub seconds: f64,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its last lines of stderr, for a failure's message.
    pub fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// The program's own failure, said as such: its exit code and the last
    /// of what it wrote to stderr.
    pub fn failure(&self, program: &Program) -> String {
        let how = match self.code {
            Some(c) => format!("exited with code {c}"),
            None => "was killed by a signal".into(),
        };
        format!(
            "the program `{}` {how} (its failure, not the lab's); the last of its stderr:\n{}",
            program.shown,
            self.stderr_tail()
        )
    }
}

/// `exe ARGS` (the venv's Python, or py-spy running it) with `path` on
/// PYTHONPATH, in `cwd`; killed at `timeout` (an error that
/// says so), on Ctrl-C or when `cancel` is.
pub fn command(
    exe: &Path,
    args: &[OsString],
    path: &[PathBuf],
    (cwd, timeout): (&Path, Duration),
    cancel: &Cancel,
) -> Result<Ran> {
    let pythonpath = std::env::join_paths(path).context("a path with ':' in it")?;
    let started = Instant::now();
    let handle = duct::cmd(exe, args)
        .env("PYTHONPATH", pythonpath)
        .dir(cwd)
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .before_spawn(|cmd| {
            crate::cancel::own_group_dying_with_us(cmd);
            Ok(())
        })
        .start()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let _group = cancel.register(handle.pids()[0] as i32);
    let output = loop {
        if let Some(done) = handle.try_wait()? {
            break done.clone();
        }
        if cancel.is_cancelled() {
            bail!("cancelled");
        }
        if started.elapsed() > timeout {
            crate::cancel::kill_group(handle.pids()[0] as i32);
            bail!(
                "the program ran for more than {} s, and was stopped: raise --timeout if it needs longer",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Ran {
        seconds: started.elapsed().as_secs_f64(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn parse(cmd: &[String]) -> Result<Program> {
        Program::parse(cmd, &std::env::current_dir().unwrap())
    }

    #[test]
    fn a_command_is_read_as_python_reads_it() {
        let m = parse(&words("python3 -m pytest -q tests")).unwrap();
        assert_eq!(m.argv, words("-m pytest -q tests"));
        assert!(m.is_pytest());
        assert_eq!(
            parse(&words("pytest -x")).unwrap().argv,
            words("-m pytest -x")
        );
        let e = parse(&words("ls -l")).unwrap_err().to_string();
        assert!(e.contains("runs Python programs"), "{e}");
        let e = parse(&words("python no_such_app.py"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not found: no file no_such_app.py"), "{e}");
        let e = parse(&words("python -c 1")).unwrap_err().to_string();
        assert!(e.contains("not python -c"), "{e}");
        assert!(parse(&[]).is_err());
    }
}
