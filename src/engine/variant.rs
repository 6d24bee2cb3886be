//! Build configurations as data. A variant is a name (`debug`, `release`,
//! the built-ins `lto`, `native`, `abi3`, `pgo`, or a `[[variant]]` table of
//! a lab.toml) standing for its settings: the cargo profile, rustflags,
//! features, `--config` entries, and whether the build is profile-guided.
//!
//! `Variant` is the name, interned, so it stays `Copy` wherever builds,
//! lanes and events carry it; `spec()` gives its settings from one registry
//! (built-ins first, then every lab.toml's own, which may not redefine a
//! name another gave differently).

use std::sync::{Mutex, OnceLock};

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

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    name: &'static str,
}

fn registry() -> &'static Mutex<Vec<(&'static str, VariantSpec)>> {
    static REGISTRY: OnceLock<Mutex<Vec<(&'static str, VariantSpec)>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Mutex::new(
            BUILTIN
                .iter()
                .map(|&n| (n, VariantSpec::builtin(n).expect("a built-in")))
                .collect(),
        )
    })
}

#[allow(non_upper_case_globals)]
impl Variant {
    /// The chapter's two builds.
    pub const Debug: Variant = Variant { name: "debug" };
    pub const Release: Variant = Variant { name: "release" };
    /// The builds raced unless lab.toml or the command line say otherwise.
    pub const ALL: [Variant; 2] = [Variant::Debug, Variant::Release];

    pub fn name(self) -> &'static str {
        self.name
    }

    /// A built-in or registered variant by name.
    pub fn named(name: &str) -> Option<Variant> {
        let registry = registry().lock().expect("registry");
        registry
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(name, _)| Variant { name })
    }

    /// Registers a lab.toml's own variant; the same name with other settings
    /// is refused (the error says where it was given first).
    pub fn register(spec: VariantSpec) -> Result<Variant, String> {
        let mut registry = registry().lock().expect("registry");
        if let Some((name, known)) = registry.iter().find(|(n, _)| *n == spec.name) {
            return if *known == spec {
                Ok(Variant { name })
            } else if BUILTIN.contains(name) {
                Err(format!(
                    "{:?} is a built-in variant: choose another name",
                    spec.name
                ))
            } else {
                Err(format!(
                    "another experiment defines a variant {:?} with other settings: give one another name",
                    spec.name
                ))
            };
        }
        let name: &'static str = Box::leak(spec.name.clone().into_boxed_str());
        registry.push((name, spec));
        Ok(Variant { name })
    }

    /// A name read back from a report: known, or kept as a plain release.
    fn intern(name: &str) -> Variant {
        Variant::named(name).unwrap_or_else(|| {
            Variant::register(VariantSpec {
                name: name.into(),
                release: true,
                ..VariantSpec::default()
            })
            .unwrap_or(Variant::Release)
        })
    }

    pub fn spec(self) -> VariantSpec {
        let registry = registry().lock().expect("registry");
        registry
            .iter()
            .find(|(n, _)| *n == self.name)
            .map(|(_, s)| s.clone())
            .expect("every variant is registered")
    }

    /// Its settings in words ("optimized", "optimized, lto=\"fat\", ...").
    pub fn profile(self) -> String {
        self.spec().describe()
    }

    /// Whether it is one of cargo's two profiles as they are.
    pub fn plain(self) -> bool {
        self == Variant::Debug || self == Variant::Release
    }

    /// Whether it builds as one of cargo's two profiles does, under its name
    /// or another (an A/A variant): its builds share the lab's target
    /// directory, and another name compiles no second pyo3.
    pub fn builds_plain(self) -> bool {
        let spec = self.spec();
        [Variant::Debug, Variant::Release].iter().any(|v| {
            spec == VariantSpec {
                name: spec.name.clone(),
                ..v.spec()
            }
        })
    }

    /// The next of `among` after this one, round the end (the `v` key).
    pub fn next_in(self, among: &[Variant]) -> Variant {
        let at = among.iter().position(|&v| v == self);
        match at {
            Some(i) => among[(i + 1) % among.len()],
            None => among.first().copied().unwrap_or(self),
        }
    }

    fn rank(self) -> usize {
        BUILTIN
            .iter()
            .position(|&n| n == self.name)
            .unwrap_or(BUILTIN.len())
    }
}

impl Default for Variant {
    fn default() -> Self {
        Variant::Release
    }
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
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
        (self.rank(), self.name).cmp(&(other.rank(), other.name))
    }
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Variant::intern(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_settings_and_order_is_theirs() {
        let lto = Variant::named("lto").unwrap();
        assert!(lto.spec().config.iter().any(|c| c.contains("lto=\"fat\"")));
        assert!(Variant::named("abi3").unwrap().spec().features[0].starts_with("pyo3/abi3-py3"));
        assert!(
            Variant::named("native")
                .unwrap()
                .profile()
                .contains("target-cpu=native")
        );
        assert_eq!(Variant::Debug.profile(), "unoptimized + debuginfo");
        assert_eq!(Variant::Release.profile(), "optimized");
        let mut v = vec![lto, Variant::Release, Variant::Debug];
        v.sort();
        assert_eq!(v, [Variant::Debug, Variant::Release, lto]);
        assert_eq!(Variant::Release.next_in(&v), lto);
        assert_eq!(lto.next_in(&v), Variant::Debug);
        assert!(Variant::named("fast").is_none());
    }

    #[test]
    fn a_name_is_one_set_of_settings() {
        let spec = VariantSpec {
            name: "abort_on_panic".into(),
            release: true,
            config: vec!["profile.release.panic=\"abort\"".into()],
            ..VariantSpec::default()
        };
        let v = Variant::register(spec.clone()).unwrap();
        assert_eq!(
            Variant::register(spec.clone()),
            Ok(v),
            "the same again is fine"
        );
        let other = VariantSpec {
            release: false,
            ..spec
        };
        assert!(
            Variant::register(other)
                .unwrap_err()
                .contains("other settings")
        );
        let builtin = VariantSpec {
            name: "lto".into(),
            ..VariantSpec::default()
        };
        assert!(Variant::register(builtin).unwrap_err().contains("built-in"));
        assert!(!v.builds_plain(), "other settings compile apart");
        let again = Variant::register(VariantSpec {
            name: "release_again".into(),
            release: true,
            ..VariantSpec::default()
        })
        .unwrap();
        assert!(
            again.builds_plain() && !again.plain(),
            "release's settings, another name"
        );
        assert!(!Variant::named("lto").unwrap().builds_plain());
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "\"abort_on_panic\"");
        assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), v);
    }
}
