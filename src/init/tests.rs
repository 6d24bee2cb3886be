//! init on small projects written here: what it finds, by which rule, and
//! that what it writes loads (the races are tests/experiments.rs's).

use std::fs;

use super::*;
use crate::engine::experiment::Experiment;

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

fn init_here(dir: &tempfile::TempDir) -> Written {
    init(dir.path(), &Options::default()).unwrap()
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
    assert_eq!(written.todo, None);
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
    init(dir.path(), &Options::default())
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
    let todo = written.todo.unwrap();
    assert!(todo.starts_with("[python] file and function"), "{todo}");
    assert!(todo.contains("triple_py"), "the rules tried: {todo}");
    let text = fs::read_to_string(&written.lab_toml).unwrap();
    assert!(text.contains("file = \"TODO.py\"   # TODO"), "{text}");
    let empty = project(&[("src/lib.rs", "fn plain() {}\n")]);
    let err = init_here_err(&empty);
    assert!(err.contains("no #[pyfunction] or #[pyclass]"), "{err}");
}

#[test]
fn every_export_of_the_same_parameters_is_a_lane_and_list_and_function_pick_a_family() {
    let dir = project(&[
        (
            "src/lib.rs",
            "#[pyfunction]\nfn total(xs: Vec<i64>) -> i64 { 0 }\n\
             #[pyfunction]\nfn total_unrolled(xs: Vec<i64>) -> i64 { 0 }\n\
             #[pyfunction]\nfn scale(x: f64, by: f64) -> f64 { x * by }\n",
        ),
        (
            "mypkg_pure.py",
            "def total_py(xs=[1, 2, 3]):\n    return sum(xs)\n\n\ndef scale_py(x=2.0, by=3.0):\n    return x * by\n",
        ),
    ]);
    let families = list(dir.path()).unwrap();
    assert_eq!(families.len(), 2, "{families:?}");
    assert!(families[0].starts_with("total: total, total_unrolled; twin total_py"));
    let written = init(
        dir.path(),
        &Options {
            list: false,
            function: Some("scale_py".into()),
        },
    )
    .unwrap();
    assert!(
        written.others[0].starts_with("total:"),
        "{:?}",
        written.others
    );
    let exp = Experiment::load(dir.path()).unwrap();
    assert_eq!(exp.rust.len(), 1);
    assert_eq!(exp.reference().function, "scale_py");
    let unknown = project(&[("src/lib.rs", "#[pyfunction]\nfn f() {}\n")]);
    let err = init(
        unknown.path(),
        &Options {
            list: false,
            function: Some("g".into()),
        },
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
    assert_eq!(written.todo, None, "{:?}", written.found);
    let exp = Experiment::load(dir.path()).unwrap();
    assert!(exp.scenario.is_some());
    let text = fs::read_to_string(dir.path().join("lab_scenario.py")).unwrap();
    assert!(text.contains("make() for _ in range(n)"), "{text}");

    let no_new = project(&[
        ("src/lib.rs", "#[pyclass]\nstruct Counter { n: u64 }\n"),
        ("pure.py", "class Counter:\n    pass\n"),
    ]);
    let todo = init_here(&no_new).todo.unwrap();
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
    assert_eq!(written.todo, None, "{:?}", written.found);
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
    assert_eq!(written.todo, None, "{:?}", written.found);
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
