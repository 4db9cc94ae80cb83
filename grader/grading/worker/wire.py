"""The data-only wire format between the trusted test process and the sandboxed worker.

A *frame* is ``MAGIC, number of buffers (u32), JSON length (u64), each buffer's length (u64),
the JSON text, the buffers``. The JSON carries plain values; arrays travel as raw bytes in the
buffers, described by a dtype string and a shape, and are rebuilt with ``np.frombuffer``: nothing
is ever unpickled or evaluated. Values are tagged objects (key ``"$"``) when JSON has no type
for them:

=======  ==============================================================
``t``    tuple                    ``d``   dict (keys and values lists)
``s``    set, ``fs`` frozenset    ``y``   bytes
``a``    numeric ndarray          ``ao``  object ndarray (items encoded)
``n``    NumPy scalar             ``c``   complex
``sl``   slice, ``el`` Ellipsis   ``r``   range (``rg``)
``g``    numpy.random.Generator (bit generator name and state)
``dt``   numpy dtype              ``ty``  a builtin or NumPy scalar type
``h``    handle: an object that stays in the worker (id, type name, kind)
``ref``  a handle sent back to the worker, ``cb`` a test-side callback
=======  ==============================================================

Containers travel as their builtin base (a namedtuple as a tuple, an OrderedDict as a dict):
whatever a subclass overrides (``__eq__``, ``__iter__``) stays behind. Both sides enforce the
same limits (depth, item count, frame size); the test side never trusts a length it has not
checked against them.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import struct

import numpy as np

MAGIC = b"KAT1"
PREFIX = struct.Struct("!4sIQ")
LENGTH = struct.Struct("!Q")

MAX_FRAME = 256 * 2**20      # bytes in one frame (JSON plus buffers)
MAX_BUFFERS = 100_000
MAX_DEPTH = 64               # nesting of containers
MAX_ITEMS = 2_000_000        # values in one message
MAX_TEXT = 16 * 2**20        # characters in one string

DTYPE = re.compile(r"^[<>|=][biufc][1-9][0-9]?$")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
BUILTIN_TYPES = ("bool", "int", "float", "complex", "str", "bytes", "list", "tuple", "dict",
                 "set", "frozenset", "object")
NUMPY_TYPES = ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "float16", "float32", "float64", "longdouble", "complex64", "complex128",
               "ndarray", "generic", "number", "integer", "floating")


class WireError(ValueError):
    """A frame or value that breaks the format or its limits; the channel is no longer usable."""


def numeric_dtype(text: str) -> np.dtype:
    """The dtype named by ``text`` if it is a plain numeric one (bool, int, uint, float, complex)."""
    if not isinstance(text, str) or not DTYPE.match(text):
        raise WireError(f"dtype {text!r} is not a plain numeric dtype")
    dtype = np.dtype(text)
    if dtype.kind not in "biufc" or dtype.hasobject or dtype.fields is not None:
        raise WireError(f"dtype {text!r} is not a plain numeric dtype")
    return dtype


def _numeric(dtype: np.dtype) -> bool:
    return dtype.kind in "biufc" and not dtype.hasobject and dtype.fields is None \
        and dtype.subdtype is None and bool(DTYPE.match(dtype.str))


# ------------------------------------------------------------------------------ encoding
class Encoder:
    """Turns a value into JSON-ready data plus buffers.

    ``on_object(value)`` is called for anything that is not data and returns its tag (a handle
    on the worker side, a reference or callback on the test side), or raises TypeError.
    ``generators`` collects every Generator encoded, in order, so its state can be synced back.
    """

    def __init__(self, on_object):
        self.on_object = on_object
        self.buffers: list[bytes] = []
        self.generators: list = []
        self.items = 0

    def _buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, value, depth: int = 0):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")
        if depth > MAX_DEPTH:
            raise WireError(f"values nested more than {MAX_DEPTH} deep")
        if value is None or value is True or value is False:
            return value
        if isinstance(value, np.generic):
            return self._scalar(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int.__int__(value) if isinstance(value, int) else float.__float__(value)
        if isinstance(value, bool):  # a bool subclass cannot exist, but be exact anyway
            return bool(value)
        if isinstance(value, str):
            text = str.__str__(value)
            if len(text) > MAX_TEXT:
                raise WireError(f"a string of {len(text)} characters is too long to send")
            return text
        if isinstance(value, np.ndarray):
            return self._array(value, depth)
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in list.__iter__(value)]
        if isinstance(value, tuple):
            return {"$": "t", "v": [self.encode(v, depth + 1) for v in tuple.__iter__(value)]}
        if isinstance(value, dict):
            keys = list(dict.keys(value))
            return {"$": "d", "k": [self.encode(k, depth + 1) for k in keys],
                    "v": [self.encode(dict.__getitem__(value, k), depth + 1) for k in keys]}
        if isinstance(value, (set, frozenset)):
            tag = "fs" if isinstance(value, frozenset) else "s"
            members = set.__iter__(value) if isinstance(value, set) else frozenset.__iter__(value)
            return {"$": tag, "v": [self.encode(v, depth + 1) for v in members]}
        if isinstance(value, (bytes, bytearray)):
            return {"$": "y", "b": self._buffer(bytes(value))}
        if isinstance(value, complex):
            return {"$": "c", "re": value.real, "im": value.imag}
        if isinstance(value, slice):
            return {"$": "sl", "v": [self.encode(x, depth + 1)
                                     for x in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"$": "el"}
        if isinstance(value, range):
            return {"$": "rg", "v": [value.start, value.stop, value.step]}
        if isinstance(value, np.random.Generator):
            name = type(value.bit_generator).__name__
            if name in BIT_GENERATORS:
                self.generators.append(value)
                return {"$": "g", "bg": name, "st": self.encode(value.bit_generator.state, depth + 1)}
        if isinstance(value, np.dtype) and _numeric(value):
            return {"$": "dt", "v": value.str}
        if isinstance(value, type):
            for name in BUILTIN_TYPES:
                if value is getattr(builtins, name):
                    return {"$": "ty", "m": "builtins", "v": name}
            for name in NUMPY_TYPES:
                if value is getattr(np, name):
                    return {"$": "ty", "m": "numpy", "v": name}
        return self.on_object(value)

    def _scalar(self, value: np.generic):
        dtype = value.dtype
        if _numeric(dtype):
            return {"$": "n", "dt": dtype.str, "b": self._buffer(np.asarray(value).tobytes())}
        if isinstance(value, np.str_):
            return str(value)
        if isinstance(value, np.bytes_):
            return {"$": "y", "b": self._buffer(bytes(value))}
        return self.on_object(value)

    def _array(self, value: np.ndarray, depth: int):
        array = np.asarray(value)  # subclasses (matrix, masked) travel as plain arrays
        if _numeric(array.dtype):
            data = np.ascontiguousarray(array).tobytes()
            return {"$": "a", "dt": array.dtype.str, "sh": list(array.shape), "b": self._buffer(data)}
        if array.dtype.hasobject and array.dtype.fields is None:
            if array.size > MAX_ITEMS:
                raise WireError("object array too large to send")
            return {"$": "ao", "sh": list(array.shape),
                    "v": [self.encode(v, depth + 1) for v in array.ravel().tolist()]}
        if array.dtype.kind == "U":
            return {"$": "ao", "sh": list(array.shape),
                    "v": [str(v) for v in array.ravel().tolist()], "u": 1}
        return self.on_object(value)


# ------------------------------------------------------------------------------ decoding
class Decoder:
    """Rebuilds values from JSON data plus buffers; never runs code named by the data.

    ``on_tag(tag, node)`` resolves the tags that name objects (``h``, ``ref``, ``cb``).
    """

    def __init__(self, buffers: list[bytes], on_tag):
        self.buffers = buffers
        self.on_tag = on_tag
        self.generators: list = []
        self.items = 0

    def _buffer(self, index) -> bytes:
        if not isinstance(index, int) or not 0 <= index < len(self.buffers):
            raise WireError(f"buffer {index!r} does not exist")
        return self.buffers[index]

    def decode(self, node, depth: int = 0):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")
        if depth > MAX_DEPTH:
            raise WireError(f"values nested more than {MAX_DEPTH} deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict) or not isinstance(node.get("$"), str):
            raise WireError(f"untagged object in a message: {str(node)[:80]}")
        tag = node["$"]
        if tag == "t":
            return tuple(self.decode(v, depth + 1) for v in self._list(node, "v"))
        if tag == "d":
            keys, values = self._list(node, "k"), self._list(node, "v")
            if len(keys) != len(values):
                raise WireError("dict with unequal keys and values")
            out = {}
            for k, v in zip(keys, values):
                key = self.decode(k, depth + 1)
                try:
                    out[key] = self.decode(v, depth + 1)
                except TypeError:
                    raise WireError(f"unhashable dict key of type {type(key).__name__}") from None
            return out
        if tag in ("s", "fs"):
            try:
                items = {self.decode(v, depth + 1) for v in self._list(node, "v")}
            except TypeError:
                raise WireError("unhashable set member") from None
            return frozenset(items) if tag == "fs" else items
        if tag == "a":
            return self._array(node)
        if tag == "ao":
            shape = self._shape(node)
            values = self._list(node, "v")
            out = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):
                out[i] = str(v) if node.get("u") else self.decode(v, depth + 1)
            if int(np.prod(shape, dtype=np.int64)) != len(values):
                raise WireError("object array of the wrong size")
            out = out.reshape(shape)
            return out.astype(str) if node.get("u") else out
        if tag == "n":
            dtype = numeric_dtype(node.get("dt"))
            data = self._buffer(node.get("b"))
            if len(data) != dtype.itemsize:
                raise WireError("scalar of the wrong size")
            return np.frombuffer(data, dtype=dtype)[0]
        if tag == "y":
            return bytes(self._buffer(node.get("b")))
        if tag == "c":
            return complex(self._number(node.get("re")), self._number(node.get("im")))
        if tag == "sl":
            start, stop, step = (self.decode(v, depth + 1) for v in self._list(node, "v", 3))
            return slice(start, stop, step)
        if tag == "el":
            return Ellipsis
        if tag == "rg":
            start, stop, step = self._list(node, "v", 3)
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, stop, step)):
                raise WireError("range bounds must be integers")
            return range(start, stop, step)
        if tag == "g":
            return self._generator(node, depth)
        if tag == "dt":
            return numeric_dtype(node.get("v"))
        if tag == "ty":
            module, name = node.get("m"), node.get("v")
            if module == "builtins" and name in BUILTIN_TYPES:
                return getattr(builtins, name)
            if module == "numpy" and name in NUMPY_TYPES:
                return getattr(np, name)
            raise WireError(f"type {module}.{name} is not allowed")
        if tag in ("h", "ref", "cb"):
            return self.on_tag(tag, node)
        raise WireError(f"unknown tag {tag!r}")

    @staticmethod
    def _list(node, key, length=None) -> list:
        value = node.get(key)
        if not isinstance(value, list) or (length is not None and len(value) != length):
            raise WireError(f"malformed {node.get('$')!r} value")
        return value

    @staticmethod
    def _number(value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise WireError("expected a number")
        return float(value)

    def _shape(self, node) -> tuple[int, ...]:
        shape = self._list(node, "sh")
        if len(shape) > 32 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                      for n in shape):
            raise WireError(f"bad array shape {shape!r}")
        return tuple(shape)

    def _array(self, node) -> np.ndarray:
        dtype = numeric_dtype(node.get("dt"))
        shape = self._shape(node)
        data = self._buffer(node.get("b"))
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != len(data):
            raise WireError(f"array buffer of {len(data)} bytes does not fit shape {shape} of {dtype}")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()

    def _generator(self, node, depth) -> np.random.Generator:
        name = node.get("bg")
        if name not in BIT_GENERATORS:
            raise WireError(f"bit generator {name!r} is not allowed")
        state = self.decode(node.get("st"), depth + 1)
        bit_generator = getattr(np.random, name)()
        try:
            bit_generator.state = state
        except (TypeError, ValueError, KeyError) as err:
            raise WireError(f"bad {name} state: {err}") from None
        generator = np.random.Generator(bit_generator)
        self.generators.append(generator)
        return generator


# ------------------------------------------------------------------------------ frames
def pack(message: dict, buffers: list[bytes]) -> list[bytes]:
    """The chunks of one frame (write them in order)."""
    text = json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")
    total = len(text) + sum(len(b) for b in buffers)
    if total > MAX_FRAME or len(buffers) > MAX_BUFFERS:
        raise WireError(f"message of {total} bytes is larger than the limit of {MAX_FRAME}")
    head = PREFIX.pack(MAGIC, len(buffers), len(text)) + b"".join(LENGTH.pack(len(b)) for b in buffers)
    return [head, text, *buffers]


def parse_prefix(data: bytes) -> tuple[int, int]:
    magic, count, text_length = PREFIX.unpack(data)
    if magic != MAGIC:
        raise WireError("frame does not start with the magic bytes")
    if count > MAX_BUFFERS or text_length > MAX_FRAME:
        raise WireError("frame header announces more than the limits allow")
    return count, text_length


def parse_lengths(data: bytes, count: int, text_length: int) -> list[int]:
    lengths = [LENGTH.unpack_from(data, 8 * i)[0] for i in range(count)]
    if text_length + sum(lengths) > MAX_FRAME:
        raise WireError(f"frame larger than the limit of {MAX_FRAME} bytes")
    return lengths


def parse_text(text: bytes) -> dict:
    try:
        message = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise WireError(f"frame text is not JSON: {str(err)[:100]}") from None
    if not isinstance(message, dict):
        raise WireError("frame text is not a JSON object")
    return message


def read_exact(fd: int, size: int) -> bytes:
    """Exactly ``size`` bytes from ``fd`` (blocking; never reads past them: the next frame may
    be meant for another process sharing the pipe)."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[dict, list[bytes]]:
    count, text_length = parse_prefix(read_exact(fd, PREFIX.size))
    lengths = parse_lengths(read_exact(fd, 8 * count), count, text_length) if count else []
    message = parse_text(read_exact(fd, text_length))
    return message, [read_exact(fd, n) for n in lengths]


def write_frame(fd: int, chunks: list[bytes]) -> None:
    if sum(len(c) for c in chunks) < 1 << 20:
        chunks = [b"".join(chunks)]  # one write, one wake-up of the reader
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            written = os.write(fd, view)
            view = view[written:]
