//! What can go wrong with the report's files: one that cannot be written,
//! a saved report that cannot be read, a plot with nothing to draw. Each
//! message names the file (and the flag that asked for it) and why.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A file or folder a flag asked for that cannot be written.
    #[error("{flag} {}: cannot write there ({source})", path.display())]
    Unwritable {
        flag: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot read it ({source})", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a pyo3-lab report: not JSON ({source})", path.display())]
    NotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{}: not a pyo3-lab report (no \"tool\": \"pyo3-lab ...\"; write one with --check --json)",
        path.display()
    )]
    NoTool { path: PathBuf },
    #[error(
        "{}: made by {tool}, this is {ours}: compare reports of one version (run both with it)",
        path.display()
    )]
    OtherVersion {
        path: PathBuf,
        tool: String,
        ours: String,
    },
    #[error("{}: not a pyo3-lab report ({source})", path.display())]
    NotAReport {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("no sweep to draw: use --plot with --sweep")]
    NoSweep,
    /// plotters' own error, whose type is generic over the backend.
    #[error("cannot draw the plot: {0}")]
    Draw(String),
}
