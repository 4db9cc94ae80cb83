"""Run graded tests in-process and get their results back as plain records.

The ``kata`` command never parses pytest's terminal output: it runs pytest with the plugin's
``--kata-report`` option and reads the JSON records (one per test: exercise, status, message,
points). pytest's own output is captured and shown only when pytest itself failed to run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.manifest import Exercise, Manifest

# pytest exit codes that mean "the tests ran" (0: all passed, 1: some failed)
RAN = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


@dataclass
class RunResult:
    exit_code: int
    records: list[dict]
    output: str  # pytest's captured terminal output

    def for_exercise(self, exercise_id: str) -> list[dict]:
        return [r for r in self.records if r["exercise"] == exercise_id]

    @property
    def crashed(self) -> bool:
        return self.exit_code not in RAN


def run_pytest(manifest: Manifest, args: list[str], *, quiet: bool = True) -> RunResult:
    """``pytest ARGS --kata-report tmp`` at the repository root; returns the records."""
    root = manifest.root
    with tempfile.TemporaryDirectory(prefix="kata-") as scratch:
        report = Path(scratch) / "report.json"
        argv = [*args, f"--rootdir={root}", f"--kata-report={report}", "-q", "--no-header",
                "-p", "no:cacheprovider"]
        buffer = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(root)
            if quiet:
                with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                    code = pytest.main(argv)
            else:
                code = pytest.main(argv)
        finally:
            os.chdir(cwd)
        records = json.loads(report.read_text())["tests"] if report.is_file() else []
    return RunResult(int(code), records, buffer.getvalue())


def run_exercises(manifest: Manifest, exercises: list[Exercise], extra: list[str] = ()) -> RunResult:
    """The graded tests of ``exercises`` against the learner's code."""
    files = sorted({str(manifest.root / ex.chapter.test_file) for ex in exercises})
    selector = ",".join(ex.id for ex in exercises)
    return run_pytest(manifest, [*files, f"--exercise={selector}", *extra])


def summarize(records: list[dict]) -> str:
    """One status for an exercise from its test records: passed, failed or not started."""
    if not records:
        return "no tests"
    statuses = {r["status"] for r in records} - {"passed"}
    if not statuses:
        return "passed"
    if "not started" in statuses:
        return "not started"
    if all(s.startswith("blocked") for s in statuses):
        return sorted(statuses)[0]  # "blocked by NN.M"
    return "failed"
