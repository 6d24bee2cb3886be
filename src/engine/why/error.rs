//! Why a lane's instructions could not be counted. The lane's row says so
//! and the other lanes go on; events carry it, so it clones.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::error::LabError;
use crate::worker::WorkerError;

#[derive(Clone, Debug, thiserror::Error)]
pub enum CountError {
    /// The lane crashed, hung or raised under Valgrind.
    #[error("{0}")]
    Worker(#[from] WorkerError),
    #[error("callgrind wrote no {}: {source}", path.display())]
    NoFile {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("no total in {}", .0.display())]
    NoTotal(PathBuf),
    /// The module counted in the raced one's place did not build.
    #[error("its twin with line tables, which is counted, did not build: {0}")]
    Twin(#[source] Box<LabError>),
}
