"""Grade one collected submission: job folder, trusted pytest process, stream, scores, reports.

The graded tests run in a fresh ``python -m pytest`` (the *trusted* process: course tests and
grader only) with ``--kata-grade job.json``; the submission runs in sandboxed workers that this
process starts (see :mod:`.target`). Third-party pytest plugins are not auto-loaded (only
pytest-timeout and Hypothesis's), ``PYTEST_ADDOPTS`` is dropped, bytecode is not written, and
the process's temporary files go to the job folder. A wall-clock limit for the whole student
kills the process group; whatever the stream recorded until then is kept.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.grading import sandbox as isolation_modes
from grader.grading.channel import kill_uid
from grader.grading.collect import Submission
from grader.grading.job import Job
from grader.grading.recorder import HIDDEN_DIR
from grader.grading.scoring import StudentResult, failed_everything, read_stream, score
from grader.grading.workspace import prepare
from grader.manifest import Exercise, Manifest

GRADER_HOME = Path(__file__).resolve().parents[2]  # the folder that holds the grader package


@dataclass
class Options:
    exercises: list[Exercise]
    isolate: bool = True
    call_timeout: float = 10.0
    student_timeout: float = 1800.0
    timeouts_per_exercise: int = 2
    sandbox: str = "auto"
    limits: isolation_modes.Limits = field(default_factory=isolation_modes.Limits)
    hidden_feedback: bool = False
    keep_work: bool = False

    def fingerprint_data(self) -> dict:
        return {"exercises": [e.id for e in self.exercises], "isolate": self.isolate,
                "call_timeout": self.call_timeout, "student_timeout": self.student_timeout,
                "timeouts_per_exercise": self.timeouts_per_exercise, "sandbox": self.sandbox,
                "limits": asdict(self.limits), "hidden_feedback": self.hidden_feedback}


def test_files(manifest: Manifest, exercises: list[Exercise]) -> list[Path]:
    """Public and hidden test files of the chapters of ``exercises``.

    Hidden tests of a chapter live in ``tests/hidden/test_<module>_*.py`` (a basename that
    differs from the public file's, as pytest's default import mode requires).
    """
    files = []
    for chapter in sorted({e.chapter.id: e.chapter for e in exercises}.values(), key=lambda c: c.id):
        public = manifest.root / chapter.test_file
        if public.is_file():
            files.append(public)
        files.extend(sorted((manifest.root / HIDDEN_DIR).glob(f"test_{chapter.module}_*.py")))
    return files


def fingerprint(manifest: Manifest, submission: Submission, options: Options) -> str:
    """Changes when the submission, the options or the course's tests change."""
    digest = hashlib.sha256()
    digest.update(json.dumps(options.fingerprint_data(), sort_keys=True, default=str).encode())
    for name in sorted(submission.files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(submission.files[name]).digest())
    for path in test_files(manifest, options.exercises):
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _plugin_args() -> list[str]:
    args = []
    for module in ("pytest_timeout", "_hypothesis_pytestplugin"):
        if importlib.util.find_spec(module) is not None:
            args += ["-p", module]
    return args


def pytest_command(manifest: Manifest, job_path: Path, options: Options) -> list[str]:
    files = [str(p) for p in test_files(manifest, options.exercises)]
    selector = ",".join(e.id for e in options.exercises)
    return [sys.executable, "-m", "pytest", *files, "-p", "grader.grading.mode",
            f"--kata-grade={job_path}",
            f"--exercise={selector}", f"--rootdir={manifest.root}", "-p", "no:cacheprovider",
            f"--basetemp={job_path.parent / 'tmp' / 'base'}",
            *_plugin_args(), "-q", "--no-header", "-rN", "--color=no"]


def pytest_env(manifest: Manifest, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "PYTHON", "KATA_", "COV_", "HYPOTHESIS"))}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                "TMPDIR": str(work / "tmp"), "PYTHONPATH": os.pathsep.join(dict.fromkeys(
                    [str(manifest.root), str(GRADER_HOME)])),
                "KATA_ROOT": str(manifest.root)})
    return env


class Running:
    """The trusted pytest processes now running (so Ctrl-C can stop them all)."""

    def __init__(self):
        self.procs: dict[int, subprocess.Popen] = {}

    def kill_all(self) -> None:
        for proc in list(self.procs.values()):
            _kill_tree(proc)


def _kill_tree(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    uid = isolation_modes.UID_BASE + proc.pid
    if os.getuid() == 0:
        kill_uid(uid)  # workers of that test process, wherever they went


def grade_submission(manifest: Manifest, submission: Submission, out: Path, options: Options,
                     running: Running | None = None) -> StudentResult:
    """Grade one submission; never raises for anything the submission does."""
    started = time.monotonic()
    work = out / ".work" / submission.student
    if submission.problems and not submission.files:
        problem = "; ".join(submission.problems)
        return StudentResult(submission.student,
                             failed_everything(manifest, options.exercises, problem),
                             submission.report(), problem=problem)
    prepare(manifest, work, submission.files)
    job = Job(student=submission.student, work=str(work), isolate=options.isolate,
              call_timeout=options.call_timeout, timeouts_per_exercise=options.timeouts_per_exercise,
              sandbox=options.sandbox, limits=options.limits)
    job_path = job.save()
    problem = ""
    log = work / "pytest.log"
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(pytest_command(manifest, job_path, options), cwd=work,
                                env=pytest_env(manifest, work), stdin=subprocess.DEVNULL,
                                stdout=log_fh, stderr=subprocess.STDOUT, start_new_session=True)
        if running is not None:
            running.procs[proc.pid] = proc
        try:
            proc.wait(timeout=options.student_timeout)
        except subprocess.TimeoutExpired:
            problem = (f"grading took longer than {options.student_timeout:g} s and was stopped; "
                       "tests without a result score 0")
        finally:
            _kill_tree(proc)
            if running is not None:
                running.procs.pop(proc.pid, None)
    events = read_stream(job.stream)
    if not any(e.get("event") == "collected" for e in events):
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        problem = problem or f"the graded tests could not run (pytest exit {proc.returncode}):\n{tail}"
        exercises = failed_everything(manifest, options.exercises, "the graded tests could not run")
    else:
        exercises = score(manifest, options.exercises, events)
    isolation = next((e for e in reversed(events) if e.get("event") == "sandbox"), {})
    if isolation:
        isolation = {"mode": isolation.get("mode"), "notes": isolation.get("notes", []),
                     "weaker": isolation_modes.weaker(isolation.get("report", {}), isolation.get("mode")),
                     "report": isolation.get("report", {})}
    result = StudentResult(submission.student, exercises, submission.report(), isolation,
                           round(time.monotonic() - started, 3), problem)
    if not options.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return result
