//! Experiments: folders holding a maturin project plus a `lab.toml` that says
//! which Python function races which Rust function, on what arguments.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// The file that makes a maturin project an experiment.
pub const LAB_TOML: &str = "lab.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabToml {
    name: String,
    description: String,
    module: String,
    python: PythonSide,
    rust: RustSide,
    input: Input,
    expect: Option<Expect>,
    progress: Option<Progress>,
    overhead: Option<Overhead>,
}

/// Trivial functions (one int in, the same out) of each side, to time what
/// one call across the boundary costs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overhead {
    python: String,
    rust: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PythonSide {
    file: PathBuf,
    function: String,
    setup: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RustSide {
    function: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    args: Vec<toml::Value>,
    size: Option<usize>,
    min: Option<u64>,
    max: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    result: toml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Progress {
    split: Split,
}

/// How one call can be cut into smaller calls whose results add up to it, so
/// that a bar can move between them. Without one, a run is one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// fib(n) = fib(n-1) + fib(n-2), unrolled at the top of the recursion.
    Fibonacci,
}

/// The size knob: which argument the UI and `--n` change, within what bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    pub index: usize,
    pub min: u64,
    pub max: u64,
    pub default: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The folder's name: the key of its builds, unique in a lab.
    pub key: String,
    pub dir: PathBuf,
    pub name: String,
    pub description: String,
    pub module: String,
    /// The folder of the Python file (put on `sys.path`) and its module name.
    pub python_dir: PathBuf,
    pub python_module: String,
    pub python_function: String,
    pub python_setup: Option<String>,
    pub rust_function: String,
    pub args: Vec<Value>,
    pub knob: Option<Knob>,
    pub expect: Option<Value>,
    pub split: Option<Split>,
    /// Trivial functions (Python, Rust) to time one call's overhead with.
    pub overhead: Option<(String, String)>,
}

impl Experiment {
    /// Reads and checks `dir/lab.toml`. The error names the file and the key.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(LAB_TOML);
        let shown = path.display();
        let text =
            fs::read_to_string(&path).map_err(|e| format!("{shown}: cannot read it: {e}"))?;
        let toml: LabToml = toml::from_str(&text)
            .map_err(|e| format!("{shown}: {}", e.to_string().trim_end().replace('\n', " ")))?;
        let key = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{shown}: the experiment folder has no name"))?;
        for file in ["Cargo.toml", "pyproject.toml"] {
            if !dir.join(file).is_file() {
                return Err(format!(
                    "{}: no {file}: an experiment is a maturin project (maturin init -b pyo3) plus a lab.toml",
                    dir.display()
                ));
            }
        }
        let python_file = dir.join(&toml.python.file);
        if !python_file.is_file() {
            return Err(format!(
                "{shown}: [python] file = {:?}: no such file in {}",
                toml.python.file,
                dir.display()
            ));
        }
        if python_file.extension().is_none_or(|e| e != "py") {
            return Err(format!(
                "{shown}: [python] file = {:?}: not a .py file",
                toml.python.file
            ));
        }
        let python_module = python_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let python_dir = std::path::absolute(python_file.parent().unwrap_or(dir))
            .map_err(|e| format!("{shown}: {e}"))?;
        for (key_name, value) in [
            ("module", &toml.module),
            ("[python] function", &toml.python.function),
            ("[rust] function", &toml.rust.function),
        ] {
            if !is_identifier(value) {
                return Err(format!(
                    "{shown}: {key_name} = {value:?} is not a Python identifier"
                ));
            }
        }
        let args: Vec<Value> = toml
            .input
            .args
            .iter()
            .map(|v| serde_json::to_value(v).map_err(|e| format!("{shown}: [input] args: {e}")))
            .collect::<Result<_, _>>()?;
        let knob = match toml.input.size {
            None => None,
            Some(index) => {
                let default = args.get(index).and_then(Value::as_u64).ok_or_else(|| {
                    format!(
                        "{shown}: [input] size = {index}: args[{index}] must exist and be a whole number \
                         (args has {} item(s))",
                        args.len()
                    )
                })?;
                let (min, max) = (
                    toml.input.min.unwrap_or(0),
                    toml.input.max.unwrap_or(u64::MAX),
                );
                if !(min <= default && default <= max) {
                    return Err(format!(
                        "{shown}: [input] args[{index}] = {default} is outside min..=max ({min}..={max})"
                    ));
                }
                Some(Knob {
                    index,
                    min,
                    max,
                    default,
                })
            }
        };
        let split = toml.progress.map(|p| p.split);
        if split == Some(Split::Fibonacci) && (knob.is_none() || args.len() != 1) {
            return Err(format!(
                "{shown}: [progress] split = \"fibonacci\" needs one whole-number argument as the size knob"
            ));
        }
        Ok(Self {
            key,
            dir: std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?,
            name: toml.name,
            description: toml.description,
            module: toml.module,
            python_dir,
            python_module,
            python_function: toml.python.function,
            python_setup: toml.python.setup,
            rust_function: toml.rust.function,
            args,
            knob,
            expect: toml
                .expect
                .map(|e| {
                    serde_json::to_value(e.result)
                        .map_err(|e| format!("{shown}: [expect] result: {e}"))
                })
                .transpose()?,
            split,
            overhead: toml.overhead.map(|o| (o.python, o.rust)),
        })
    }

    /// The arguments with the size knob set to `size` (the default when None).
    /// Errors name the valid range.
    pub fn args_for(&self, size: Option<u64>) -> Result<Vec<Value>, String> {
        let mut args = self.args.clone();
        let (Some(size), Some(knob)) = (size, &self.knob) else {
            return match (size, &self.knob) {
                (Some(_), None) => Err(format!("{} has no size knob to set", self.name)),
                _ => Ok(args),
            };
        };
        if !(knob.min..=knob.max).contains(&size) {
            return Err(format!(
                "N = {size} is outside {}..={} for {} (its [input] min and max)",
                knob.min, knob.max, self.name
            ));
        }
        args[knob.index] = Value::from(size);
        Ok(args)
    }

    /// What the call must return: `[expect] result` for the default arguments.
    pub fn expected_for(&self, args: &[Value]) -> Option<Value> {
        if args == self.args.as_slice() {
            self.expect.clone()
        } else {
            None
        }
    }

    /// The value of the size knob in `args`, if there is one.
    pub fn size_of(&self, args: &[Value]) -> Option<u64> {
        self.knob
            .as_ref()
            .and_then(|k| args.get(k.index))
            .and_then(Value::as_u64)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Every `lab.toml` in the folders given: each folder is an experiment itself,
/// or holds experiments one level down. Good ones load; bad ones become errors
/// that name their file, and the rest still load.
pub fn discover(dirs: &[PathBuf]) -> (Vec<Experiment>, Vec<String>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        if dir.join(LAB_TOML).exists() {
            found.push(Experiment::load(dir));
            continue;
        }
        let Ok(entries) = fs::read_dir(dir) else {
            errors.push(format!(
                "{}: no such folder, or not readable",
                dir.display()
            ));
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(LAB_TOML).exists())
            .collect();
        subdirs.sort();
        if subdirs.is_empty() {
            errors.push(format!(
                "{}: holds no {LAB_TOML}, nor do its subfolders",
                dir.display()
            ));
        }
        found.extend(subdirs.iter().map(|d| Experiment::load(d)));
    }
    let mut experiments: Vec<Experiment> = Vec::new();
    for result in found {
        match result {
            Ok(e) if experiments.iter().any(|x| x.key == e.key) => errors.push(format!(
                "{}: another experiment is also called {:?}: rename one of the folders",
                e.dir.display(),
                e.key
            )),
            Ok(e) => experiments.push(e),
            Err(e) => errors.push(e),
        }
    }
    (experiments, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "fibonacci"
description = "Naive recursive Fibonacci"
module = "fibonacci"

[python]
file = "reference.py"
function = "pyrun"

[rust]
function = "run"

[input]
args = [35]
size = 0
min = 0
max = 93

[expect]
result = 9227465
"#;

    fn folder(lab_toml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in ["Cargo.toml", "pyproject.toml"] {
            fs::write(dir.path().join(f), "").unwrap();
        }
        fs::write(dir.path().join("reference.py"), "def pyrun(n): return n\n").unwrap();
        fs::write(dir.path().join(LAB_TOML), lab_toml).unwrap();
        dir
    }

    fn error(lab_toml: &str) -> String {
        Experiment::load(folder(lab_toml).path()).unwrap_err()
    }

    #[test]
    fn the_documented_format_loads() {
        let dir = folder(GOOD);
        let e = Experiment::load(dir.path()).unwrap();
        assert_eq!(
            (e.name.as_str(), e.module.as_str()),
            ("fibonacci", "fibonacci")
        );
        assert_eq!(
            (e.python_module.as_str(), e.python_function.as_str()),
            ("reference", "pyrun")
        );
        assert_eq!(e.args, vec![Value::from(35)]);
        assert_eq!(
            e.knob,
            Some(Knob {
                index: 0,
                min: 0,
                max: 93,
                default: 35
            })
        );
        assert_eq!(e.expected_for(&e.args), Some(Value::from(9227465)));
        assert_eq!(e.args_for(Some(20)).unwrap(), vec![Value::from(20)]);
        assert_eq!(e.expected_for(&e.args_for(Some(20)).unwrap()), None);
        let err = e.args_for(Some(94)).unwrap_err();
        assert!(err.contains("0..=93"), "{err}");
    }

    #[test]
    fn a_missing_key_is_named_with_the_file() {
        let err = error(&GOOD.replace("module = \"fibonacci\"\n", ""));
        assert!(
            err.contains("lab.toml") && err.contains("missing field `module`"),
            "{err}"
        );
        let err = error(&GOOD.replace("function = \"run\"\n", ""));
        assert!(
            err.contains("missing field `function`") && err.contains("rust"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_type_is_named() {
        let err = error(&GOOD.replace("args = [35]", "args = 35"));
        assert!(err.contains("lab.toml") && err.contains("args"), "{err}");
        let err = error(&GOOD.replace("min = 0", "min = \"zero\""));
        assert!(err.contains("min"), "{err}");
    }

    #[test]
    fn a_missing_file_or_bad_name_is_named() {
        let err = error(&GOOD.replace("reference.py", "nope.py"));
        assert!(
            err.contains("[python] file") && err.contains("nope.py"),
            "{err}"
        );
        let err = error(&GOOD.replace("function = \"pyrun\"", "function = \"py run\""));
        assert!(err.contains("[python] function"), "{err}");
        let err = error(&GOOD.replace("size = 0", "size = 3"));
        assert!(err.contains("[input] size = 3"), "{err}");
        let err = error(&GOOD.replace("args = [35]", "args = [135]"));
        assert!(err.contains("outside"), "{err}");
        let err = error(&GOOD.replace("[expect]", "[surprise]"));
        assert!(err.contains("surprise"), "an unknown key is refused: {err}");
    }

    #[test]
    fn a_folder_that_is_no_maturin_project_is_refused() {
        let dir = folder(GOOD);
        fs::remove_file(dir.path().join("pyproject.toml")).unwrap();
        let err = Experiment::load(dir.path()).unwrap_err();
        assert!(err.contains("no pyproject.toml"), "{err}");
    }

    #[test]
    fn discovery_keeps_the_good_and_reports_the_bad() {
        let root = tempfile::tempdir().unwrap();
        let good = folder(GOOD);
        let bad = folder(&GOOD.replace("name = ", "nome = "));
        fs::rename(good.path(), root.path().join("good")).unwrap();
        fs::rename(bad.path(), root.path().join("bad")).unwrap();
        let (found, errors) = discover(&[root.path().to_path_buf()]);
        assert_eq!(
            found.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["good"]
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("bad") && errors[0].contains("name"),
            "{errors:?}"
        );
        let (_, errors) = discover(&[root.path().join("absent")]);
        assert!(errors[0].contains("no such folder"), "{errors:?}");
    }
}
