//! The inputs a project's own benchmarks already give: a pytest-benchmark
//! call `benchmark(f, *args)` names the function and its arguments; the
//! fixtures it takes become the race's untimed setup (in a `lab_inputs.py`
//! of the lab's own, the fixtures as plain functions); an `assert result ==
//! VALUE` becomes `[expect]`; a fixture's size constant (`text * 1000`,
//! `range(10000)`) becomes the size knob.

use std::fmt::Write as _;

use serde_json::Value;

use super::python::{Arg, BenchCall, Bound, Fixture, TestFile};

/// The file init writes the fixtures into, beside lab.toml.
pub const INPUTS_FILE: &str = "lab_inputs.py";

/// What a benchmark gave: the arguments, and where they came from.
#[derive(Debug)]
pub struct Inputs {
    /// `tests/test_word_count.py:46 benchmark(word_count.search_py, contents, "is")`.
    pub from: String,
    /// `[input] args`: the knob's default, or the literal arguments.
    pub args: Vec<Value>,
    /// The size knob: the fixture it sizes and what it does.
    pub knob: Option<Knob>,
    /// `lab_inputs.py` when fixtures make the arguments.
    pub file: Option<String>,
    /// The value the result is asserted to equal, and where.
    pub expect: Option<(Value, String)>,
}

/// Why a benchmark's arguments are not taken over: what init says instead.
#[derive(Debug, thiserror::Error)]
pub enum NotTaken {
    #[error("{from} passes keywords ({names}), which init does not take over")]
    Keywords { from: String, names: String },
    #[error("{from} passes `{expr}`, neither a fixture nor a literal")]
    Expression { from: String, expr: String },
    #[error("the fixture {name} is pytest's own or not found in {file}: init can't call it")]
    Unknown { name: String, file: String },
    #[error("the fixture {name} yields: init takes only fixtures that return")]
    Yields { name: String },
}

#[derive(Debug)]
pub struct Knob {
    pub fixture: String,
    pub what: String,
    pub default: u64,
}

/// The benchmark calls of the functions `names`.
pub fn calls_of<'a>(names: &[&str], tests: &'a [TestFile]) -> Vec<(&'a TestFile, &'a BenchCall)> {
    tests
        .iter()
        .flat_map(|t| t.calls.iter().map(move |c| (t, c)))
        .filter(|(_, c)| names.contains(&c.function()))
        .collect()
}

/// The inputs of the first of `calls` (the reference's first when it has
/// one); Err says why a benchmark's arguments can't be taken over.
pub fn from_calls(
    calls: &[(&TestFile, &BenchCall)],
    reference: Option<&str>,
    project: &str,
) -> Result<Option<Inputs>, NotTaken> {
    let Some(&(test, call)) = calls
        .iter()
        .find(|(_, c)| Some(c.function()) == reference)
        .or_else(|| calls.first())
    else {
        return Ok(None);
    };
    let from = described(test, call);
    if !call.kwargs.is_empty() {
        return Err(NotTaken::Keywords {
            from,
            names: call.kwargs.join(", "),
        });
    }
    if let Some(Arg::Expr(e)) = call.args.iter().find(|a| matches!(a, Arg::Expr(_))) {
        return Err(NotTaken::Expression {
            from,
            expr: e.clone(),
        });
    }
    let expect = expected(calls, (test, call));
    let fixtures = needed(call, test)?;
    let constants = call.args.iter().any(|a| matches!(a, Arg::Constant(_)));
    if fixtures.is_empty() && !constants {
        let args = call
            .args
            .iter()
            .map(|a| match a {
                Arg::Value(v) => v.clone(),
                _ => Value::Null,
            })
            .collect();
        return Ok(Some(Inputs {
            from,
            args,
            knob: None,
            file: None,
            expect,
        }));
    }
    let knob = call.args.iter().find_map(|a| match a {
        Arg::Fixture(f) => {
            let k = test.fixtures.get(f)?.knob.as_ref()?;
            Some(Knob {
                fixture: f.clone(),
                what: k.what.clone(),
                default: k.value,
            })
        }
        _ => None,
    });
    let file = inputs_file(project, test, call, &fixtures, knob.as_ref());
    Ok(Some(Inputs {
        from,
        args: knob.iter().map(|k| Value::from(k.default)).collect(),
        knob,
        file: Some(file),
        expect,
    }))
}

/// Where a call is and what it is: `tests/t.py:46 benchmark(f, x, "is")`,
/// or `benchmarks/b.py:7 asv's time_f: f(DATA)`.
fn described(test: &TestFile, call: &BenchCall) -> String {
    if !call.test.starts_with("time_") {
        return format!("{}:{} benchmark({})", test.file, call.line, shown(call));
    }
    format!(
        "{}:{} asv's {}: {}({})",
        test.file,
        call.line,
        call.test,
        call.target,
        args_text(call)
    )
}

/// The value `call`'s result is asserted to equal (or another call's of the
/// family), and where: only when every call that asserts one agrees.
fn expected(
    calls: &[(&TestFile, &BenchCall)],
    chosen: (&TestFile, &BenchCall),
) -> Option<(Value, String)> {
    let asserted: Vec<&Value> = calls
        .iter()
        .filter_map(|(_, c)| c.expect.as_ref())
        .collect();
    let value = chosen
        .1
        .expect
        .as_ref()
        .or(asserted.first().copied())
        .filter(|v| asserted.iter().all(|e| e == v) && !v.is_null())?;
    let (t, c) = Some(chosen)
        .filter(|(_, c)| c.expect.as_ref() == Some(value))
        .or_else(|| {
            calls
                .iter()
                .find(|(_, c)| c.expect.as_ref() == Some(value))
                .copied()
        })
        .unwrap_or(chosen);
    Some((value.clone(), format!("{}, {}", t.file, c.test)))
}

/// The call's arguments as written: `contents, "is"`.
fn args_text(call: &BenchCall) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| match a {
            Arg::Fixture(f) | Arg::Constant(f) | Arg::Expr(f) => f.clone(),
            Arg::Value(v) => python_literal(v),
        })
        .collect();
    args.join(", ")
}

/// The call as written: `word_count.search_py, contents, "is"`.
fn shown(call: &BenchCall) -> String {
    match args_text(call) {
        args if args.is_empty() => call.target.clone(),
        args => format!("{}, {args}", call.target),
    }
}

/// The fixtures `call` takes and the ones they take, each once, those taken
/// first. A fixture of pytest's own (`request`, `tmp_path`) or a `yield`
/// fixture can't be called as a plain function: Err names it.
fn needed<'a>(
    call: &BenchCall,
    test: &'a TestFile,
) -> Result<Vec<(&'a str, &'a Fixture)>, NotTaken> {
    fn visit<'a>(
        name: &str,
        test: &'a TestFile,
        out: &mut Vec<(&'a str, &'a Fixture)>,
    ) -> Result<(), NotTaken> {
        if out.iter().any(|(n, _)| *n == name) {
            return Ok(());
        }
        let Some((key, fixture)) = test.fixtures.get_key_value(name) else {
            return Err(NotTaken::Unknown {
                name: name.to_owned(),
                file: test.file.clone(),
            });
        };
        if fixture.source.contains("yield") {
            return Err(NotTaken::Yields {
                name: name.to_owned(),
            });
        }
        for dep in &fixture.params {
            visit(dep, test, out)?;
        }
        out.push((key.as_str(), fixture));
        Ok(())
    }
    let mut out = Vec::new();
    for arg in &call.args {
        if let Arg::Fixture(f) = arg {
            visit(f, test, &mut out)?;
        }
    }
    Ok(out)
}

/// `lab_inputs.py`: the imports and constants the fixtures use, the
/// fixtures as plain functions, and `setup`.
fn inputs_file(
    project: &str,
    test: &TestFile,
    call: &BenchCall,
    fixtures: &[(&str, &Fixture)],
    knob: Option<&Knob>,
) -> String {
    let mut out = format!(
        "\"\"\"The inputs {project}'s own benchmarks race with, as `pyo3-lab init` read\n\
         them from {}: the fixtures as plain functions, and `setup`, which\n\
         makes every lane's arguments outside the timing. Written once; edit it freely.\"\"\"\n\n",
        test.file
    );
    let mut sources: String = fixtures.iter().map(|(_, f)| f.source.as_str()).collect();
    // The call's own arguments may name the module's constants (asv); its
    // target is the lanes' to import, not the setup's.
    sources.push_str(&args_text(call));
    let mut preamble: Vec<&Bound> = Vec::new();
    for b in fixtures
        .iter()
        .flat_map(|(_, f)| &f.preamble)
        .chain(&test.preamble)
    {
        let used = b.names.iter().any(|n| uses(&sources, n));
        if used && !preamble.contains(&b) {
            preamble.push(b);
        }
    }
    for b in &preamble {
        let _ = writeln!(out, "{}", b.text);
    }
    for (i, (_, f)) in fixtures.iter().enumerate() {
        let gap = if i == 0 && preamble.is_empty() {
            ""
        } else {
            "\n\n"
        };
        let _ = writeln!(out, "{gap}{}", f.source.trim_end());
    }
    let made = |name: &str| -> String { made_by(name, fixtures, knob) };
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| match a {
            Arg::Fixture(f) => made(f),
            Arg::Value(v) => python_literal(v),
            Arg::Constant(c) | Arg::Expr(c) => c.clone(),
        })
        .collect();
    let (param, size) = match knob {
        Some(k) => ("n", format!(", the fixture {} at size n", k.fixture)),
        None => ("", String::new()),
    };
    let _ = write!(
        out,
        "\n\ndef setup({param}):\n    \"\"\"The arguments of {}({}){size}.\"\"\"\n    return [{}]\n",
        call.function(),
        args_text(call),
        args.join(", ")
    );
    out
}

/// The call that makes fixture `name`: its own fixtures by keyword, and the
/// size where it is the knob's.
fn made_by(name: &str, fixtures: &[(&str, &Fixture)], knob: Option<&Knob>) -> String {
    let Some((_, f)) = fixtures.iter().find(|(n, _)| *n == name) else {
        return name.to_owned();
    };
    let mut args: Vec<String> = f
        .params
        .iter()
        .map(|p| format!("{p}={}", made_by(p, fixtures, knob)))
        .collect();
    if knob.is_some_and(|k| k.fixture == name) {
        args.push("n=n".into());
    }
    format!("{name}({})", args.join(", "))
}

/// Whether `name` is used as a word in `text`.
fn uses(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// A JSON value as Python writes it.
pub fn python_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(_) => v.to_string(),
        Value::Array(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(python_literal)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), python_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
