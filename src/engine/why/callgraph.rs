//! A callgrind output file read back: every function's self and inclusive
//! cost, the object it lives in, the call edges between functions, and
//! each function's own cost by the source line it came from (the `fi=`/`fe=`
//! records name the file of code inlined from elsewhere).
//! The `--instructions` run writes these files already; reading them is
//! what the "why" breakdown and the flame graphs are made from, with no
//! Valgrind run of their own.

use std::collections::{BTreeMap, HashMap};

use super::sources;

/// One function of the profile (functions of the same name in different
/// objects are different functions).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Function {
    pub name: String,
    /// The object file it is in: the extension, libpython, libc, pyo3-lab.
    pub object: String,
    /// Its own source file (`fl=`), an index into `CallGraph::files`.
    pub file: Option<usize>,
    /// Instructions spent in the function itself.
    pub self_cost: u64,
    /// Instructions spent in it and in what it called; calls of itself are
    /// not added again (recursion is counted once).
    pub inclusive: u64,
}

/// A caller → callee edge and the instructions spent below it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub caller: usize,
    pub callee: usize,
    pub count: u64,
    pub cost: u64,
}

/// A function's own instructions on one source line (line 0: code the
/// compiler gave no line).
#[derive(Clone, Debug, PartialEq)]
pub struct LineCost {
    pub function: usize,
    /// An index into `CallGraph::files`.
    pub file: usize,
    pub line: u32,
    pub cost: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallGraph {
    pub functions: Vec<Function>,
    pub calls: Vec<Call>,
    /// Source files as callgrind names them (`???` where there is no debug
    /// information).
    pub files: Vec<String>,
    /// Every function's self cost, split by file and line.
    pub lines: Vec<LineCost>,
    /// The file's own total (`summary:`/`totals:`).
    pub total: u64,
}

/// The compressed names of callgrind's format: `(id) name` defines an id,
/// `(id)` refers to one defined before.
#[derive(Default)]
struct Names(HashMap<String, String>);

impl Names {
    fn resolve(&mut self, spec: &str) -> String {
        let spec = spec.trim();
        if let Some(rest) = spec.strip_prefix('(')
            && let Some((id, name)) = rest.split_once(')')
        {
            let name = name.trim();
            if name.is_empty() {
                return self.0.get(id).cloned().unwrap_or_default();
            }
            self.0.insert(id.to_owned(), name.to_owned());
            return name.to_owned();
        }
        spec.to_owned()
    }
}

/// A cost line, `position cost`: the source line (positions may be relative
/// to the last one, `+3`, `-2`, `*`) and its first event (Ir), the one
/// counted.
fn cost_of(line: &str, last: u32) -> Option<(u32, u64)> {
    let mut parts = line.split_whitespace();
    let position = parts.next()?;
    let at = match position.as_bytes().first()? {
        b'*' => last,
        b'+' => last.saturating_add(position[1..].parse().ok()?),
        b'-' => last.saturating_sub(position[1..].parse().ok()?),
        b'0'..=b'9' => position.parse().ok()?,
        _ => return None,
    };
    Some((at, parts.next()?.parse().ok()?))
}

impl CallGraph {
    /// Reads a callgrind file; None when it holds no total (`summary:` or
    /// `totals:`), so is no finished profile.
    pub fn parse(text: &str) -> Option<Self> {
        let mut reader = Reader::default();
        for line in text.lines() {
            reader.line(line);
        }
        reader.finish()
    }
}

/// A callgrind file read line by line: the names its ids stand for, where
/// the cost lines that follow belong, and the graph so far.
#[derive(Default)]
struct Reader {
    graph: CallGraph,
    objects: Names,
    functions: Names,
    files: Names,
    /// (object, function) → its index in `graph.functions`.
    index: HashMap<(String, String), usize>,
    /// A file's name → its index in `graph.files`.
    file_ids: HashMap<String, usize>,
    /// The function's own file (`fl=`), the file of the lines that follow
    /// (`fi=`/`fe=`: inlined code), and the last line, which relative
    /// positions count from (a `calls=` line's target does not move it).
    function_file: Option<usize>,
    file: Option<usize>,
    last: u32,
    per_line: HashMap<(usize, usize, u32), u64>,
    object: String,
    current: Option<usize>,
    callee_object: Option<String>,
    /// A `calls=` line waiting for its cost line: (callee, count).
    pending: Option<(usize, u64)>,
    total: Option<u64>,
}

impl Reader {
    fn line(&mut self, line: &str) {
        if let Some(spec) = line.strip_prefix("ob=") {
            self.object = self.objects.resolve(spec);
        } else if let Some(spec) = line.strip_prefix("cob=") {
            self.callee_object = Some(self.objects.resolve(spec));
        } else if let Some(spec) = line.strip_prefix("fl=") {
            let name = self.files.resolve(spec);
            self.function_file = Some(self.file_id(name));
            self.file = self.function_file;
        } else if let Some(spec) = line
            .strip_prefix("fi=")
            .or_else(|| line.strip_prefix("fe="))
        {
            let name = self.files.resolve(spec);
            self.file = Some(self.file_id(name));
        } else if let Some(spec) = line
            .strip_prefix("cfi=")
            .or_else(|| line.strip_prefix("cfl="))
        {
            // Only to learn the name its id stands for later.
            self.files.resolve(spec);
        } else if let Some(spec) = line.strip_prefix("fn=") {
            self.function(spec);
        } else if let Some(spec) = line.strip_prefix("cfn=") {
            let name = self.functions.resolve(spec);
            let object = self
                .callee_object
                .take()
                .unwrap_or_else(|| self.object.clone());
            let callee = self.id_of(&object, &name);
            self.pending = Some((callee, 0));
        } else if let Some(rest) = line.strip_prefix("calls=") {
            let count = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if let Some((_, c)) = self.pending.as_mut() {
                *c = count;
            }
        } else if let Some(spec) = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))
        {
            if let Some(n) = spec.split_whitespace().next().and_then(|n| n.parse().ok()) {
                self.total = Some(n);
            }
        } else if let Some((at, cost)) = cost_of(line, self.last) {
            self.last = at;
            self.cost(at, cost);
        }
    }

    /// `fn=`: the function the cost lines that follow are charged to.
    fn function(&mut self, spec: &str) {
        let name = self.functions.resolve(spec);
        let object = self.object.clone();
        let id = self.id_of(&object, &name);
        let f = &mut self.graph.functions[id];
        f.file = f.file.or(self.function_file);
        self.current = Some(id);
        self.callee_object = None;
        self.file = self.function_file;
    }

    /// A cost line: a call's inclusive cost when a `calls=` line waits for
    /// it, else the current function's own cost on its source line.
    fn cost(&mut self, at: u32, cost: u64) {
        let Some(caller) = self.current else { return };
        match self.pending.take() {
            Some((callee, count)) => {
                if callee != caller {
                    self.graph.functions[caller].inclusive += cost;
                }
                self.graph.calls.push(Call {
                    caller,
                    callee,
                    count,
                    cost,
                });
            }
            None => {
                let f = &mut self.graph.functions[caller];
                f.self_cost += cost;
                f.inclusive += cost;
                if let Some(file) = self.file {
                    *self.per_line.entry((caller, file, at)).or_default() += cost;
                }
            }
        }
    }

    fn id_of(&mut self, object: &str, name: &str) -> usize {
        let functions = &mut self.graph.functions;
        *self
            .index
            .entry((object.to_owned(), name.to_owned()))
            .or_insert_with(|| {
                functions.push(Function {
                    name: name.to_owned(),
                    object: object.to_owned(),
                    ..Function::default()
                });
                functions.len() - 1
            })
    }

    fn file_id(&mut self, name: String) -> usize {
        let files = &mut self.graph.files;
        *self.file_ids.entry(name).or_insert_with_key(|name| {
            files.push(name.clone());
            files.len() - 1
        })
    }

    /// The graph, once the file's total is known.
    fn finish(self) -> Option<CallGraph> {
        let mut graph = self.graph;
        graph.total = self.total?;
        graph.lines = self
            .per_line
            .into_iter()
            .map(|((function, file, line), cost)| LineCost {
                function,
                file,
                line,
                cost,
            })
            .collect();
        for f in &mut graph.functions {
            // Mutual recursion counts a subtree more than once: no function
            // holds more than everything.
            f.inclusive = f.inclusive.min(graph.total.max(1));
        }
        Some(graph)
    }
}

/// The worker's function around each measured call (see worker::server).
const COUNTED: &str = "pyo3_lab_counted";

/// Stacks deeper than this are cut: a flame graph past it is unreadable.
const MAX_DEPTH: usize = 48;

impl CallGraph {
    /// Folded stacks (`a;b;c cost`), one line per stack, for a flame graph.
    ///
    /// Callgrind keeps caller → callee edges, not whole stacks, so stacks
    /// are rebuilt from the graph: a callee's own cost is shared among its
    /// callers in proportion to what each edge spent below it. Recursion is
    /// folded: a function already on the stack is not entered again.
    pub fn folded(&self) -> Vec<String> {
        let mut into = vec![0u64; self.functions.len()];
        let mut below: Vec<Vec<&Call>> = vec![Vec::new(); self.functions.len()];
        for c in self.calls.iter().filter(|c| c.caller != c.callee) {
            into[c.callee] += c.cost;
            below[c.caller].push(c);
        }
        // Each function's own cost on lines of other files: code inlined
        // into it, which the stacks show as frames of their own.
        let mut inlined: Vec<BTreeMap<usize, u64>> = vec![BTreeMap::new(); self.functions.len()];
        for l in &self.lines {
            if self.functions[l.function]
                .file
                .is_some_and(|own| own != l.file)
            {
                *inlined[l.function].entry(l.file).or_default() += l.cost;
            }
        }
        let mut walk = Walk {
            graph: self,
            inlined,
            names: self
                .functions
                .iter()
                .map(|f| short_name(&f.name).replace(';', ":"))
                .collect(),
            into,
            below,
            smallest: self.total as f64 * 1e-5,
            stack: Vec::new(),
            lines: BTreeMap::new(),
        };
        // Roots: the lab's measured call (`pyo3_lab_counted`: collection
        // runs only inside it, so the frames below it are the harness), else
        // the functions with cost that nothing in the profile called.
        let counted: Vec<usize> = (0..self.functions.len())
            .filter(|&i| self.functions[i].name == COUNTED && self.functions[i].inclusive > 0)
            .collect();
        let roots: Vec<usize> = if counted.is_empty() {
            (0..self.functions.len())
                .filter(|&i| walk.into[i] == 0 && self.functions[i].inclusive > 0)
                .collect()
        } else {
            counted
        };
        for root in roots {
            walk.fold(root, 1.0);
        }
        walk.lines
            .into_iter()
            .filter(|(_, cost)| cost.round() >= 1.0)
            .map(|(stack, cost)| format!("{stack} {}", cost.round() as u64))
            .collect()
    }
}

/// One walk of the call graph from its roots down, gathering stacks.
struct Walk<'a> {
    graph: &'a CallGraph,
    /// Each function's cost on lines inlined from other files, by file.
    inlined: Vec<BTreeMap<usize, u64>>,
    /// Each function's frame name, made once.
    names: Vec<String>,
    /// What all edges into each function spent below it.
    into: Vec<u64>,
    /// Each function's outgoing edges.
    below: Vec<Vec<&'a Call>>,
    /// Shares smaller than this are not followed.
    smallest: f64,
    stack: Vec<usize>,
    lines: BTreeMap<String, f64>,
}

impl Walk<'_> {
    fn fold(&mut self, node: usize, share: f64) {
        self.stack.push(node);
        let functions = &self.graph.functions;
        let path = self
            .stack
            .iter()
            .map(|&i| self.names[i].as_str())
            .collect::<Vec<_>>()
            .join(";");
        // Whatever is not followed further (too deep, recursion, too small)
        // stays with this frame, so the graph still adds up.
        let mut kept = functions[node].self_cost as f64 * share;
        for (&file, &cost) in &self.inlined[node] {
            let frame = sources::short(&self.graph.files[file]).replace(';', ":");
            let cost = cost as f64 * share;
            *self
                .lines
                .entry(format!("{path};[inlined] {frame}"))
                .or_default() += cost;
            kept -= cost;
        }
        for k in 0..self.below[node].len() {
            let edge = self.below[node][k];
            let cost = edge.cost as f64 * share;
            let callee = edge.callee;
            if self.stack.contains(&callee) || self.stack.len() >= MAX_DEPTH || cost < self.smallest
            {
                kept += cost;
                continue;
            }
            let part = cost / self.into[callee].max(1) as f64;
            self.fold(callee, part);
        }
        *self.lines.entry(path).or_default() += kept;
        self.stack.pop();
    }
}

/// A function's name as a person reads it: generic parameters cut
/// (`Vec<T>` → `Vec`), crate paths kept, a trailing hash dropped.
pub fn short_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => {
                // `<impl X for Y>` and `<X as Y>` keep their words: only
                // parameter lists after a name are cut.
                if depth == 0 && (out.is_empty() || out.ends_with("::") || out.ends_with(' ')) {
                    out.push(c);
                    continue;
                }
                depth += 1;
            }
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    // Callgrind marks levels of recursion as `name'2`: one function.
    if let Some((head, level)) = out.rsplit_once('\'')
        && !level.is_empty()
        && level.chars().all(|c| c.is_ascii_digit())
    {
        out.truncate(head.len());
    }
    match out.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            head.to_owned()
        }
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# callgrind format
version: 1
events: Ir
summary: 1000

ob=(1) /lab/site/m/m.so
fl=(1) ???
fn=(1) pyo3::impl_::trampoline::fastcall
0 50
cob=(2) /usr/lib/libpython3.11.so
cfn=(2) PyLong_AsLong
calls=10 0
0 300
cfn=(3) m::sum_squares
calls=1 0
0 600

fn=(3)
0 550
cob=(2)
cfn=(4) PyObject_Malloc
calls=2 0
0 50

ob=(2)
fn=(2)
0 300
fn=(4)
0 50
fn=(5) _PyEval_EvalFrameDefault
+3 25
-1 25
";

    #[test]
    fn self_and_inclusive_costs_add_up_per_function() {
        let g = CallGraph::parse(FILE).unwrap();
        assert_eq!(g.total, 1000);
        let f = |name: &str| g.functions.iter().find(|f| f.name == name).unwrap();
        assert_eq!(f("pyo3::impl_::trampoline::fastcall").self_cost, 50);
        assert_eq!(f("pyo3::impl_::trampoline::fastcall").inclusive, 950);
        assert_eq!(f("m::sum_squares").self_cost, 550);
        assert_eq!(f("m::sum_squares").inclusive, 600);
        assert_eq!(f("PyLong_AsLong").object, "/usr/lib/libpython3.11.so");
        assert_eq!(f("PyObject_Malloc").self_cost, 50);
        assert_eq!(
            f("_PyEval_EvalFrameDefault").self_cost,
            50,
            "relative positions"
        );
        let self_total: u64 = g.functions.iter().map(|f| f.self_cost).sum();
        assert_eq!(self_total, g.total, "self costs add up to the total");
        let edge = g
            .calls
            .iter()
            .find(|c| g.functions[c.callee].name == "PyLong_AsLong")
            .unwrap();
        assert_eq!((edge.count, edge.cost), (10, 300));
    }

    #[test]
    fn stacks_are_rebuilt_from_the_edges_and_add_up() {
        let g = CallGraph::parse(FILE).unwrap();
        let folded = g.folded();
        let total: u64 = folded
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 1000, "{folded:#?}");
        assert!(
            folded.contains(
                &"pyo3::impl_::trampoline::fastcall;m::sum_squares;PyObject_Malloc 50".to_owned()
            ),
            "{folded:#?}"
        );
    }

    #[test]
    fn stacks_start_at_the_measured_call() {
        let text = "events: Ir\nsummary: 100\nob=(1) lab\nfn=(1) main\n0 0\ncfn=(2) pyo3_lab_counted\ncalls=1 0\n0 100\nfn=(2)\n0 10\ncfn=(3) work\ncalls=1 0\n0 90\nfn=(3)\n0 90\n";
        let folded = CallGraph::parse(text).unwrap().folded();
        assert_eq!(folded, ["pyo3_lab_counted 10", "pyo3_lab_counted;work 90"]);
    }

    #[test]
    fn recursion_is_counted_once() {
        let text =
            "events: Ir\nsummary: 100\nob=(1) x\nfn=(1) fib\n0 100\ncfn=(1)\ncalls=5 0\n0 80\n";
        let g = CallGraph::parse(text).unwrap();
        assert_eq!(g.functions[0].self_cost, 100);
        assert_eq!(g.functions[0].inclusive, 100);
    }

    #[test]
    fn names_lose_their_generic_parameters_but_keep_their_paths() {
        assert_eq!(
            short_name("alloc::vec::Vec<T,A>::extend_desugared"),
            "alloc::vec::Vec::extend_desugared"
        );
        assert_eq!(
            short_name(
                "<pyo3::instance::Bound<pyo3::types::any::PyAny> as pyo3::types::any::PyAnyMethods>::call1"
            ),
            "<pyo3::instance::Bound as pyo3::types::any::PyAnyMethods>::call1"
        );
        assert_eq!(
            short_name("listsum::sum_squares::h0123456789abcdef"),
            "listsum::sum_squares"
        );
        assert_eq!(short_name("PyLong_AsLong"), "PyLong_AsLong");
        assert_eq!(
            short_name("fibonacci::_run'2"),
            "fibonacci::_run",
            "recursion levels"
        );
    }

    /// A release trampoline with the crate's loop inlined into it: lines of
    /// three files in one function, with relative positions and a call.
    const INLINED: &str = "\
events: Ir
summary: 1000
ob=(1) /site/m.so
fl=(1) /reg/pyo3-0.30.1/src/impl_/trampoline.rs
fn=(1) pyo3::impl_::trampoline::fastcall
81 20
fi=(2) /work/m/src/lib.rs
14 700
-1 200
cfi=(3) /py/Objects/longobject.c
cfn=(2) PyLong_AsLong
calls=1 1253
* 30
+1 40
fe=(1)
82 10
fl=(3)
fn=(2)
1253 30
";

    #[test]
    fn each_line_is_charged_to_the_file_it_came_from() {
        let g = CallGraph::parse(INLINED).unwrap();
        let cost = |file: &str, line| {
            g.lines
                .iter()
                .filter(|l| g.files[l.file].ends_with(file) && l.line == line)
                .map(|l| l.cost)
                .sum::<u64>()
        };
        assert_eq!(cost("trampoline.rs", 81), 20);
        assert_eq!(cost("trampoline.rs", 82), 10);
        assert_eq!(
            cost("lib.rs", 14),
            700 + 40,
            "a call's target moves no position"
        );
        assert_eq!(cost("lib.rs", 13), 200);
        assert_eq!(cost("longobject.c", 1253), 30, "a file named in cfi= first");
        let lines: u64 = g.lines.iter().map(|l| l.cost).sum();
        let own: u64 = g.functions.iter().map(|f| f.self_cost).sum();
        assert_eq!(lines, own, "every own cost has its line");
    }

    #[test]
    fn inlined_code_is_a_frame_of_its_own() {
        let folded = CallGraph::parse(INLINED).unwrap().folded();
        assert!(
            folded.contains(
                &"pyo3::impl_::trampoline::fastcall;[inlined] m/src/lib.rs 940".to_owned()
            ),
            "{folded:#?}"
        );
        assert!(
            folded.contains(&"pyo3::impl_::trampoline::fastcall 30".to_owned()),
            "{folded:#?}"
        );
    }
}
