"""What `pyo3-lab init` reads of a project's Python, with Python's own
parser: the functions and classes its modules define, and its pytest-benchmark
tests (each `benchmark(f, *args)` call, the fixtures it takes, the value its
result is asserted to equal). Run in the lab's embedded CPython; the answer is
JSON."""

import ast
import json
import os

SKIP_DIRS = {
    "venv", ".venv", "env", "build", "dist", "target", "node_modules",
    "__pycache__", "site-packages", ".git", ".tox", ".nox",
}
TEST_DIRS = {"tests", "test", "benchmarks", "benchmark", "benches", "bench"}
# The lab's own files, written by init: never the project's twins.
OWN = {"lab_inputs.py", "lab_scenario.py"}
# A project's tooling, not its code.
TOOLING = {"noxfile.py", "setup.py", "conftest.py", "conf.py", "fabfile.py", "tasks.py"}


def python_files(root, depth=5):
    out = []
    for here, dirs, files in os.walk(root):
        rel = os.path.relpath(here, root)
        level = 0 if rel == "." else rel.count(os.sep) + 1
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIP_DIRS and not d.startswith(".") and level < depth
        )
        for f in sorted(files):
            if f.endswith(".py") and f not in OWN and (f == "conftest.py" or f not in TOOLING):
                out.append(os.path.join(here, f))
    return out


def is_test(rel):
    parts = rel.split(os.sep)
    name = parts[-1]
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def module_of(path, package_root):
    """The dotted module of a file inside a package under package_root, or
    None when it is a plain file (not importable from a build)."""
    rel = os.path.relpath(path, package_root)
    if rel.startswith(".."):
        return None
    parts = rel[:-3].split(os.sep)
    if len(parts) < 2:
        return None
    here = package_root
    for p in parts[:-1]:
        here = os.path.join(here, p)
        if not os.path.isfile(os.path.join(here, "__init__.py")):
            return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def literal(node):
    """(True, value) for a literal JSON can hold, else (False, None)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    if isinstance(value, tuple):
        value = list(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False, None
    return True, value


def params(fn):
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []
    for arg, default in zip(positional, defaults):
        entry = {"name": arg.arg}
        if default is not None:
            ok, value = literal(default)
            entry["default"] = value if ok else None
            entry["has_default"] = True
            entry["literal"] = ok
        out.append(entry)
    return out


def definitions(tree):
    defs, classes = [], []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs.append({"name": node.name, "params": params(node), "line": node.lineno})
        elif isinstance(node, ast.ClassDef):
            classes.append({"name": node.name, "line": node.lineno})
    return defs, classes


def decorator_name(d):
    if isinstance(d, ast.Call):
        d = d.func
    return ast.unparse(d)


def is_fixture(fn):
    return any(decorator_name(d) in ("pytest.fixture", "fixture") for d in fn.decorator_list)


def knob_of(fn):
    """The whole-number constant that sets a fixture's size: `text * 1000`,
    `range(10000)`, `[x] * 500`. (node, what) or None."""
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for side in (node.right, node.left):
                if isinstance(side, ast.Constant) and type(side.value) is int and side.value > 1:
                    return side, "repeated N times"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and type(node.args[0].value) is int
            and node.args[0].value > 1
        ):
            return node.args[0], "N items"
    return None


def fixture_source(fn, lines):
    """The fixture as a plain function (its decorators left out), with its
    size constant made a parameter `n` when it has one."""
    knob = knob_of(fn)
    header = ast.FunctionDef(
        name=fn.name, args=fn.args, body=[ast.Pass()], decorator_list=[],
        returns=fn.returns, type_comment=None, type_params=[],
    )
    if knob is not None:
        node, _ = knob
        header.args = ast.arguments(
            posonlyargs=fn.args.posonlyargs,
            args=fn.args.args + [ast.arg(arg="n")],
            vararg=fn.args.vararg, kwonlyargs=fn.args.kwonlyargs,
            kw_defaults=fn.args.kw_defaults, kwarg=fn.args.kwarg,
            defaults=fn.args.defaults + [ast.Constant(node.value)],
        )
    ast.fix_missing_locations(header)
    head = ast.unparse(header).splitlines()
    head = [l for l in head if l.strip() != "pass"]
    first = fn.body[0].lineno
    if first <= fn.lineno:
        # A one-line def: its body written anew, the size constant made `n`.
        class Sized(ast.NodeTransformer):
            def visit_Constant(self, c):
                return ast.Name(id="n", ctx=ast.Load()) if knob and c is knob[0] else c

        header.body = [Sized().visit(stmt) for stmt in fn.body]
        ast.fix_missing_locations(header)
        return ast.unparse(header), knob
    body = lines[first - 1 : fn.end_lineno]
    if knob is not None:
        node, _ = knob
        row = node.lineno - first
        if 0 <= row < len(body) and node.lineno == node.end_lineno:
            line = body[row].encode()
            start, end = node.col_offset, node.end_col_offset
            body[row] = (line[:start] + b"n" + line[end:]).decode()
        else:
            knob = None
    # A module-level def's body is indented as the header unparse writes it;
    # its lines are kept as they are (a multi-line string's too).
    return "\n".join(head + body), knob


def bound_names(node):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def preamble(tree, lines):
    """The test module's imports and constants a fixture may use, without
    pytest's: each with the names it binds."""
    out = []
    text = "\n".join(lines)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            module = getattr(node, "module", None) or ""
            if any(n.split(".")[0] in ("pytest", "pytest_benchmark") for n in names + [module]):
                continue
            if getattr(node, "level", 0):
                continue  # a relative import of the tests' own package
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            if "pytest" in ast.get_source_segment(text, node):
                continue
        else:
            continue
        out.append({"text": ast.get_source_segment(text, node), "names": bound_names(node)})
    return out


def benchmark_calls(fn, fixtures):
    """Each `benchmark(f, *args)` or `benchmark.pedantic(f, args=...)` in a
    test function, with the value its result is asserted to equal."""
    takes = {a.arg for a in fn.args.args}
    if "benchmark" not in takes:
        return []
    results = {}  # a name assigned a benchmark call's result -> that call
    found = []

    def argument(node):
        if isinstance(node, ast.Name) and node.id in takes and node.id in fixtures:
            return {"fixture": node.id}
        ok, value = literal(node)
        if ok:
            return {"value": value}
        return {"expr": ast.unparse(node)}

    def as_call(node):
        if not isinstance(node, ast.Call):
            return None
        f = node.func
        if isinstance(f, ast.Name) and f.id == "benchmark" and node.args:
            return {
                "target": ast.unparse(node.args[0]),
                "args": [argument(a) for a in node.args[1:]],
                "kwargs": [k.arg for k in node.keywords],
                "line": node.lineno,
            }
        if (
            isinstance(f, ast.Attribute) and f.attr == "pedantic"
            and isinstance(f.value, ast.Name) and f.value.id == "benchmark" and node.args
        ):
            kw = {k.arg: k.value for k in node.keywords}
            args = kw.get("args")
            items = args.elts if isinstance(args, (ast.Tuple, ast.List)) else []
            return {
                "target": ast.unparse(node.args[0]),
                "args": [argument(a) for a in items],
                "kwargs": [k for k in kw if k == "kwargs"],
                "line": node.lineno,
            }
        return None

    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            call = as_call(node.value)
            if call and isinstance(node.targets[0], ast.Name):
                results[node.targets[0].id] = call
                found.append(call)
        elif isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
            test = node.test
            if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
                continue
            left, right = test.left, test.comparators[0]
            for side, other in ((left, right), (right, left)):
                call = results.get(side.id) if isinstance(side, ast.Name) else as_call(side)
                ok, value = literal(other)
                if call is not None and ok:
                    call["expect"] = value
                    if call not in found:
                        found.append(call)
    for node in ast.walk(fn):
        if isinstance(node, ast.Expr):
            call = as_call(node.value)
            if call and call not in found:
                found.append(call)
    for call in found:
        call["test"] = fn.name
    return found


def test_functions(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    yield item


def asv_calls(tree):
    """asv's `time_*` benchmarks (module functions, or methods of a class
    with no `setup`) that call one function on literals or the module's own
    constants: the call, as a pytest-benchmark call would be given."""
    constants = {
        n.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        for n in ast.walk(t)
        if isinstance(n, ast.Name)
    }
    timed = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not any(
            isinstance(i, ast.FunctionDef) and i.name == "setup" for i in node.body
        ):
            timed.extend(i for i in node.body if isinstance(i, ast.FunctionDef))
    out = []
    for fn in timed:
        if not fn.name.startswith("time_") or len(fn.body) != 1:
            continue
        stmt = fn.body[0]
        call = stmt.value if isinstance(stmt, (ast.Expr, ast.Return)) else None
        if not isinstance(call, ast.Call) or call.keywords:
            continue

        def argument(node):
            if isinstance(node, ast.Name) and node.id in constants:
                return {"constant": node.id}
            ok, value = literal(node)
            return {"value": value} if ok else {"expr": ast.unparse(node)}

        out.append({
            "target": ast.unparse(call.func),
            "args": [argument(a) for a in call.args],
            "kwargs": [],
            "line": call.lineno,
            "test": fn.name,
        })
    return out


def scan(root, package_root):
    modules, tests, errors = [], [], []
    conftest_fixtures = {}
    parsed = []
    for path in python_files(root):
        rel = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            tree = ast.parse(text, filename=rel)
        except (SyntaxError, UnicodeDecodeError, ValueError) as e:
            errors.append(f"{rel}: {type(e).__name__}: {e}")
            continue
        parsed.append((path, rel, text, tree))
        if os.path.basename(path) == "conftest.py":
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and is_fixture(node):
                    conftest_fixtures[node.name] = (rel, text, tree, node)
    for path, rel, text, tree in parsed:
        lines = text.splitlines()
        if not is_test(rel):
            defs, classes = definitions(tree)
            modules.append({
                "file": rel,
                "module": module_of(path, package_root),
                "defs": defs,
                "classes": classes,
            })
            continue
        local = {
            n.name: (rel, text, tree, n)
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and is_fixture(n)
        }
        known = {**conftest_fixtures, **local}
        calls = []
        for fn in test_functions(tree):
            calls.extend(benchmark_calls(fn, known))
        calls.extend(asv_calls(tree))
        if not calls:
            continue
        fixtures = {}
        for name, (frel, ftext, ftree, node) in known.items():
            source, knob = fixture_source(node, ftext.splitlines())
            fixtures[name] = {
                "file": frel,
                "source": source,
                "params": [a.arg for a in node.args.args],
                "knob": None if knob is None else {"value": knob[0].value, "what": knob[1]},
                "preamble": preamble(ftree, ftext.splitlines()),
            }
        tests.append({"file": rel, "calls": calls, "fixtures": fixtures,
                      "preamble": preamble(tree, lines)})
    return json.dumps({"modules": modules, "tests": tests, "errors": errors})
