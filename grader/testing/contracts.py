"""Contracts checked on every call a graded test makes into the code under test.

The ``kata`` fixture wraps each exercise's function or method (its manifest ``symbol``, and
those of earlier exercises the chapter's module exposes) before handing the module to the test.
When the *test* calls one (calls the learner's code makes to its own functions are not checked
again), the wrapper checks, after the call:

==========  ==================================================================================
mutation    no argument was changed in place: arrays, arrays inside tuples/lists/dicts (the
            cache handed back to a backward), array attributes of objects passed in
alias       the result shares no memory with an argument (a forward's cache may hold them)
dtype       a floating result has the dtype of the floating arrays that came in (float64 in,
            float64 out; float32 in, float32 out; when they disagree, one of theirs); integer
            labels stay integers
repeat      a plain function called again on copies of the same arguments gives the same
            answer (no state kept between calls); once per test, for calls under REPEAT_BUDGET
step        ``step()`` of an object with an ``iterations`` counter adds exactly one
==========  ==================================================================================

and an exception raised inside the learner's code is tagged with the call, so the failure
shows the learner's own line and what the exercise is about (:func:`explain_exception`).

Exceptions are declared once per exercise in ``curriculum.toml``
(``contracts = {mutates = ["model"], aliases = [...], skip = ["repeat"]}``). The sandboxed
grading mode passes values across a process boundary, so there only dtype, repeat, step and the
exception context apply (an in-place change there never reaches the test's arrays anyway).
"""

from __future__ import annotations

import functools
import inspect
import time
import types

import numpy as np

from grader.manifest import Exercise, Manifest
from grader.testing import ledger
from grader.testing.values import arrays_in, copy_data, is_plain_data, same_value
from grader.testing.checks import Checker
from grader.testing.contract_messages import (alias_failure, dtype_failure, label_failure,
                                              mutation_failure, repeat_failure, step_failure)

REPEAT_BUDGET = 0.01  # CPU seconds: a call slower than this is not repeated (keeps tests fast)
_ACTIVE = [0]  # wrapped calls in progress: only the outermost (the test's own call) is checked


# -- one wrapped symbol ----------------------------------------------------------------------
class Call:
    """What the wrapper knows about the symbol it guards."""

    def __init__(self, fn, exercise: Exercise, test_exercise: Exercise, *, method: bool,
                 remote: bool = False):
        self.fn = fn
        self.exercise = exercise
        self.test_exercise = test_exercise
        self.method = method
        self.remote = remote
        self.name = exercise.symbol.rsplit(".", 1)[-1]
        self.is_init = self.name == "__init__"
        self.repeated = False
        self.is_step = method and self.name == "step"
        self.result_only = self.name.endswith("forward")  # (out, cache): the cache may alias
        self._signature: inspect.Signature | None | bool = False  # computed on the first call
        declared = exercise.contracts
        self.skip = set(declared.skip) | ({"mutation", "alias"} if remote else set())
        self.mutates, self.aliases = set(declared.mutates), set(declared.aliases)

    def checker(self) -> Checker:
        return Checker(self.exercise)

    @property
    def signature(self) -> inspect.Signature | None:
        if self._signature is False:
            try:
                self._signature = inspect.signature(self.fn)
            except (TypeError, ValueError):
                self._signature = None
        return self._signature

    def named(self, args, kwargs) -> list[tuple[str, object]]:
        """The arguments by parameter name (``self`` left out)."""
        if self.signature is not None:
            try:
                bound = self.signature.bind(*args, **kwargs)
                items = list(bound.arguments.items())
                return items[1:] if self.method else items
            except TypeError:
                pass
        items = [(f"argument {i + 1}", a) for i, a in enumerate(args[1:] if self.method else args)]
        return items + list(kwargs.items())

    def describe(self, named) -> str:
        parts = []
        for name, value in named:
            if isinstance(value, np.ndarray):
                parts.append(f"{name}: {value.dtype} {value.shape}")
            else:
                parts.append(name)
        owner = self.exercise.symbol
        return f"{owner}({', '.join(parts)})"


def wrap(fn, call: Call):
    @functools.wraps(fn)
    def contracted(*args, **kwargs):
        if _ACTIVE[0]:
            return fn(*args, **kwargs)
        _ACTIVE[0] += 1
        try:
            return _checked(call, args, kwargs)
        finally:
            _ACTIVE[0] -= 1

    contracted.__kata_contract__ = call
    return contracted


def _checked(call: Call, args, kwargs):
    __tracebackhide__ = True
    named = call.named(args, kwargs)
    snapshot = []
    if "mutation" not in call.skip:
        for name, value in named:
            if name not in call.mutates:
                snapshot.extend((name, path, arr, arr.copy()) for path, arr in arrays_in(value, name))
    counter = getattr(args[0], "iterations", None) if call.is_step and "step" not in call.skip else None
    started = time.process_time()
    try:
        result = call.fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - tagged for the failure message, then re-raised
        if not isinstance(err, (AssertionError, NotImplementedError)):
            tag(err, call, named)
        raise
    elapsed = time.process_time() - started
    for name, path, arr, before in snapshot:
        if arr.shape != before.shape or not np.array_equal(arr, before, equal_nan=True):
            mutation_failure(call, name, path, before, arr)
    if call.is_init:
        return result
    if "alias" not in call.skip:
        _check_alias(call, named, result)
    if "dtype" not in call.skip:
        _check_dtype(call, named, args[0] if call.method else None, result)
    if isinstance(counter, int) and not isinstance(counter, bool):
        after = getattr(args[0], "iterations", None)
        if after != counter + 1:
            step_failure(call, counter, after)
    if ("repeat" not in call.skip and not call.method and not call.repeated
            and elapsed < REPEAT_BUDGET and all(is_plain_data(v) for _, v in named)):
        call.repeated = True  # once per test and symbol: state kept between calls shows at once
        again = call.fn(*copy_data(list(args)), **copy_data(dict(kwargs)))
        if not same_value(result, again):
            repeat_failure(call, named, result, again)
    arguments = dict(named)
    for _, out in arrays_in(result, "result", objects=False):
        ledger.record(out, call.exercise.symbol, arguments)
    return result


def _results(call: Call, result):
    if call.result_only and isinstance(result, tuple) and len(result) >= 2:
        return arrays_in(result[0], "result[0]", objects=False)
    return arrays_in(result, "result", objects=False)


def _check_alias(call: Call, named, result) -> None:
    inputs = [(name, path, arr) for name, value in named if name not in call.aliases
              for path, arr in arrays_in(value, name) if arr.size]
    if not inputs:
        return
    for out_path, out in _results(call, result):
        if not out.size:
            continue
        for name, path, arr in inputs:
            if np.may_share_memory(out, arr):
                try:
                    shared = np.shares_memory(out, arr, max_work=10_000)
                except np.exceptions.TooHardError:
                    shared = True
                if shared:
                    alias_failure(call, name, path, out_path, out is arr)


def _floating(dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def _check_dtype(call: Call, named, owner, result) -> None:
    inputs = [(path, arr.dtype) for name, value in named for path, arr in arrays_in(value, name)]
    if owner is not None:
        inputs += [(path, arr.dtype) for path, arr in arrays_in(owner, "self", depth=3)]
    floating = [dt for _, dt in inputs if _floating(dt)]
    # An explicit dtype argument (a sampler that draws its own x in float32) is an input too.
    floating += [np.dtype(value) for name, value in named if name == "dtype" and value is not None]
    outputs = list(arrays_in(result, "result", objects=False))
    if isinstance(result, np.floating):
        outputs.append(("result", np.asarray(result)))
    if floating:
        # float64 in, float64 out; float32 in, float32 out. When the floating inputs disagree
        # (float32 data with a float64 schedule or weights), either of their dtypes will do.
        allowed = {np.dtype(dt) for dt in floating}
        for path, out in outputs:
            if _floating(out.dtype) and out.dtype not in allowed:
                expected = " or ".join(sorted(str(dt) for dt in allowed))
                dtype_failure(call, [(p, dt) for p, dt in inputs if _floating(dt)], path, out.dtype,
                              expected)
    labels = [value for _, value in named
              if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer)]
    for path, out in outputs:
        if not (_floating(out.dtype) and out.ndim == 1 and out.size > 1):
            continue
        whole = bool(np.all(np.isfinite(out))) and bool(np.all(out == np.round(out)))
        if not whole:
            continue
        if labels and set(np.unique(out).tolist()) <= set(np.unique(np.concatenate(
                [lab.ravel() for lab in labels])).tolist()):
            label_failure(call, path, out.dtype, from_input=True)
        elif not floating and len(np.unique(out)) > 1 and out.min() >= 0:
            label_failure(call, path, out.dtype, from_input=False)


# -- exceptions ------------------------------------------------------------------------------
def tag(err: BaseException, call: Call, named) -> None:
    if getattr(err, "_kata_call", None) is None:
        try:
            err._kata_call = (call.exercise, call.describe(named))
        except (AttributeError, TypeError):  # an exception type that takes no attributes
            pass


# -- installing ------------------------------------------------------------------------------
def _claims(manifest: Manifest, exercise: Exercise) -> list[Exercise]:
    """Exercises whose symbols a test of ``exercise`` may reach: its chapter first, then back."""
    chapter = exercise.sort_key[0]
    earlier = [ex for ex in manifest.exercises if ex.sort_key[0] <= chapter]
    return sorted(earlier, key=lambda ex: (-ex.sort_key[0], ex.sort_key[1]))


def install(module, exercise: Exercise, manifest: Manifest, monkeypatch, *,
            remote: bool = False) -> None:
    """Wrap, for this test, every exercise symbol ``module`` exposes (see the module docstring)."""
    ledger.clear()
    done: set = set()
    for ex in _claims(manifest, exercise):
        if remote and (ex.chapter.id != exercise.chapter.id or "." in ex.symbol):
            continue  # each lookup is a round trip to the sandbox; stand-in classes forward methods
        if "." not in ex.symbol:
            if ex.symbol in done:
                continue
            fn = getattr(module, ex.symbol, None) if remote else module.__dict__.get(ex.symbol)
            plain = isinstance(fn, types.FunctionType) or (remote and callable(fn)
                                                             and not isinstance(fn, type))
            if not plain or hasattr(fn, "__kata_contract__"):
                continue
            done.add(ex.symbol)
            wrapped = wrap(fn, Call(fn, ex, exercise, method=False, remote=remote))
            if remote:  # only the local view: setting an attribute would reach the sandbox
                monkeypatch.setitem(object.__getattribute__(module, "__dict__"), ex.symbol, wrapped)
            else:
                monkeypatch.setattr(module, ex.symbol, wrapped)
            continue
        cls_name, _, meth = ex.symbol.rpartition(".")
        cls = module.__dict__.get(cls_name)
        if not isinstance(cls, type):
            continue
        owner = next((k for k in cls.__mro__ if meth in k.__dict__), None)
        fn = owner.__dict__[meth] if owner is not None else None
        if not isinstance(fn, types.FunctionType) or (owner, meth) in done:
            continue
        if hasattr(fn, "__kata_contract__"):
            continue
        done.add((owner, meth))
        monkeypatch.setattr(owner, meth, wrap(fn, Call(fn, ex, exercise, method=True)))
