"""Fingerprints of common mistakes: given a wrong array and the right one, guess why.

Each detector looks at the *pattern* of the error rather than its size. They are ordered from
most to least specific, and the first that matches is reported. A guess is phrased as a question
("sum instead of mean?") because it is a likely cause, not a proof.
"""

from __future__ import annotations

import numpy as np


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


def diagnose(actual: np.ndarray, expected: np.ndarray, *, batch_size: int | None = None,
             batch_axis: int = 0) -> str | None:
    """A one-line guess at the mistake behind ``actual != expected``, or None."""
    if actual.shape != expected.shape:
        if expected.ndim == 0 and actual.size == 1:
            return "return a single number (e.g. float(...)), not an array holding one"
        if actual.ndim == 2 and actual.shape == expected.shape[::-1]:
            return "the shape is transposed: check the order of the axes (which one comes first?)"
        if actual.size == expected.size:
            return "right number of entries, wrong layout: a reshape or transpose is off"
        if batch_size and actual.ndim == expected.ndim - 1:
            return "one axis is missing: did you sum or average over an axis you should keep?"
        return None
    if not np.all(np.isfinite(actual)):
        return ("the result holds NaN or inf: look for exp() of large numbers, log(0), "
                "or division by zero")
    if actual.size == 1:
        return None  # one number has no pattern; tests name suspects for scalars instead
    if expected.any() and not actual.any():
        return "the result is all zeros: is something not computed, or multiplied by zero?"
    if expected.any() and _close(actual, -expected):
        return "the sign is flipped: check the direction of a subtraction or a missing minus"
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1] and _close(actual, expected.T):
        return "you returned the transpose: check the order of a matrix product or a .T"
    ratio = _constant_ratio(actual, expected)
    if ratio is not None:
        if batch_size == 2 and np.isclose(ratio, 2.0):
            return ("everything is 2x too large: a missing or extra factor 2, or a sum where a "
                    "mean belongs (2 is also the batch size here)")
        if batch_size and np.isclose(ratio, batch_size):
            return (f"everything is {batch_size}x too large, and {batch_size} is the batch "
                    "size: a sum where a mean belongs?")
        if batch_size and np.isclose(ratio, 1.0 / batch_size):
            return (f"everything is {batch_size}x too small, and {batch_size} is the batch "
                    "size: divided by the batch size once too often?")
        if np.isclose(ratio, 2.0) or np.isclose(ratio, 0.5):
            return f"everything is off by a factor {ratio:g}: a missing or extra factor 2?"
        return f"everything is off by the same factor {ratio:.4g}: a scale or constant is wrong"
    diff = actual - expected
    if diff.ndim >= 1 and diff.shape[batch_axis] > 1:
        first = np.take(diff, [0], axis=batch_axis)
        if np.allclose(diff, first, atol=1e-9) and np.abs(first).max() > 1e-9:
            return ("every example is off by the same amount: the error is in the bias "
                    "(missing, added twice, or the wrong one)")
    if np.allclose(diff, diff.flat[0], atol=1e-9):
        return "every entry is off by the same constant: check the bias or an added constant"
    return None
