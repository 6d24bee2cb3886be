//! Cancelling running work: a flag the engine polls, and the process groups it
//! kills at once.
//!
//! Every child the engine starts leads its own process group, so a kill reaches
//! the grandchildren too (maturin -> cargo -> rustc; a worker's threads).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Every process group any job has running, so a signal to the lab reaches them all.
static ALL_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// Set by Ctrl-C, SIGTERM or SIGHUP: every token counts as cancelled from then on.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Cancels everything at once: what a signal handler calls.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    for &pgid in ALL_GROUPS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        kill_group(pgid);
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[derive(Clone, Default)]
pub struct Cancel {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    flag: AtomicBool,
    groups: Mutex<Vec<i32>>,
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst) || interrupted()
    }

    /// Stops everything running under this token: the flag first, so no new child
    /// is started, then a SIGKILL to every registered process group.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        for &pgid in self.inner.groups.lock().unwrap().iter() {
            kill_group(pgid);
        }
    }

    /// Registers a child's process group until the guard drops.
    pub fn register(&self, pgid: i32) -> GroupGuard {
        self.inner.groups.lock().unwrap().push(pgid);
        ALL_GROUPS.lock().unwrap().push(pgid);
        if self.is_cancelled() {
            kill_group(pgid);
        }
        GroupGuard {
            cancel: self.clone(),
            pgid,
        }
    }
}

/// Kills the group when the work is done with it, so no stray grandchild
/// outlives its job (a surviving rustc can hold a pipe open forever).
pub struct GroupGuard {
    cancel: Cancel,
    pgid: i32,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.pgid);
        self.cancel
            .inner
            .groups
            .lock()
            .unwrap()
            .retain(|&g| g != self.pgid);
        ALL_GROUPS.lock().unwrap().retain(|&g| g != self.pgid);
    }
}

pub fn kill_group(pgid: i32) {
    if pgid > 1 {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Prepares a child to lead its own process group (so a kill reaches its
/// children too) and to die with the lab even when the lab cannot run a
/// handler (`kill -9`, the OOM killer): on Linux the kernel sends it SIGKILL
/// when the thread that started it is gone.
pub fn own_group_dying_with_us(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpid(2) is async-signal-safe and touches no memory.
        let lab = unsafe { libc::getpid() };
        // SAFETY: the closure runs in the child between fork and exec and calls
        // only async-signal-safe functions (prctl, getppid, _exit).
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // The lab may have died before the line above: then go at once.
                if libc::getppid() != lab {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
}
