//! init on small projects written here: what it finds, by which rule, and
//! that what it writes loads (the races are tests/experiments.rs's).

use std::fs;

use super::*;
use crate::engine::experiment::Experiment;
use anyhow::bail;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        (
            "Cargo.toml",
            "[package]\nname = \"my-ext\"\nversion = \"0.1.0\"\n",
        ),
        ("pyproject.toml", "[project]\nname = \"my-ext\"\n"),
    ];
    all.extend_from_slice(files);
    for (path, text) in all {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

/// A trial that answers as the fake would: each candidate's verdict by
/// name, and the drafts it was given.
fn trial_of(
    verdicts: &[(&str, &str, Verdict)],
) -> impl FnMut(&Path, &Draft) -> Result<Vec<(String, String, Verdict)>> + use<> {
    let verdicts: Vec<(String, String, Verdict)> = verdicts
        .iter()
        .map(|(h, c, v)| ((*h).to_owned(), (*c).to_owned(), v.clone()))
        .collect();
    move |_, _| Ok(verdicts.clone())
}

fn untried(_: &Path, _: &Draft) -> Result<Vec<(String, String, Verdict)>> {
    bail!("no lab in a unit test")
}

fn init_here(dir: &tempfile::TempDir) -> Written {
    init(dir.path(), &Options::default(), &mut untried).unwrap()
}

#[test]
fn a_twin_in_a_plain_file_with_defaults_gets_a_lab_toml_that_loads() {
    let dir = project(&[
        (
            "src/lib.rs",
            "#[pyfunction]\nfn triple(n: u64) -> u64 { 3 * n }\n#[pyclass]\nstruct Bag;\n",
        ),
        ("python/slow.py", "def py_triple(n=7):\n    return 3 * n\n"),
    ]);
    let written = init_here(&dir);
    assert_eq!(written.todos, Vec::<String>::new());
    assert!(
        written.found.iter().any(|f| f.contains("rule: py_NAME")),
        "{:?}",
        written.found
    );
    let exp = Experiment::load(dir.path()).unwrap();
    assert_eq!(exp.module, "my_ext");
    assert_eq!(
        exp.description, exp.name,
        "the description defaults to the name"
    );
    assert_eq!(exp.reference().function, "py_triple");
    assert_eq!(exp.args, vec![serde_json::Value::from(7)]);
    let again = init_here_err(&dir);
    assert!(again.contains("exists already"), "{again}");
}

fn init_here_err(dir: &tempfile::TempDir) -> String {
    init(dir.path(), &Options::default(), &mut untried)
        .err()
        .unwrap()
        .to_string()
}

#[test]
fn what_cannot_be_found_is_a_marked_todo_and_named() {
    let dir = project(&[(
        "src/lib.rs",
        "#[pyfunction]\nfn triple(n: u64) -> u64 { 3 * n }\n",
    )]);
    let written = init_here(&dir);
    let todo = written.todos.join("\n");
    assert!(
        todo.starts_with("triple: [python] file and function"),
        "{todo}"
    );
    assert!(todo.contains("triple_py"), "the rules tried: {todo}");
    let text = fs::read_to_string(&written.lab_toml).unwrap();
    assert!(text.contains("file = \"TODO.py\"   # TODO"), "{text}");
    let empty = project(&[("src/lib.rs", "fn plain() {}\n")]);
    let err = init_here_err(&empty);
    assert!(err.contains("no #[pyfunction] or #[pyclass]"), "{err}");
}

/// jellyfish's shape: a module of twins by the same name, several exports of
/// one signature. Each export with a twin of its own heads its own race;
/// one without is a candidate, a lane only when it answered as the twin.
fn library() -> tempfile::TempDir {
    project(&[
        (
            "src/lib.rs",
            "#[pyfunction]\nfn levenshtein(a: &str, b: &str) -> usize { 0 }\n\
             #[pyfunction]\nfn hamming(a: &str, b: &str) -> usize { 0 }\n\
             #[pyfunction]\nfn levenshtein_fast(a: &str, b: &str) -> usize { 0 }\n\
             #[pyfunction]\nfn osa(a: &str, b: &str) -> usize { 0 }\n\
             #[pyfunction]\nfn soundex(s: &str) -> String { String::new() }\n",
        ),
        (
            "python/my_ext/_pure_py.py",
            "def levenshtein(a='kitten', b='sitting'):\n    return 3\n\n\n\
             def hamming(a='karolin', b='kathrin'):\n    return 3\n\n\n\
             def soundex(s='Robert'):\n    return 'R163'\n",
        ),
    ])
}

#[test]
fn an_export_with_a_twin_of_its_own_heads_its_own_race() {
    let dir = library();
    let mut trial = trial_of(&[
        ("levenshtein", "levenshtein_fast", Verdict::Agreed(24)),
        (
            "levenshtein",
            "osa",
            Verdict::Disagreed("at levenshtein('ab', 'ba'): 1 against 2".into()),
        ),
        (
            "hamming",
            "levenshtein_fast",
            Verdict::Disagreed("at hamming('a', 'ab')".into()),
        ),
        (
            "hamming",
            "osa",
            Verdict::Disagreed("at hamming('ab', 'ba'): 1 against 2".into()),
        ),
    ]);
    let listed = list(dir.path(), &mut trial).unwrap().join("\n");
    assert!(
        listed.contains("levenshtein: twin levenshtein in"),
        "{listed}"
    );
    assert!(
        listed.contains("  hamming: a lane, its own twin hamming"),
        "{listed}"
    );
    assert!(
        listed.contains("  levenshtein_fast: a lane, no twin of its own, answers as levenshtein's twin on 24 inputs"),
        "{listed}"
    );
    assert!(
        listed.contains("  osa: not a lane: at levenshtein('ab', 'ba')"),
        "{listed}"
    );
    assert!(
        !listed.contains("levenshtein_fast: not a lane"),
        "it joined levenshtein: {listed}"
    );
    let written = init(dir.path(), &Options::default(), &mut trial).unwrap();
    assert_eq!(written.races, 3, "{:?}", written.found);
    let races = Experiment::load_all(dir.path()).unwrap();
    let lanes = |key: &str| -> (String, Vec<String>) {
        let e = races.iter().find(|e| e.key == key).unwrap();
        (
            e.reference().function.clone(),
            e.rust.iter().map(|r| r.function.clone()).collect(),
        )
    };
    assert_eq!(
        lanes("levenshtein"),
        (
            "levenshtein".into(),
            vec!["levenshtein".into(), "levenshtein_fast".into()]
        )
    );
    assert_eq!(lanes("hamming"), ("hamming".into(), vec!["hamming".into()]));
    assert_eq!(lanes("soundex"), ("soundex".into(), vec!["soundex".into()]));
    assert_eq!(
        races.iter().find(|e| e.key == "hamming").unwrap().args[0],
        "karolin"
    );
    let text = fs::read_to_string(dir.path().join("lab.toml")).unwrap();
    assert!(
        text.contains("# not a lane: osa at levenshtein('ab', 'ba')"),
        "{text}"
    );
}

#[test]
fn function_races_its_own_twin_and_an_untried_candidate_is_no_lane() {
    let dir = library();
    let written = init(
        dir.path(),
        &Options {
            list: false,
            function: Some("hamming".into()),
            ..Options::default()
        },
        &mut untried,
    )
    .unwrap();
    let exp = Experiment::load(dir.path()).unwrap();
    assert_eq!(exp.reference().function, "hamming");
    assert_eq!(exp.rust.len(), 1, "candidates not tried are no lanes");
    assert!(
        written
            .found
            .iter()
            .any(|f| f.contains("candidates not tried") && f.contains("no lab in a unit test")),
        "{:?}",
        written.found
    );
    let text = fs::read_to_string(dir.path().join("lab.toml")).unwrap();
    assert!(
        text.contains("# function = \"osa\""),
        "kept as a comment: {text}"
    );
    assert!(
        written.others.iter().any(|o| o.starts_with("levenshtein:")),
        "{:?}",
        written.others
    );
    let unknown = project(&[("src/lib.rs", "#[pyfunction]\nfn f() {}\n")]);
    let err = init(
        unknown.path(),
        &Options {
            list: false,
            function: Some("g".into()),
            ..Options::default()
        },
        &mut untried,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("--function g") && err.contains("f"), "{err}");
}

#[test]
fn a_project_of_classes_only_gets_a_scenario_or_says_why_not() {
    let dir = project(&[
        (
            "src/lib.rs",
            "#[pyclass]\nstruct Counter { n: u64 }\n#[pymethods]\nimpl Counter {\n    #[new]\n    fn new() -> Self { Self { n: 0 } }\n}\n",
        ),
        ("counter_py.py", "class Counter_py:\n    pass\n"),
    ]);
    let written = init_here(&dir);
    assert!(
        written.todos.is_empty(),
        "{:?} {:?}",
        written.todos,
        written.found
    );
    let exp = Experiment::load(dir.path()).unwrap();
    assert!(exp.scenario.is_some());
    let text = fs::read_to_string(dir.path().join("lab_scenario.py")).unwrap();
    assert!(text.contains("make() for _ in range(n)"), "{text}");

    let no_new = project(&[
        ("src/lib.rs", "#[pyclass]\nstruct Counter { n: u64 }\n"),
        ("pure.py", "class Counter:\n    pass\n"),
    ]);
    let todo = init_here(&no_new).todos.join("\n");
    assert!(todo.contains("no #[new]"), "{todo}");
}

/// asv's `time_*` functions are benchmarks too: the module's constant they
/// pass becomes the setup's, in lab_inputs.py.
#[test]
fn an_asv_benchmark_gives_its_arguments_and_constants() {
    let dir = project(&[
        (
            "src/lib.rs",
            "#[pyfunction]\nfn total(xs: Vec<i64>) -> i64 { 0 }\n",
        ),
        ("slow.py", "def total_py(xs):\n    return sum(xs)\n"),
        (
            "benchmarks/bench_total.py",
            "import slow\n\nDATA = list(range(1000))\n\n\ndef time_total_py():\n    slow.total_py(DATA)\n",
        ),
    ]);
    let written = init_here(&dir);
    assert!(
        written.todos.is_empty(),
        "{:?} {:?}",
        written.todos,
        written.found
    );
    assert!(
        written
            .found
            .iter()
            .any(|f| f.contains("asv's time_total_py")),
        "{:?}",
        written.found
    );
    let inputs = fs::read_to_string(dir.path().join("lab_inputs.py")).unwrap();
    assert!(
        inputs.contains("DATA = list(range(1000))") && inputs.contains("return [DATA]"),
        "{inputs}"
    );
    assert!(
        !inputs.contains("import slow"),
        "the lanes import it: {inputs}"
    );
    let exp = Experiment::load(dir.path()).unwrap();
    assert_eq!(exp.setup.as_deref(), Some("setup"));
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import lab_inputs; print(len(lab_inputs.setup()[0]))")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1000");
}

/// A one-line fixture keeps its body, its size constant made the knob.
#[test]
fn a_one_line_fixture_keeps_its_body_and_its_knob() {
    let dir = project(&[
        (
            "src/lib.rs",
            "#[pyfunction]\nfn total(xs: Vec<i64>) -> i64 { 0 }\n",
        ),
        ("slow.py", "def total_py(xs):\n    return sum(xs)\n"),
        (
            "tests/test_total.py",
            "import pytest\nimport slow\n\n\n@pytest.fixture\ndef data(): return list(range(500))\n\n\n\
             def test_total_py(benchmark, data):\n    assert benchmark(slow.total_py, data) == 124750\n",
        ),
    ]);
    let written = init_here(&dir);
    assert!(
        written.todos.is_empty(),
        "{:?} {:?}",
        written.todos,
        written.found
    );
    let inputs = fs::read_to_string(dir.path().join("lab_inputs.py")).unwrap();
    assert!(inputs.contains("return list(range(n))"), "{inputs}");
    let exp = Experiment::load(dir.path()).unwrap();
    assert_eq!(exp.args, vec![serde_json::Value::from(500)]);
    assert_eq!(exp.expect, Some(serde_json::Value::from(124750)));
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import lab_inputs; print(len(lab_inputs.setup(500)[0]))")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "500");
}
