//! Making a crate's module: the venv and maturin, the build itself (inputs,
//! provenance, PGO, packages), streamed. Imports the engine's shared types only.

pub mod bootstrap;
mod exports;
pub mod head_start;
pub mod inputs;
pub mod maturin;
pub mod packages;
mod pgo;
mod pip;
mod provenance;
pub mod route;
mod stream;
