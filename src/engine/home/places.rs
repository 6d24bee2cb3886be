//! Where things live: the lab home (venv, build outputs, logs) and the project
//! root (the experiment crates in `lab/`, the Python reference code in `assets/`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::engine::types::{Target, Variant};

/// The default lab home: a per-user cache, so the venv, maturin and the
/// compiled pyo3 are made once for all of a user's projects:
/// `$XDG_CACHE_HOME/pyo3-lab`, else `~/.cache/pyo3-lab`, else (no home
/// directory at all) `.pyo3-lab` here.
pub fn default_home() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    cache.map_or_else(|| PathBuf::from(".pyo3-lab"), |c| c.join("pyo3-lab"))
}

#[derive(Clone, Debug)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// Creates the home directory if needed and proves it writable, so a
    /// read-only place fails here with its name rather than deep in a build.
    pub fn open(dir: &Path) -> Result<Self> {
        let root = std::path::absolute(dir)
            .with_context(|| format!("cannot resolve the lab home {}", dir.display()))?;
        fs::create_dir_all(&root).with_context(|| {
            format!(
                "cannot create the lab home {}: choose a writable directory with --home DIR",
                root.display()
            )
        })?;
        let probe = root.join(".write-test");
        if let Err(e) = File::create(&probe) {
            bail!(
                "the lab home {} is not writable ({e}): choose a writable directory with --home DIR",
                root.display()
            );
        }
        let _ = fs::remove_file(probe);
        Ok(Self { root })
    }

    /// The home's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn venv(&self) -> PathBuf {
        self.root.join("venv")
    }

    pub fn venv_bin(&self, tool: &str) -> PathBuf {
        self.venv().join("bin").join(tool)
    }

    /// Cargo's target directory for the extension crates, shared by all of them
    /// (they use the same pyo3 build) and apart from the binary's own.
    pub fn cargo_target(&self) -> PathBuf {
        self.root.join("target")
    }

    /// Where `variant` is compiled: debug and release (and a variant of
    /// their settings under another name) share the lab's target directory;
    /// any other variant (other flags, features or profile settings) has its
    /// own, so switching never recompiles another's pyo3. A counted twin is
    /// compiled beside its variant: only its crate differs.
    pub fn cargo_target_of(&self, variant: &Variant) -> PathBuf {
        if variant.builds_plain() {
            self.cargo_target()
        } else {
            self.root.join(format!("target-{}", variant.name()))
        }
    }

    /// A build's name in this home: its crate's folder name, and where that
    /// folder is (one home serves every project of a user, and two of them
    /// may both have a crate called `core`).
    fn key(target: &Target) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(target.dir.to_string_lossy().as_bytes());
        format!(
            "{}-{}",
            target.krate,
            crate::engine::files::hex(&digest[..3])
        )
    }

    pub fn wheels(&self, target: &Target) -> PathBuf {
        self.root
            .join("wheels")
            .join(Self::key(target))
            .join(target.build_name())
    }

    /// The unpacked wheel of one build: a directory to put on `sys.path`.
    pub fn site(&self, target: &Target) -> PathBuf {
        self.root
            .join("site")
            .join(Self::key(target))
            .join(target.build_name())
    }

    pub fn manifest(&self, target: &Target) -> PathBuf {
        self.root.join("builds").join(format!(
            "{}-{}.json",
            Self::key(target),
            target.build_name()
        ))
    }

    /// The whole output of the last build of `target`, kept for reading later.
    pub fn build_log(&self, target: &Target) -> PathBuf {
        self.root
            .join("logs")
            .join(format!("{}-{}.log", Self::key(target), target.build_name()))
    }

    /// Modules made by other routes than Rust (Cython, mypyc), a folder per
    /// set of inputs.
    pub fn routes(&self) -> PathBuf {
        self.root.join("routes")
    }

    /// The Python packages experiments ask for, a folder per requirement set.
    pub fn packages(&self) -> PathBuf {
        self.root.join("packages")
    }

    /// A profile-guided build's instrumented wheel, profiles and merged profile.
    /// Where instrumented code writes profiles no training run asked for
    /// (a build script's): one folder for the home, so that every crate's
    /// instrumented build has the same flags and shares one pyo3.
    pub fn pgo_unread(&self) -> PathBuf {
        self.root.join("pgo").join("unread")
    }

    pub fn pgo(&self, target: &Target) -> PathBuf {
        self.root
            .join("pgo")
            .join(format!("{}-{}", Self::key(target), target.build_name()))
    }

    /// Where callgrind writes its counts.
    pub fn callgrind(&self) -> PathBuf {
        self.root.join("callgrind")
    }

    pub fn log_file(&self) -> PathBuf {
        self.root.join("pyo3-lab.log")
    }

    /// Serialises set-up and builds between lab processes sharing this home.
    pub fn lock(&self) -> Result<fd_lock::RwLock<File>> {
        let path = self.root.join("lock");
        let file =
            File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(fd_lock::RwLock::new(file))
    }
}

/// The project tree holding `lab/` and `assets/`.
#[derive(Clone, Debug)]
pub struct Project {
    root: PathBuf,
}

impl Project {
    /// `dir` if given, else the working directory if it holds a lab, else the
    /// source tree this binary was built from, else (an installed binary,
    /// its source gone) the lessons it carries, unpacked into `home`.
    pub fn locate(dir: Option<&Path>, home: &Home) -> Result<Self> {
        let candidates: Vec<PathBuf> = match dir {
            Some(d) => vec![d.to_path_buf()],
            None => vec![
                std::env::current_dir()?,
                PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            ],
        };
        Self::first_of(&candidates, dir.is_none(), home)
    }

    /// The first of `candidates` holding a lab, else (when `carried` may
    /// stand in) the lessons the binary carries.
    fn first_of(candidates: &[PathBuf], carried: bool, home: &Home) -> Result<Self> {
        for c in candidates {
            if c.join("lab").is_dir() && c.join("assets").is_dir() {
                return Ok(Self {
                    root: std::path::absolute(c)?,
                });
            }
        }
        if carried {
            return Ok(Self {
                root: super::lessons::unpacked(home.root())?,
            });
        }
        bail!(
            "no pyo3-lab project (a folder with lab/ and assets/) at {}: pass --project DIR",
            candidates[0].display()
        )
    }

    /// The built-in experiments and the GIL crate.
    pub fn lab(&self) -> PathBuf {
        self.root.join("lab")
    }

    pub fn assets(&self) -> PathBuf {
        self.root.join("assets")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An installed binary whose source tree is gone, run in a folder that
    /// holds no lab: the lessons it carries stand in; a --project that
    /// holds none is an error that says so.
    /// One home serves every project: two crates of one name in two places
    /// never share a build.
    #[test]
    fn builds_are_named_by_crate_and_place() {
        let scratch = tempfile::tempdir().unwrap();
        let home = Home::open(scratch.path()).unwrap();
        let here = Target::new("core", Path::new("/work/a/core"), Variant::release());
        let there = Target::new("core", Path::new("/work/b/core"), Variant::release());
        assert_ne!(home.site(&here), home.site(&there));
        assert_ne!(home.manifest(&here), home.manifest(&there));
        let name = home.site(&here);
        let key = name
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            key.starts_with("core-") && key.len() == "core-".len() + 6,
            "{key}"
        );
        assert_eq!(
            home.site(&here),
            home.site(&here.clone()),
            "the same place, the same name"
        );
    }

    #[test]
    fn without_a_source_tree_the_carried_lessons_are_the_project() {
        let scratch = tempfile::tempdir().unwrap();
        let home = Home::open(&scratch.path().join("home")).unwrap();
        let gone = vec![scratch.path().join("here"), scratch.path().join("source")];
        let project = Project::first_of(&gone, true, &home).unwrap();
        assert!(project.lab().join("fibonacci/lab.toml").is_file());
        assert!(project.assets().join("gil_demo.py").is_file());
        assert!(project.lab().starts_with(home.root()));
        let err = Project::first_of(&gone[..1], false, &home).unwrap_err();
        assert!(err.to_string().contains("pass --project DIR"), "{err}");
    }
}
