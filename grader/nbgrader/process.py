"""The test cells' separate process, seen from the kernel: start it, stop it, read its results.

:func:`run_tests` starts :mod:`.harness` with ``python -I`` in its own session, gives it the
cell sources, and kills its whole process group at the time limit. The harness streams one
JSON line per test, so the results of tests that finished survive a crash or a timeout. Stdlib
only: a copy of this file travels in every assignment's ``kata_tests/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "grader" / "nbgrader" / "harness.py"


def _tail(path: Path, size: int = 1500) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - size))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def run_tests(exercise_ids: list[str], sources: list[str], time_limit: float) -> dict:
    """Run the harness on ``exercise_ids``; returns the raw outcome::

        {"collected": [[exercise, test id, label], ...] or None, "records": [...],
         "done": bool, "problem": "" or why the process did not finish}
    """
    with tempfile.TemporaryDirectory(prefix="kata-cell-") as scratch:
        scratch = Path(scratch)
        cells, results, log = scratch / "cells.json", scratch / "results.jsonl", scratch / "log.txt"
        cells.write_text(json.dumps(sources), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        command = [sys.executable, "-I", str(HARNESS), "--bundle", str(HERE), "--exercise",
                   ",".join(exercise_ids), "--cells", str(cells), "--results", str(results)]
        problem, timed_out = "", False
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    cwd=scratch, env=env, start_new_session=True)
            try:
                proc.wait(timeout=time_limit)
            except subprocess.TimeoutExpired:
                timed_out = True
                problem = (f"the tests did not finish within {time_limit:g} s (an endless loop?); "
                           "tests that had not reported count as failed")
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the process and anything it started
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
        outcome = {"collected": None, "records": [], "done": False, "problem": problem,
                   "timed_out": timed_out, "ended": time.time(), "started": None}
        if results.is_file():
            for line in results.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "collected" in record and outcome["collected"] is None:
                    outcome["collected"] = [list(entry) for entry in record["collected"]]
                    outcome["started"] = record.get("t")
                elif "test" in record:
                    outcome["records"].append(record)
                elif record.get("done"):
                    outcome["done"] = True
        if not outcome["done"] and not problem:
            outcome["problem"] = (f"the test process ended early (exit code {proc.returncode}) "
                                  "before every test had reported")
            detail = _tail(log)
            if outcome["collected"] is None and detail:
                outcome["problem"] += ":\n" + detail
        return outcome


def for_exercise(outcome: dict, exercise_id: str) -> dict:
    """The part of a run's outcome that concerns one exercise; complete when all its tests
    reported (then the run's problem, which came later, is not this exercise's)."""
    collected = [(test, label) for ex, test, label in outcome["collected"] or []
                 if ex == exercise_id]
    records = [r for r in outcome["records"] if r.get("exercise") == exercise_id]
    reported = {r["test"] for r in records}
    complete = outcome["collected"] is not None and all(t in reported for t, _ in collected)
    return {"collected": collected if outcome["collected"] is not None else None,
            "records": records, "complete": complete or outcome["done"],
            "problem": "" if complete else outcome["problem"]}


def to_blame(outcome: dict, todo: list[str], exercise_id: str, time_limit: float) -> bool:
    """Whether the first unfinished exercise of a run caused the crash or timeout itself:
    a crash always; a timeout when it ran first or used at least half the time on its own
    (else the exercises before it used the time, and its own cell runs it again)."""
    if not outcome["timed_out"] or exercise_id == todo[0]:
        return True
    before = [r["t"] for r in outcome["records"]
              if r.get("exercise") in todo[: todo.index(exercise_id)] and "t" in r]
    started = max(before, default=outcome["started"] or outcome["ended"])
    return outcome["ended"] - started >= time_limit / 2
