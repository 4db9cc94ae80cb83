"""The teaching messages of the call contracts (``grader/testing/contracts.py``).

Each failure names the exercise, the call, the argument, what changed (with its worst entry)
and what to do instead. Phrases that ``kata verify`` looks for when a catalogued mistake
declares its cause (``grader/author/causes.py``): "in place", "shares memory", "dtype",
"labels", "between calls", "once per step".
"""

from __future__ import annotations

import numpy as np


def _where(call) -> str:
    if call.test_exercise.id != call.exercise.id:
        return f" (called by a test of {call.test_exercise.id})"
    return ""


def _index(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _mutation_advice(call, name: str, path: str) -> str:
    lowered = path.lower()
    if "running" in lowered:
        return ("return the new statistics as new arrays (new_mean = momentum * running_mean + "
                "...), never `running_mean *= ...` or `running_mean[:] = ...`: the caller decides "
                "what to keep, and may still need the old values")
    if "cache" in lowered:
        return ("a backward must leave the cache its forward returned as it was: the caller may "
                "run backward again, and the cache may hold the forward's own input. Compute "
                "into a new array (dx = dout * mask), never `cache *= ...` or `x[...] = ...`")
    if name.startswith("d") and len(name) > 1 and name != "data":
        return (f"{name} belongs to the caller, who may hand the same array to other layers: "
                f"write dx = {name} * ... (a new array), never `{name} *= ...` or "
                f"`{name}[...] = ...`")
    if call.name == "numerical_gradient":
        return ("put every entry back after perturbing it (x[i] = old), even on the last one, "
                "or perturb a copy: the caller's x must come back exactly as it went in")
    return (f"copy before modifying ({name} = {name}.copy()), or compute a new array: "
            f"`{name} = {name} - m` makes a new one, `{name} -= m` overwrites the caller's")


def mutation_failure(call, name: str, path: str, before: np.ndarray, after: np.ndarray) -> None:
    __tracebackhide__ = True
    headline = f"{call.exercise.symbol} changed its argument `{path}` in place{_where(call)}"
    if after.shape != before.shape:
        detail = f"its shape went from {before.shape} to {after.shape}"
    else:
        same = (before == after) | ((before != before) & (after != after))
        changed = ~same
        if np.issubdtype(after.dtype, np.number) and not np.issubdtype(after.dtype, np.bool_):
            gap = np.where(changed, np.abs(after.astype(float) - before.astype(float)), -1.0)
            gap = np.nan_to_num(gap, nan=np.inf)
        else:
            gap = changed.astype(float)
        index = np.unravel_index(int(np.argmax(gap)), after.shape) if after.ndim else ()
        entry = f"entry {_index(index)}" if after.ndim else "its value"
        detail = (f"{entry}: was {_num(before[index])}, is now {_num(after[index])} "
                  f"({int(changed.sum())} of {after.size} entries changed)")
    call.checker().fail(headline, detail, _mutation_advice(call, name, path))


def alias_failure(call, name: str, path: str, out_path: str, identical: bool) -> None:
    __tracebackhide__ = True
    what = f"is `{path}` itself" if identical else f"shares memory with `{path}` (a view of it)"
    call.checker().fail(
        f"{call.exercise.symbol}: its {out_path} {what}{_where(call)}",
        f"a caller who later updates the result in place (out += ...) would silently change "
        f"{path} too, and the other way round",
        f"return a new array: {path}.copy(), or an expression such as {path} * mask, which "
        "computes a new one (reshape, slicing and .T give views, not copies)")


def dtype_failure(call, inputs, out_path: str, got, expected) -> None:
    __tracebackhide__ = True
    shown = ", ".join(f"{p}: {dt}" for p, dt in inputs[:4])
    call.checker().fail(
        f"{call.exercise.symbol}: its {out_path} has dtype {got}, expected {expected}{_where(call)}",
        f"the floating inputs are {shown}, so the result keeps their dtype ({expected})",
        "look for a hard-coded dtype (np.float32, astype, dtype=...) or an array made without "
        "the input's dtype: np.zeros_like(x) and x.dtype keep it")


def label_failure(call, out_path: str, got, from_input: bool) -> None:
    __tracebackhide__ = True
    why = ("the labels came in as integers" if from_input
           else "class labels are integers (they index rows and columns)")
    call.checker().fail(
        f"{call.exercise.symbol}: its {out_path} holds class labels as {got}{_where(call)}",
        f"{why}: keep the labels' integer dtype (np.repeat(np.arange(K), n), y[idx]); "
        "a float label cannot index an array")


def repeat_failure(call, named, first, second) -> None:
    __tracebackhide__ = True
    args = ", ".join(name for name, _ in named)
    call.checker().fail(
        f"{call.exercise.symbol}: calling it twice with the same arguments gave different "
        f"answers{_where(call)}",
        f"first call: {_short(first)}; second call: {_short(second)}",
        f"a function of ({args}) keeps no state between calls: look for a global variable, a "
        "default argument such as cache=[] or a module-level array that the function changes")


def step_failure(call, before, after) -> None:
    __tracebackhide__ = True
    call.checker().fail(
        f"{call.exercise.symbol}: iterations went from {before} to {after} in one call"
        f"{_where(call)}",
        "the step counter must go up exactly once per step (iterations += 1 at the end of "
        "step(), and nowhere else): decay and bias correction read it")


def _num(value) -> str:
    value = np.asarray(value).item()
    return f"{value:.8g}" if isinstance(value, float) else repr(value)


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=6, edgeitems=2).replace("\n", "")
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value[:3]) + (", ...)" if len(value) > 3 else ")")
    return repr(value)[:80]


# -- exceptions raised inside the code under test --------------------------------------------
_CONCEPTS = (
    # (exception type name, words in its message, what it usually means here)
    ("ValueError", "broadcast", "two arrays' shapes do not line up for an elementwise operation: "
     "print the .shape of each operand; a sum without keepdims=True, or a row vector where a "
     "column belongs, is the usual cause"),
    ("ValueError", "matmul", "the inner sizes of a matrix product differ: (B, D) @ (D, N) needs the "
     "same D on both sides; check which operand needs a .T (a transpose)"),
    ("ValueError", "shapes", "two arrays' shapes do not fit together: print the .shape of each"),
    ("ValueError", "reshape", "a reshape asks for a different number of entries than the array "
     "has: print the shape before reshaping"),
    ("AxisError", "", "an axis the array does not have: count its dimensions (x.ndim) and "
     "remember that axis=-1 is the last one"),
    ("IndexError", "", "an index is out of range: check the shapes, and that labels run from 0 "
     "to K - 1"),
    ("OverflowError", "", "a number grew too large (overflow): exp() of a large input overflows; "
     "use a numerically stable form (subtract the max, or branch on the sign)"),
    ("FloatingPointError", "", "a NaN or inf appeared (overflow or a division by zero): use a "
     "numerically stable form"),
    ("ZeroDivisionError", "", "a division by zero: a size or count that can be 0 here?"),
    ("AttributeError", "", "an attribute that does not exist: did __init__ set it (self.name = "
     "...), is the name spelt as in the docstring, or is this a number where an array belongs?"),
    ("TypeError", "argument", "the call does not match the signature: compare the arguments "
     "with the docstring"),
    ("TypeError", "", "an operation got the wrong kind of value: is something None (a missing "
     "return?), a list where an array belongs, or a tuple where one array belongs?"),
    ("KeyError", "", "a dictionary has no such key: print its keys"),
    ("RecursionError", "", "a function calls itself without end: check the stopping case"),
)


def concept(err: BaseException) -> str | None:
    text = str(err).lower()
    names = {k.__name__ for k in type(err).__mro__}
    for type_name, words, meaning in _CONCEPTS:
        if type_name in names and words in text:
            return meaning
    return None


def explain_exception(err: BaseException, exercise, location: str | None,
                      line: str | None) -> str | None:
    """The failure message for an exception raised inside the code under test, or None."""
    tagged = getattr(err, "_kata_call", None)
    if tagged is None and location is None:
        return None
    called_ex, call_text = tagged if tagged else (exercise, None)
    ex = called_ex or exercise
    text = f"{type(err).__name__}: {err}".strip()
    lines = [f"{ex.id} {ex.title}: " + (f"{call_text} raised {text}" if call_text
                                          else f"your code raised {text}")]
    if location:
        lines.append(f"  raised at {location}" + (f":   {line.strip()}" if line else ""))
    meaning = concept(err)
    if meaning:
        lines.append(f"  what it means: {meaning}")
    lines.append(f"  next: read docs/{ex.module}.md, or run `kata hint {ex.id}`")
    return "\n".join(lines)
