"""What an autograder test cell calls, inside the student's kernel (stdlib only).

``check("01.1")`` hands the notebook's code (see "Which code" below) to a separate Python
process (:mod:`.harness`) that rebuilds the chapter module from it and runs
the exercise's graded tests; then it prints a summary and turns it into an nbgrader score:

- every test passes: returns the exercise's points (the cell's output);
- some pass: prints what fails and returns the share of points earned (partial credit);
- none pass, or the process crashed or ran out of time: raises :class:`TestsFailed`, whose
  message says why (nbgrader scores a cell that raises 0).

The separate process keeps the kernel's state out of the verdict: a cell that patches
``numpy.testing`` or pytest in the kernel, calls ``os._exit`` inside an exercise, or loops
forever changes nothing in the kernel's grading but that exercise's own result. The time limit
comes from ``settings.json`` and stays below nbgrader's per-cell timeout.

Which code: while a student works, what the kernel has run (IPython's ``In``: the last run of
each cell counts); while nbgrader grades or validates, the notebook file's code cells in order,
the same input ``kata grade`` reads. In that second case one process tests the exercise and
those after it, and the results are kept for the next test cells (keyed by a hash of the
learner's cells), so a notebook costs one test process, not one per exercise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from .process import for_exercise, run_tests, to_blame

HERE = Path(__file__).resolve().parent
# The graded tests' messages end with "next: read docs/chNN_x.md, or run `kata hint NN.M`": a
# notebook has neither, but holds the notes at its top and each exercise's hints above it.
KATA_NEXT = re.compile(r"next: read docs/\S+?\.md, or run `kata hint ([\d.]+)`")
NOTEBOOK_NEXT = r"next: re-read the notes at the top of this notebook, or open the hints of \1 above"


def for_notebook(message: str) -> str:
    """A graded test's message, with its pointers turned into the notebook's own."""
    return KATA_NEXT.sub(NOTEBOOK_NEXT, message)


class TestsFailed(AssertionError):
    """No test of the exercise passed; the message is the summary."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback through this module: the summary
        # is the whole story, and formatting a full traceback costs a second per cell.
        return [f"{type(self).__name__}: {self}"]


def history() -> list[str]:
    """The sources of the cells this kernel has run, oldest first (IPython's ``In``)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    return list(shell.history_manager.input_hist_parsed) if shell is not None else []


def notebook_cells(path: Path) -> list[str] | None:
    """The code cells of the notebook file at ``path``, in order, as IPython would run them."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        transform = TransformerManager().transform_cell
    except ImportError:
        def transform(text):
            return text
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get("source", "")
            text = text if isinstance(text, str) else "".join(text)
            try:
                sources.append(transform(text))
            except SyntaxError:
                sources.append(text)
    return sources


def graded_sources(settings: dict) -> tuple[list[str], bool]:
    """(cell sources, whether they are the whole notebook).

    While nbgrader grades or validates (it sets NBGRADER_EXECUTION), the notebook *file* beside
    this folder: every code cell in order, the rule ``kata grade`` applies to the same file.
    Otherwise (a student at work), what this kernel has run: the last run of each cell counts,
    saved or not.
    """
    if os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate"):
        sources = notebook_cells(HERE.parent / f"{settings['module']}.ipynb")
        if sources is not None:
            return sources, True
    return history(), False


def _key(sources: list[str], known: set[str]) -> str:
    """What the rebuilt module depends on: the learner's cells (the kata's own are skipped)."""
    mine = [s for s in sources if s.strip() and s.strip() not in known]
    return hashlib.sha256(json.dumps(mine).encode("utf-8")).hexdigest()


# (key, exercise) -> its outcome. One run tests this exercise and the ones after it, so the
# next test cells of an unchanged notebook answer at once instead of starting Python again.
_RESULTS: dict[tuple[str, str], dict] = {}


def results_for(exercise_id: str, settings: dict, sources: list[str], ahead: bool) -> dict:
    """The outcome of the exercise's tests on ``sources``; with ``ahead`` (a whole notebook,
    whose later cells are already known) the same run tests the exercises after it too."""
    key = _key(sources, {text.strip() for text in settings["known_cells"]})
    if (key, exercise_id) in _RESULTS:
        return _RESULTS[(key, exercise_id)]
    order = list(settings["exercises"])
    todo = [ex for ex in order[order.index(exercise_id):] if (key, ex) not in _RESULTS]
    todo = todo if ahead else [exercise_id]
    outcome = run_tests(todo, sources, float(settings["time_limit"]))
    mine = for_exercise(outcome, exercise_id)
    for ex in todo:
        part = for_exercise(outcome, ex)
        if part["complete"] and not part["problem"]:
            _RESULTS[(key, ex)] = part
        elif ahead and outcome["collected"] is not None:  # (at work, running it again retries)
            if to_blame(outcome, todo, ex, float(settings["time_limit"])):
                _RESULTS[(key, ex)] = part
            break  # the exercises after it did not run: their own cells run them
    return mine


def summarize(exercise_id: str, info: dict, outcome: dict) -> tuple[float, list[str]]:
    """(points earned, summary lines) of one exercise's run."""
    collected = outcome["collected"] or []
    status: dict[str, tuple[str, str]] = {}
    for record in outcome["records"]:  # a test's worst report wins (a teardown error, say)
        if record["test"] not in status or status[record["test"]][0] == "passed":
            status[record["test"]] = (record["status"], record["message"])
    passed = sum(1 for test, _ in collected if status.get(test, ("",))[0] == "passed")
    points = info["points"] * passed / len(collected) if collected else 0.0
    head = f"{exercise_id} {info['title']}"
    lines = []
    statuses = {s for s, _ in status.values()}
    if collected and statuses == {"not started"} and len(status) == len(collected):
        lines.append(f"{head}: not started. Replace the `raise NotImplementedError` in "
                     f"`{info['symbol']}` with your code, run that cell, then this one.")
        return 0.0, lines
    lines.append(f"{head}: {passed}/{len(collected)} tests pass, "
                 f"{points:.4g}/{info['points']:g} points")
    for test, label in collected:
        state, message = status.get(test, ("did not report", ""))
        if state != "passed":
            lines.append(f"  x {label}: {state}")
            lines.extend("    " + line for line in for_notebook(message).splitlines()
                         if line.strip())
    if outcome["problem"]:
        lines.append("  " + outcome["problem"].replace("\n", "\n  "))
    if not collected and not outcome["problem"]:
        lines.append("  no graded test of this exercise was found")
    return points, lines


def check(exercise_id: str):
    """Run the exercise's graded tests on this notebook's code: the test cells' one call."""
    settings = json.loads((HERE / "settings.json").read_text(encoding="utf-8"))
    info = settings["exercises"][exercise_id]
    outcome = results_for(exercise_id, settings, *graded_sources(settings))
    points, lines = summarize(exercise_id, info, outcome)
    if points <= 0:
        raise TestsFailed("\n".join(lines))
    print("\n".join(lines))
    return min(round(points, 4), float(info["points"]))  # nbgrader rejects more than the maximum
