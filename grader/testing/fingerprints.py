"""Fingerprints of common mistakes: given a wrong array and the right one, say what is seen.

Two kinds of line, and the difference matters to a learner:

- a **pattern** ("every entry is 0.5x the expected value") is a fact about the whole array; it
  is printed as ``pattern: ...`` and never names a cause it cannot see;
- a **likely cause** ("forgot to multiply by dout") is printed only when its pattern explains
  the error on the whole array *and* no other common mistake gives the same pattern here. A
  factor 2 is a missing factor 2, but also a gradient assigned where it should be added, or a
  batch of 2: so a factor alone names no cause. Prefer silence to a wrong guess.

``context`` is what the call that produced the array was given (see ``ledger.py``): with it,
"``actual * dout == expected``" or "a ratio of B / (B - 1)" can be checked, not guessed.
"""

from __future__ import annotations

import numpy as np


class Diagnosis(str):
    """A one-line finding; ``label`` is "likely cause" or "pattern"."""

    label = "likely cause"


def _pattern(text: str) -> Diagnosis:
    found = Diagnosis(text)
    found.label = "pattern"
    return found


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def _constant_ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """The factor r with actual = r * expected everywhere, if there is one."""
    mask = np.abs(expected) > 1e-8 * max(1.0, float(np.abs(expected).max()))
    if mask.sum() < 2 and expected.size > 1:
        return None
    if not mask.any() or not np.allclose(actual[~mask], 0.0, atol=1e-9):
        return None
    ratios = actual[mask] / expected[mask]
    r = float(np.median(ratios))
    if np.allclose(ratios, r, rtol=1e-6, atol=0) and not np.isclose(r, 1.0):
        return r
    return None


def _upstream(context: dict | None):
    """(name, value) of the upstream gradient the call was given (dout, dpenalty, ...)."""
    for name, value in (context or {}).items():
        if name.startswith("d") and name not in ("decay", "data") and isinstance(
                value, (np.ndarray, float, int)) and not isinstance(value, bool):
            return name, value
    return None


def _from_context(actual, expected, context: dict | None, ratio: float | None) -> str | None:
    upstream = _upstream(context)
    if upstream is not None:
        name, dout = upstream
        dout = np.asarray(dout, dtype=float)
        if not np.allclose(dout, 1.0) and (dout.ndim == 0 or dout.shape == actual.shape):
            if _close(actual * dout, expected):
                shown = "" if name == "dout" else f" ({name})"
                return (f"forgot to multiply by dout{shown}: the result is exactly the "
                        f"gradient for {name} = 1; every backward multiplies by its upstream "
                        "gradient (the chain rule)")
    if ratio is not None:
        sizes = {n for value in (context or {}).values() if isinstance(value, np.ndarray)
                 for n in value.shape if n > 2}
        for n in sorted(sizes):
            for r, how in ((n / (n - 1), "B - 1 where B belongs"), ((n - 1) / n, "B where B - 1 belongs")):
                if np.isclose(ratio, r, rtol=1e-7) or np.isclose(ratio, np.sqrt(r), rtol=1e-7):
                    return (f"biased vs unbiased variance: the ratio is exactly that of dividing by "
                            f"{how} (B = {n}): normalizing uses the biased variance (/ B), a "
                            "running estimate of the population's the unbiased one (/ (B - 1))")
    return None


def diagnose(actual: np.ndarray, expected: np.ndarray, *, batch_size: int | None = None,
             batch_axis: int = 0, context: dict | None = None) -> Diagnosis | None:
    """A one-line finding about ``actual != expected``, or None."""
    if actual.shape != expected.shape:
        if expected.ndim == 0 and actual.size == 1:
            return Diagnosis("return a single number (e.g. float(...)), not an array holding one")
        if actual.ndim == 2 and actual.shape == expected.shape[::-1]:
            return Diagnosis("the shape is transposed: check the order of the axes (which one "
                             "comes first?)")
        if actual.size == expected.size:
            return _pattern("right number of entries, wrong layout: a reshape, a transpose, or "
                            "a sum without keepdims=True is off")
        if batch_size and actual.ndim == expected.ndim - 1:
            return _pattern("one axis is missing: did you sum or average over an axis you "
                            "should keep (keepdims=True)?")
        return None
    if not np.all(np.isfinite(actual)):
        return _pattern("the result holds NaN or inf: look for exp() of large numbers "
                        "(overflow), log(0), or division by zero")
    if actual.size == 1:
        return None  # one number has no pattern; tests name suspects for scalars instead
    if expected.any() and not actual.any():
        return _pattern("the result is all zeros: is something not computed, not stored, or "
                        "multiplied by zero?")
    if expected.any() and _close(actual, -expected):
        return Diagnosis("the sign is flipped: check the direction of a subtraction or a "
                         "missing minus")
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1] and _close(actual, expected.T):
        return _pattern("the result equals the transpose of the expected one: check the order "
                        "of a matrix product, a .T, or which axis a sum runs over")
    ratio = _constant_ratio(actual, expected)
    known = _from_context(actual, expected, context, ratio)
    if known:
        return Diagnosis(known)
    if ratio is not None:
        if batch_size and batch_size > 2 and np.isclose(ratio, batch_size):
            return Diagnosis(f"everything is {batch_size}x too large, and {batch_size} is the "
                             "batch size: a sum where a mean belongs?")
        if batch_size and batch_size > 2 and np.isclose(ratio, 1.0 / batch_size):
            return Diagnosis(f"everything is {batch_size}x too small, and {batch_size} is the "
                             "batch size: divided by the batch size once too often?")
        return _pattern(f"every entry is exactly {ratio:.4g}x the expected value (a factor "
                        f"{ratio:.4g} everywhere): look for a constant or a scale, or a value "
                        "counted once where it belongs twice")
    diff = actual - expected
    if diff.ndim >= 1 and diff.shape[batch_axis] > 1:
        first = np.take(diff, [0], axis=batch_axis)
        if np.allclose(diff, first, atol=1e-9) and np.abs(first).max() > 1e-9:
            if np.allclose(diff, diff.flat[0], atol=1e-9):
                return _pattern(f"every entry is off by the same constant {diff.flat[0]:.4g}")
            if any(name in (context or {}) for name in ("b", "bias", "biases")):
                return Diagnosis("every example is off by the same vector, and the call has a "
                                 "bias: the bias is missing, added twice, or the wrong one")
            return _pattern("every row is off by the same vector (the error does not depend "
                            "on the example)")
    if np.allclose(diff, diff.flat[0], atol=1e-9):
        return _pattern(f"every entry is off by the same constant {diff.flat[0]:.4g}")
    return None
