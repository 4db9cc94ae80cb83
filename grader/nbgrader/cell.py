"""What an autograder test cell calls, inside the student's kernel (stdlib only).

``check("01.1")`` hands the code this kernel has run (IPython's input history, ``In``) to a
separate Python process (:mod:`.harness`) that rebuilds the chapter module from it and runs
the exercise's graded tests; then it prints a summary and turns it into an nbgrader score:

- every test passes: returns the exercise's points (the cell's output);
- some pass: prints what fails and returns the share of points earned (partial credit);
- none pass, or the process crashed or ran out of time: raises :class:`TestsFailed`, whose
  message says why (nbgrader scores a cell that raises 0).

The separate process keeps the kernel's state out of the verdict: a cell that patches
``numpy.testing`` or pytest in the kernel, calls ``os._exit`` inside an exercise, or loops
forever changes nothing in the kernel's grading but that exercise's own result. The time limit
comes from ``settings.json`` and stays below nbgrader's per-cell timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "grader" / "nbgrader" / "harness.py"


class TestsFailed(AssertionError):
    """No test of the exercise passed; the message is the summary."""


def history() -> list[str]:
    """The sources of the cells this kernel has run, oldest first (IPython's ``In``)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    return list(shell.history_manager.input_hist_parsed) if shell is not None else []


def _tail(path: Path, size: int = 1500) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - size))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def run_tests(exercise_id: str, sources: list[str], time_limit: float) -> dict:
    """Run the harness; returns {"collected", "records", "done", "problem"}."""
    with tempfile.TemporaryDirectory(prefix="kata-cell-") as scratch:
        scratch = Path(scratch)
        cells, results, log = scratch / "cells.json", scratch / "results.jsonl", scratch / "log.txt"
        cells.write_text(json.dumps(sources), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        command = [sys.executable, "-I", str(HARNESS), "--bundle", str(HERE),
                   "--exercise", exercise_id, "--cells", str(cells), "--results", str(results)]
        problem = ""
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    cwd=scratch, env=env, start_new_session=True)
            try:
                proc.wait(timeout=time_limit)
            except subprocess.TimeoutExpired:
                problem = (f"the tests did not finish within {time_limit:g} s (an endless loop?), "
                           "so the tests that had not reported count as failed")
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the process and anything it started
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
        outcome = {"collected": None, "records": [], "done": False, "problem": problem}
        if results.is_file():
            for line in results.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "collected" in record and outcome["collected"] is None:
                    outcome["collected"] = list(record["collected"])
                elif "test" in record:
                    outcome["records"].append(record)
                elif record.get("done"):
                    outcome["done"] = True
        if not outcome["done"] and not problem:
            outcome["problem"] = (f"the test process ended early (exit code {proc.returncode}) "
                                  "before reporting every test")
            detail = _tail(log)
            if outcome["collected"] is None and detail:
                outcome["problem"] += ":\n" + detail
        return outcome


def summarize(exercise_id: str, info: dict, outcome: dict) -> tuple[float, list[str]]:
    """(points earned, summary lines) of one exercise's run."""
    collected = outcome["collected"] or []
    status: dict[str, tuple[str, str]] = {}
    for record in outcome["records"]:  # a test's worst report wins (a teardown error, say)
        if record["test"] not in status or status[record["test"]][0] == "passed":
            status[record["test"]] = (record["status"], record["message"])
    passed = sum(1 for name in collected if status.get(name, ("",))[0] == "passed")
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
    for name in collected:
        state, message = status.get(name, ("did not report", ""))
        if state != "passed":
            lines.append(f"  x {name}: {state}")
            lines.extend("    " + line for line in message.splitlines() if line.strip())
    if outcome["problem"]:
        lines.append("  " + outcome["problem"].replace("\n", "\n  "))
    if not collected and not outcome["problem"]:
        lines.append("  no graded test of this exercise was found")
    return points, lines


def check(exercise_id: str):
    """Run the exercise's graded tests on this notebook's code: the test cells' one call."""
    __tracebackhide__ = True  # IPython shows the message, not this module's frames
    settings = json.loads((HERE / "settings.json").read_text(encoding="utf-8"))
    info = settings["exercises"][exercise_id]
    outcome = run_tests(exercise_id, history(), float(settings["time_limit"]))
    points, lines = summarize(exercise_id, info, outcome)
    if points <= 0:
        raise TestsFailed("\n".join(lines))
    print("\n".join(lines))
    return min(round(points, 4), float(info["points"]))  # nbgrader rejects more than the maximum
