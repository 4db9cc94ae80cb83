"""What a graded test holds in grading mode: stand-ins for objects that live in the worker.

``kata`` is a :class:`RemoteModule`; ``kata.Dense`` a class handle; ``kata.Dense(3, 5, rng)`` an
object handle whose attributes come back as data (``layer.W.data`` is a real ndarray) or as
further handles (``layer.W``). One remote object has exactly one stand-in, so ``is`` and ``id``
work (``c.parents[0] is a``). A stand-in's class is made for the remote type: same name, and only
the special methods that type really defines (calling, ``len``, indexing, iteration, arithmetic,
``__array__``), each forwarded to the worker. Comparisons are *not* forwarded: stand-ins are
equal only to themselves, so an object that claims to equal everything gains nothing.
``isinstance(x, kata.Value)`` asks the worker.
"""

from __future__ import annotations

import types

import numpy as np

from grader.grading.channel import CallTimeout, GradingStop, Sandbox, WorkerCrashed, in_setup

SLOTS = ("_kata_link", "_kata_id", "_kata_type")
FORWARDED_ATTRIBUTES = ("__name__", "__qualname__")


class Link:
    """One child of a sandbox: the requests of its stand-ins go through here."""

    def __init__(self, sandbox: Sandbox, timeout: float, on_timeout=None, in_setup=None):
        self.sandbox = sandbox
        self.in_setup = in_setup     # () -> bool: pytest is setting up fixtures
        self.generation = sandbox.generation
        self.timeout = timeout
        self.on_timeout = on_timeout
        self.proxies: dict[int, object] = {}

    @property
    def usable(self) -> bool:
        return (self.sandbox.generation == self.generation and self.sandbox.running
                and self.sandbox.child_active and self.sandbox.link is self)

    def request(self, op: str, obj: int | None, **values):
        try:
            return self._request(op, obj, values)
        except GradingStop as err:
            if self.in_setup is not None and self.in_setup():
                raise in_setup(err) from None  # a fixture of the test called the submission
            raise

    def _request(self, op: str, obj: int | None, values: dict):
        if not self.usable:
            raise WorkerCrashed("this object lived in a worker that has been stopped (it "
                                "crashed, timed out, or belongs to another exercise)")
        message = {"op": op} if obj is None else {"op": op, "obj": obj}
        plain = {k: v for k, v in values.items() if k in ("name", "module")}
        message.update(plain)
        encoded = {k: v for k, v in values.items() if k not in plain}
        try:
            return self.sandbox.request(message, encoded, self.timeout, self.decode_tag)
        except CallTimeout:
            if self.on_timeout:
                self.on_timeout()
            raise

    def decode_tag(self, tag: str, node: dict):
        if tag != "h":
            raise WorkerCrashed(f"the worker sent a {tag!r} tag")
        hid = node.get("id")
        if not isinstance(hid, int):
            raise WorkerCrashed("the worker sent a malformed handle")
        proxy = self.proxies.get(hid)
        if proxy is None:
            kind = str(node.get("k", "object"))
            type_name = str(node.get("ty", "object"))[:200]
            caps = tuple(c for c in node.get("cap", []) if isinstance(c, str))
            if kind == "module":
                proxy = RemoteModule(self, hid, type_name)
            else:
                proxy = proxy_class(type_name, kind, caps)._kata_new(self, hid, type_name)
            self.proxies[hid] = proxy
        return proxy


def reference_of(value, sandbox: Sandbox):
    """The wire tag for a stand-in being sent back to its worker, else None."""
    if isinstance(value, (Remote, RemoteModule)):
        link = object.__getattribute__(value, "_kata_link")
        if link.sandbox is not sandbox or not link.usable:
            raise WorkerCrashed("an object of a stopped worker cannot be used any more")
        return {"$": "ref", "id": object.__getattribute__(value, "_kata_id")}
    return None


class Remote:
    """Base of every stand-in for a remote object."""

    __slots__ = SLOTS + ("__weakref__",)
    kata_wire_tag = staticmethod(reference_of)  # read by the channel when it encodes arguments

    @classmethod
    def _kata_new(cls, link: Link, hid: int, type_name: str):
        self = object.__new__(cls)
        object.__setattr__(self, "_kata_link", link)
        object.__setattr__(self, "_kata_id", hid)
        object.__setattr__(self, "_kata_type", type_name)
        return self

    def _kata(self, op: str, **values):
        link = object.__getattribute__(self, "_kata_link")
        return link.request(op, object.__getattribute__(self, "_kata_id"), **values)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__") and name not in FORWARDED_ATTRIBUTES:
            raise AttributeError(name)  # probes by numpy, copy, pickle, pytest stay local
        return self._kata("getattr", name=name)

    def __setattr__(self, name: str, value) -> None:
        if name in SLOTS:
            raise AttributeError(f"{name} is read-only")
        self._kata("setattr", name=name, value=value)

    def __delattr__(self, name: str) -> None:
        self._kata("delattr", name=name)

    def __repr__(self) -> str:
        kind = object.__getattribute__(self, "_kata_type")
        return f"<{kind} #{object.__getattribute__(self, '_kata_id')} in the sandbox>"

    def __reduce__(self):
        raise TypeError("objects of the sandboxed submission cannot be pickled")


def _forward(name: str):
    def method(self, *args):
        return self._kata("op", name=name, args=list(args))
    method.__name__ = name
    return method


def _call(self, *args, **kwargs):
    return self._kata("call", args=list(args), kw=dict(kwargs))


def _array(self, dtype=None, copy=None):
    value = self._kata("op", name="__array__", args=[])
    array = np.asarray(value)
    return array.astype(dtype) if dtype is not None else array


def _instancecheck(self, value) -> bool:
    return bool(self._kata("isinstance", value=value))


def _subclasscheck(self, value) -> bool:
    if not isinstance(value, Remote):
        return False  # a local class is never a subclass of a remote one
    return bool(self._kata("issubclass", value=value))


_CLASSES: dict[tuple, type] = {}


def proxy_class(type_name: str, kind: str, caps: tuple[str, ...]) -> type:
    """The stand-in class for remote objects of one type (cached)."""
    key = (type_name, kind, caps)
    if key not in _CLASSES:
        namespace: dict = {"__slots__": (), "__module__": "sandbox"}
        for name in caps:
            if name == "__call__":
                namespace[name] = _call
            elif name == "__array__":
                namespace[name] = _array
            else:
                namespace[name] = _forward(name)
        if kind == "class":
            namespace["__instancecheck__"] = _instancecheck
            namespace["__subclasscheck__"] = _subclasscheck
        safe = type_name if type_name.isidentifier() else "RemoteObject"
        _CLASSES[key] = type(safe, (Remote,), namespace)
    return _CLASSES[key]


class RemoteModule(types.ModuleType):
    """The module under test, as the ``kata`` fixture returns it in grading mode."""

    kata_wire_tag = staticmethod(reference_of)

    def __init__(self, link: Link, hid: int, name: str):
        super().__init__(f"{name} (sandboxed)")
        object.__setattr__(self, "_kata_link", link)
        object.__setattr__(self, "_kata_id", hid)

    # Functions, classes and other handles fetched from the worker are remembered in the local
    # __dict__: monkeypatch (pytest >= 9.2) reads a module's previous value from __dict__, and
    # without it, undoing a patch would delete the student's function instead of restoring it.
    # Plain data is never cached, so it is always read fresh from the worker.

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        link = object.__getattribute__(self, "_kata_link")
        value = link.request("getattr", object.__getattribute__(self, "_kata_id"), name=name)
        if callable(value):
            object.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("__") and name.endswith("__"):
            object.__setattr__(self, name, value)
            return
        link = object.__getattribute__(self, "_kata_link")
        link.request("setattr", object.__getattribute__(self, "_kata_id"), name=name, value=value)
        local = object.__getattribute__(self, "__dict__")
        if callable(value):
            local[name] = value
        else:
            local.pop(name, None)

    def __delattr__(self, name: str) -> None:
        link = object.__getattribute__(self, "_kata_link")
        link.request("delattr", object.__getattribute__(self, "_kata_id"), name=name)
        object.__getattribute__(self, "__dict__").pop(name, None)

    def __repr__(self) -> str:
        return f"<module {self.__name__}>"
