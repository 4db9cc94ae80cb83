"""The data-only wire format: values round-trip, anything else is refused, nothing is unpickled."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from grader.grading.worker import wire
from grader.testing.splice import extract, splice


def refuse(value):
    raise TypeError(f"not data: {type(value).__name__}")


def round_trip(value):
    encoder = wire.Encoder(refuse)
    node = encoder.encode(value)
    read, write = os.pipe()
    try:
        chunks = wire.pack({"v": node}, encoder.buffers)
        os.set_blocking(write, True)
        data = b"".join(chunks)
        assert len(data) < 60000  # fits the pipe in one go for this test
        wire.write_frame(write, chunks)
        message, buffers = wire.read_frame(read)
    finally:
        os.close(read)
        os.close(write)
    return wire.Decoder(buffers, refuse).decode(message["v"])


def test_plain_values_round_trip():
    value = {"a": (1, -2.5, None, True, "text"), 3: [b"raw", 1 + 2j, slice(1, None, 2), ...,
                                                     range(2, 9, 3), {4, 5}, frozenset({6})],
             "inf": float("inf"), "big": 2**100, "dtype": np.dtype("<f4"), "type": float,
             "np type": np.float32}
    back = round_trip(value)
    assert back == value


def test_arrays_keep_dtype_shape_and_values():
    for array in (np.arange(12, dtype=np.float64).reshape(3, 4), np.array([True, False]),
                  np.zeros((0, 3), dtype=np.int32), np.array(3.5), np.arange(6).reshape(2, 3).T,
                  np.array([1 + 1j], dtype=np.complex64)):
        back = round_trip(array)
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)
        assert back.flags.writeable


def test_numpy_scalars_and_object_arrays():
    assert type(round_trip(np.float64(1.5))) is np.float64
    assert type(round_trip(np.int32(7))) is np.int32
    mixed = round_trip(np.array([1, "a", None], dtype=object))
    assert mixed.dtype == object and list(mixed) == [1, "a", None]


def test_subclasses_travel_as_their_builtin_base():
    class Liar(float):
        def __eq__(self, other):
            return True

    class Shout(tuple):
        pass

    assert type(round_trip(Liar(2.0))) is float
    assert round_trip(Liar(2.0)) != 3.0
    assert type(round_trip(Shout((1, 2)))) is tuple


def test_generator_state_travels_and_continues():
    rng = np.random.default_rng(42)
    rng.normal(size=3)
    copy = round_trip(rng)
    assert copy.normal() == rng.normal()


def test_objects_are_refused_not_pickled():
    with pytest.raises(TypeError):
        round_trip(object())


@pytest.mark.parametrize("node, buffers", [
    ({"$": "a", "dt": "|O8", "sh": [1], "b": 0}, [b"\0" * 8]),          # object dtype
    ({"$": "a", "dt": "<f8", "sh": [2], "b": 0}, [b"\0" * 8]),          # wrong size
    ({"$": "a", "dt": "<f8", "sh": [-1], "b": 0}, [b"\0" * 8]),         # negative shape
    ({"$": "a", "dt": "V8", "sh": [1], "b": 0}, [b"\0" * 8]),           # void
    ({"$": "n", "dt": "<M8", "b": 0}, [b"\0" * 8]),                     # datetime
    ({"$": "g", "bg": "Evil", "st": 1}, []),                             # unknown bit generator
    ({"$": "ty", "m": "os", "v": "system"}, []),                         # arbitrary type
    ({"$": "pickle", "v": "..."}, []),                                   # unknown tag
    ({"no": "tag"}, []),                                                 # untagged object
    ({"$": "a", "dt": "<f8", "sh": [1], "b": 3}, [b"\0" * 8]),          # missing buffer
])
def test_malformed_values_are_rejected(node, buffers):
    with pytest.raises(wire.WireError):
        wire.Decoder(buffers, refuse).decode(node)


def test_nesting_and_frame_limits():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.Encoder(refuse).encode(deep)
    with pytest.raises(wire.WireError):
        wire.parse_prefix(struct.pack("!4sIQ", b"KAT1", 1, wire.MAX_FRAME + 1))
    with pytest.raises(wire.WireError):
        wire.parse_prefix(struct.pack("!4sIQ", b"EVIL", 0, 1))
    with pytest.raises(wire.WireError):
        wire.parse_lengths(struct.pack("!Q", wire.MAX_FRAME), 1, 10)


REFERENCE = '''
import numpy as np

def helper(x):
    return x + 1

class Layer:
    def __init__(self, n):
        """Docstring."""
        self.n = n

    @staticmethod
    def forward(x):
        return helper(x) * 2
'''


def test_extract_takes_one_definition_only():
    assert extract(REFERENCE, "helper") == "def helper(x):\n    return x + 1\n"
    method = extract(REFERENCE, "Layer.forward")
    assert method.startswith("@staticmethod\ndef forward(x):") and "__init__" not in method
    with pytest.raises(KeyError):
        extract(REFERENCE, "missing")


def test_splice_replaces_the_student_definition_in_place():
    student = "def helper(x):\n    raise NotImplementedError\n\nTABLE = {'h': helper}\n"
    spliced = splice(student, "helper", "def helper(x):\n    return x + 1\n")
    namespace = {}
    exec(spliced, namespace)
    assert namespace["TABLE"]["h"](1) == 2  # the registry holds the spliced function


def test_splice_methods_and_missing_definitions():
    student = "class Layer:\n    def __init__(self, n):\n        pass\n"
    spliced = splice(student, "Layer.forward", "@staticmethod\ndef forward(x):\n    return 2 * x\n")
    namespace = {}
    exec(spliced, namespace)
    assert namespace["Layer"].forward(3) == 6
    assert splice(student, "Gone.method", "def method(self): pass\n") == student
    with pytest.raises(SyntaxError):
        splice("def broken(:\n", "broken", "def broken(): pass\n")
