//! `pyo3-lab clean`: the lab home's size by kind, and removing what no
//! project needs any more. One home serves every project and each copy of
//! a crate gets builds of its own, so without this it only grows.
//!
//! A build's outputs are found by its key (`{crate}-{place}`, see
//! `Home::key`): `site/KEY/`, `wheels/KEY/`, `builds/KEY-BUILD.json`,
//! `logs/KEY-BUILD.log`, `pgo/KEY-BUILD/`. Its record says which folder it
//! was built from and, by its time, when it was last used.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::places::Home;
use crate::engine::types::BuildInfo;

/// What a part of the home is, in the order `clean` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Venv,
    Compiled,
    Modules,
    Wheels,
    Packages,
    Logs,
    Other,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Venv => "venv: Python and maturin (never removed)",
            Kind::Compiled => "compiled: cargo's target folders (pyo3 and the crates, per variant)",
            Kind::Modules => {
                "modules: each build's unpacked wheel and record (site/, builds/, pgo/)"
            }
            Kind::Wheels => "wheels: each build's wheel",
            Kind::Packages => "packages: the Python packages experiments ask for",
            Kind::Logs => "logs: build logs, callgrind's counts, the lab's log",
            Kind::Other => "other: the carried lessons and the rest",
        }
    }

    /// The kind of a top-level entry of the home.
    fn of(name: &str) -> Kind {
        match name {
            "venv" => Kind::Venv,
            "site" | "builds" | "pgo" => Kind::Modules,
            "wheels" => Kind::Wheels,
            "packages" => Kind::Packages,
            "logs" | "callgrind" | "pyo3-lab.log" => Kind::Logs,
            n if n == "target" || n.starts_with("target-") => Kind::Compiled,
            _ => Kind::Other,
        }
    }
}

/// Bytes of files under `path` (a file's own size; links not followed).
pub fn bytes_under(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| bytes_under(&e.path()))
        .sum()
}

/// The home's size by kind.
pub fn usage(home: &Home) -> BTreeMap<Kind, u64> {
    let mut by_kind = BTreeMap::new();
    for entry in fs::read_dir(home.root()).into_iter().flatten().flatten() {
        let kind = Kind::of(&entry.file_name().to_string_lossy());
        *by_kind.entry(kind).or_insert(0) += bytes_under(&entry.path());
    }
    by_kind
}

/// What `clean` removes besides the builds of crate folders that are gone.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Also the builds not used for this long.
    pub unused_for: Option<Duration>,
    /// Everything but the venv (and the lessons an installed binary runs on).
    pub all: bool,
    /// Say what would go, remove nothing.
    pub dry_run: bool,
}

/// Why a set of paths goes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The crate folder it was built from is gone.
    Gone(PathBuf),
    /// Not used for longer than asked (its crate folder, when known).
    Unused(Option<PathBuf>),
    /// `--all`.
    All,
}

/// One removal: what goes, why, and its size.
#[derive(Clone, Debug)]
pub struct Removal {
    pub what: String,
    pub reason: Reason,
    pub paths: Vec<PathBuf>,
    pub bytes: u64,
}

/// The builds the home holds, by key: each record's folder and time.
struct Build {
    records: Vec<(PathBuf, Option<PathBuf>, SystemTime)>,
}

impl Build {
    /// The folder its records name, if any does.
    fn crate_dir(&self) -> Option<PathBuf> {
        self.records.iter().find_map(|(_, dir, _)| dir.clone())
    }

    fn last_used(&self) -> Option<SystemTime> {
        self.records.iter().map(|(_, _, t)| *t).max()
    }
}

/// Whether `rest` (what follows `KEY-` in a record's name) is a build's name:
/// a variant (letters, digits, `_`) and `+lines` for a counted twin; never a
/// `-`, so `core-abc123-` does not take the records of `core-abc123-x-...`.
fn is_build_name(rest: &str) -> bool {
    let name = rest.strip_suffix("+lines").unwrap_or(rest);
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every build key in the home (from `site/` and `builds/`), with its records.
fn builds(home: &Home) -> BTreeMap<String, Build> {
    let root = home.root();
    let mut keys: BTreeMap<String, Build> = BTreeMap::new();
    for entry in fs::read_dir(root.join("site"))
        .into_iter()
        .flatten()
        .flatten()
    {
        keys.entry(entry.file_name().to_string_lossy().into_owned())
            .or_insert(Build {
                records: Vec::new(),
            });
    }
    let records: Vec<PathBuf> = fs::read_dir(root.join("builds"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    for record in records {
        let stem = record.file_stem().unwrap_or_default().to_string_lossy();
        // KEY is `{crate}-{6 hex}`: the last `-` before the build's name.
        let Some((key, _)) = stem.rsplit_once('-').filter(|(_, b)| is_build_name(b)) else {
            continue;
        };
        let info: Option<BuildInfo> = fs::read(&record)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let time = fs::metadata(&record)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        keys.entry(key.to_owned())
            .or_insert(Build {
                records: Vec::new(),
            })
            .records
            .push((record.clone(), info.and_then(|i| i.crate_dir), time));
    }
    keys
}

/// How many builds' records do not say which folder they were built from
/// (made before records said): only `--unused-for` or `--all` remove them.
pub fn unplaced(home: &Home) -> usize {
    builds(home)
        .values()
        .filter(|b| b.crate_dir().is_none())
        .count()
}

/// Every output of build `key`: its site, wheels, records, logs and PGO runs.
fn outputs_of(home: &Home, key: &str) -> Vec<PathBuf> {
    let root = home.root();
    let mut paths = vec![root.join("site").join(key), root.join("wheels").join(key)];
    for folder in ["builds", "logs", "pgo"] {
        for entry in fs::read_dir(root.join(folder))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.split_once('.').map_or(name.as_str(), |(s, _)| s);
            if stem
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(is_build_name)
            {
                paths.push(entry.path());
            }
        }
    }
    paths.retain(|p| p.exists());
    paths
}

/// What `clean` with `options` removes, found without removing anything.
pub fn plan(home: &Home, options: &Options, now: SystemTime) -> Vec<Removal> {
    let sized = |what: String, reason: Reason, paths: Vec<PathBuf>| {
        let bytes = paths.iter().map(|p| bytes_under(p)).sum();
        Removal {
            what,
            reason,
            paths,
            bytes,
        }
    };
    if options.all {
        let paths: Vec<PathBuf> = fs::read_dir(home.root())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                !matches!(&*name, "venv" | "lock" | "lessons")
            })
            .collect();
        return vec![sized("everything but the venv".into(), Reason::All, paths)];
    }
    let mut out = Vec::new();
    for (key, build) in builds(home) {
        let dir = build.crate_dir();
        let gone = dir.as_ref().filter(|d| !d.join("Cargo.toml").is_file());
        let unused = options.unused_for.is_some_and(|limit| {
            build
                .last_used()
                .is_none_or(|t| now.duration_since(t).unwrap_or_default() > limit)
        });
        let reason = match (gone, unused) {
            (Some(d), _) => Reason::Gone(d.clone()),
            (None, true) => Reason::Unused(dir.clone()),
            (None, false) => continue,
        };
        let paths = outputs_of(home, &key);
        if !paths.is_empty() {
            out.push(sized(key, reason, paths));
        }
    }
    out
}

/// Removes what `plan` found (unless a dry run); returns it, each with what
/// could not be removed in words.
pub fn remove(removals: &[Removal], dry_run: bool) -> Vec<String> {
    if dry_run {
        return Vec::new();
    }
    let mut failures = Vec::new();
    for path in removals.iter().flat_map(|r| &r.paths) {
        let result = if path.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        };
        if let Err(e) = result {
            failures.push(format!("cannot remove {}: {e}", path.display()));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_records_name_is_its_key_and_its_build() {
        assert!(is_build_name("release"));
        assert!(is_build_name("release+lines"));
        assert!(is_build_name("abort_on_panic"));
        assert!(!is_build_name("x-0a1b2c-release"));
        assert!(!is_build_name(""));
    }

    #[test]
    fn only_the_builds_of_gone_or_unused_folders_go() {
        let scratch = tempfile::tempdir().unwrap();
        let home = Home::open(&scratch.path().join("home")).unwrap();
        let root = home.root().to_path_buf();
        let here = scratch.path().join("here");
        fs::create_dir_all(&here).unwrap();
        fs::write(here.join("Cargo.toml"), "[package]").unwrap();
        let gone = scratch.path().join("gone");
        let record = |key: &str, dir: &Path| {
            let info = serde_json::json!({
                "inputs": "x", "crate_dir": dir, "seconds": 1.0, "wheel_bytes": 1,
                "module": "m.so", "module_bytes": 1, "module_sha256": "y",
            });
            fs::create_dir_all(root.join("builds")).unwrap();
            fs::write(
                root.join("builds").join(format!("{key}-release.json")),
                info.to_string(),
            )
            .unwrap();
            fs::create_dir_all(root.join("site").join(key).join("release")).unwrap();
            fs::write(root.join("site").join(key).join("release/m.so"), [0u8; 100]).unwrap();
            fs::create_dir_all(root.join("logs")).unwrap();
            fs::write(root.join("logs").join(format!("{key}-release.log")), "log").unwrap();
        };
        record("here-aaaaaa", &here);
        record("gone-bbbbbb", &gone);
        // A crate whose name starts like the gone one's key keeps its builds.
        record("gone-bbbbbb-x-cccccc", &here);
        fs::create_dir_all(root.join("venv")).unwrap();

        let now = SystemTime::now();
        let plan = plan(&home, &Options::default(), now);
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert_eq!(plan[0].what, "gone-bbbbbb");
        assert_eq!(plan[0].reason, Reason::Gone(gone.clone()));
        assert_eq!(plan[0].paths.len(), 3, "site, record, log: {plan:?}");
        assert!(plan[0].bytes >= 100);

        assert!(remove(&plan, true).is_empty());
        assert!(root.join("site/gone-bbbbbb").exists(), "a dry run keeps it");
        assert!(remove(&plan, false).is_empty());
        assert!(!root.join("site/gone-bbbbbb").exists());
        assert!(!root.join("logs/gone-bbbbbb-release.log").exists());
        assert!(root.join("site/here-aaaaaa").exists());
        assert!(
            root.join("builds/gone-bbbbbb-x-cccccc-release.json")
                .exists()
        );

        let later = now + Duration::from_secs(3 * 86_400);
        let unused = Options {
            unused_for: Some(Duration::from_secs(86_400)),
            ..Options::default()
        };
        let plan = super::plan(&home, &unused, later);
        assert_eq!(plan.len(), 2, "both left are a day unused: {plan:?}");
        let all = Options {
            all: true,
            ..Options::default()
        };
        let plan = super::plan(&home, &all, now);
        assert!(plan[0].paths.iter().all(|p| !p.ends_with("venv")));
        assert!(plan[0].paths.iter().any(|p| p.ends_with("site")));
        assert!(usage(&home)[&Kind::Modules] >= 200);
    }
}
