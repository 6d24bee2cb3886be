//! Why a lane is as fast as it is: its instructions per call split by who
//! spent them (the crate's own code, PyO3's glue, CPython's C-API, the
//! interpreter, the allocator, the rest), its hottest functions, and a
//! diagnosis in words from rules kept as data in `RULES`.
//!
//! Made from the callgrind file the `--instructions` run writes already.

use std::collections::BTreeMap;

use super::callgraph::{CallGraph, Function, short_name};
use super::types::{Breakdown, Category, Hot, Lane, Language};

/// How many functions each "hot" list holds.
const HOT: usize = 10;

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
        return match lane.language {
            Language::Python => Category::Interpreter,
            _ => Category::Cpython,
        };
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

impl Breakdown {
    /// The breakdown of `graph`, a lane's callgrind file for `calls` calls,
    /// scaled by `scale` (the work ratio when counted at a smaller size).
    /// `build` is the folder of the lane's unpacked build.
    pub fn of(graph: &CallGraph, lane: &Lane, build: Option<&str>, calls: u32, scale: f64) -> Self {
        let per = scale / calls.max(1) as f64;
        let extension = extension_of(graph, build);
        let mut categories: BTreeMap<Category, f64> =
            Category::ALL.iter().map(|&c| (c, 0.0)).collect();
        for f in &graph.functions {
            *categories.entry(classify(f, lane, extension)).or_default() +=
                f.self_cost as f64 * per;
        }
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
        }
    }
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
        applies: |b| boundary(b) >= 0.5,
        says: |b| {
            format!(
                "{} of its instructions convert the arguments (cpython {}, pyo3 {}); its own \
                 loop is {}. The conversion, not the loop, is the cost: take a buffer (bytes, \
                 array.array, a numpy array through the numpy crate) or fewer, larger objects",
                pct(boundary(b)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::Crate))
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
                "{} in the crate's own code: the boundary costs nothing here; the algorithm decides",
                pct(b.share(Category::Crate))
            )
        },
    },
    Rule {
        applies: |_| true,
        says: |b| {
            format!(
                "crate {}, pyo3 {}, cpython {}, allocator {}: no one part dominates; the hottest \
                 function is {}",
                pct(b.share(Category::Crate)),
                pct(b.share(Category::Pyo3)),
                pct(b.share(Category::Cpython)),
                pct(b.share(Category::Allocator)),
                b.hot_self
                    .first()
                    .map_or("unknown", |h| h.function.as_str())
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
            self_cost: cost,
            inclusive: cost,
        }
    }

    const EXT: &str = "/home/site/listsum/release/listsum/listsum.so";

    fn graph(functions: Vec<Function>) -> CallGraph {
        let total = functions.iter().map(|f| f.self_cost).sum();
        CallGraph {
            functions,
            calls: vec![],
            total,
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
        let lane = Lane::rust("sum_squares", Variant::Release, true);
        let b = Breakdown::of(&g, &lane, Some("/home/site/listsum/release"), 1, 1.0);
        assert!((b.total() - 1000.0).abs() < 1e-9, "adds up");
        assert!((b.share(Category::Cpython) - 0.52).abs() < 1e-9);
        assert!((b.share(Category::Allocator) - 0.03).abs() < 1e-9);
        assert!((b.share(Category::Other) - 0.02).abs() < 1e-9);
        let said = diagnose(&lane, &b).unwrap();
        assert!(
            said.contains("71% of its instructions convert the arguments (cpython 52%, pyo3 19%); its own loop is 24%"),
            "{said}"
        );
        assert_eq!(b.hot_self[0].function, "PyLong_AsLong");
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
        let lane = Lane::rust("run", Variant::Release, true);
        let b = Breakdown::of(&g, &lane, Some("/home/site/listsum/release"), 2, 10.0);
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
        let b = Breakdown::of(&g, &lane, None, 1, 1.0);
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
        let lane = Lane::rust("x", Variant::Release, true);
        let b = Breakdown::of(&g, &lane, Some("/home/site/listsum/release"), 1, 1.0);
        assert!(!b.symbols);
        assert!(diagnose(&lane, &b).unwrap().contains("no symbols"));
    }
}
