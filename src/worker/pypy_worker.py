"""pyo3-lab's worker for the PyPy route: a lane's code run by PyPy, spoken to
in the lab's own protocol (src/worker/protocol.rs): one JSON request a line
on stdin, one JSON reply a line on a descriptor of its own, so that what
the code prints can never corrupt it. It times the calls inside itself, as
the CPython worker does, and checks results with the same comparison
module (pyo3_lab_compare, beside this file).

It does what a Python lane needs (load, race, call, inputs, overhead);
what needs the CPython worker's native parts (threads beside native
yardsticks, the GIL demo, instruction counts) is refused in one line."""

import json
import os
import random
import sys
import time

# Replies go to a duplicate of the original stdout; fd 1 itself is pointed at
# stderr, where a stray print is harmless.
_replies = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr

_args = sys.argv[1:]
while _args[:1] == ["--path"]:
    sys.path.insert(0, _args[1])
    _args = _args[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pyo3_lab_compare as compare  # noqa: E402
import pyo3_lab_scenario as scenario  # noqa: E402

_clock = time.perf_counter


def send(reply):
    _replies.write(json.dumps(reply) + "\n")
    _replies.flush()


class Refused(Exception):
    """A request this worker does not take; its message says why."""


class SetupError(Exception):
    """The function that makes a call's arguments failed."""


def failed(kind, message):
    return {"ev": "failed", "kind": kind, "message": message}


def failure(err):
    name = type(err).__name__
    kind = {
        "ModuleNotFoundError": "import",
        "ImportError": "import",
        "AttributeError": "import",
        "SyntaxError": "import",
        "OverflowError": "overflow",
        "SetupError": "setup",
    }.get(name, "exception")
    return failed(kind, f"{name}: {err}")


def import_code(code):
    module = __import__(code["module"], fromlist=["_"])
    return getattr(module, code["name"])


def arguments(call):
    args = call.get("args", [])
    setup = call.get("setup")
    if not setup:
        return tuple(args)
    try:
        made = import_code(setup)(*args)
    except Exception as e:
        raise SetupError(f"{setup['name']}: {type(e).__name__}: {e}") from e
    if not isinstance(made, (list, tuple)):
        raise SetupError(
            f"{setup['name']} returned {type(made).__name__}, not a list of the "
            "call's arguments (return [x] for one argument)"
        )
    return tuple(made)


class Prepared:
    """A call imported and given its arguments, made again and again."""

    def __init__(self, call):
        callee = call["callee"]
        kind = callee["kind"]
        if kind == "native":
            raise Refused("the lab's native code has no PyPy lane")
        if kind == "function":
            self.function = import_code(callee["function"])
            self.scenario = None
        else:
            self.scenario = import_code(callee["scenario"])
            self.function = import_code(callee["factory"])
            self.name = callee["scenario"]["name"]
        self.args = arguments(call)

    def make(self, chunk=None):
        """(result, phases or None)."""
        if self.scenario is None:
            args = (chunk,) if chunk is not None else self.args
            return self.function(*args), None
        started = _clock()
        result, phases = scenario.run(self.scenario, self.function, self.args)
        if phases is None:
            phases = [(self.name, _clock() - started)]
        return result, phases


def _status_bytes(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak():
    """The resident size the calls start from, with the peak reset to it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return _status_bytes("VmHWM:")


def peak_above(start):
    peak = _status_bytes("VmHWM:")
    return None if peak is None or start is None else max(0, peak - start)


def finished(seconds, result, expect, tolerance, phases=()):
    reply = {
        "ev": "finished",
        "seconds": seconds,
        "result": compare.shown(result),
        "phases": list(phases),
    }
    if expect is None:
        reply["json"] = compare.encode(result)
    else:
        mismatch = compare.mismatch(
            result,
            expect,
            tolerance.get("rel_tol", 0.0),
            tolerance.get("abs_tol", 0.0),
            tolerance.get("equal_nan", False),
        )
        reply["correct"] = mismatch is None
        if mismatch is not None:
            reply["mismatch"] = mismatch
    return reply


class Worker:
    def __init__(self):
        self.kept = None
        self.first_calls = set()

    def expected(self, request):
        expect = request.get("expect")
        if expect is None:
            return None
        if expect == "kept":
            if self.kept is None:
                raise Refused("the lab named a kept answer, but none was sent")
            return self.kept
        self.kept = expect["json"]
        return self.kept

    def load(self, request):
        call = request["call"]
        if call.get("setup"):
            import_code(call["setup"])
        callee = call["callee"]
        if callee["kind"] == "scenario":
            import_code(callee["scenario"])
            found = import_code(callee["factory"])
        elif callee["kind"] == "function":
            found = import_code(callee["function"])
        else:
            raise Refused("the lab's native code has no PyPy lane")
        return {"ev": "finished", "seconds": 0.0, "result": repr(found)}

    def race(self, request):
        expect = self.expected(request)
        prepared = Prepared(request["call"])
        key = json.dumps(request["call"]["callee"], sort_keys=True)
        if key not in self.first_calls and prepared.scenario is None:
            # The first call of a fresh worker traces and compiles the hot
            # loops: PyPy's warm-up, reported apart and never timed.
            self.first_calls.add(key)
            started = _clock()
            prepared.make()
            send({"ev": "first_call", "seconds": _clock() - started})
        repeat = max(1, request.get("repeat", 1))
        chunks = request.get("chunks")
        every = max(1, repeat // 50)
        phases = {}
        start = reset_peak()
        began = _clock()
        result = None
        try:
            for rep in range(repeat):
                if chunks is None:
                    result, made = prepared.make()
                    for name, t in made or ():
                        phases[name] = phases.get(name, 0.0) + t
                else:
                    result = 0
                    for i, chunk in enumerate(chunks):
                        result = result + prepared.make(chunk)[0]
                        if repeat == 1:
                            send({"ev": "progress", "done": i + 1})
                if repeat > 1 and (rep + 1) % every == 0:
                    send({"ev": "progress", "done": rep + 1})
        except Exception as e:
            reply = failure(e)
            # Loaded already: a missing name now is the code's own error.
            if reply["kind"] == "import":
                reply["kind"] = "exception"
            return reply
        seconds = (_clock() - began) / repeat
        if phases:
            phases = {name: t / repeat for name, t in phases.items()}
            seconds = sum(phases.values())
        if repeat == 1 and chunks is None:
            send({"ev": "progress", "done": 1})
        send({"ev": "memory", "peak": peak_above(start)})
        return finished(
            seconds, result, expect, request.get("tolerance", {}), phases.items()
        )

    def call(self, request):
        prepared = Prepared(request["call"])
        started = _clock()
        result, phases = prepared.make()
        return finished(_clock() - started, result, None, {}, phases or ())

    def inputs(self, request):
        make = import_code(request["inputs"])
        made = [list(make(random.Random(seed))) for seed in request["seeds"]]
        return {"ev": "finished", "seconds": 0.0, "result": "", "json": json.dumps(made)}

    def overhead(self, request):
        f = import_code(request["function"])
        calls = max(1, request["calls"])
        started = _clock()
        for _ in range(calls):
            f(1)
        return {"ev": "finished", "seconds": (_clock() - started) / calls, "result": ""}

    def serve(self, request):
        cmd = request.get("cmd")
        handler = {
            "load": self.load,
            "race": self.race,
            "call": self.call,
            "inputs": self.inputs,
            "overhead": self.overhead,
        }.get(cmd)
        if handler is None:
            raise Refused(
                f"a PyPy lane does not take `{cmd}` requests: it needs the CPython "
                "worker's native parts"
            )
        return handler(request)


def main():
    version = sys.version.split()[0]
    pypy = ".".join(str(p) for p in sys.pypy_version_info[:3])
    send({"ev": "ready", "python": f"{version} (PyPy {pypy})"})
    worker = Worker()
    for line in sys.stdin:
        try:
            reply = worker.serve(json.loads(line))
        except Refused as e:
            reply = failed("exception", str(e))
        except Exception as e:  # the code's own error: the worker goes on
            reply = failure(e)
        send(reply)


if __name__ == "__main__":
    main()
