//! The worker's two output streams. Replies go to a private duplicate of the
//! original stdout; fd 1 itself becomes a pipe that a reader thread drains, so
//! whatever Python's `print` or an extension's `println!` writes arrives as a
//! timestamped `Line` reply, and can never corrupt the protocol.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use anyhow::{Result, bail};

use super::protocol::{Reply, encode};

/// Written to fd 1 to learn when every line printed before it has been read.
const SYNC: &str = "\u{1}pyo3-lab-sync";

pub struct Channel {
    replies: Mutex<File>,
    epoch: Mutex<Instant>,
    syncs: (Mutex<u64>, Condvar),
}

impl Channel {
    pub fn install() -> Result<Arc<Self>> {
        // SAFETY: plain descriptor juggling at start-up, before any other thread runs.
        let (replies_fd, read_fd) = unsafe {
            let replies = libc::dup(1);
            let mut fds = [0 as RawFd; 2];
            if replies < 0 || libc::pipe(fds.as_mut_ptr()) != 0 || libc::dup2(fds[1], 1) < 0 {
                bail!("cannot set up the worker's output pipes");
            }
            libc::close(fds[1]);
            libc::fcntl(replies, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            (replies, fds[0])
        };
        let channel = Arc::new(Self {
            // SAFETY: both descriptors were just created and are owned here alone.
            replies: Mutex::new(unsafe { File::from_raw_fd(replies_fd) }),
            epoch: Mutex::new(Instant::now()),
            syncs: (Mutex::new(0), Condvar::new()),
        });
        let reader = Arc::clone(&channel);
        // SAFETY: the pipe's read end was just created and is owned here alone.
        let printed = unsafe { File::from_raw_fd(read_fd) };
        std::thread::spawn(move || reader.drain(printed));
        Ok(channel)
    }

    pub fn send(&self, reply: &Reply) {
        let mut out = self.replies.lock().unwrap();
        // A parent that has gone away cannot be told anything: exit quietly.
        if out.write_all(encode(reply).as_bytes()).is_err() {
            std::process::exit(0);
        }
    }

    /// Timestamps of printed lines count from here.
    pub fn restart_clock(&self) {
        *self.epoch.lock().unwrap() = Instant::now();
    }

    /// Waits until every line printed so far has been sent as a reply.
    pub fn sync(&self) {
        let (count, signal) = &self.syncs;
        let before = *count.lock().unwrap();
        let line = format!("{SYNC}\n");
        // SAFETY: writes a buffer we own to fd 1.
        unsafe {
            libc::write(1, line.as_ptr().cast(), line.len());
        }
        let mut seen = count.lock().unwrap();
        while *seen == before {
            seen = signal.wait(seen).unwrap();
        }
    }

    fn drain(&self, printed: File) {
        let mut reader = BufReader::new(printed);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let t = self.epoch.lock().unwrap().elapsed().as_secs_f64();
            let text = String::from_utf8_lossy(&buf).trim_end().to_owned();
            buf.clear();
            if text == SYNC {
                let (count, signal) = &self.syncs;
                *count.lock().unwrap() += 1;
                signal.notify_all();
            } else {
                self.send(&Reply::Line { t, text });
            }
        }
    }
}
