//! Watching an experiment's files: its crate folder (Rust sources, manifests,
//! lab.toml, a package's Python) and its reference Python files wherever they
//! live. Writes are debounced until they settle, so one save (or an editor's
//! write-rename dance) is one round.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc::UnboundedSender;

use super::app::AppEvent;
use crate::engine::experiment::Experiment;
use crate::engine::files::is_output;

/// How long the writes must be quiet before a round starts.
pub const SETTLE: Duration = Duration::from_millis(300);

/// What tells a written file from one only read.
type Stamp = (SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Every file under `dir`, for the stamps a watch starts from.
fn scan(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n == "target" || n.starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            scan(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A running watch; dropping it stops it.
pub struct Watch {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Whether a changed path is one the experiment is made from: not a build
/// output, a cache, a hidden file or an editor's swap file.
fn relevant(path: &Path, exp: &Experiment, files: &[PathBuf]) -> bool {
    if files.iter().any(|f| f == path) {
        return true;
    }
    let Ok(inside) = path.strip_prefix(&exp.dir) else {
        return false;
    };
    !inside
        .components()
        .any(|c| is_output(&c.as_os_str().to_string_lossy()))
        && !path
            .file_name()
            .map(|n| n.to_string_lossy())
            .is_some_and(|n| n.ends_with('~') || n.ends_with(".swp") || n.ends_with(".tmp"))
}

/// What could not be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch files: {0}")]
    Start(#[source] notify_debouncer_mini::notify::Error),
    #[error("cannot watch {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: notify_debouncer_mini::notify::Error,
    },
    #[error(transparent)]
    Lab(#[from] crate::engine::error::LabError),
}

/// Starts watching `exp`; each settled batch of relevant changes becomes one
/// `AppEvent::FilesChanged`. The error says what could not be watched.
pub fn start(exp: &Experiment, tx: UnboundedSender<AppEvent>) -> Result<Watch, WatchError> {
    let files = exp.python_files();
    let (key, for_filter, filter_files) = (exp.key.clone(), exp.clone(), files.clone());
    // Reading a file is an event too (a build opens every source): only a
    // new modification time or size, or a file that came or went, counts.
    let mut stamps: HashMap<PathBuf, Option<Stamp>> = HashMap::new();
    let mut known = files.clone();
    scan(&exp.dir, &mut known);
    for path in known.into_iter().filter(|p| relevant(p, exp, &files)) {
        let now = stamp(&path);
        stamps.insert(path, now);
    }
    let mut debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let changed: Vec<PathBuf> = events
            .into_iter()
            .map(|e| e.path)
            .filter(|p| relevant(p, &for_filter, &filter_files))
            .filter(|p| {
                let now = stamp(p);
                stamps.insert(p.clone(), now) != Some(now)
            })
            .collect();
        if !changed.is_empty() {
            let _ = tx.send(AppEvent::FilesChanged(key.clone(), changed));
        }
    })
    .map_err(WatchError::Start)?;
    let watcher = debouncer.watcher();
    watcher
        .watch(&exp.dir, RecursiveMode::Recursive)
        .map_err(|source| WatchError::Folder {
            path: exp.dir.clone(),
            source,
        })?;
    for file in files.iter().filter(|f| !f.starts_with(&exp.dir)) {
        let dir = file.parent().unwrap_or(file);
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError::Folder {
                path: dir.to_owned(),
                source,
            })?;
    }
    Ok(Watch {
        _debouncer: debouncer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::experiment::fixtures::experiment;

    #[test]
    fn only_what_the_experiment_is_made_from_counts() {
        let exp = experiment("primes", 10, 100, false);
        let files = vec![PathBuf::from("/lab/assets/reference.py")];
        let yes = [
            "/lab/primes/src/lib.rs",
            "/lab/primes/lab.toml",
            "/lab/assets/reference.py",
        ];
        let no = [
            "/lab/primes/target/debug/x",
            "/lab/primes/.git/index",
            "/lab/primes/src/.lib.rs.swp",
            "/lab/primes/src/lib.rs~",
            "/lab/assets/other.py",
            "/lab/primes/python/pkg/__pycache__/a.pyc",
        ];
        for p in yes {
            assert!(relevant(Path::new(p), &exp, &files), "{p}");
        }
        for p in no {
            assert!(!relevant(Path::new(p), &exp, &files), "{p}");
        }
    }
}
