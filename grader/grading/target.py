"""``GradingTarget``: the ``kata`` fixture's target when pytest runs with ``--kata-grade JOB``.

``load(exercise)`` returns a :class:`~grader.grading.proxy.RemoteModule` for the exercise's
chapter module, living in a child of the job's sandboxed worker; the test process itself never
imports the submission. Each exercise gets a fresh child (forked from the worker's zygote, so
about a millisecond), configured with:

- the student's package (``exercises``) from the job folder;
- with isolation (the default), the reference definitions of the exercise's prerequisites
  (``requires``, transitively), each extracted from ``solutions/`` with ``ast`` and spliced into
  the student's source: never the reference of the exercise under test, nor any other;
- with isolation, stub fallbacks for dependency chapters that fail to import.

Tests of one exercise share its child; the next exercise ends it (its leftover processes are
killed). After ``timeouts_per_exercise`` timeouts, an exercise's remaining tests fail at once
as timeouts, so a submission that loops everywhere costs bounded time.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from grader.grading.channel import (CallTimeout, GradingStop, Sandbox, become_subreaper,
                                    in_setup, raise_remote)
from grader.grading.job import Job
from grader.grading.proxy import Link
from grader.grading.recorder import Recorder
from grader.grading.sandbox import throwaway_uid
from grader.grading.share import SharedFolder
from grader.manifest import Exercise, Manifest
from grader.testing.borrow import prerequisites, reference_definition

PACKAGE = "exercises"


class GradingTarget:
    """A submission in a sandbox; see the module docstring."""

    def __init__(self, manifest: Manifest, job: Job):
        self.manifest = manifest
        self.job = job
        self.sandbox: Sandbox | None = None
        self.key: tuple | None = None
        self.timeouts: Counter = Counter()
        self.recorder: Recorder | None = None
        self.reported_generation = 0
        self.in_setup = False              # pytest is setting up a test's fixtures
        self.first_outcome: dict[str, tuple[str, str]] = {}  # exercise -> its first test's (status, message)

    @classmethod
    def from_job(cls, manifest: Manifest, path: Path, config) -> "GradingTarget":
        job = Job.load(path)
        target = cls(manifest, job)
        recorder = Recorder(job.stream, manifest.root)
        target.recorder = recorder
        config.pluginmanager.register(recorder, "kata-grading-recorder")
        config.pluginmanager.register(SharedTmp(target), "kata-grading-shared-tmp")
        config.pluginmanager.register(FirstOutcome(target), "kata-grading-first-outcome")
        config.add_cleanup(recorder.close)
        config.add_cleanup(target.close)
        become_subreaper()
        return target

    def describe(self) -> str:
        return f"submission {self.job.student} (sandboxed)"

    # -- the fixture's entry point ------------------------------------------------------------
    def load(self, exercise: Exercise, monkeypatch=None, inject_prereqs: bool = False):
        """Runs in the ``kata`` fixture's setup: a stop is raised as an ``Exception`` there
        (see :class:`~grader.grading.channel.CallTimeoutInSetup`)."""
        try:
            return self._load(exercise, self.job.isolate or inject_prereqs)
        except GradingStop as err:
            raise in_setup(err) from None

    def _load(self, exercise: Exercise, isolate: bool):
        first = self.first_outcome.get(exercise.id)
        if first is not None and first[0] == "not started":
            # Its first test reached the stub's NotImplementedError: the rest would too. Raised
            # here, at the student's line, without a round trip to the worker.
            where = re.search(r"\((exercises/ch\d\d_\w+\.py):(\d+)\)\s*$", first[1])
            raise_remote({"type": "NotImplementedError", "builtin": True,
                          "text": f"Exercise {exercise.id}: not started (its first test "
                                  "reached the stub)",
                          "at": {"file": where.group(1), "line": int(where.group(2))}
                          if where else None})
        if self.timeouts[exercise.id] >= self.job.timeouts_per_exercise:
            raise CallTimeout(f"{exercise.id}: not run, because {self.timeouts[exercise.id]} "
                              "earlier tests of this exercise timed out")
        link = self._link(exercise, isolate)

        def count_timeout(exercise_id=exercise.id):
            self.timeouts[exercise_id] += 1

        link.on_timeout = count_timeout
        return link.request("load", None, module=exercise.module)

    def _link(self, exercise: Exercise, isolate: bool) -> Link:
        prereqs = tuple(p.id for p in prerequisites(self.manifest, exercise)) if isolate else ()
        key = (exercise.id, prereqs, isolate)
        if self.sandbox is None:
            self.sandbox = Sandbox(self.job.folder, self.job.scratch, self.manifest.root,
                                   self.job.limits, self.job.sandbox, self.job.startup_timeout,
                                   self.job.share, self.job.wshare)
        link = self.sandbox.link
        if key == self.key and link is not None and link.usable:
            return link
        config = {"package": PACKAGE, "sub": "sub", "stubs": "stubs", "fallback": isolate,
                  "inject": self._inject(exercise, prereqs)}
        self.sandbox.spawn(config, self.job.startup_timeout)
        if self.recorder is not None and self.reported_generation != self.sandbox.generation:
            self.reported_generation = self.sandbox.generation
            self.recorder.sandbox(self.isolation)
        self.key = key
        self.sandbox.link = Link(self.sandbox, self.job.call_timeout,
                                 in_setup=lambda: self.in_setup)
        return self.sandbox.link

    def _inject(self, exercise: Exercise, prereq_ids: tuple[str, ...]) -> dict:
        inject: dict[str, list[list[str]]] = {}
        for prereq_id in prereq_ids:
            prereq = self.manifest.exercise(prereq_id)
            if prereq.id == exercise.id:  # never the reference of what is being graded
                continue
            inject.setdefault(prereq.module, []).append(
                [prereq.symbol, reference_definition(self.manifest.root, prereq.module, prereq.symbol)])
        return inject

    @property
    def isolation(self) -> dict:
        """The worker's own report of its confinement (after the first start)."""
        if self.sandbox is None or self.sandbox.launch is None:
            return {}
        return {"mode": self.sandbox.launch.mode, "report": self.sandbox.report,
                "notes": self.sandbox.launch.notes}

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.recorder is not None:
            self.recorder.cpu(self.sandbox.worker_cpu if self.sandbox is not None else 0.0)


class FirstOutcome:
    """Remembers how each exercise's first test ended (see ``GradingTarget._load``)."""

    def __init__(self, target: "GradingTarget"):
        self.target = target

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        exercise_id, status = props.get("kata_exercise"), props.get("kata_status")
        if exercise_id is None or status is None or exercise_id in self.target.first_outcome:
            return
        self.target.first_outcome[exercise_id] = (str(status), str(props.get("kata_message", "")))


class SharedTmp:
    """Lets the submission use a test's ``tmp_path`` (see :mod:`grader.grading.share`).

    With bubblewrap the worker gets its own copy, kept in step around each call. Without, the
    folder is handed to the worker's uid (Landlock forbids links and special files there) and
    its parents become traversable (not listable).
    """

    def __init__(self, target: "GradingTarget"):
        self.target = target
        self.share = target.job.share.resolve()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        """Fixtures are being set up: a stop raised into one is an ``Exception`` (see
        :class:`~grader.grading.channel.CallTimeoutInSetup`)."""
        self.target.in_setup = True
        try:
            yield
        finally:
            self.target.in_setup = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item) -> None:
        path = item.funcargs.get("tmp_path") if hasattr(item, "funcargs") else None
        sandbox = self.target.sandbox
        if path is None or sandbox is None or sandbox.launch is None:
            return
        path = Path(path).resolve()
        if not path.is_relative_to(self.share):
            return
        uid = throwaway_uid()
        if sandbox.launch.mode == "bwrap":
            sandbox.shared = SharedFolder(self.share, self.target.job.wshare, uid)
            sandbox.shared.begin(path)
            return
        if uid is None:
            return
        os.chown(path, uid, uid)
        for parent in path.parents:
            if not parent.is_relative_to(self.share) or parent == self.share:
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)

    def pytest_runtest_teardown(self, item) -> None:
        if self.target.sandbox is not None:
            self.target.sandbox.shared = None
