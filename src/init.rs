//! `pyo3-lab init [DIR]`: a `lab.toml` for an existing maturin project. The
//! crate's `#[pyfunction]`s and `#[pyclass]`es are found by reading its
//! sources; a Python function of the same name in the project's `.py` files
//! is the reference; its default arguments are the input. What cannot be
//! found is written as a marked TODO, and `init` says the line to fill in.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::engine::files::is_output;

/// What the crate exports to Python, by the name Python sees.
#[derive(Debug, Default, PartialEq)]
pub struct Exports {
    pub functions: Vec<String>,
    pub classes: Vec<String>,
}

/// The `#[pyfunction]`s and `#[pyclass]`es of Rust source text, by their
/// Python names (`#[pyo3(name = "...")]` wins over the Rust name).
pub fn exports(source: &str) -> Exports {
    let mut out = Exports::default();
    // The attribute seen last and the name it renames to, until an item comes.
    let mut pending: Option<&str> = None;
    let mut renamed: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[pyfunction") {
            pending = Some("fn");
        } else if line.starts_with("#[pyclass") {
            pending = Some("class");
        }
        if let Some(name) = line
            .split_once("name = \"")
            .filter(|_| line.starts_with("#[py"))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name.to_owned())
        {
            renamed = Some(name);
        }
        let Some(kind) = pending else { continue };
        let item = line
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ")
            .trim_start_matches("async ");
        let keyword = match kind {
            "fn" => "fn ",
            _ if item.starts_with("enum ") => "enum ",
            _ => "struct ",
        };
        let Some(rest) = item.strip_prefix(keyword) else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let name = renamed.take().unwrap_or(name);
        match kind {
            "fn" => out.functions.push(name),
            _ => out.classes.push(name),
        }
        pending = None;
    }
    out
}

/// A Python function found in a `.py` file: its module, folder and the
/// literal defaults of its parameters (None when one has none).
#[derive(Debug, PartialEq)]
pub struct PyFunction {
    pub file: PathBuf,
    pub args: Option<Vec<String>>,
}

/// `def name(...)` in `source`, with its parameters' defaults when every
/// one has a literal default (a number, a string, True/False/None).
pub fn python_function(source: &str, name: &str) -> Option<Option<Vec<String>>> {
    let start = source.find(&format!("def {name}("))?;
    let params = &source[start + name.len() + 5..];
    let params = &params[..params.find(')')?];
    let mut args = Vec::new();
    for param in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((_, default)) = param.split_once('=') else {
            return Some(None);
        };
        let default = default.trim();
        let literal = default.parse::<f64>().is_ok()
            || ["True", "False", "None"].contains(&default)
            || (default.len() >= 2 && (default.starts_with('"') || default.starts_with('\'')));
        if !literal {
            return Some(None);
        }
        args.push(match default {
            "True" => "true".into(),
            "False" => "false".into(),
            // TOML has no None; a Python default of None is left to the function.
            "None" => return Some(None),
            d if d.starts_with('\'') => format!("\"{}\"", d.trim_matches('\'')),
            d => d.to_owned(),
        });
    }
    Some(Some(args))
}

/// The `.py` files of a project: its own, not a venv's or a build's.
fn python_files(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        // A venv's and a build's Python is not the project's own.
        if is_output(&name) || ["venv", "build"].contains(&name.as_str()) {
            continue;
        }
        if path.is_dir() && depth > 0 {
            python_files(&path, depth - 1, out);
        } else if name.ends_with(".py") {
            out.push(path);
        }
    }
}

/// The Rust sources under `src/`.
fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The Python module maturin builds: `[tool.maturin] module-name`, else the
/// crate's `[lib] name`, else its package name.
fn module_name(dir: &Path) -> Result<String> {
    let read = |f: &str| -> Result<toml::Table> {
        let path = dir.join(f);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: no {f}: init needs a maturin project (maturin new, or maturin init)",
                dir.display()
            )
        })?;
        text.parse::<toml::Table>()
            .with_context(|| format!("{} is not TOML", path.display()))
    };
    let (pyproject, cargo) = (read("pyproject.toml")?, read("Cargo.toml")?);
    let get = |t: &toml::Table, path: &[&str]| -> Option<String> {
        let mut v = t.get(path[0])?;
        for key in &path[1..] {
            v = v.get(key)?;
        }
        v.as_str().map(str::to_owned)
    };
    get(&pyproject, &["tool", "maturin", "module-name"])
        .or_else(|| get(&cargo, &["lib", "name"]))
        .or_else(|| get(&cargo, &["package", "name"]).map(|n| n.replace('-', "_")))
        .context("Cargo.toml names no package")
}

/// What `init` wrote, and the line to fill in when it could not find one.
pub struct Written {
    pub lab_toml: PathBuf,
    pub todo: Option<String>,
}

/// Writes `dir/lab.toml` for the maturin project in `dir`.
pub fn init(dir: &Path) -> Result<Written> {
    let lab_toml = dir.join("lab.toml");
    if lab_toml.exists() {
        bail!(
            "{} exists already: race it with pyo3-lab --lab {}",
            lab_toml.display(),
            dir.display()
        );
    }
    let module = module_name(dir)?;
    let mut sources = Vec::new();
    rust_sources(&dir.join("src"), &mut sources);
    sources.sort();
    let mut found = Exports::default();
    for file in &sources {
        let text = fs::read_to_string(file).unwrap_or_default();
        let e = exports(&text);
        found.functions.extend(e.functions);
        found.classes.extend(e.classes);
    }
    if found.functions.is_empty() && found.classes.is_empty() {
        bail!(
            "{}: no #[pyfunction] or #[pyclass] in src/: nothing to race",
            dir.display()
        );
    }
    let mut py_files = Vec::new();
    python_files(dir, 3, &mut py_files);
    // The first Rust function with a Python twin, else the first one.
    let twin = found.functions.iter().find_map(|f| {
        py_files.iter().find_map(|file| {
            let text = fs::read_to_string(file).ok()?;
            let args = python_function(&text, f)?;
            Some((
                f.clone(),
                PyFunction {
                    file: file.clone(),
                    args,
                },
            ))
        })
    });
    let (text, todo) = render(dir, &module, &found, twin);
    fs::write(&lab_toml, text).with_context(|| format!("cannot write {}", lab_toml.display()))?;
    Ok(Written { lab_toml, todo })
}

/// The lab.toml text, and the one line to fill in if there is one.
fn render(
    dir: &Path,
    module: &str,
    found: &Exports,
    twin: Option<(String, PyFunction)>,
) -> (String, Option<String>) {
    let name = dir
        .file_name()
        .map_or_else(|| module.to_owned(), |n| n.to_string_lossy().into_owned());
    let mut out = format!(
        "# Written by `pyo3-lab init` from the crate's sources. Race it: pyo3-lab --lab .\n\
         name = \"{name}\"\n\
         description = \"{name}: Python against its PyO3 port\"\n\
         module = \"{module}\"\n\n"
    );
    let mut todo = None;
    let (function, file, args) = match twin {
        Some((function, py)) => {
            let file = py
                .file
                .strip_prefix(dir)
                .unwrap_or(&py.file)
                .to_string_lossy()
                .into_owned();
            (function, file, py.args)
        }
        None => {
            let function = found.functions.first().cloned().unwrap_or_default();
            todo = Some(format!(
                "[python] file and function: the Python {function} to race against (no .py \
                 file here defines it)"
            ));
            (function, "TODO.py".to_owned(), None)
        }
    };
    let marker = if todo.is_some() { "   # TODO" } else { "" };
    out.push_str(&format!(
        "[python]\nfile = \"{file}\"{marker}\nfunction = \"{function}\"{marker}\n\n"
    ));
    out.push_str(&format!("[rust]\nfunction = \"{function}\"\n"));
    let others: Vec<&String> = found.functions.iter().filter(|f| **f != function).collect();
    if !others.is_empty() || !found.classes.is_empty() {
        out.push_str("# Also exported: ");
        let mut names: Vec<String> = others.iter().map(|f| format!("{f}()")).collect();
        names.extend(found.classes.iter().map(|c| format!("class {c}")));
        out.push_str(&names.join(", "));
        out.push_str(
            "\n# (more [[rust]] lanes, or a [scenario] for a class: see docs/lab-toml.md)\n",
        );
    }
    match args {
        Some(args) => out.push_str(&format!(
            "\n[input]\nargs = [{}]              # the Python function's defaults\n",
            args.join(", ")
        )),
        None => {
            todo.get_or_insert_with(|| {
                format!("[input] args: the arguments to call {function} with")
            });
            out.push_str("\n[input]\nargs = []   # TODO: the arguments to call it with\n");
        }
    }
    (out, todo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_read_from_the_attributes_with_their_python_names() {
        let src = "use pyo3::prelude::*;\n\
            #[pyfunction]\nfn triple(n: u64) -> u64 { 3 * n }\n\
            #[pyfunction]\n#[pyo3(signature = (x, y=1))]\npub fn add(x: i64, y: i64) -> i64 { x + y }\n\
            #[pyfunction(name = \"fast_sum\")]\nfn sum_impl(v: Vec<i64>) -> i64 { 0 }\n\
            #[pyclass(frozen)]\n#[derive(Clone)]\npub struct Point { x: f64 }\n\
            #[pyclass]\nenum Color { Red }\n\
            fn helper() {}\n";
        assert_eq!(
            exports(src),
            Exports {
                functions: vec!["triple".into(), "add".into(), "fast_sum".into()],
                classes: vec!["Point".into(), "Color".into()],
            }
        );
    }

    #[test]
    fn python_defaults_become_the_input() {
        let src =
            "def triple(n=7, label='x', fast=True):\n    return 3 * n\n\ndef other(a, b=2): pass\n";
        assert_eq!(
            python_function(src, "triple"),
            Some(Some(vec!["7".into(), "\"x\"".into(), "true".into()]))
        );
        assert_eq!(
            python_function(src, "other"),
            Some(None),
            "a has no default"
        );
        assert_eq!(python_function(src, "missing"), None);
    }

    fn project(lib: &str, py: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"my-ext\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"my-ext\"\n",
        )
        .unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
        if let Some(py) = py {
            fs::create_dir_all(dir.path().join("python")).unwrap();
            fs::write(dir.path().join("python/slow.py"), py).unwrap();
        }
        dir
    }

    #[test]
    fn a_project_with_a_python_twin_gets_a_lab_toml_that_loads() {
        let dir = project(
            "#[pyfunction]\nfn triple(n: u64) -> u64 { 3 * n }\n#[pyclass]\nstruct Bag;\n",
            Some("def triple(n=7):\n    return 3 * n\n"),
        );
        let written = init(dir.path()).unwrap();
        assert_eq!(written.todo, None);
        let exp = crate::engine::experiment::Experiment::load(dir.path()).unwrap();
        assert_eq!(exp.module, "my_ext");
        assert_eq!(exp.reference().function, "triple");
        assert_eq!(exp.args, vec![serde_json::Value::from(7)]);
        let text = fs::read_to_string(&written.lab_toml).unwrap();
        assert!(text.contains("# Also exported: class Bag"), "{text}");
        let again = init(dir.path()).err().unwrap().to_string();
        assert!(again.contains("exists already"), "{again}");
    }

    #[test]
    fn what_cannot_be_found_is_a_marked_todo_and_named() {
        let dir = project("#[pyfunction]\nfn triple(n: u64) -> u64 { 3 * n }\n", None);
        let written = init(dir.path()).unwrap();
        let todo = written.todo.unwrap();
        assert!(todo.starts_with("[python] file and function"), "{todo}");
        let text = fs::read_to_string(&written.lab_toml).unwrap();
        assert!(text.contains("file = \"TODO.py\"   # TODO"), "{text}");
        let empty = project("fn plain() {}\n", None);
        let err = init(empty.path()).err().unwrap().to_string();
        assert!(err.contains("no #[pyfunction] or #[pyclass]"), "{err}");
    }
}
