//! A Rust export's Python twin, found the way PyO3 projects name them:
//! the same name, then `NAME_py`, `py_NAME`, `NAME_python`, `pure_NAME`,
//! and the same name in a `pure`, `_pure` or `python` module. The rule that
//! matched is said in the note and the lab.toml.

use super::python::{Def, Module};

/// A Python function found for a Rust one.
#[derive(Clone, Debug)]
pub struct Twin {
    pub def: Def,
    /// Its dotted module inside the package maturin builds, or None for a
    /// plain file (then `file` names it).
    pub module: Option<String>,
    pub file: String,
    /// Which rule found it: "NAME_py", "a pure module", ...
    pub rule: String,
}

/// The modules whose functions are a package's pure-Python twins.
const PURE_MODULES: [&str; 3] = ["pure", "_pure", "python"];

/// Whether a module is, or is inside, a `pure`/`_pure`/`python` module: by
/// its dotted name in the package, else by its file's own name. (The folder
/// maturin takes the package from, often `python/`, is no module.)
fn is_pure(m: &Module) -> bool {
    let name = match &m.module {
        Some(dotted) => dotted.as_str(),
        None => {
            let file = m.file.trim_end_matches(".py").trim_end_matches("/__init__");
            file.rsplit('/').next().unwrap_or(file)
        }
    };
    name.split('.').any(|part| PURE_MODULES.contains(&part))
}

/// The names a twin of `name` may have, in the order tried, with the rule.
fn candidates(name: &str) -> [(String, String); 5] {
    [
        (name.to_owned(), "the same name".to_owned()),
        (format!("{name}_py"), "NAME_py".to_owned()),
        (format!("py_{name}"), "py_NAME".to_owned()),
        (format!("{name}_python"), "NAME_python".to_owned()),
        (format!("pure_{name}"), "pure_NAME".to_owned()),
    ]
}

/// The twin of the first of `names` that has one.
pub fn find(names: &[&str], modules: &[Module]) -> Option<Twin> {
    names.iter().find_map(|name| find_one(name, modules))
}

fn find_one(name: &str, modules: &[Module]) -> Option<Twin> {
    for (wanted, rule) in candidates(name) {
        // A pure module's same-named function is said to be found there.
        let mut hits: Vec<(&Module, &Def)> = modules
            .iter()
            .flat_map(|m| m.defs.iter().map(move |d| (m, d)))
            .filter(|(_, d)| d.name == wanted)
            .collect();
        hits.sort_by_key(|(m, _)| !is_pure(m));
        if let Some((m, d)) = hits.first() {
            let rule = if is_pure(m) && wanted == name {
                format!("the same name in a pure module, {}", m.file)
            } else {
                rule
            };
            return Some(Twin {
                def: (*d).clone(),
                module: m.module.clone(),
                file: m.file.clone(),
                rule,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(file: &str, dotted: Option<&str>, defs: &[&str]) -> Module {
        Module {
            file: file.into(),
            module: dotted.map(str::to_owned),
            defs: defs
                .iter()
                .map(|d| Def {
                    name: (*d).into(),
                    params: Vec::new(),
                })
                .collect(),
            classes: Vec::new(),
        }
    }

    #[test]
    fn each_naming_rule_finds_its_twin_and_says_which() {
        let found = |modules: &[Module]| {
            let t = find(&["search"], modules).unwrap();
            (t.def.name, t.rule)
        };
        assert_eq!(
            found(&[module("wc/__init__.py", Some("wc"), &["search_py"])]),
            ("search_py".into(), "NAME_py".into())
        );
        assert_eq!(
            found(&[module("slow.py", None, &["py_search"])]).1,
            "py_NAME"
        );
        assert_eq!(
            found(&[module("slow.py", None, &["pure_search"])]).1,
            "pure_NAME"
        );
        let pure = found(&[
            module("pkg/__init__.py", Some("pkg"), &["helper"]),
            module("pkg/pure.py", Some("pkg.pure"), &["search"]),
        ]);
        assert_eq!(
            pure,
            (
                "search".into(),
                "the same name in a pure module, pkg/pure.py".into()
            )
        );
        assert!(find(&["search"], &[module("a.py", None, &["other"])]).is_none());
        // A package under python/ is not a `python` module.
        let sourced = found(&[module("python/pkg/fast.py", Some("pkg.fast"), &["search"])]);
        assert_eq!(sourced.1, "the same name");
    }
}
