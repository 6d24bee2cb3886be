//! The parent's side of a worker: start it in its own process group, send
//! requests, read replies, and tell a Python error from a crash, a timeout or
//! a cancel.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cancel::{Cancel, GroupGuard};
use super::protocol::{FailKind, Reply, Request, decode, encode};

/// The hidden subcommand that starts a worker.
pub const WORKER_COMMAND: &str = "__worker";

/// How long an interpreter may take to start and import nothing.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a wait looks at the cancel flag: the bound on how late a cancel lands.
const POLL: Duration = Duration::from_millis(20);

#[derive(Clone, Debug, PartialEq)]
pub enum WorkerError {
    /// The call raised in Python (an exception, a Rust panic, an overflow).
    Failed {
        kind: FailKind,
        message: String,
    },
    /// The process died: a signal (segfault, abort) or an unexpected exit.
    Crashed(String),
    Cancelled,
    TimedOut(Duration),
    /// The worker could not be started or spoke nonsense.
    Broken(String),
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerError::Failed { kind, message } => write!(f, "{} ({message})", kind.verb()),
            WorkerError::Crashed(how) => write!(f, "crashed ({how})"),
            WorkerError::Cancelled => write!(f, "cancelled"),
            WorkerError::TimedOut(limit) => {
                write!(
                    f,
                    "aborted (over the {:.0} s time limit)",
                    limit.as_secs_f64()
                )
            }
            WorkerError::Broken(why) => write!(f, "worker failed ({why})"),
        }
    }
}

/// A request's end: the time of the work, `repr()` of the result, its JSON,
/// and whether it equalled what was expected (when something was).
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub seconds: f64,
    pub result: String,
    pub json: Option<String>,
    pub correct: Option<bool>,
}

enum Message {
    Reply(Reply),
    Garbled(String),
    Closed,
}

pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Message>,
    stderr: Arc<Mutex<String>>,
    cancel: Cancel,
    pub python: String,
    _group: GroupGuard,
}

impl Worker {
    /// Starts a worker with `paths` first on its `sys.path` and waits until its
    /// interpreter is up.
    pub fn spawn(paths: &[PathBuf], cancel: &Cancel) -> Result<Self, WorkerError> {
        let exe = std::env::current_exe().map_err(|e| WorkerError::Broken(e.to_string()))?;
        let mut cmd = Command::new(exe);
        cmd.arg(WORKER_COMMAND);
        for p in paths {
            cmd.arg("--path").arg(p);
        }
        cmd.env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONHOME")
            .env_remove("PYTHONPATH")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| WorkerError::Broken(format!("cannot start a worker: {e}")))?;
        let group = cancel.register(child.id() as i32);
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let mut err_pipe = child.stderr.take().expect("piped");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(lines.read_line(&mut line), Ok(n) if n > 0) {
                let msg = decode(&line)
                    .map(Message::Reply)
                    .unwrap_or_else(|_| Message::Garbled(line.trim_end().to_owned()));
                line.clear();
                if tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = tx.send(Message::Closed);
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut worker = Self {
            child,
            stdin,
            replies,
            stderr,
            cancel: cancel.clone(),
            python: String::new(),
            _group: group,
        };
        match worker.next(Some(Instant::now() + START_TIMEOUT))? {
            Reply::Ready { python } => worker.python = python,
            other => return Err(WorkerError::Broken(format!("unexpected {other:?}"))),
        }
        Ok(worker)
    }

    /// Sends one request and waits for its end, passing every reply on the way
    /// (progress, printed lines) to `on_reply`. Returns the time and result.
    pub fn call(
        &mut self,
        request: &Request,
        limit: Option<Duration>,
        mut on_reply: impl FnMut(&Reply),
    ) -> Result<Finished, WorkerError> {
        let deadline = limit.map(|l| Instant::now() + l);
        self.stdin
            .write_all(encode(request).as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|_| self.died())?;
        loop {
            match self.next(deadline) {
                Ok(Reply::Finished {
                    seconds,
                    result,
                    json,
                    correct,
                }) => {
                    return Ok(Finished {
                        seconds,
                        result,
                        json,
                        correct,
                    });
                }
                Ok(Reply::Failed { kind, message }) => {
                    return Err(WorkerError::Failed { kind, message });
                }
                Ok(reply) => on_reply(&reply),
                Err(WorkerError::TimedOut(_)) => {
                    return Err(WorkerError::TimedOut(limit.unwrap_or_default()));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn next(&mut self, deadline: Option<Instant>) -> Result<Reply, WorkerError> {
        loop {
            if self.cancel.is_cancelled() {
                self.kill();
                return Err(WorkerError::Cancelled);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.kill();
                return Err(WorkerError::TimedOut(Duration::ZERO));
            }
            match self.replies.recv_timeout(POLL) {
                Ok(Message::Reply(reply)) => return Ok(reply),
                Ok(Message::Garbled(line)) => {
                    self.kill();
                    return Err(WorkerError::Broken(format!("unreadable reply: {line}")));
                }
                Ok(Message::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.died());
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn kill(&mut self) {
        super::cancel::kill_group(self.child.id() as i32);
        let _ = self.child.wait();
    }

    /// Why the worker's output ended: a signal, or an exit with its last words.
    fn died(&mut self) -> WorkerError {
        if self.cancel.is_cancelled() {
            self.kill();
            return WorkerError::Cancelled;
        }
        let status = self.child.wait();
        // Give the stderr reader a moment to collect the last words.
        std::thread::sleep(Duration::from_millis(50));
        let stderr = self.stderr.lock().unwrap();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_owned();
        match status {
            Ok(s) if s.signal().is_some() => {
                let sig = s.signal().unwrap_or_default();
                WorkerError::Crashed(format!("signal {sig}, {}", signal_name(sig)))
            }
            Ok(s) => WorkerError::Crashed(format!("exit code {}: {last}", s.code().unwrap_or(-1))),
            Err(e) => WorkerError::Broken(e.to_string()),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}
