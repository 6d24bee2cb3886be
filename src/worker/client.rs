//! The parent's side of a worker: start it in its own process group, send
//! requests, read replies, and tell a Python error from a crash, a timeout or
//! a cancel.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{FailKind, Reply, Request, decode, encode};
use crate::cancel::{Cancel, GroupGuard};

/// The hidden subcommand that starts a worker.
pub const WORKER_COMMAND: &str = "__worker";

/// The first `name` on PATH that is a file.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

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
    /// `how`: the signal or exit code; `why`: what it said last, if anything.
    Crashed {
        how: String,
        why: String,
    },
    Cancelled,
    TimedOut(Duration),
    /// The worker could not be started or spoke nonsense.
    Broken(String),
    /// The interpreter a route runs on is not here: what to install.
    NoInterpreter(String),
}

impl std::error::Error for WorkerError {}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerError::Failed { kind, message } => write!(f, "{} ({message})", kind.verb()),
            WorkerError::Crashed { how, why } if why.is_empty() => write!(f, "crashed ({how})"),
            WorkerError::Crashed { how, why } => write!(f, "crashed ({how}): {why}"),
            WorkerError::Cancelled => write!(f, "cancelled"),
            WorkerError::TimedOut(limit) => {
                write!(
                    f,
                    "aborted (over the {:.0} s time limit)",
                    limit.as_secs_f64()
                )
            }
            WorkerError::Broken(why) => write!(f, "worker failed ({why})"),
            WorkerError::NoInterpreter(what) => f.write_str(what),
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
    /// Where the result differs from the one expected, when it does.
    pub mismatch: Option<String>,
    /// A scenario's phases and their seconds per call, in order.
    pub phases: Vec<(String, f64)>,
}

#[cfg(test)]
impl Finished {
    /// What a scripted worker answers: `result` (its JSON too), right when it
    /// equals `expect`.
    pub fn scripted(seconds: f64, result: &str, expect: &Option<super::protocol::Expect>) -> Self {
        let expect = expect.as_ref().and_then(super::protocol::Expect::json);
        Self {
            seconds,
            result: result.into(),
            json: Some(result.into()),
            correct: expect.map(|e| e == result),
            mismatch: expect
                .filter(|e| *e != result)
                .map(|e| format!("{result} vs {e}")),
            phases: Vec::new(),
        }
    }
}

enum Message {
    Reply(Reply),
    Garbled(String),
    Closed,
}

/// How long a dead worker's stderr may take to reach its end.
const LAST_WORDS: Duration = Duration::from_secs(2);

pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Message>,
    stderr: Arc<Mutex<String>>,
    /// Says when the stderr reader has read to the pipe's end.
    stderr_done: Receiver<()>,
    cancel: Cancel,
    pub python: String,
    /// The answer last sent, which the worker keeps: a request that checks
    /// against the same one says so instead of carrying it again.
    kept_answer: Option<String>,
    _group: GroupGuard,
}

impl Worker {
    /// Starts a worker with `paths` first on its `sys.path` and waits until its
    /// interpreter is up.
    pub fn spawn(paths: &[PathBuf], cancel: &Cancel) -> Result<Self, WorkerError> {
        Self::start(Self::command(&[])?, paths, cancel, START_TIMEOUT)
    }

    /// `spawn`, with `env` set in the worker's environment.
    pub fn spawn_with_env(
        env: &[(&str, &std::ffi::OsStr)],
        paths: &[PathBuf],
        cancel: &Cancel,
    ) -> Result<Self, WorkerError> {
        let mut cmd = Self::command(&[])?;
        cmd.envs(env.iter().copied());
        Self::start(cmd, paths, cancel, START_TIMEOUT)
    }

    /// Starts a worker run by `wrapper` (a command and its options, such as
    /// Valgrind's), which gets the worker's own command line after its own,
    /// and gives its interpreter up to `start_limit` to come up (under callgrind,
    /// beside two CPU hogs and three test binaries, over 30 s once).
    pub fn spawn_under(
        wrapper: &[std::ffi::OsString],
        paths: &[PathBuf],
        cancel: &Cancel,
        start_limit: Duration,
    ) -> Result<Self, WorkerError> {
        Self::start(Self::command(wrapper)?, paths, cancel, start_limit)
    }

    /// This program in its worker mode, run by `wrapper` if one is given.
    fn command(wrapper: &[std::ffi::OsString]) -> Result<Command, WorkerError> {
        let exe = std::env::current_exe().map_err(|e| WorkerError::Broken(e.to_string()))?;
        let mut cmd = match wrapper.split_first() {
            Some((program, options)) => {
                let mut cmd = Command::new(program);
                cmd.args(options).arg(exe);
                cmd
            }
            None => Command::new(exe),
        };
        cmd.arg(WORKER_COMMAND);
        Ok(cmd)
    }

    /// Starts the PyPy route's worker: the worker script run by `pypy` (by
    /// default `pypy3` on PATH), speaking the same protocol.
    pub fn spawn_pypy(
        pypy: Option<&Path>,
        paths: &[PathBuf],
        cancel: &Cancel,
    ) -> Result<Self, WorkerError> {
        let program = match pypy {
            Some(p) if p.is_file() => p.to_owned(),
            Some(p) => {
                return Err(WorkerError::NoInterpreter(format!(
                    "no PyPy at {} (--pypy): name the pypy3 to run, or install PyPy",
                    p.display()
                )));
            }
            None => on_path("pypy3").ok_or_else(|| {
                WorkerError::NoInterpreter(
                    "PyPy is not installed (no pypy3 on PATH): install it (Debian and Ubuntu: \
                     apt install pypy3; else pypy.org/download.html), or name it with --pypy PATH"
                        .into(),
                )
            })?,
        };
        let script = super::pypy::script().map_err(|e| {
            WorkerError::Broken(format!("cannot write the PyPy worker's files: {e}"))
        })?;
        let mut cmd = Command::new(program);
        cmd.arg(script);
        Self::start(cmd, paths, cancel, START_TIMEOUT)
    }

    /// Starts `cmd` (a worker's command line, its paths still to come) and
    /// waits up to `start_limit` until its interpreter is up.
    fn start(
        mut cmd: Command,
        paths: &[PathBuf],
        cancel: &Cancel,
        start_limit: Duration,
    ) -> Result<Self, WorkerError> {
        for p in paths {
            cmd.arg("--path").arg(p);
        }
        cmd.env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONHOME")
            .env_remove("PYTHONPATH")
            // The same hashes every run: instruction counts must not wobble.
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        crate::cancel::own_group_dying_with_us(&mut cmd);
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
        let (done, stderr_done) = mpsc::channel();
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
            let _ = done.send(());
        });
        let mut worker = Self {
            child,
            stdin: Some(stdin),
            replies,
            stderr,
            stderr_done,
            cancel: cancel.clone(),
            python: String::new(),
            kept_answer: None,
            _group: group,
        };
        match worker.next(Some(Instant::now() + start_limit)) {
            Ok(Reply::Ready { python }) => worker.python = python,
            Err(WorkerError::TimedOut(_)) => {
                return Err(WorkerError::Broken(format!(
                    "its interpreter did not start within {:.0} s",
                    start_limit.as_secs_f64()
                )));
            }
            Err(e) => return Err(e),
            Ok(other) => return Err(WorkerError::Broken(format!("unexpected {other:?}"))),
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
        let line = match request.expected_json() {
            Some(json) if self.kept_answer.as_deref() == Some(json) => {
                encode(&request.with_kept_answer())
            }
            Some(json) => {
                self.kept_answer = Some(json.to_owned());
                encode(request)
            }
            None => encode(request),
        };
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| WorkerError::Broken("closed".into()))?;
        stdin
            .write_all(line.as_bytes())
            .and_then(|_| stdin.flush())
            .map_err(|_| self.died())?;
        loop {
            match self.next(deadline) {
                Ok(Reply::Finished {
                    seconds,
                    result,
                    json,
                    correct,
                    mismatch,
                    phases,
                }) => {
                    return Ok(Finished {
                        seconds,
                        result,
                        json,
                        correct,
                        mismatch,
                        phases,
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

    /// Lets the worker end on its own (its requests are over) and waits up to
    /// `limit` for it: a tool it runs under writes its results at exit.
    pub fn finish(mut self, limit: Duration) -> Result<(), WorkerError> {
        self.stdin = None;
        let deadline = Instant::now() + limit;
        loop {
            if self.cancel.is_cancelled() {
                return Err(WorkerError::Cancelled);
            }
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(_)) => return Err(self.died()),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
                Ok(None) => return Err(WorkerError::TimedOut(limit)),
                Err(e) => return Err(WorkerError::Broken(e.to_string())),
            }
        }
    }

    fn kill(&mut self) {
        crate::cancel::kill_group(self.child.id() as i32);
        let _ = self.child.wait();
    }

    /// Why the worker's output ended: a signal, or an exit with its last words.
    fn died(&mut self) -> WorkerError {
        if self.cancel.is_cancelled() {
            self.kill();
            return WorkerError::Cancelled;
        }
        let status = self.child.wait();
        // The last words are whole once the reader reaches the pipe's end;
        // a process the worker left behind may hold the pipe open, so not
        // for ever.
        let _ = self.stderr_done.recv_timeout(LAST_WORDS);
        let why = last_words(&self.stderr.lock().unwrap());
        match status {
            Ok(s) if s.signal().is_some() => {
                let sig = s.signal().unwrap_or_default();
                WorkerError::Crashed {
                    how: format!("signal {sig}, {}", signal_name(sig)),
                    why,
                }
            }
            Ok(s) => WorkerError::Crashed {
                how: format!("exit code {}", s.code().unwrap_or(-1)),
                why,
            },
            Err(e) => WorkerError::Broken(e.to_string()),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a dead worker said last that explains its death: a Rust panic's
/// message and place when there is one (the first panic: where it began),
/// else its last meaningful lines. Backtrace hints and blank lines are left out.
pub fn last_words(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    let panic_at = |i: usize| {
        let place = lines[i]
            .split_once("panicked at ")
            .map_or(lines[i], |(_, p)| p)
            .trim_end_matches(':');
        (place, lines.get(i + 1).copied().unwrap_or(""))
    };
    let panics: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("panicked at"))
        .collect();
    match (panics.first(), panics.last()) {
        (Some(&first), Some(&last)) => {
            let (place, message) = panic_at(first);
            let then = if last != first {
                format!(" (then: {})", panic_at(last).1)
            } else {
                String::new()
            };
            format!("panicked at {place}: {message}{then}")
        }
        _ => {
            let last: Vec<&str> = lines.iter().rev().take(2).rev().copied().collect();
            last.join(" / ")
        }
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

#[cfg(test)]
mod tests {
    use super::last_words;

    #[test]
    fn a_panic_that_aborts_keeps_its_message_and_place() {
        let stderr = "\nthread '<unnamed>' (4711) panicked at src/lib.rs:101:20:\n\
                      attempt to add with overflow\n\
                      note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
                      thread '<unnamed>' (4711) panicked at library/core/src/panicking.rs:225:5:\n\
                      panic in a function that cannot unwind\n\
                      thread caused non-unwinding panic. aborting.\n";
        assert_eq!(
            last_words(stderr),
            "panicked at src/lib.rs:101:20: attempt to add with overflow \
             (then: panic in a function that cannot unwind)"
        );
        let first = "thread 'x' panicked at src/lib.rs:101:20:\nattempt to add with overflow\n";
        assert_eq!(
            last_words(first),
            "panicked at src/lib.rs:101:20: attempt to add with overflow"
        );
    }

    #[test]
    fn without_a_panic_the_last_lines_are_kept() {
        assert_eq!(last_words("\n\n"), "");
        assert_eq!(last_words("a\nb\nc\n"), "b / c");
    }
}
