//! The lab itself, headless: bootstrap -> build -> (worker) -> race / GIL.
//! `pipeline` runs a whole job; the TUI, `--check` and `bench` are thin front
//! ends over it and listen to its events.
//!
//! Imports run one way: `types` and `error` at the bottom, `event` above them,
//! the steps (`build/`, `measure/`, `gil/`, `why/`) above that, then `lab`
//! (the facade that does each step) and `pipeline` (a whole job) on top.

pub mod compile;
pub mod error;
pub mod event;
pub mod experiment;
pub mod files;
pub mod gil;
pub mod home;
pub mod job;
pub mod lab;
pub mod measure;
pub mod pipeline;
pub mod problem;
pub mod seams;
pub mod types;
pub mod variant;
pub mod why;

pub use experiment::DEFAULT_EXPERIMENT;
pub use lab::Lab;
