//! Build configurations as data. A variant is a name (`debug`, `release`,
//! the built-ins `lto`, `native`, `abi3`, `pgo`, or a `[[variant]]` table of
//! a lab.toml) standing for its settings: the cargo profile, rustflags,
//! features, `--config` entries, and whether the build is profile-guided.
//!
//! `Variant` carries its name and settings together, cheap to clone, so
//! builds, lanes and events hold it whole; `Variants` is the lab's table of
//! every name an experiment may use (built-ins first, then every lab.toml's
//! own, which may not redefine a name another gave differently). There is
//! no process-wide registry.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The settings a variant builds with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct VariantSpec {
    pub name: String,
    /// `--release` (cargo's release profile) rather than the dev profile.
    pub release: bool,
    pub rustflags: Vec<String>,
    /// Cargo features, `pyo3/abi3-py311` included.
    pub features: Vec<String>,
    /// `--config KEY=VALUE` entries for cargo.
    pub config: Vec<String>,
    /// Built twice: instrumented, trained on the experiment's own call, then
    /// optimised with the profile.
    pub pgo: bool,
}

impl VariantSpec {
    fn builtin(name: &str) -> Option<Self> {
        let release = Self {
            name: name.into(),
            release: true,
            ..Self::default()
        };
        Some(match name {
            "debug" => Self {
                release: false,
                ..release
            },
            "release" => release,
            "lto" => Self {
                config: vec![
                    "profile.release.lto=\"fat\"".into(),
                    "profile.release.codegen-units=1".into(),
                ],
                ..release
            },
            "native" => Self {
                rustflags: vec!["-Ctarget-cpu=native".into()],
                ..release
            },
            "abi3" => Self {
                features: vec![format!(
                    "pyo3/abi3-py{}",
                    env!("PYO3_LAB_EMBEDDED_PYTHON").replace('.', "")
                )],
                ..release
            },
            "pgo" => Self {
                pgo: true,
                ..release
            },
            _ => return None,
        })
    }

    /// What the build is, in a few words: cargo's for the two profiles.
    pub fn describe(&self) -> String {
        let mut words = vec![if self.release {
            "optimized".to_owned()
        } else {
            "unoptimized + debuginfo".to_owned()
        }];
        words.extend(
            self.config
                .iter()
                .map(|c| c.replace("profile.release.", "")),
        );
        words.extend(self.rustflags.iter().cloned());
        words.extend(self.features.iter().map(|f| format!("feature {f}")));
        if self.pgo {
            words.push("profile-guided".into());
        }
        words.join(", ")
    }

    /// Everything that makes its build differ, for the build's input hash.
    pub fn salt(&self) -> String {
        format!(
            "{}|release={}|rustflags={:?}|features={:?}|config={:?}|pgo={}",
            self.name, self.release, self.rustflags, self.features, self.config, self.pgo
        )
    }
}

/// The built-in variants, in the order lanes and tables show them.
pub const BUILTIN: [&str; 6] = ["debug", "release", "lto", "native", "abi3", "pgo"];

/// A build configuration: its name and the settings it stands for, carried
/// together (cheap to clone), so no table outside the lab's own is asked.
/// Two variants are the same when their names are.
#[derive(Clone)]
pub struct Variant(Arc<VariantSpec>);

impl Variant {
    /// The chapter's two builds.
    pub fn debug() -> Variant {
        Self::builtin("debug").expect("a built-in")
    }

    pub fn release() -> Variant {
        Self::builtin("release").expect("a built-in")
    }

    /// The builds raced unless lab.toml or the command line say otherwise.
    pub fn defaults() -> [Variant; 2] {
        [Variant::debug(), Variant::release()]
    }

    /// A built-in variant by name.
    pub fn builtin(name: &str) -> Option<Variant> {
        VariantSpec::builtin(name).map(|spec| Variant(Arc::new(spec)))
    }

    /// A lab.toml's own variant.
    pub fn own(spec: VariantSpec) -> Variant {
        Variant(Arc::new(spec))
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn spec(&self) -> &VariantSpec {
        &self.0
    }

    /// Its settings in words ("optimized", "optimized, lto=\"fat\", ...").
    pub fn profile(&self) -> String {
        self.0.describe()
    }

    /// Whether it is one of cargo's two profiles as they are.
    pub fn plain(&self) -> bool {
        self.name() == "debug" || self.name() == "release"
    }

    /// Whether it builds as one of cargo's two profiles does, under its name
    /// or another (an A/A variant): its builds share the lab's target
    /// directory, and another name compiles no second pyo3.
    pub fn builds_plain(&self) -> bool {
        Variant::defaults().iter().any(|v| {
            *self.spec()
                == VariantSpec {
                    name: self.name().to_owned(),
                    ..v.spec().clone()
                }
        })
    }

    /// The next of `among` after this one, round the end (the `v` key).
    pub fn next_in(&self, among: &[Variant]) -> Variant {
        let at = among.iter().position(|v| v == self);
        match at {
            Some(i) => among[(i + 1) % among.len()].clone(),
            None => among.first().cloned().unwrap_or_else(|| self.clone()),
        }
    }

    fn rank(&self) -> usize {
        BUILTIN
            .iter()
            .position(|&n| n == self.name())
            .unwrap_or(BUILTIN.len())
    }
}

/// Every variant an experiment may name: the built-ins, then the
/// `[[variant]]` tables of the lab's experiments. The lab owns it; a name
/// stands for one set of settings.
#[derive(Clone, Debug)]
pub struct Variants(Vec<Variant>);

/// A variant's name that is taken, with other settings.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VariantClash {
    #[error("{0:?} is a built-in variant: choose another name")]
    Builtin(String),
    #[error(
        "another experiment defines a variant {0:?} with other settings: give one another name"
    )]
    Other(String),
}

impl Default for Variants {
    fn default() -> Self {
        Variants(BUILTIN.iter().filter_map(|n| Variant::builtin(n)).collect())
    }
}

impl Variants {
    /// Adds a lab.toml's own variant; the same name with other settings is
    /// refused (the error says whose it was).
    pub fn add(&mut self, variant: &Variant) -> Result<(), VariantClash> {
        let name = variant.name().to_owned();
        match self.named(variant.name()) {
            Some(known) if known.spec() == variant.spec() => Ok(()),
            Some(known) if BUILTIN.contains(&known.name()) => Err(VariantClash::Builtin(name)),
            Some(_) => Err(VariantClash::Other(name)),
            None => {
                self.0.push(variant.clone());
                Ok(())
            }
        }
    }

    pub fn named(&self, name: &str) -> Option<&Variant> {
        self.0.iter().find(|v| v.name() == name)
    }
}

impl Default for Variant {
    fn default() -> Self {
        Variant::release()
    }
}

impl PartialEq for Variant {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Variant {}

impl std::hash::Hash for Variant {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialOrd for Variant {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Built-ins in their order, then a lab.toml's own by name.
impl Ord for Variant {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.rank(), self.name()).cmp(&(other.rank(), other.name()))
    }
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A name read back from a report: a built-in, or a variant of that name
/// whose settings the report does not give (kept as a release build). It
/// registers nothing: reading a report changes nothing outside it.
impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Variant::builtin(&name).unwrap_or_else(|| {
            Variant::own(VariantSpec {
                name,
                release: true,
                ..VariantSpec::default()
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_settings_and_order_is_theirs() {
        let lto = Variant::builtin("lto").unwrap();
        assert!(lto.spec().config.iter().any(|c| c.contains("lto=\"fat\"")));
        assert!(Variant::builtin("abi3").unwrap().spec().features[0].starts_with("pyo3/abi3-py3"));
        assert!(
            Variant::builtin("native")
                .unwrap()
                .profile()
                .contains("target-cpu=native")
        );
        assert_eq!(Variant::debug().profile(), "unoptimized + debuginfo");
        assert_eq!(Variant::release().profile(), "optimized");
        let mut v = vec![lto.clone(), Variant::release(), Variant::debug()];
        v.sort();
        assert_eq!(v, [Variant::debug(), Variant::release(), lto.clone()]);
        assert_eq!(Variant::release().next_in(&v), lto);
        assert_eq!(lto.next_in(&v), Variant::debug());
        assert!(Variant::builtin("fast").is_none());
        assert!(Variants::default().named("fast").is_none());
    }

    #[test]
    fn a_name_is_one_set_of_settings() {
        let spec = VariantSpec {
            name: "abort_on_panic".into(),
            release: true,
            config: vec!["profile.release.panic=\"abort\"".into()],
            ..VariantSpec::default()
        };
        let mut table = Variants::default();
        let v = Variant::own(spec.clone());
        assert_eq!(table.add(&v), Ok(()));
        assert_eq!(table.add(&v), Ok(()), "the same again is fine");
        assert_eq!(table.named("abort_on_panic"), Some(&v));
        let other = Variant::own(VariantSpec {
            release: false,
            ..spec
        });
        assert!(
            table
                .add(&other)
                .unwrap_err()
                .to_string()
                .contains("other settings")
        );
        let builtin = Variant::own(VariantSpec {
            name: "lto".into(),
            ..VariantSpec::default()
        });
        assert!(
            table
                .add(&builtin)
                .unwrap_err()
                .to_string()
                .contains("built-in")
        );
        assert!(!v.builds_plain(), "other settings compile apart");
        let again = Variant::own(VariantSpec {
            name: "release_again".into(),
            release: true,
            ..VariantSpec::default()
        });
        assert!(
            again.builds_plain() && !again.plain(),
            "release's settings, another name"
        );
        assert!(!Variant::builtin("lto").unwrap().builds_plain());
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "\"abort_on_panic\"");
        let read: Variant = serde_json::from_str(&json).unwrap();
        assert_eq!(read, v);
        let unknown: Variant = serde_json::from_str("\"never_defined\"").unwrap();
        assert!(unknown.spec().release);
        assert!(
            Variants::default().named("never_defined").is_none(),
            "reading a report registers nothing"
        );
    }
}
