"""Teaching assertions: every failure says what, where, by how much, why, and what next.

Graded tests get a :class:`Checker` bound to their exercise through the ``check`` fixture::

    def test_value(kata, check):
        out = kata.neuron_output(x, w, b)
        check.close(out, expected, "neuron_output(inputs, weights, bias)")

A failure reads like::

    01.1 One neuron: neuron_output(inputs, weights, bias) is wrong
      worst entry [2]: got 4.5, expected 2.3 (error 2.2, allowed 2.3e-07)
      pattern: every entry is off by the same constant 2.2
      next: read docs/ch01_neurons.md, or run `kata hint 01.1`

A "likely cause:" line appears only when its pattern explains the whole error; otherwise a
"pattern:" line states what is seen (``fingerprints.py``). Tolerances come from the exercise's
manifest entry; tests do not scatter their own.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.testing import ledger
from grader.testing.fingerprints import Diagnosis, diagnose
from grader.testing.gradcheck import numerical_gradient
from grader.testing.values import same_value
from grader.manifest import Exercise


class KataAssertion(AssertionError):
    """A graded check failed; the message is written for the learner."""


def _fmt(value) -> str:
    text = np.array2string(np.asarray(value), precision=6, threshold=12, edgeitems=2)
    return text.replace("\n", "\n           ")  # align continuation rows under "got"


class Checker:
    def __init__(self, exercise: Exercise):
        self.exercise = exercise

    # -- message plumbing --------------------------------------------------------------
    def fail(self, headline: str, *details: str) -> None:
        __tracebackhide__ = True
        ex = self.exercise
        lines = [f"{ex.id} {ex.title}: {headline}", *("  " + d for d in details if d)]
        lines.append(f"  next: read docs/{ex.module}.md, or run `kata hint {ex.id}`")
        raise KataAssertion("\n".join(lines))

    def array(self, value, quantity: str) -> np.ndarray:
        """``value`` as a float array, or a failure that says what came back instead."""
        __tracebackhide__ = True
        if value is None:
            self.fail(f"{quantity} returned None", "did you forget a `return`?")
        if isinstance(value, tuple):
            self.fail(f"{quantity} returned a tuple of {len(value)}, expected one array",
                      "return the array itself (or check which element the docstring asks for)")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            self.fail(f"{quantity} returned {type(value).__name__}, expected numbers")
        return arr

    # -- checks ------------------------------------------------------------------------
    def shape(self, value, expected_shape: tuple, quantity: str) -> np.ndarray:
        __tracebackhide__ = True
        arr = self.array(value, quantity)
        expected_shape = tuple(expected_shape)
        if arr.shape != expected_shape:
            hint = diagnose(arr, np.zeros(expected_shape))
            self.fail(f"{quantity} has shape {arr.shape}, expected {expected_shape}",
                      f"{hint.label}: {hint}" if hint else "")
        return arr

    def close(self, value, expected, quantity: str, *, rtol: float | None = None,
              atol: float | None = None, batch_size: int | None = None,
              suspects: dict[str, object] | None = None) -> np.ndarray:
        """``value`` equals ``expected`` within the exercise's tolerance, entry by entry.

        ``suspects`` maps a known mistake ("the bias is missing") to the value that mistake would
        produce here; when the wrong answer matches one, the message names it.
        """
        __tracebackhide__ = True
        expected = np.asarray(expected, dtype=float)
        called = ledger.lookup(value)  # the call that returned `value`, if the test made it
        arr = self.shape(value, expected.shape, quantity)
        rtol = self.exercise.rtol if rtol is None else rtol
        atol = self.exercise.atol if atol is None else atol
        allowed = atol + rtol * np.abs(expected)
        error = np.abs(arr - expected)
        bad = ~(error <= allowed)  # NaN counts as bad
        if not bad.any():
            return arr
        index = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf) - allowed,
                                                    -np.inf)), arr.shape) if arr.ndim else ()
        index = tuple(int(i) for i in index)
        where = f"entry [{', '.join(map(str, index))}]" if arr.ndim else "value"
        hint = diagnose(arr, expected, batch_size=batch_size,
                        context=called[1] if called else None)
        for description, wrong in (suspects or {}).items():
            wrong = np.asarray(wrong, dtype=float)
            if wrong.shape == arr.shape and np.allclose(arr, wrong, rtol=1e-9, atol=1e-12):
                hint = Diagnosis(f"this is exactly what you get when {description}")
                break
        cause = f"{hint.label}: {hint}" if hint else ""
        if arr.size == 1:
            self.fail(f"{quantity} is wrong",
                      f"got {arr[index]:.8g}, expected {expected[index]:.8g} "
                      f"(error {error[index]:.3g}, allowed {allowed[index]:.3g})", cause)
        self.fail(
            f"{quantity} is wrong ({int(bad.sum())} of {arr.size} entries off)",
            f"worst {where}: got {arr[index]:.8g}, expected {expected[index]:.8g} "
            f"(error {error[index]:.3g}, allowed {allowed[index]:.3g})",
            f"got      {_fmt(arr)}" if arr.size <= 12 else "",
            f"expected {_fmt(expected)}" if arr.size <= 12 else "",
            cause,
        )

    def true(self, condition: bool, headline: str, *details: str) -> None:
        """A property that must hold (invariance, statistics, determinism)."""
        __tracebackhide__ = True
        if not bool(condition):
            self.fail(headline, *details)

    def raises(self, error: type[Exception], call: Callable[[], object], what: str,
               mentions: tuple[str, ...] = ()) -> Exception:
        """``call()`` must raise ``error`` whose text names each of ``mentions``."""
        __tracebackhide__ = True
        try:
            call()
        except NotImplementedError:
            raise  # an untouched stub: reported as "not started", not as a wrong error
        except error as err:
            text = str(err)
            missing = [m for m in mentions if m not in text]
            if missing:
                self.fail(f"{what}: the {error.__name__} should name {', '.join(missing)}",
                          f"its message was: {text!r}",
                          "a good error names the argument, what was expected and what came")
            return err
        except Exception as err:  # noqa: BLE001 - any other error is the learner's to see
            self.fail(f"{what}: raised {type(err).__name__}({err}), expected {error.__name__}",
                      "check the input yourself and raise a clear error before computing")
        self.fail(f"{what}: nothing was raised, expected {error.__name__}",
                  "validate the shapes first and raise with a message that names the argument")

    def gradients(self, forward: Callable[..., np.ndarray], inputs: dict[str, np.ndarray],
                  analytic: dict[str, np.ndarray], upstream: np.ndarray, quantity: str,
                  batch_size: int | None = None) -> None:
        """Analytic gradients match central differences of ``sum(forward(**inputs) * upstream)``.

        Use a *random* ``upstream`` (an all-ones one hides bugs that cancel on summing) and
        check every input and parameter.
        """
        __tracebackhide__ = True
        for name, x in inputs.items():
            if name not in analytic:
                continue
            numeric = numerical_gradient(lambda v, n=name: forward(**{**inputs, n: v}),
                                         x, upstream)
            self.close(analytic[name], numeric, f"gradient d{name} of {quantity}",
                       rtol=self.exercise.grad_rtol, atol=self.exercise.grad_atol,
                       batch_size=batch_size)

    def deterministic(self, call: Callable[[], object], quantity: str) -> object:
        """``call()`` twice gives the same answer: no state kept between calls.

        The call contracts repeat cheap plain functions by themselves; use this for methods
        and for calls that take objects (``lambda: model.forward(x)`` in eval mode).
        """
        __tracebackhide__ = True
        first, second = call(), call()
        same = same_value(first, second)
        self.true(same, f"{quantity}: calling it twice gave different answers",
                  f"first: {_fmt(first) if not isinstance(first, tuple) else first}",
                  f"second: {_fmt(second) if not isinstance(second, tuple) else second}",
                  "something keeps state between calls (a global, a default argument such as "
                  "cache=[], or an attribute changed where only a read belongs)")
        return first

    def steps_once(self, obj, step: Callable[[], object], counter: str, quantity: str,
                   by: int = 1) -> None:
        """One ``step()`` moves ``obj.<counter>`` by exactly ``by``: state changes once per step."""
        __tracebackhide__ = True
        before = getattr(obj, counter)
        step()
        after = getattr(obj, counter)
        self.true(after == before + by,
                  f"{quantity}: {counter} went from {before} to {after} in one step, expected "
                  f"{before + by}",
                  f"state changes exactly once per step: `self.{counter} += {by}` once, at the "
                  "end of the step, and nowhere else")

