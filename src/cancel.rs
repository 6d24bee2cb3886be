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
