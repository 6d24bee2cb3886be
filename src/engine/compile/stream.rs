//! A tool run for its output: maturin and pip, started in a process group of
//! their own (killed with the lab's cancel), their output read line by line
//! as it comes, for the build pane and the log.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::cancel::Cancel;

/// Runs `expression` in `dir`, stdout and stderr merged, handing each line
/// to `on_line`; returns whether it succeeded, and every line.
pub fn lines(
    expression: duct::Expression,
    dir: &Path,
    cancel: &Cancel,
    on_line: &mut dyn FnMut(String),
) -> Result<(bool, Vec<String>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let handle = expression
        .dir(dir)
        .stdin_null()
        .stderr_to_stdout()
        .unchecked()
        .before_spawn(|cmd| {
            crate::cancel::own_group_dying_with_us(cmd);
            Ok(())
        })
        .reader()
        .context("cannot start it")?;
    let _group = cancel.register(handle.pids()[0] as i32);
    let mut lines = Vec::new();
    let mut reader = BufReader::new(&handle);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
        on_line(line.clone());
        lines.push(line);
    }
    let status = handle
        .try_wait()?
        .map(|o| o.status)
        .ok_or_else(|| anyhow!("it closed its output but did not exit"))?;
    Ok((status.success(), lines))
}

/// `expression` at a lower priority: set-up's pip, run while a head start
/// compiles the build a new home waits for, takes the CPU it leaves. Not the
/// idle class: beside two CPU hogs that starved ensurepip (0% CPU for over
/// three minutes), where nice 10 still lets set-up finish.
pub fn yielding(expression: duct::Expression) -> duct::Expression {
    expression.before_spawn(|cmd| {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the child between fork and exec and
        // calls only setpriority(2), which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setpriority(libc::PRIO_PROCESS, 0, 10);
                Ok(())
            });
        }
        Ok(())
    })
}
