"""Run graded tests in-process and get their results back as plain records.

The ``kata`` command never parses pytest's terminal output: it runs pytest with the plugin's
``--kata-report`` option and reads the JSON records (one per test: exercise, status, message,
points). pytest's own output is captured and shown only when pytest itself failed to run.

The learner's runs (:func:`run_exercises`) start pytest lean: no setuptools plugin autoload
(pytest-timeout is loaded by name), plain asserts (graded tests assert through the ``check``
fixture), and only the test files of the exercises asked for. ``kata check`` folds its verdicts
into one session with :mod:`grader.testing.focus`.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
BORROWED = "borrowed"  # the target of records made with borrowed prerequisites


@dataclass
class RunResult:
    exit_code: int
    records: list[dict]
    output: str  # pytest's captured terminal output

    def for_exercise(self, exercise_id: str) -> list[dict]:
        """The exercise's records on the code under test itself (never borrowed code)."""
        return [r for r in self.records if r["exercise"] == exercise_id and r["target"] != BORROWED]

    def borrowed(self, exercise_id: str) -> list[dict]:
        """The exercise's records with borrowed prerequisites (see grader.testing.focus)."""
        return [r for r in self.records if r["exercise"] == exercise_id and r["target"] == BORROWED]

    @property
    def crashed(self) -> bool:
        return self.exit_code not in RAN


def run_pytest(manifest: Manifest, args: list[str], *, quiet: bool = True,
               autoload: bool = True) -> RunResult:
    """``pytest ARGS --kata-report tmp`` at the repository root; returns the records.

    ``autoload=False``: no setuptools-registered plugin is loaded but pytest-timeout."""
    root = manifest.root
    with tempfile.TemporaryDirectory(prefix="kata-") as scratch:
        report = Path(scratch) / "report.json"
        argv = [*args, f"--rootdir={root}", f"--kata-report={report}", "-q", "--no-header",
                "-p", "no:cacheprovider"]
        if not autoload:  # and no full garbage collections at exit to look for unraisables
            argv += ["-p", "no:unraisableexception"]
            argv += ["-p", "pytest_timeout"] if importlib.util.find_spec("pytest_timeout") else []
        buffer = io.StringIO()
        cwd = os.getcwd()
        saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        try:
            os.chdir(root)
            if not autoload:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
            if quiet:
                with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                    code = pytest.main(argv)
            else:
                code = pytest.main(argv)
        finally:
            os.chdir(cwd)
            if saved is None:
                os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
        records = json.loads(report.read_text())["tests"] if report.is_file() else []
    return RunResult(int(code), records, buffer.getvalue())


def run_exercises(manifest: Manifest, exercises: list[Exercise], extra: list[str] = (), *,
                  focus: Exercise | None = None, borrow: bool = False) -> RunResult:
    """The graded tests of ``exercises`` against the learner's code.

    With ``focus`` (one of ``exercises``): ``kata check``'s session (:mod:`grader.testing.focus`),
    ``borrow`` meaning that the focus runs with borrowed prerequisites."""
    files = sorted({str(manifest.root / ex.chapter.test_file) for ex in exercises})
    selector = ",".join(ex.id for ex in exercises)
    args = [*files, f"--exercise={selector}", "--assert=plain", "--tb=line", *extra]
    if focus is not None:
        args += ["-p", "grader.testing.focus", f"--kata-focus={focus.id}"]
        args += ["--kata-borrow"] if borrow else []
    return run_pytest(manifest, args, autoload=False)


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
