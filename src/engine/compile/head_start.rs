//! A new home's head start: while pip and maturin go into the new venv,
//! cargo compiles pyo3 for the first release build, with the environment
//! maturin will give it, so that build finds pyo3 compiled and only compiles
//! its own crate. The chapter's first answer (Python against release) comes
//! that much sooner. If anything differs, maturin compiles again: the head
//! start can waste work, never change a build.

use std::path::Path;
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cancel::{Cancel, GroupGuard};
use crate::engine::home::places::Home;
use crate::engine::types::{Target, Variant};

/// A cargo run under way, in a process group of its own.
pub struct HeadStart {
    /// The build it compiles for.
    pub krate: String,
    pub variant: Variant,
    /// Killed when dropped, or at once on Ctrl-C like every child of the lab.
    _group: GroupGuard,
    started: Instant,
    ended: Receiver<bool>,
}

/// How a head start ended.
pub struct Ended {
    pub seconds: f64,
    pub compiled: bool,
}

impl Ended {
    /// A line of the build's log: what this build's time does not count.
    pub fn describe(&self) -> String {
        if self.compiled {
            format!(
                "pyo3 was compiled for this build during set-up, beside pip and maturin, in \
                 {:.1} s: not counted in this build's time",
                self.seconds
            )
        } else {
            format!(
                "the compile begun during set-up stopped after {:.1} s: maturin compiles what it \
                 left",
                self.seconds
            )
        }
    }
}

impl HeadStart {
    /// Starts `cargo rustc` of `target`'s crate as maturin would compile it
    /// for the venv's `python` (version `short`, "3.11").
    pub fn start(home: &Home, python: &Path, short: &str, target: &Target) -> Result<Self> {
        let spec = target.variant.spec();
        let target_dir = home.cargo_target_of(&target.variant);
        let mut args: Vec<String> = vec!["rustc".into(), "--lib".into(), "--manifest-path".into()];
        args.push(target.dir.join("Cargo.toml").display().to_string());
        if spec.release {
            args.push("--release".into());
        }
        if !spec.features.is_empty() {
            args.extend(["--features".into(), spec.features.join(",")]);
        }
        for entry in &spec.config {
            args.extend(["--config".into(), entry.clone()]);
        }
        // The crate itself only checked: maturin compiles it again anyway.
        args.extend(["--".into(), "--emit=metadata".into()]);
        // What maturin sets for a pyo3 crate: pyo3's build script reruns,
        // and pyo3 compiles again, if any of these differs.
        let expression = duct::cmd("cargo", args)
            .dir(&target.dir)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("RUSTFLAGS", rustflags(&spec.rustflags).join(" "))
            .env("PYO3_PYTHON", python)
            .env(
                "PYO3_ENVIRONMENT_SIGNATURE",
                format!("cpython-{short}-64bit"),
            )
            .env("PYO3_BUILD_EXTENSION_MODULE", "1")
            .stdin_null()
            .stdout_null()
            .stderr_null()
            .unchecked()
            .before_spawn(|cmd| {
                crate::cancel::own_group_dying_with_us(cmd);
                Ok(())
            });
        // A thread of its own starts and waits for it: the child dies with
        // the thread that started it, and a job's thread ends before the
        // build that wants it begins.
        let (pid, ended) = (channel(), channel());
        std::thread::spawn(move || match expression.start() {
            Ok(handle) => {
                let _ = pid.0.send(Ok(handle.pids()[0] as i32));
                let _ = ended
                    .0
                    .send(handle.wait().is_ok_and(|o| o.status.success()));
            }
            Err(e) => {
                let _ = pid.0.send(Err(e));
            }
        });
        let group = pid
            .1
            .recv()
            .context("the head start's thread ended")?
            .context("cannot run cargo")?;
        Ok(Self {
            krate: target.krate.clone(),
            variant: target.variant.clone(),
            _group: Cancel::new().register(group),
            started: Instant::now(),
            ended: ended.1,
        })
    }

    /// Waits for it to end, or kills it when `cancelled` says so (asked
    /// every 50 ms).
    pub fn finish(self, cancelled: &dyn Fn() -> bool) -> Ended {
        use std::sync::mpsc::RecvTimeoutError;
        let tick = std::time::Duration::from_millis(50);
        let compiled = loop {
            match self.ended.recv_timeout(tick) {
                Ok(ok) => break ok,
                Err(RecvTimeoutError::Disconnected) => break false,
                Err(RecvTimeoutError::Timeout) if cancelled() => break false,
                Err(RecvTimeoutError::Timeout) => {}
            }
        };
        Ended {
            seconds: self.started.elapsed().as_secs_f64(),
            compiled,
        }
    }
}

/// A build's RUSTFLAGS: `extra` after any the user set for every build.
pub fn rustflags(extra: &[String]) -> Vec<String> {
    std::env::var("RUSTFLAGS")
        .ok()
        .into_iter()
        .chain(extra.iter().cloned())
        .collect()
}
