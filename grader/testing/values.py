"""Walking, copying and comparing the values a test hands to the code under test.

Used by the call contracts (``contracts.py``): every ndarray inside an argument (containers,
and the public attributes of objects, a few levels deep), plain-data copies for calling a
function again, and an exact comparison of two answers.
"""

from __future__ import annotations

import types

import numpy as np

MAX_NODES = 64  # values visited per argument: enough for a model, bounded for a graph of Values


def _is_object(value) -> bool:
    return (hasattr(value, "__dict__") and not isinstance(
        value, (type, types.ModuleType, types.FunctionType, types.MethodType, np.random.Generator)))


def arrays_in(value, path: str, *, objects: bool = True, depth: int = 3, seen=None):
    """(path, array) for every ndarray in ``value``: containers, and object attributes."""
    seen = set() if seen is None else seen
    if id(value) in seen or len(seen) > MAX_NODES:
        return
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.dtype != object:
            yield path, value
        return
    if depth <= 0:
        return
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from arrays_in(item, f"{path}[{i}]", objects=objects, depth=depth - 1, seen=seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from arrays_in(item, f"{path}[{key!r}]", objects=objects, depth=depth - 1,
                                 seen=seen)
    elif objects and _is_object(value):
        for key, item in vars(value).items():
            if not key.startswith("_"):
                yield from arrays_in(item, f"{path}.{key}", objects=objects, depth=depth - 1,
                                     seen=seen)


def is_plain_data(value, depth: int = 3) -> bool:
    """Only arrays, numbers, strings and containers of them: safe to copy and call again."""
    if isinstance(value, (np.ndarray, np.generic, int, float, complex, str, bool, type(None))):
        return not (isinstance(value, np.ndarray) and value.dtype == object)
    if isinstance(value, (tuple, list)) and depth > 0:
        return all(is_plain_data(v, depth - 1) for v in value)
    if isinstance(value, dict) and depth > 0:
        return all(is_plain_data(v, depth - 1) for v in value.values())
    return False


def copy_data(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(copy_data(v) for v in value)
    if isinstance(value, dict):
        return {k: copy_data(v) for k, v in value.items()}
    return value


def same_value(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a usable ==: no verdict
        return True
