//! The files `init` writes: lab.toml, each table with a comment saying what
//! it was read from, and the Python files of the lab's own it needs
//! (`lab_inputs.py` for a benchmark's fixtures, `lab_scenario.py` for a
//! class).

use std::fmt::Write as _;

use super::families::Family;
use super::inputs::{INPUTS_FILE, Inputs};
use super::python::{Def, Module};
use super::{Project, twins};

/// What init is about to write, and what it says of it.
pub struct Draft {
    pub lab_toml: String,
    /// (file name, text) of the other files, beside lab.toml.
    pub files: Vec<(String, String)>,
    pub found: Vec<String>,
    pub others: Vec<String>,
    /// What init could not find, a line each ("levenshtein: [input] args: ...").
    pub todos: Vec<String>,
}

impl Draft {
    fn new(lab_toml: String) -> Self {
        Self {
            lab_toml,
            files: Vec::new(),
            found: Vec::new(),
            others: Vec::new(),
            todos: Vec::new(),
        }
    }
}

use super::python::toml_value;

fn head(project: &Project) -> String {
    format!(
        "# Written by `pyo3-lab init` from the project as it is: each table says\n\
         # what it was read from. Race it: pyo3-lab --lab .\n\
         name = \"{}\"\n\
         module = \"{}\"   # the module maturin builds\n\n",
        project.name, project.module
    )
}

/// The head of a lab.toml of several races: what they share.
fn races_head(project: &Project, count: usize) -> String {
    format!(
        "# Written by `pyo3-lab init` from the project as it is: {count} races, one\n\
         # a function, each table saying what it was read from. Race them all:\n\
         # pyo3-lab --lab .\n\
         module = \"{}\"   # the module maturin builds\n\n",
        project.module
    )
}

/// Where a family's tables go: the file's top level, or its `[[race]]`.
#[derive(Clone, Copy)]
pub enum Place<'n> {
    Alone,
    Race(&'n str),
}

impl Place<'_> {
    /// `[[python]]`, or `[[race.python]]` in a race.
    fn array(self, table: &str) -> String {
        match self {
            Place::Alone => format!("[[{table}]]"),
            Place::Race(_) => format!("[[race.{table}]]"),
        }
    }

    fn table(self, table: &str) -> String {
        match self {
            Place::Alone => format!("[{table}]"),
            Place::Race(_) => format!("[race.{table}]"),
        }
    }

    /// The file a family's fixtures are written into: one a race.
    fn inputs_file(self) -> String {
        match self {
            Place::Alone => INPUTS_FILE.to_owned(),
            Place::Race(name) => format!("lab_inputs_{name}.py"),
        }
    }
}

/// The twin's table, or a marked TODO.
fn python_table(family: &Family, place: Place, out: &mut String, draft: &mut Draft) {
    let first = family.name();
    let python = place.array("python");
    match &family.twin {
        Some(t) => {
            let _ = writeln!(out, "{python}   # {} for {first} ({})", t.def.name, t.rule);
            match &t.module {
                Some(m) => {
                    let _ = writeln!(out, "module = \"{m}\"");
                }
                None => {
                    let _ = writeln!(out, "file = \"{}\"", t.file);
                }
            }
            let _ = writeln!(out, "function = \"{}\"\n", t.def.name);
            draft.found.push(format!(
                "{first}: reference {} in {} (rule: {})",
                t.def.name, t.file, t.rule
            ));
        }
        None => {
            let _ = writeln!(
                out,
                "{python}\nfile = \"TODO.py\"   # TODO\nfunction = \"{first}\"   # TODO\n"
            );
            draft.todos.push(format!(
                "{first}: [python] file and function: the Python {first} to race against (no .py file here \
                 defines {first}, {first}_py, py_{first}, {first}_python or pure_{first}, nor {first} \
                 in a pure, _pure or python module)"
            ));
        }
    }
}

/// A `[[rust]]` table for each lane; a candidate not tried, or not a lane,
/// as a comment saying why.
fn rust_tables(family: &Family, place: Place, trying: bool, out: &mut String, draft: &mut Draft) {
    let head = family.head;
    let rust = place.array("rust");
    let params: Vec<String> = head
        .params
        .iter()
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    let _ = writeln!(
        out,
        "{rust}   # exported from {}\nfunction = \"{}\"\n",
        head.file.file_name().unwrap_or_default().to_string_lossy(),
        head.name
    );
    for (f, n) in &family.agreed {
        let name = &f.name;
        let _ = writeln!(
            out,
            "{rust}   # no twin of its own; answers as {}'s twin on {n} inputs\nfunction = \"{name}\"\n",
            head.name
        );
    }
    for c in &family.candidates {
        if trying {
            let _ = writeln!(out, "{rust}   # candidate\nfunction = \"{}\"\n", c.name);
        } else {
            let _ = writeln!(
                out,
                "# {rust}   # the same parameters as {}, not tried: uncomment to race it\n# function = \"{}\"\n",
                head.name, c.name
            );
        }
    }
    for (c, why) in &family.rejected {
        let _ = writeln!(out, "# not a lane: {} {why}\n", c.name);
    }
    let names: Vec<&str> = family.lanes().map(|f| f.name.as_str()).collect();
    draft.found.push(format!(
        "{}: rust lanes {} ({})",
        head.name,
        names.join(", "),
        if params.is_empty() {
            "no parameters".into()
        } else {
            params.join(", ")
        }
    ));
    for (c, why) in &family.rejected {
        draft
            .found
            .push(format!("{}: not a lane: {} {why}", head.name, c.name));
    }
}

/// `[input]` (and `[expect]`) from the benchmarks, else the twin's
/// defaults, else a marked TODO.
fn input_tables(family: &Family, place: Place, out: &mut String, draft: &mut Draft) {
    let first = family.name();
    let taken = match &family.inputs {
        Ok(Some(i)) if i.args.iter().all(|a| toml_value(a).is_some()) => Some(i),
        Ok(Some(i)) => {
            draft.found.push(format!(
                "{first}: not taken over: {}: an argument TOML can't hold",
                i.from
            ));
            None
        }
        Ok(None) => {
            draft.found.push(format!(
                "{first}: benchmarks: no pytest-benchmark call of {} in the project's tests",
                family.names().join(", ")
            ));
            None
        }
        Err(why) => {
            draft
                .found
                .push(format!("{first}: benchmarks not taken over: {why}"));
            None
        }
    };
    match taken {
        Some(inputs) => benchmark_input(inputs, first, place, out, draft),
        None => defaults_input(
            family.twin.as_ref().map(|t| &t.def),
            first,
            place,
            out,
            draft,
        ),
    }
}

fn benchmark_input(
    inputs: &Inputs,
    first: &str,
    place: Place,
    out: &mut String,
    draft: &mut Draft,
) {
    let args: Vec<String> = inputs.args.iter().filter_map(toml_value).collect();
    let _ = writeln!(out, "{}   # from {}", place.table("input"), inputs.from);
    if let Some(file) = &inputs.file {
        let name = place.inputs_file();
        let _ = writeln!(
            out,
            "file = \"{name}\"   # its fixtures, made outside the timing\nsetup = \"setup\""
        );
        draft.files.push((name, file.clone()));
    }
    let _ = writeln!(out, "args = [{}]", args.join(", "));
    draft.found.push(format!("{first}: input {}", inputs.from));
    match &inputs.knob {
        Some(k) => {
            let _ = writeln!(
                out,
                "size = 0   # the fixture {}'s size: {}\nmin = 1\nmax = {}",
                k.fixture,
                k.what,
                k.default.saturating_mul(100)
            );
            draft.found.push(format!(
                "{first}: size knob: the fixture {}, {} (N = {})",
                k.fixture, k.what, k.default
            ));
        }
        None => draft.found.push(format!(
            "{first}: size knob: none (no fixture with a size constant such as `text * 1000` or \
             `range(10000)`): --n and --sweep need one"
        )),
    }
    if let Some((value, from)) = inputs
        .expect
        .as_ref()
        .and_then(|(v, w)| Some((toml_value(v)?, w)))
    {
        let _ = writeln!(
            out,
            "\n{}   # asserted in {from}\nresult = {value}",
            place.table("expect")
        );
        draft
            .found
            .push(format!("{first}: expect {value} (asserted in {from})"));
    }
}

fn defaults_input(
    twin: Option<&Def>,
    first: &str,
    place: Place,
    out: &mut String,
    draft: &mut Draft,
) {
    let input = place.table("input");
    match twin.and_then(Def::toml_defaults) {
        Some(args) => {
            let _ = writeln!(
                out,
                "{input}   # the Python function's defaults\nargs = [{}]",
                args.join(", ")
            );
            draft
                .found
                .push(format!("{first}: input the Python function's defaults"));
        }
        None => {
            let _ = writeln!(
                out,
                "{input}\nargs = []   # TODO: the arguments to call {first} with"
            );
            draft.todos.push(format!(
                "{first}: [input] args: the arguments to call it with (no benchmark of it, \
                 and its twin's parameters have no defaults)"
            ));
        }
    }
}

/// The lab.toml of one function family; `trying` writes its untried
/// candidates as lanes, to be tried.
pub fn family(project: &Project, family: &Family, trying: bool) -> Draft {
    let mut draft = Draft::new(head(project));
    let mut out = std::mem::take(&mut draft.lab_toml);
    tables(family, Place::Alone, trying, &mut out, &mut draft);
    draft.lab_toml = out;
    draft
}

fn tables(family: &Family, place: Place, trying: bool, out: &mut String, draft: &mut Draft) {
    python_table(family, place, out, draft);
    rust_tables(family, place, trying, out, draft);
    input_tables(family, place, out, draft);
}

/// The file of a race on recorded calls: the scenario that replays them.
pub const REPLAY_FILE: &str = "lab_replay.py";

const REPLAY_SCENARIO: &str = include_str!("../../assets/template/lab_replay.py");

/// The lab.toml of one family raced on the calls a profile recorded
/// (`pickle`, relative to the project; `calls` of them).
pub fn replayed(project: &Project, family: &Family, pickle: &str, calls: u64) -> Draft {
    let mut draft = Draft::new(head(project));
    let mut out = std::mem::take(&mut draft.lab_toml);
    let _ = writeln!(
        out,
        "[scenario]   # the {calls} calls pyo3-lab profile recorded of it, replayed\n\
         file = \"{REPLAY_FILE}\"\nfunction = \"replay\"\n"
    );
    python_table(family, Place::Alone, &mut out, &mut draft);
    rust_tables(family, Place::Alone, false, &mut out, &mut draft);
    let _ = writeln!(
        out,
        "[input]   # one run: a pass over the recorded calls\nargs = [\"{pickle}\"]"
    );
    draft.found.push(format!(
        "{}: input the {calls} calls recorded by pyo3-lab profile ({pickle})",
        family.name()
    ));
    draft
        .files
        .push((REPLAY_FILE.to_owned(), REPLAY_SCENARIO.to_owned()));
    draft.lab_toml = out;
    draft
}

/// One lab.toml of a race for each family: every function of a library.
pub fn races<'a>(
    project: &Project,
    families: impl ExactSizeIterator<Item = &'a Family<'a>>,
    trying: bool,
) -> Draft {
    let mut draft = Draft::new(races_head(project, families.len()));
    let mut out = std::mem::take(&mut draft.lab_toml);
    for family in families {
        let name = family.name();
        let _ = writeln!(out, "[[race]]\nname = \"{name}\"\n");
        tables(family, Place::Race(name), trying, &mut out, &mut draft);
        out.push('\n');
    }
    draft.lab_toml = out;
    draft
}

/// The project's Python classes, as functions are searched: by the same
/// naming rules.
fn classes_as_defs(project: &Project) -> Vec<Module> {
    project
        .scan
        .modules
        .iter()
        .map(|m| Module {
            file: m.file.clone(),
            module: m.module.clone(),
            defs: m
                .classes
                .iter()
                .map(|c| Def {
                    name: c.name.clone(),
                    params: Vec::new(),
                })
                .collect(),
            classes: Vec::new(),
        })
        .collect()
}

/// Why a class's `[scenario]` can't race as written: no constructor
/// Python can call, or one that takes arguments.
fn why_not(class: &super::rust::RustClass) -> Option<String> {
    match &class.new {
        None => Some(format!(
            "class {} has no #[new]: Python cannot make one",
            class.name
        )),
        Some(params) if !params.is_empty() => {
            let names: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
            Some(format!(
                "{}({}) takes arguments: fill them in in lab_scenario.py's workload",
                class.name,
                names.join(", ")
            ))
        }
        Some(_) => None,
    }
}

/// `lab_scenario.py`: a workload that makes n objects.
fn scenario_file(constructs: bool) -> String {
    let call = if constructs { "make()" } else { "make(TODO)" };
    format!(
        "\"\"\"The workload a class race times, as `pyo3-lab init` wrote it to start\n\
         with: it makes n objects. Add the methods your users call, each phase\n\
         after a `yield \"name\"`; `yield None` ends the timing, and the value\n\
         returned (one entry a phase) is checked against the reference's.\"\"\"\n\n\n\
         def workload(make, n):\n    yield \"construct\"\n    made = [{call} for _ in range(n)]\n\n    \
         yield None\n    return {{\"construct\": len(made)}}\n"
    )
}

/// A project that exports classes only: a `[scenario]` that makes objects
/// of the first class with a Python twin, or a TODO saying why not.
pub fn classes(project: &Project) -> Draft {
    let mut draft = Draft::new(head(project));
    let as_defs = classes_as_defs(project);
    let names: Vec<String> = project
        .exports
        .classes
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let paired = project.exports.classes.iter().find_map(|c| {
        let twin = twins::find(&[c.name.as_str()], &as_defs)?;
        Some((c, twin))
    });
    let Some((class, twin)) = paired else {
        let _ = write!(
            draft.lab_toml,
            "[[python]]\nfile = \"TODO.py\"   # TODO\nclass = \"TODO\"   # TODO\n\n\
             [[rust]]   # exported: {}\nclass = \"{}\"\n\n\
             [scenario]\nfile = \"TODO.py\"   # TODO\nfunction = \"workload\"   # TODO\n\n[input]\nargs = [1000]\nsize = 0\n",
            names.join(", "),
            names[0]
        );
        draft.todos.push(format!(
            "[python] class: a Python class to race {} against (none of the same name, or NAME_py, \
             in the project's .py files)",
            names.join(", ")
        ));
        return draft;
    };
    let why_not = why_not(class);
    let table = match &twin.module {
        Some(m) => format!("module = \"{m}\""),
        None => format!("file = \"{}\"", twin.file),
    };
    let _ = write!(
        draft.lab_toml,
        "[scenario]   # a start: it makes N objects of each class\nfile = \"lab_scenario.py\"\nfunction = \"workload\"\n\n\
         [[python]]   # {} beside {} ({}), in {}\n{table}\nclass = \"{}\"\n\n\
         [[rust]]\nclass = \"{}\"\n\n[input]\nargs = [10000]\nsize = 0\nmin = 1\nmax = 10000000\n",
        twin.def.name, class.name, twin.rule, twin.file, twin.def.name, class.name
    );
    draft
        .files
        .push(("lab_scenario.py".into(), scenario_file(why_not.is_none())));
    draft.found.push(format!(
        "classes: {} raced as a [scenario] against {} ({})",
        class.name, twin.def.name, twin.rule
    ));
    draft.todos.extend(why_not);
    draft
}
