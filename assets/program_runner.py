"""Runs a user's program for `pyo3-lab profile` and `pyo3-lab swap`.

    python program_runner.py record SPEC OUT -- PROGRAM ARGS...
    python program_runner.py swap [MODULE:NAME=PORT_MODULE:PORT_NAME...] -- PROGRAM ARGS...
    python program_runner.py replay SPEC OUT

PROGRAM is a script (`app.py ...`) or `-m MODULE ...`, run as `python`
would run it. `record` wraps the functions SPEC names as their modules are
imported, counts their calls and keeps a bounded sample of them (arguments,
result, seconds), chosen to cover the sizes seen; `swap` puts each port in
place of its twin as the twin's module is imported, so `from pkg import f`
binds the port too; `replay` calls the recorded calls through the twin and
the port, round by round, and checks the port's answers against the
recorded ones.
"""

# Only what every mode needs at the top: a swapped run's start-up is timed
# with the program's, so the lab adds as little to it as it can.
import importlib
import os
import sys

# Calls kept per function, and per size class (powers of two) before that.
KEPT = 64
PER_CLASS = 16


def _real(path):
    return os.path.realpath(path) if path else path


class _AfterExec:
    """A module's loader, with `hook(module)` called once it has run."""

    def __init__(self, inner, hook):
        self._inner = inner
        self._hook = hook

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        self._hook(module)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _Watch:
    """Finds modules as the other finders do; those `wanted` says yes to run
    `hook` after their own code."""

    def __init__(self, wanted, hook):
        self._wanted = wanted
        self._hook = hook

    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            if self._wanted(name, _real(spec.origin)):
                spec.loader = _AfterExec(spec.loader, self._hook)
        return spec


def _size(value):
    import math

    """A call's size, to spread the kept sample over: lengths and magnitudes."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return abs(value)
    if isinstance(value, float):
        return abs(value) if math.isfinite(value) else 0
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    size = getattr(value, "size", None)  # numpy arrays
    return size if isinstance(size, int) else 0


def _describe(value):
    """What a value is, for the types a port takes: ("str", 5), ("list[int]", 3)."""
    kind = type(value).__name__
    if isinstance(value, tuple) and 0 < len(value) <= 8:
        # A short tuple is a record: its fields in order.
        return f"tuple({','.join(type(v).__name__ for v in value)})", len(value)
    if isinstance(value, (list, tuple, set, frozenset)) and value:
        inner = sorted({type(v).__name__ for v in list(value)[:50]})
        kind = f"{kind}[{'|'.join(inner)}]"
    elif isinstance(value, dict) and value:
        keys = sorted({type(k).__name__ for k in list(value)[:50]})
        values = sorted({type(v).__name__ for v in list(value.values())[:50]})
        kind = f"dict[{'|'.join(keys)},{'|'.join(values)}]"
    return kind, _size(value)


class _Record:
    """One function's calls: counted, timed, and a sample kept."""

    def __init__(self, target):
        self.target = target
        self.calls = 0
        self.seconds = 0.0
        self.classes = {}
        self.seen = {}
        self.params = None
        self.source = None
        self.not_replayable = None
        self.raised = 0
        import random

        self.rng = random.Random(1)

    def types(self, position, value):
        kind, size = _describe(value)
        low, high = self.seen.get((position, kind), (size, size))
        self.seen[(position, kind)] = (min(low, size), max(high, size))

    def offer(self, args, kwargs, result, seconds):
        import pickle

        self.calls += 1
        self.seconds += seconds
        for i, a in enumerate(args):
            self.types(str(i), a)
        for k, v in kwargs.items():
            self.types(k, v)
        self.types("return", result)
        if self.not_replayable:
            return
        size = sum(_size(a) for a in args) + sum(_size(v) for v in kwargs.values())
        bucket = self.classes.setdefault(int(size).bit_length(), [0, []])
        bucket[0] += 1
        kept = bucket[1]
        # A reservoir per size class: every call of a class as likely kept.
        slot = len(kept) if len(kept) < PER_CLASS else self.rng.randrange(bucket[0])
        if slot >= PER_CLASS:
            return
        try:
            blob = pickle.dumps((args, kwargs, result, seconds))
        except Exception as e:  # noqa: BLE001 - any reason pickle gives
            self.not_replayable = _unpicklable(args, kwargs, result, e)
            return
        if slot == len(kept):
            kept.append((size, blob))
        else:
            kept[slot] = (size, blob)

    def sample(self):
        """At most KEPT calls, taken from every size class in turn."""
        import pickle

        classes = [sorted(self.classes[c][1], key=lambda k: k[0]) for c in sorted(self.classes)]
        chosen = []
        while len(chosen) < KEPT and any(classes):
            for kept in classes:
                if kept and len(chosen) < KEPT:
                    chosen.append(kept.pop(0))
        chosen.sort(key=lambda k: k[0])
        return [pickle.loads(blob) for _, blob in chosen]


def _unpicklable(args, kwargs, result, error):
    import pickle

    named = [(f"argument {i + 1}", a) for i, a in enumerate(args)]
    named += [(f"argument {k}", v) for k, v in kwargs.items()]
    named.append(("its result", result))
    for what, value in named:
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001
            return f"{what} cannot be pickled ({type(value).__name__}: {error})"
    return f"a call cannot be pickled ({error})"


def _recorder(fn, record):
    import time

    def recorded(*args, **kwargs):
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            record.raised += 1
            raise
        record.offer(args, kwargs, result, time.perf_counter() - started)
        return result

    recorded.__wrapped__ = fn
    for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
        setattr(recorded, attr, getattr(fn, attr, None))
    return recorded


def record(spec, out):
    import atexit
    import json
    import inspect
    import pickle

    targets = spec["targets"]
    by_file = {}
    for t in targets:
        by_file.setdefault(_real(t["file"]), []).append(t)
    records = {}
    modules = {}

    def hook(module):
        for t in by_file.get(_real(getattr(module, "__file__", None)), []):
            fn = module.__dict__.get(t["name"])
            if not inspect.isfunction(fn):
                continue
            rec = records.setdefault((t["file"], t["name"]), _Record(t))
            rec.module = module.__name__
            try:
                rec.params = list(inspect.signature(fn).parameters)
            except (TypeError, ValueError):
                rec.params = None
            try:
                rec.source = inspect.getsource(fn)
            except (OSError, TypeError):
                rec.source = None
            module.__dict__[t["name"]] = _recorder(fn, rec)

    sys.meta_path.insert(0, _Watch(lambda name, origin: origin in by_file, hook))

    def write():
        for name, m in list(sys.modules.items()):
            f = getattr(m, "__file__", None)
            if f:
                modules[_real(f)] = name
        for script in SCRIPT:
            modules[script] = "__main__"
        functions = []
        os.makedirs(out, exist_ok=True)
        for (file, name), rec in records.items():
            calls = rec.sample()
            path = os.path.join(out, f"{rec.module}.{name}.pickle")
            if calls and not rec.not_replayable:
                with open(path, "wb") as f:
                    pickle.dump({"module": rec.module, "name": name, "calls": calls}, f)
            else:
                path = None
            functions.append(
                {
                    "file": file,
                    "name": name,
                    "module": rec.module,
                    "params": rec.params,
                    "source": rec.source,
                    "calls": rec.calls,
                    "raised": rec.raised,
                    "seconds": rec.seconds,
                    "kept": len(calls),
                    "pickle": path,
                    "not_replayable": rec.not_replayable,
                    "types": [
                        {"position": p, "type": k, "low": lo, "high": hi}
                        for (p, k), (lo, hi) in sorted(rec.seen.items())
                    ],
                }
            )
        with open(os.path.join(out, "recorded.json"), "w") as f:
            json.dump({"functions": functions, "modules": modules}, f)

    atexit.register(write)


def swap(pairs):
    """`pairs`: "module:name=port_module:port_name" each."""
    by_module = {}
    for pair in pairs:
        twin, port = pair.split("=")
        module, name = twin.split(":")
        port_module, port_name = port.split(":")
        by_module.setdefault(module, []).append(
            {"name": name, "port_module": port_module, "port_name": port_name}
        )

    def hook(module):
        for s in by_module.get(module.__name__, []):
            port = getattr(importlib.import_module(s["port_module"]), s["port_name"])
            module.__dict__[s["name"]] = port

    sys.meta_path.insert(0, _Watch(lambda name, origin: name in by_module, hook))


def replay(spec, out):
    """Each function's recorded calls through its twin and its port, in
    alternating order round by round; the port's answers checked."""
    import json
    import pickle
    import time

    results = []
    for f in spec["functions"]:
        with open(f["pickle"], "rb") as fh:
            calls = pickle.load(fh)["calls"]
        twin = getattr(importlib.import_module(f["module"]), f["name"])
        twin = getattr(twin, "__wrapped__", twin)
        port = getattr(importlib.import_module(f["port_module"]), f["port_name"])
        wrong = None
        for args, kwargs, expected, _ in calls:
            try:
                got = port(*args, **kwargs)
            except Exception as e:  # noqa: BLE001
                got = e
            if wrong is None and (isinstance(got, Exception) or got != expected):
                shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
                wrong = f"{f['name']}({shown}): the port gave {got!r}, the program got {expected!r}"

        def one_pass(fn):
            started = time.perf_counter()
            for args, kwargs, _, _ in calls:
                fn(*args, **kwargs)
            return time.perf_counter() - started

        twin_times, port_times = [], []
        for r in range(spec["rounds"]):
            if r % 2:
                port_times.append(one_pass(port))
                twin_times.append(one_pass(twin))
            else:
                twin_times.append(one_pass(twin))
                port_times.append(one_pass(port))
        results.append(
            {
                "name": f["name"],
                "calls": len(calls),
                "twin_seconds": twin_times,
                "port_seconds": port_times,
                "wrong": wrong,
            }
        )
    with open(out, "w") as f:
        json.dump(results, f)


# The script run, which `record` names `__main__`.
SCRIPT = []


def run_program(argv):
    if argv and argv[0] == "-m":
        import runpy

        sys.argv = [argv[1]] + argv[2:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    # A script as `python SCRIPT` runs it: its folder first on sys.path, and
    # a `__main__` module of its own (not runpy's, whose imports alone would
    # add 17 ms to every timed run).
    path = argv[0]
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    SCRIPT.append(_real(path))
    main = type(sys)("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    exec(code, main.__dict__)


def main():
    mode = sys.argv[1]
    split = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
    if mode == "swap":
        swap(sys.argv[2:split])
    elif mode == "replay":
        import json

        with open(sys.argv[2]) as f:
            replay(json.load(f), sys.argv[3])
        return
    elif mode == "record":
        import json

        with open(sys.argv[2]) as f:
            record(json.load(f), sys.argv[3])
    else:
        raise SystemExit(f"program_runner: unknown mode {mode!r}")
    run_program(sys.argv[split + 1 :])


if __name__ == "__main__":
    main()
