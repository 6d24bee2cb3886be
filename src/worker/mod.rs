//! The worker boundary, both sides of it: a worker is `pyo3-lab` started again
//! in a hidden mode with CPython embedded, so that whatever an extension does
//! (panic, crash, loop forever) happens in that process and not in the lab's.
//!
//! - `call`: what one lane call is (a function, a scenario and its factory);
//! - `invoke`: the worker making a `Call`, phases and all;
//! - `protocol`: the JSON-lines requests and replies between the two;
//! - `client`: the lab's side: spawn, call, tell an error from a crash;
//! - `server`: the worker's side: import, time, check, reply;
//! - `capture`: the worker's stdout turned into timestamped replies;
//! - `memory`: peak resident memory during a run;
//! - `pypy`: the PyPy route's worker, a script that PyPy runs;
//! - `native`: the machine's parallel capacity, a Rust spin with no Python.

pub mod call;
mod capture;
pub mod client;
pub mod invoke;
mod memory;
pub mod native;
pub mod protocol;
mod pypy;
pub mod server;

pub use client::{Finished, Worker, WorkerError};
