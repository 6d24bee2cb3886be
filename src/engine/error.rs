//! The engine's error type, and why a lane could not be counted. Both
//! clone, so events can carry them; `anyhow` stays at the edges (set-up
//! internals, `main`).

use std::sync::Arc;

use super::experiment::{LoadError, SizeError};
use crate::worker::WorkerError;

#[derive(Clone, Debug, thiserror::Error)]
pub enum LabError {
    /// What the user asked for cannot be done as asked: a size out of range,
    /// an unknown experiment. The message says what would work.
    #[error("{0}")]
    Input(String),
    /// The venv or maturin could not be set up: the error with its causes
    /// (an `Arc`: events clone).
    #[error("set-up failed: {0:#}")]
    Setup(Arc<anyhow::Error>),
    /// A build failed; the message is its first error, with where it is.
    #[error("{0}")]
    Build(String),
    /// The Python packages an experiment asks for could not be installed:
    /// nothing of it can run.
    #[error("{0}")]
    Packages(String),
    /// A worker could not run what it was asked (never `Cancelled`: that
    /// becomes `LabError::Cancelled`, the one shape of a cancel).
    #[error("{0}")]
    Worker(WorkerError),
    /// A run that could not finish or gave nonsense, said in words.
    #[error("{0}")]
    Run(String),
    /// A size N the experiment cannot take.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// An experiment's lab.toml that does not load (an `Arc`: events clone).
    #[error(transparent)]
    Load(Arc<LoadError>),
    #[error("cancelled")]
    Cancelled,
}

impl From<LoadError> for LabError {
    fn from(e: LoadError) -> Self {
        LabError::Load(Arc::new(e))
    }
}

pub type LabResult<T> = Result<T, LabError>;

impl From<WorkerError> for LabError {
    fn from(e: WorkerError) -> Self {
        match e {
            WorkerError::Cancelled => LabError::Cancelled,
            other => LabError::Worker(other),
        }
    }
}

impl LabError {
    /// An `anyhow` error from the edges, its cause chain kept.
    pub fn setup(e: anyhow::Error) -> Self {
        LabError::Setup(Arc::new(e))
    }
}

/// Why a lane's instructions could not be counted. The lane's row says so
/// and the other lanes go on; events carry it, so it clones.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CountError {
    /// The lane crashed, hung or raised under Valgrind.
    #[error("{0}")]
    Worker(#[from] WorkerError),
    #[error("callgrind wrote no {}: {source}", path.display())]
    NoFile {
        path: std::path::PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("no total in {}", .0.display())]
    NoTotal(std::path::PathBuf),
    /// A lane that callgrind cannot charge: PyPy's JIT writes its machine
    /// code at run time, with no symbols, into memory of its own.
    #[error(
        "not counted: PyPy's JIT makes its machine code as it runs, with no symbols or lines to charge it to"
    )]
    NotCountable,
    /// The module counted in the raced one's place did not build.
    #[error("its twin with line tables, which is counted, did not build: {0}")]
    Twin(#[source] Box<LabError>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_has_one_shape_wherever_it_comes_from() {
        assert!(matches!(
            LabError::from(WorkerError::Cancelled),
            LabError::Cancelled
        ));
        assert!(matches!(
            LabError::from(WorkerError::Broken("x".into())),
            LabError::Worker(_)
        ));
    }
}
