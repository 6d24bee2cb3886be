//! Why a lane is as fast as it is: its instructions per call split by who
//! spent them (the crate's own code, PyO3's glue, Rust's std, CPython's
//! C-API, the interpreter, the allocator, the rest), its hottest functions
//! and the crate's hottest lines, and a diagnosis in words from rules kept
//! as data in `RULES`.
//!
//! Made from the callgrind file the `--instructions` run writes already. In
//! the extension, each instruction goes by the source file its line came
//! from (release inlines the crate's function into PyO3's trampoline, so
//! the symbol would say "pyo3"); elsewhere, and without line tables, by the
//! function's symbol and object.

use std::collections::BTreeMap;
use std::path::Path;

use super::callgraph::{CallGraph, Function, short_name};
use super::sources::{self, Sources};
use crate::engine::types::{Breakdown, Category, Hot, HotLine, Lane, Language};

/// How many functions each "hot" list holds.
const HOT: usize = 10;
/// How many of the crate's lines the "hot lines" list holds.
const HOT_LINES: usize = 5;

/// The allocators, by name, wherever they live.
fn is_allocator(name: &str) -> bool {
    const EXACT: [&str; 14] = [
        "malloc",
        "free",
        "realloc",
        "calloc",
        "cfree",
        "sysmalloc",
        "malloc_consolidate",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "__rust_alloc_zeroed",
        "__rdl_alloc",
        "__rdl_dealloc",
        "__rdl_realloc",
    ];
    const PREFIXES: [&str; 13] = [
        "_int_malloc",
        "_int_free",
        "_int_realloc",
        "__libc_malloc",
        "__libc_free",
        "__libc_calloc",
        "__libc_realloc",
        "tcache_",
        "unlink_chunk",
        "PyObject_Malloc",
        "PyObject_Free",
        "PyObject_Realloc",
        "PyObject_Calloc",
    ];
    const PY_PREFIXES: [&str; 7] = [
        "_PyObject_Malloc",
        "_PyObject_Free",
        "_PyObject_Realloc",
        "_PyObject_Calloc",
        "pymalloc_",
        "PyMem_",
        "_PyMem_",
    ];
    EXACT.contains(&name)
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || PY_PREFIXES.iter().any(|p| name.starts_with(p))
        || name.starts_with("alloc::alloc::")
        || name == "allocate_from_new_pool"
        || name == "insert_to_usedpool"
}

fn is_libpython(object: &str) -> bool {
    object
        .rsplit('/')
        .next()
        .is_some_and(|file| file.starts_with("libpython") || file.starts_with("python3"))
}

/// Where one function's own instructions go, for a lane whose extension
/// is `extension` (an object path; None for lanes without one).
pub fn classify(f: &Function, lane: &Lane, extension: Option<&str>) -> Category {
    if is_allocator(&f.name) {
        return Category::Allocator;
    }
    let pyo3 = f.name.contains("pyo3::") || f.name.starts_with("pyo3_ffi");
    if extension.is_some_and(|ext| f.object == ext) {
        return if pyo3 {
            Category::Pyo3
        } else {
            Category::Crate
        };
    }
    if is_libpython(&f.object) {
        // A route's compiled code (Cython, mypyc, Numba) runs no bytecode:
        // what it spends in libpython is the C-API, as for an extension.
        return match (lane.language, lane.route) {
            (Language::Python, None) => Category::Interpreter,
            _ => Category::Cpython,
        };
    }
    // Numba's machine code lives in no object file: callgrind names it by
    // its address alone.
    if lane.route == Some(crate::engine::types::Route::Numba)
        && (f.object.is_empty() || f.object == "???" || f.name.starts_with("0x"))
    {
        return Category::Jit;
    }
    // The lab's own binary: the native lane's algorithm is its crate; for
    // every other lane it is the harness that makes the call.
    if lane.language == Language::Native && f.name.starts_with("pyo3_lab::fibonacci") {
        return Category::Crate;
    }
    Category::Other
}

/// The extension a lane's calls run in: the object whose path is under the
/// lane's build (None for Python and native lanes).
fn extension_of<'a>(graph: &'a CallGraph, build: Option<&str>) -> Option<&'a str> {
    let build = build?;
    graph
        .functions
        .iter()
        .map(|f| f.object.as_str())
        .find(|o| o.starts_with(build) && o.ends_with(".so"))
}

/// Where a lane's code is: the folder of its unpacked build (None for
/// Python and native lanes) and of its crate's sources.
#[derive(Clone, Copy, Default)]
pub struct Origin<'a> {
    pub build: Option<&'a str>,
    pub crate_dir: Option<&'a Path>,
    /// Whether a scenario's Python code makes the calls: libpython then
    /// runs that code too, so what it spends is the interpreter's, not the
    /// boundary's (CPython's side of each call included: it cannot be told
    /// apart from the scenario's own bytecode).
    pub scenario: bool,
}

/// The extension's own instructions by category and by the crate's lines,
/// read from the line tables.
struct ByLine {
    categories: BTreeMap<Category, u64>,
    crate_lines: BTreeMap<(usize, u32), u64>,
    /// Whether any of it had a file and line: the build has line tables.
    any: bool,
}

/// Charges each line of the extension's functions to the file it came from;
/// what has no file (or a function that is an allocator) goes by symbol.
fn by_line(
    graph: &CallGraph,
    lane: &Lane,
    extension: &str,
    crate_dir: Option<&Path>,
    sources: &mut Sources,
) -> ByLine {
    let mut out = ByLine {
        categories: BTreeMap::new(),
        crate_lines: BTreeMap::new(),
        any: false,
    };
    let mut charged = vec![0u64; graph.functions.len()];
    for l in &graph.lines {
        let f = &graph.functions[l.function];
        if f.object != extension || is_allocator(&f.name) {
            continue;
        }
        let path = &graph.files[l.file];
        let Some(mut category) = sources::category(path, crate_dir) else {
            continue;
        };
        out.any |= l.line > 0;
        if sources::own_file(path, crate_dir).is_some() {
            if sources
                .line(path, l.line)
                .is_some_and(sources::is_pyo3_attribute)
            {
                category = Category::Pyo3;
            } else if l.line > 0 {
                *out.crate_lines.entry((l.file, l.line)).or_default() += l.cost;
            }
        }
        *out.categories.entry(category).or_default() += l.cost;
        charged[l.function] += l.cost;
    }
    // What the lines did not cover goes by the function's symbol.
    for (f, charged) in graph.functions.iter().zip(charged) {
        if f.object == extension && f.self_cost > charged {
            *out.categories
                .entry(classify(f, lane, Some(extension)))
                .or_default() += f.self_cost - charged;
        }
    }
    out
}

impl Breakdown {
    /// The breakdown of `graph`, a lane's callgrind file for `calls` calls,
    /// scaled by `scale` (the work ratio when counted at a smaller size).
    pub fn of(graph: &CallGraph, lane: &Lane, origin: Origin, calls: u32, scale: f64) -> Self {
        let per = scale / calls.max(1) as f64;
        let extension = extension_of(graph, origin.build);
        let mut categories: BTreeMap<Category, f64> =
            Category::ALL.iter().map(|&c| (c, 0.0)).collect();
        for f in graph
            .functions
            .iter()
            .filter(|f| extension.is_none_or(|ext| f.object != ext))
        {
            let category = match classify(f, lane, extension) {
                Category::Cpython if origin.scenario => Category::Interpreter,
                c => c,
            };
            *categories.entry(category).or_default() += f.self_cost as f64 * per;
        }
        let mut sources = Sources::default();
        let lines = extension.map(|ext| by_line(graph, lane, ext, origin.crate_dir, &mut sources));
        for (c, cost) in lines.iter().flat_map(|l| &l.categories) {
            *categories.entry(*c).or_default() += *cost as f64 * per;
        }
        let hot_lines = lines.as_ref().map_or_else(Vec::new, |l| {
            hot_lines(graph, l, origin.crate_dir, &mut sources, per)
        });
        // Merged by short name: a generic function's instances are one line.
        let mut merged: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for f in graph.functions.iter().filter(|f| f.inclusive > 0) {
            let entry = merged.entry(short_name(&f.name)).or_default();
            entry.0 += f.self_cost as f64 * per;
            entry.1 = entry.1.max(f.inclusive as f64 * per);
        }
        let all: Vec<Hot> = merged
            .into_iter()
            .map(|(function, (self_cost, inclusive))| Hot {
                function,
                self_cost,
                inclusive,
            })
            .collect();
        let hot = |key: fn(&Hot) -> f64| {
            let mut top = all.clone();
            top.sort_by(|a, b| key(b).total_cmp(&key(a)));
            top.truncate(HOT);
            top
        };
        // A stripped extension shows as addresses, not names.
        let symbols = extension.is_none_or(|ext| {
            graph
                .functions
                .iter()
                .filter(|f| f.object == ext && f.self_cost > 0)
                .any(|f| !f.name.starts_with("0x"))
        });
        Self {
            categories,
            hot_self: hot(|h| h.self_cost),
            hot_inclusive: hot(|h| h.inclusive),
            symbols,
            line_tables: lines.is_none_or(|l| l.any),
            scenario: origin.scenario,
            hot_lines,
        }
    }
}

/// The crate's costliest lines, with their text as it is on disk.
fn hot_lines(
    graph: &CallGraph,
    lines: &ByLine,
    crate_dir: Option<&Path>,
    sources: &mut Sources,
    per: f64,
) -> Vec<HotLine> {
    let total = graph.total.max(1) as f64;
    let mut top: Vec<(&(usize, u32), &u64)> = lines.crate_lines.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    top.into_iter()
        .take(HOT_LINES)
        .map(|(&(file, line), &cost)| {
            let path = &graph.files[file];
            HotLine {
                file: sources::own_file(path, crate_dir)
                    .map_or_else(|| path.clone(), |p| p.to_string_lossy().into_owned()),
                line,
                text: sources.line(path, line).unwrap_or_default().to_owned(),
                instructions: cost as f64 * per,
                share: cost as f64 / total,
            }
        })
        .collect()
}

/// One rule of the diagnosis: when it applies, and what it says. The first
/// rule that applies is the diagnosis.
pub struct Rule {
    pub applies: fn(&Breakdown) -> bool,
    pub says: fn(&Breakdown) -> String,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn boundary(b: &Breakdown) -> f64 {
    b.share(Category::Cpython) + b.share(Category::Pyo3)
}

/// What the crate's functions do themselves, with the std code they call.
fn work(b: &Breakdown) -> f64 {
    b.share(Category::Crate) + b.share(Category::RustStd)
}

/// ", its hottest line src/lib.rs:14 (61%)", when the crate's lines are known.
fn hottest_line(b: &Breakdown) -> String {
    b.hot_lines.first().map_or_else(String::new, |l| {
        format!(
            "; its hottest line is {}:{} ({})",
            l.file,
            l.line,
            pct(l.share)
        )
    })
}

/// The diagnosis rules of a Rust lane, in order.
pub const RULES: &[Rule] = &[
    Rule {
        applies: |b| !b.symbols,
        says: |_| {
            "the extension has no symbols (a stripped build): its instructions cannot be told \
             apart; build with symbols to see where they go"
                .into()
        },
    },
    Rule {
        applies: |b| !b.line_tables && boundary(b) >= 0.5,
        says: |b| {
            format!(
                "{} of its instructions run in PyO3's and CPython's functions, but the build has \
                 no line tables, so the crate's own code that release inlined into them cannot \
                 be told apart: build with debug = \"line-tables-only\" in [profile.release] \
                 (pyo3-lab counts a twin of each release build with them, but a profile-guided \
                 build, or a variant whose own --config sets debug, is counted as raced)",
                pct(boundary(b))
            )
        },
    },
    Rule {
        applies: |b| b.scenario && boundary(b) > work(b),
        says: |b| {
            format!(
                "its methods' own work is {} of the instructions (crate {}, rust std {}) and \
                 PyO3's side of crossing into them {} (pyo3 {}, cpython inlined {}), beside \
                 {} in the interpreter (the scenario's Python and CPython's side of each \
                 call): each call does less work than it pays to cross, so batch the calls \
                 (one method that takes a list, as the classes lesson's BatchLru does)",
                pct(work(b)),
                pct(b.share(Category::Crate)),
                pct(b.share(Category::RustStd)),
                pct(boundary(b)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Interpreter))
            )
        },
    },
    Rule {
        applies: |b| b.scenario,
        says: |b| {
            format!(
                "its methods' own work is {} of the instructions (crate {}, rust std {}), more \
                 than PyO3's side of crossing into them ({}: pyo3 {}, cpython inlined {}); \
                 the interpreter (the scenario's Python, CPython's side of each call) is {}{}",
                pct(work(b)),
                pct(b.share(Category::Crate)),
                pct(b.share(Category::RustStd)),
                pct(boundary(b)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Interpreter)),
                hottest_line(b)
            )
        },
    },
    Rule {
        applies: |b| boundary(b) >= 0.5,
        says: |b| {
            format!(
                "{} of its instructions convert the arguments (cpython {}, pyo3 {}); its own \
                 loop is {} on the crate's lines and {} in Rust's std. The conversion, not the \
                 loop, is the cost: take a buffer (bytes, array.array, a numpy array through \
                 the numpy crate) or fewer, larger objects",
                pct(boundary(b)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::Crate)),
                pct(b.share(Category::RustStd))
            )
        },
    },
    Rule {
        applies: |b| b.share(Category::Allocator) >= 0.25,
        says: |b| {
            format!(
                "{} in the allocator: reuse buffers or preallocate",
                pct(b.share(Category::Allocator))
            )
        },
    },
    Rule {
        applies: |b| b.share(Category::Crate) >= 0.9,
        says: |b| {
            format!(
                "{} in the crate's own code: the boundary costs nothing here; the algorithm \
                 decides{}",
                pct(b.share(Category::Crate)),
                hottest_line(b)
            )
        },
    },
    Rule {
        applies: |_| true,
        says: |b| {
            format!(
                "crate {}, pyo3 {}, rust std {}, cpython {}, allocator {}: no one part \
                 dominates; the hottest function is {}{}",
                pct(b.share(Category::Crate)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::RustStd)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Allocator)),
                b.hot_self
                    .first()
                    .map_or("unknown", |h| h.function.as_str()),
                hottest_line(b)
            )
        },
    },
];

/// The diagnosis of a Rust lane, from the first rule that applies.
pub fn diagnose(lane: &Lane, b: &Breakdown) -> Option<String> {
    if lane.language != Language::Rust {
        return None;
    }
    let rule = RULES.iter().find(|r| (r.applies)(b))?;
    Some(format!("{}: {}", lane.name, (rule.says)(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::Variant;

    fn f(name: &str, object: &str, cost: u64) -> Function {
        Function {
            name: name.into(),
            object: object.into(),
            file: None,
            self_cost: cost,
            inclusive: cost,
        }
    }

    fn origin() -> Origin<'static> {
        Origin {
            build: Some("/home/site/listsum/release"),
            crate_dir: Some(Path::new("/work/collatz")),
            scenario: false,
        }
    }

    const EXT: &str = "/home/site/listsum/release/listsum/listsum.so";

    fn graph(functions: Vec<Function>) -> CallGraph {
        let total = functions.iter().map(|f| f.self_cost).sum();
        // Each of the extension's functions on a line of its own crate's file.
        let files = vec![
            "/work/collatz/src/lib.rs".to_owned(),
            "/r/registry/src/index.crates.io-1/pyo3-0.30.1/src/lib.rs".to_owned(),
        ];
        let lines = functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.object == EXT)
            .map(|(i, f)| crate::engine::why::callgraph::LineCost {
                function: i,
                file: usize::from(f.name.starts_with("pyo3")),
                line: 1,
                cost: f.self_cost,
            })
            .collect();
        CallGraph {
            functions,
            files,
            lines,
            total,
            ..CallGraph::default()
        }
    }

    #[test]
    fn a_list_argument_is_diagnosed_as_the_conversion() {
        let g = graph(vec![
            f("listsum::sum_squares", EXT, 240),
            f("pyo3::conversions::std::vec::extract", EXT, 190),
            f("PyLong_AsLong", "/usr/lib/libpython3.11.so.1.0", 520),
            f("malloc", "/usr/lib/libc.so.6", 30),
            f("pyo3_lab_counted", "/bin/pyo3-lab", 20),
        ]);
        let lane = Lane::rust("sum_squares", Variant::release(), true);
        let b = Breakdown::of(&g, &lane, origin(), 1, 1.0);
        assert!((b.total() - 1000.0).abs() < 1e-9, "adds up");
        assert!((b.share(Category::Cpython) - 0.52).abs() < 1e-9);
        assert!((b.share(Category::Allocator) - 0.03).abs() < 1e-9);
        assert!((b.share(Category::Other) - 0.02).abs() < 1e-9);
        let said = diagnose(&lane, &b).unwrap();
        assert!(
            said.contains("71% of its instructions convert the arguments (cpython 52%, pyo3 19%); its own loop is 24% on the crate's lines and 0% in Rust's std"),
            "{said}"
        );
        assert_eq!(b.hot_self[0].function, "PyLong_AsLong");
    }

    /// A Cython lane's module is its own code, compiled; its calls into
    /// libpython are the C-API's, not the interpreter's.
    #[test]
    fn a_route_modules_code_is_its_own_and_libpython_is_the_c_api() {
        const MODULE: &str = "/home/routes/fib-cython-0123/fib.cpython-311-x86_64-linux-gnu.so";
        let g = graph(vec![
            f("__pyx_pw_3fib_1fib", MODULE, 860),
            f("PyLong_FromLong", "/usr/lib/libpython3.11.so.1.0", 130),
            f("pyo3_lab_counted", "/bin/pyo3-lab", 10),
        ]);
        let lane = Lane::routed("cython-pure", crate::engine::types::Route::Cython);
        let origin = Origin {
            build: Some("/home/routes/fib-cython-0123"),
            crate_dir: None,
            scenario: false,
        };
        let b = Breakdown::of(&g, &lane, origin, 1, 1.0);
        assert!((b.share(Category::Crate) - 0.86).abs() < 1e-9, "{b:?}");
        assert!((b.share(Category::Cpython) - 0.13).abs() < 1e-9, "{b:?}");
        assert_eq!(b.share(Category::Interpreter), 0.0);
        // Numba's machine code has no object file: a category of its own,
        // and a column only in tables where some lane has it.
        let g = graph(vec![
            f("0x00000000056bf000", "???", 950),
            f("Dispatcher_call", "/packages/numba/_dispatcher.so", 40),
            f("pyo3_lab_counted", "/bin/pyo3-lab", 10),
        ]);
        let numba = Lane::routed("numba", crate::engine::types::Route::Numba);
        let jitted = Breakdown::of(&g, &numba, Origin::default(), 1, 1.0);
        assert!(
            (jitted.share(Category::Jit) - 0.95).abs() < 1e-9,
            "{jitted:?}"
        );
        assert!(!Category::columns([&b.categories]).contains(&Category::Jit));
        assert!(Category::columns([&b.categories, &jitted.categories]).contains(&Category::Jit));
    }

    /// A scenario's many small method calls: libpython runs the scenario's
    /// Python too, so it is the interpreter's; PyO3's glue outweighs the
    /// methods' work, and the words say to batch.
    #[test]
    fn a_scenario_of_small_calls_is_told_to_batch_them() {
        let g = graph(vec![
            f("listsum::Lru::get", EXT, 100),
            f("pyo3::impl_::extract_argument", EXT, 150),
            f(
                "_PyEval_EvalFrameDefault",
                "/usr/lib/libpython3.11.so.1.0",
                700,
            ),
            f("pyo3_lab_counted", "/bin/pyo3-lab", 50),
        ]);
        let lane = Lane::rust("plain", Variant::release(), false);
        let scenario = Origin {
            scenario: true,
            ..origin()
        };
        let b = Breakdown::of(&g, &lane, scenario, 1, 1.0);
        assert!((b.share(Category::Interpreter) - 0.7).abs() < 1e-9, "{b:?}");
        assert_eq!(b.share(Category::Cpython), 0.0);
        let said = diagnose(&lane, &b).unwrap();
        assert!(
            said.contains("its methods' own work is 10% of the instructions")
                && said.contains("pyo3 15%")
                && said.ends_with("batch the calls (one method that takes a list, as the classes lesson's BatchLru does)"),
            "{said}"
        );
        // The same counts made by one call on converted arguments are the
        // conversion, as before.
        let b = Breakdown::of(&g, &lane, origin(), 1, 1.0);
        assert!(
            diagnose(&lane, &b)
                .unwrap()
                .contains("convert the arguments")
        );
    }

    #[test]
    fn a_pure_computation_is_the_algorithm() {
        let g = graph(vec![
            f("fibonacci::fib", EXT, 970),
            f("pyo3::impl_::trampoline::fastcall", EXT, 20),
            f(
                "PyLong_FromUnsignedLongLong",
                "/usr/lib/libpython3.11.so.1.0",
                10,
            ),
        ]);
        let lane = Lane::rust("run", Variant::release(), true);
        let b = Breakdown::of(&g, &lane, origin(), 2, 10.0);
        assert!((b.total() - 5000.0).abs() < 1e-6, "per call, scaled");
        let said = diagnose(&lane, &b).unwrap();
        assert!(said.contains("97% in the crate's own code"), "{said}");
    }

    #[test]
    fn a_python_lane_is_the_interpreter_and_gets_no_rust_diagnosis() {
        let g = graph(vec![
            f(
                "_PyEval_EvalFrameDefault",
                "/usr/lib/libpython3.11.so.1.0",
                800,
            ),
            f("_PyObject_Malloc", "/usr/lib/libpython3.11.so.1.0", 200),
        ]);
        let lane = Lane::python("f", true, true);
        let b = Breakdown::of(&g, &lane, Origin::default(), 1, 1.0);
        assert!((b.share(Category::Interpreter) - 0.8).abs() < 1e-9);
        assert!((b.share(Category::Allocator) - 0.2).abs() < 1e-9);
        assert!(diagnose(&lane, &b).is_none());
    }

    #[test]
    fn a_stripped_extension_says_so_instead_of_guessing() {
        let g = graph(vec![
            f("0x0000000000012345", EXT, 900),
            f("PyLong_AsLong", "/lib/libpython3.11.so", 100),
        ]);
        let lane = Lane::rust("x", Variant::release(), true);
        let b = Breakdown::of(&g, &lane, origin(), 1, 1.0);
        assert!(!b.symbols);
        assert!(diagnose(&lane, &b).unwrap().contains("no symbols"));
    }

    #[test]
    fn a_loop_inlined_into_the_trampoline_is_the_crates_by_its_lines() {
        let dir = std::env::temp_dir().join(format!("pyo3-lab-breakdown-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let lib = dir.join("src/lib.rs");
        std::fs::write(
            &lib,
            "#[pyfunction]\nfn f(n: u64) -> u64 {\n    (0..n).sum()\n}\n",
        )
        .unwrap();
        let mut trampoline = f("pyo3::impl_::trampoline::fastcall", EXT, 1000);
        trampoline.file = Some(1);
        let mut g = graph(vec![trampoline]);
        g.files = vec![
            lib.to_string_lossy().into_owned(),
            "/r/registry/src/index.crates.io-1/pyo3-0.30.1/src/impl_/trampoline.rs".into(),
            "/rustc/abc/library/core/src/iter/range.rs".into(),
        ];
        let line = |file, line, cost| crate::engine::why::callgraph::LineCost {
            function: 0,
            file,
            line,
            cost,
        };
        g.lines = vec![
            line(0, 3, 900),
            line(0, 1, 20),
            line(1, 81, 30),
            line(2, 772, 40),
        ];
        let lane = Lane::rust("f", Variant::release(), true);
        let origin = Origin {
            build: Some("/home/site/listsum/release"),
            crate_dir: Some(&dir),
            scenario: false,
        };
        let b = Breakdown::of(&g, &lane, origin, 1, 1.0);
        assert!((b.share(Category::Crate) - 0.9).abs() < 1e-9, "{b:?}");
        assert!(
            (b.share(Category::Pyo3) - 0.06).abs() < 1e-9,
            "the trampoline's lines, the #[pyfunction] glue, and by its symbol the 10 on no line: {b:?}"
        );
        assert!((b.share(Category::RustStd) - 0.04).abs() < 1e-9);
        assert!(b.line_tables);
        assert_eq!(
            (b.hot_lines[0].file.as_str(), b.hot_lines[0].line),
            ("src/lib.rs", 3)
        );
        assert_eq!(b.hot_lines[0].text, "(0..n).sum()");
        assert_eq!(b.hot_lines.len(), 1, "the attribute's line is PyO3's");
        let said = diagnose(&lane, &b).unwrap();
        assert!(
            said.contains("its hottest line is src/lib.rs:3 (90%)"),
            "{said}"
        );

        // The same module without line tables: charged by symbol, and the
        // diagnosis says it cannot tell, rather than blaming the conversion.
        g.lines.clear();
        let b = Breakdown::of(&g, &lane, origin, 1, 1.0);
        assert!(!b.line_tables && b.share(Category::Pyo3) == 1.0);
        let said = diagnose(&lane, &b).unwrap();
        assert!(
            said.contains("no line tables") && !said.contains("take a buffer"),
            "{said}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
