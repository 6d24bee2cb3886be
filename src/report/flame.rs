//! Flame graphs, one SVG per lane, drawn by inferno from the folded stacks
//! of the lane's callgrind profile.

use super::error::FileError;
use std::path::{Path, PathBuf};

use inferno::flamegraph::{self, Options};

use crate::engine::types::LaneRecord;

/// Checks that `dir` can take the SVGs, before anything runs.
pub fn check_dir(dir: &Path) -> Result<(), FileError> {
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            let probe = dir.join(".pyo3-lab-write-test");
            std::fs::write(&probe, b"")?;
            std::fs::remove_file(probe)
        })
        .map_err(|source| FileError::Unwritable {
            flag: "--flamegraph",
            path: dir.to_owned(),
            source,
        })
}

/// A file name part made of a lane name: `parallel (release)` → `parallel-release`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Writes `DIR/EXPERIMENT-LANE.svg` for every lane with a profile; returns
/// the files written, or the first error.
pub fn write_all(dir: &Path, records: &[LaneRecord]) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context as _;
    let mut written = Vec::new();
    for r in records {
        let Some(i) = r.instructions.as_ref().filter(|i| !i.folded.is_empty()) else {
            continue;
        };
        let path = dir.join(format!(
            "{}-{}.svg",
            slug(&r.experiment),
            slug(&r.lane.name)
        ));
        let mut options = Options::default();
        options.title = format!(
            "{} {}: instructions per {} (stacks rebuilt from callgrind's call graph; recursion folded)",
            r.experiment,
            r.lane.name,
            if i.scale == 1.0 { "run" } else { "counted run" }
        );
        options.count_name = "instructions".into();
        let mut svg = Vec::new();
        flamegraph::from_lines(&mut options, i.folded.iter().map(String::as_str), &mut svg)
            .with_context(|| format!("cannot draw {}", path.display()))?;
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_names_become_file_names() {
        assert_eq!(slug("parallel (release)"), "parallel-release");
        assert_eq!(slug("rust-native"), "rust-native");
    }

    #[test]
    fn an_unwritable_directory_is_named() {
        let err = check_dir(Path::new("/proc/version/flames"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/proc/version/flames"), "{err}");
    }
}
