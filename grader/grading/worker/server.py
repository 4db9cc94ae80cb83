"""The worker process: a zygote that forks one child per exercise, and the child's request loop.

Started by the test side as ``python -I -B -c <boot> SPEC`` with the channel on fds 3 (requests
in) and 4 (replies out); stdin, stdout and stderr go to /dev/null, so nothing a student prints
can reach anyone. The zygote imports NumPy, confines itself (:mod:`.confine`), says ``ready``,
then serves ``spawn``: it forks a child, which reads its own configuration frame (the zygote
never sees it, so no prerequisite's reference ever sits in the zygote's memory), imports the
student's package and answers requests until told to ``exit``. When the child is gone the zygote
kills every process the child left behind and says ``idle``.

Requests (``seq`` numbers them; a reply repeats it):

====================  =============================================================
``load module``       import the module under test, reply with its handle
``getattr obj name``  an attribute: data, or a handle for anything else
``setattr``/``delattr``
``call obj args kw``  call a function, class or method handle
``op obj name args``  an operator (``__add__``, ``__getitem__``, ``__len__``, ...)
``isinstance``        ``isinstance(value, cls)`` / ``issubclass``
``return``            the result of a test-side callback the worker asked for
====================  =============================================================
"""

from __future__ import annotations

import builtins
import json
import operator
import os
import resource
import signal
import sys
import traceback
import types

from . import confine, wire
from .modules import StudentPackage
from .scratch import wipe

FD_IN, FD_OUT = 3, 4   # replaced by the spec's "fds" at start
BASE = "/kata"         # the job folder as this process reaches it (see run_zygote)
PRELOAD = ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "math", "cmath", "random",
           "functools", "itertools", "collections", "collections.abc", "dataclasses", "typing",
           "abc", "enum", "copy", "numbers", "operator", "statistics", "warnings", "contextlib",
           "string", "re", "heapq", "bisect", "fractions", "decimal", "textwrap", "weakref",
           "__future__", "inspect", "ast", "json")

# Operators a handle can forward, with how the worker applies them.
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
          "pow": operator.pow, "matmul": operator.matmul, "and": operator.and_,
          "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
          "rshift": operator.rshift}
UNARY = {"__neg__": operator.neg, "__pos__": operator.pos, "__abs__": operator.abs,
         "__invert__": operator.invert, "__len__": len, "__bool__": bool, "__float__": float,
         "__int__": int, "__index__": operator.index, "__complex__": complex, "__iter__": iter,
         "__next__": next, "__reversed__": reversed}
OTHER = {"__getitem__": operator.getitem, "__setitem__": operator.setitem,
         "__delitem__": operator.delitem, "__contains__": lambda obj, x: x in obj}
FORWARDED = (tuple(UNARY) + tuple(OTHER) + ("__call__",)
             + tuple(f"__{n}__" for n in BINARY) + tuple(f"__r{n}__" for n in BINARY)
             + tuple(f"__i{n}__" for n in BINARY) + ("__array__",))
TEXT_LIMIT = 64 * 1024


def capabilities(kind_of: type) -> list[str]:
    """The forwardable special methods ``kind_of`` really defines (not ``object``'s)."""
    found = []
    for name in FORWARDED:
        mine = getattr(kind_of, name, None)
        if mine is not None and mine is not getattr(object, name, None):
            found.append(name)
    return found


def apply_operator(obj, name: str, args: list):
    if name in UNARY:
        return UNARY[name](obj)
    if name in OTHER:
        return OTHER[name](obj, *args)
    if name == "__array__":
        import numpy as np
        return np.asarray(obj)
    core = name[2:-2]
    if core in BINARY:
        return BINARY[core](obj, *args)
    if core.startswith("r") and core[1:] in BINARY:
        return BINARY[core[1:]](args[0], obj)
    if core.startswith("i") and core[1:] in BINARY:
        return getattr(operator, f"i{core[1:]}")(obj, *args)
    raise TypeError(f"operator {name} is not forwarded")


def _short(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + " ..."


def describe_error(err: BaseException) -> dict:
    kind = type(err)
    builtin = getattr(builtins, kind.__name__, None) is kind
    try:
        text = _short(str(err))
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        text = "<unprintable>"
    simple = all(isinstance(a, (str, int, float, bool, type(None))) for a in getattr(err, "args", ()))
    args = [(_short(a) if isinstance(a, str) else a) for a in err.args][:8] if simple and builtin else None
    at = None
    try:
        frames = traceback.extract_tb(err.__traceback__)
        for frame in frames:  # the innermost line of the student's package
            folder, name = os.path.split(frame.filename)
            if os.path.basename(folder) in ("sub", "stubs") and name.endswith(".py"):
                at = {"file": f"exercises/{name}", "line": frame.lineno}
        where = "".join(traceback.format_list(frames[-8:]))[-4000:]
    except BaseException:  # noqa: BLE001
        where = ""
    described = {"type": kind.__name__, "builtin": builtin, "text": text, "args": args,
                 "tb": where, "at": at}
    if isinstance(err, SyntaxError):
        described["syntax"] = _syntax_location(err)
    return described


def _syntax_location(err: SyntaxError) -> dict:
    """Where a SyntaxError is, as the student knows the file (``exercises/ch02_dense.py``)."""
    folder, name = os.path.split(str(err.filename or ""))
    mine = os.path.basename(folder) in ("sub", "stubs", "exercises") and name.endswith(".py")
    return {"msg": _short(str(err.msg)), "file": f"exercises/{name}" if mine else None,
            "line": err.lineno if isinstance(err.lineno, int) else None,
            "offset": err.offset if isinstance(err.offset, int) else None,
            "text": _short(err.text) if isinstance(err.text, str) else None}


class Callback:
    """A test-side function handed to the student's code; calling it asks the test side."""

    def __init__(self, server: "Server", cid: int):
        self.server, self.cid = server, cid

    def __call__(self, *args, **kwargs):
        return self.server.callback(self.cid, args, kwargs)

    def __repr__(self) -> str:
        return f"<test-side callable #{self.cid}>"


class Server:
    def __init__(self, package: StudentPackage):
        self.package = package
        self.objects: dict[int, object] = {}
        self.ids: dict[int, int] = {}
        self.caps: dict[type, list[str]] = {}

    # -- handles -----------------------------------------------------------------------
    def handle(self, obj) -> dict:
        hid = self.ids.get(id(obj))
        if hid is None or self.objects.get(hid) is not obj:
            hid = len(self.objects) + 1
            self.objects[hid] = obj
            self.ids[id(obj)] = hid
        kind_of = type(obj)
        if kind_of not in self.caps:
            self.caps[kind_of] = capabilities(kind_of)
        kind = ("module" if isinstance(obj, types.ModuleType) else "class" if isinstance(obj, type)
                else "callable" if callable(obj) else "object")
        name = obj.__name__ if kind == "class" and isinstance(getattr(obj, "__name__", None), str) \
            else kind_of.__name__
        return {"$": "h", "id": hid, "ty": str(name)[:200], "k": kind, "cap": self.caps[kind_of]}

    def resolve(self, tag: str, node: dict):
        if tag == "ref":
            hid = node.get("id")
            if hid not in self.objects:
                raise wire.WireError(f"unknown handle {hid!r}")
            return self.objects[hid]
        if tag == "cb":
            return Callback(self, int(node.get("id")))
        raise wire.WireError(f"tag {tag!r} cannot be sent to the worker")

    # -- framing -----------------------------------------------------------------------
    def send(self, message: dict, value=None, has_value=False, generators=()) -> None:
        encoder = wire.Encoder(self.handle)
        if has_value:
            message["ok"] = encoder.encode(value)
        if generators:
            message["rng"] = [encoder.encode(g.bit_generator.state) for g in generators]
        wire.write_frame(FD_OUT, wire.pack(message, encoder.buffers))

    def receive(self):
        message, buffers = wire.read_frame(FD_IN)
        return message, wire.Decoder(buffers, self.resolve)

    # -- serving -----------------------------------------------------------------------
    def serve(self, until_return: bool = False):
        """Answer requests; with ``until_return``, stop at the ``return`` of a callback."""
        while True:
            message, decoder = self.receive()
            op = message.get("op")
            if op == "return":
                if not until_return:
                    raise wire.WireError("a callback result arrived when none was awaited")
                if "err" in message:
                    raise RuntimeError(f"the test's callback failed: {message['err']}")
                return decoder.decode(message.get("ok"))
            if op == "exit":
                os._exit(0)
            self.answer(message, decoder)

    def answer(self, message: dict, decoder: wire.Decoder) -> None:
        seq = message.get("seq")
        try:
            value = self.execute(message, decoder)
        except BaseException as err:  # noqa: BLE001 - everything goes back as data
            if isinstance(err, wire.WireError):
                raise
            self._reply_error(seq, err, decoder)
            return
        try:
            self.send({"seq": seq}, value, has_value=True, generators=decoder.generators)
        except (wire.WireError, RecursionError, MemoryError) as err:
            self._reply_error(seq, err, decoder)

    def _reply_error(self, seq, err, decoder) -> None:
        try:
            self.send({"seq": seq, "err": describe_error(err)}, generators=decoder.generators)
        except (wire.WireError, RecursionError, MemoryError):
            self.send({"seq": seq, "err": describe_error(err)})

    def execute(self, message: dict, decoder: wire.Decoder):
        op = message.get("op")
        if op == "load":
            return self.package.load(str(message.get("module")))
        obj = self.objects.get(message.get("obj"))
        if obj is None and message.get("obj") not in self.objects:
            raise wire.WireError(f"unknown handle {message.get('obj')!r}")
        if op == "getattr":
            return getattr(obj, str(message.get("name")))
        if op == "setattr":
            setattr(obj, str(message.get("name")), decoder.decode(message.get("value")))
            return None
        if op == "delattr":
            delattr(obj, str(message.get("name")))
            return None
        if op == "call":
            args = decoder.decode(message.get("args", []))
            kwargs = decoder.decode(message.get("kw", {"$": "d", "k": [], "v": []}))
            if not isinstance(args, list) or not isinstance(kwargs, dict) \
                    or not all(isinstance(k, str) for k in kwargs):
                raise wire.WireError("malformed call")
            return obj(*args, **kwargs)
        if op == "op":
            args = decoder.decode(message.get("args", []))
            return apply_operator(obj, str(message.get("name")), list(args))
        if op == "isinstance":
            return isinstance(decoder.decode(message.get("value")), obj)
        if op == "issubclass":
            return issubclass(decoder.decode(message.get("value")), obj)
        raise wire.WireError(f"unknown request {op!r}")

    def callback(self, cid: int, args: tuple, kwargs: dict):
        encoder = wire.Encoder(self.handle)
        message = {"callback": cid, "args": encoder.encode(list(args)),
                   "kw": encoder.encode(dict(kwargs))}
        wire.write_frame(FD_OUT, wire.pack(message, encoder.buffers))
        return self.serve(until_return=True)


# ------------------------------------------------------------------------------ processes
def _children() -> list[int]:
    pids = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as fh:
                pids.extend(int(p) for p in fh.read().split())
    except OSError:
        pass
    return pids


def kill_strays(scope: str) -> int:
    """Kill whatever the last child left running; returns how many processes were found."""
    found = 0
    if scope in ("pidns", "uid"):
        try:
            os.kill(-1, signal.SIGKILL)  # every process we may signal but ourselves (and init)
        except ProcessLookupError:
            pass
    for _ in range(100):  # orphans come back to us (we are their subreaper): until none is left
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if not pid:
                break
            found += 1
        kids = _children()
        if not kids:
            break
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
            found += 1
        except ChildProcessError:
            pass
    return found


def remap_import_paths(remap: dict[str, int]) -> int:
    """Point import paths below ``remap``'s folders at ``/proc/self/fd/N`` (opened as root).

    Without a mount namespace, a worker that dropped to a throw-away uid cannot enter a Python
    installed under a private folder (``/root/.pyenv``); the descriptors opened before the drop
    still reach it, so later imports (``import socket``, NumPy's lazy submodules) keep working.
    """
    def moved(path):
        if not isinstance(path, str):
            return path
        for folder in sorted(remap, key=len, reverse=True):
            if path == folder or path.startswith(folder + os.sep):
                return f"/proc/self/fd/{remap[folder]}{path[len(folder):]}"
        return path

    count = 0
    sys.path[:] = [moved(p) for p in sys.path]
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            new = [moved(p) for p in paths]
            count += sum(a != b for a, b in zip(paths, new))
            paths[:] = new
    sys.path_importer_cache.clear()
    import importlib
    importlib.invalidate_caches()
    return count


def run_child(spec: dict) -> None:
    message, buffers = wire.read_frame(FD_IN)
    config = wire.Decoder(buffers, lambda tag, node: None).decode(message.get("config"))
    cpu = spec.get("child_cpu")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
    package = StudentPackage(config["package"], os.path.join(BASE, config["sub"]),
                             os.path.join(BASE, config["stubs"]), config.get("inject", {}),
                             bool(config.get("fallback")))
    package.install()
    server = Server(package)
    server.send({"seq": message.get("seq"), "event": "child"}, {"pid": os.getpid()}, has_value=True)
    server.serve()


def run_zygote(spec: dict) -> None:
    global FD_IN, FD_OUT, BASE
    FD_IN, FD_OUT = spec.get("fds", (3, 4))
    BASE = spec.get("base", BASE)
    if spec.get("open_base"):
        # Without a mount namespace the job folder may sit below folders the dropped uid cannot
        # enter; a descriptor opened now reaches it through /proc/self/fd whatever its parents.
        BASE = f"/proc/self/fd/{os.open(BASE, os.O_RDONLY | os.O_DIRECTORY)}"
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    remap = {folder: os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
             for folder in spec.get("remap", []) if os.path.isdir(folder)}
    report = confine.confine(spec.get("confine", {}))
    if remap:
        report["import_paths"] = remap_import_paths(remap)
    libc = confine._libc()
    report["subreaper"] = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    scope = spec.get("kill_scope", "group")
    encoder = wire.Encoder(lambda v: None)
    wire.write_frame(FD_OUT, wire.pack({"event": "ready", "ok": encoder.encode(
        {"report": report, "pid": os.getpid(), "python": sys.version.split()[0]})}, encoder.buffers))
    while True:
        try:
            message, _ = wire.read_frame(FD_IN)
        except EOFError:
            os._exit(0)
        op = message.get("op")
        if op == "spawn":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    run_child(spec)
                except BaseException:  # noqa: BLE001 - the channel broke; the test side sees EOF
                    code = 3
                os._exit(code)
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = -1
            strays = kill_strays(scope)
            if spec.get("wipe"):
                try:
                    wipe(spec["wipe"])
                except BaseException:  # noqa: BLE001 - whatever was left, the zygote goes on
                    pass
            wire.write_frame(FD_OUT, wire.pack({"event": "idle", "ok": [status, strays]}, []))
        elif op == "stop":
            kill_strays(scope)
            used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
            cpu = sum(u.ru_utime + u.ru_stime for u in used)  # this worker and its children
            wire.write_frame(FD_OUT, wire.pack({"event": "bye", "cpu": round(cpu, 4)}, []))
            os._exit(0)
        else:
            os._exit(4)


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    try:
        run_zygote(spec)
    finally:
        os._exit(5)
