"""Grade one collected submission: job folder, trusted pytest process, stream, scores, reports.

The graded tests run in a fresh ``python -m pytest`` (the *trusted* process: course tests and
grader only) with ``--kata-grade job.json``; the submission runs in sandboxed workers that this
process starts (see :mod:`.target`). Third-party pytest plugins are not auto-loaded (only
pytest-timeout and Hypothesis's), ``PYTEST_ADDOPTS`` is dropped, bytecode is not written, and
the process's temporary files go to the job folder. A wall-clock limit for the whole student
kills the process group; whatever the stream recorded until then is kept.

Unfinished work is cheapest: a chapter whose file the student did not send, or sent exactly as
the course's stub (byte for byte), cannot do anything but raise its stubs' NotImplementedError,
so its exercises are *not started* without running anything; their tests' names come from one
``--collect-only`` run of the course's tests per batch (:func:`collected_tests`, cached). Only
the other chapters' tests run, in the trusted process and the sandbox.
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
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.grading import sandbox as isolation_modes
from grader.grading.channel import kill_uid
from grader.grading.collect import Submission
from grader.grading.job import Job
from grader.grading.recorder import HIDDEN_DIR
from grader.grading.scoring import StudentResult, failed_everything, read_stream, score
from grader.grading.workspace import course_stubs, prepare
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
            *_plugin_args(), "-q", "--no-header", "-rN", "--color=no",
            # Python's own traceback format: pytest's default re-parses a test file's source
            # for every entry of every failure (seconds for a half-done submission); scores
            # and messages never come from it (pytest.log is for the instructor's debugging).
            "--tb=native",
            # Nothing to capture (the submission's output never reaches this process) and no
            # log, JUnit or pastebin reports: each costs a little in every one of ~1,000 phases.
            "--capture=no", "-p", "no:logging", "-p", "no:junitxml", "-p", "no:pastebin",
            "-p", "no:stepwise"]


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


def untouched_chapters(manifest: Manifest, files: dict[str, bytes],
                       stubs: dict[str, bytes]) -> set[str]:
    """Chapters whose file is missing from ``files`` or byte for byte the course's stub."""
    found = set()
    for chapter in manifest.chapters:
        name = f"{chapter.module}.py"
        if name in stubs and files.get(name, stubs[name]) == stubs[name]:
            found.add(chapter.id)
    return found


_COLLECTED: dict[str, list[dict]] = {}
_COLLECT_LOCK = threading.Lock()


def collected_tests(manifest: Manifest, exercises: list[Exercise], scratch: Path) -> list[dict]:
    """The graded tests of ``exercises`` as the recorder lists them (``nodeid``, ``exercise``,
    ``hidden``, ``name``): one ``pytest --collect-only`` of the course's own tests (no
    submission involved), cached for the process."""
    digest = hashlib.sha256(",".join(e.id for e in exercises).encode())
    for path in test_files(manifest, exercises):
        digest.update(str(path).encode() + hashlib.sha256(path.read_bytes()).digest())
    key = digest.hexdigest()
    with _COLLECT_LOCK:
        if key not in _COLLECTED:
            work = scratch / f"_collect-{key[:12]}"
            prepare(manifest, work, {})
            job_path = Job(student="_collect", work=str(work)).save()
            command = pytest_command(manifest, job_path, Options(exercises=exercises))
            try:
                subprocess.run([*command, "--collect-only"], cwd=work,
                               env=pytest_env(manifest, work), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=600, start_new_session=True, check=False)
                events = read_stream(work / "stream.jsonl")
            finally:
                shutil.rmtree(work, ignore_errors=True)
            tests = next((e.get("tests") for e in events if e.get("event") == "collected"), None)
            if not isinstance(tests, list):
                raise RuntimeError("the course's graded tests could not be collected")
            _COLLECTED[key] = tests
        return list(_COLLECTED[key])


def not_started_events(manifest: Manifest, exercises: list[Exercise], scratch: Path) -> list[dict]:
    """Events that say every test of ``exercises`` is not started (their chapter is a stub)."""
    if not exercises:
        return []
    events = []
    tests = collected_tests(manifest, exercises, scratch)
    for test in tests:
        exercise = manifest.exercise(str(test.get("exercise")))
        events.append({"event": "test", "nodeid": test.get("nodeid"), "when": "call",
                       "status": "not started", "seconds": 0.0,
                       "message": f"{exercise.id} {exercise.symbol} is not started "
                                  f"(exercises/{exercise.module}.py is still the stub)"})
    return [{"event": "collected", "tests": tests}] + events


def merge_collected(events: list[dict]) -> list[dict]:
    """One ``collected`` event with every test of all of them (first), then the others."""
    tests = [t for e in events if e.get("event") == "collected" for t in e.get("tests", [])]
    return [{"event": "collected", "tests": tests}] + [e for e in events
                                                      if e.get("event") != "collected"]


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
    untouched = untouched_chapters(manifest, submission.files, course_stubs(manifest))
    skipped = [e for e in options.exercises if e.chapter.id in untouched]
    to_run = [e for e in options.exercises if e.chapter.id not in untouched]
    stubbed = not_started_events(manifest, skipped, out / ".work")
    if not to_run:
        exercises = score(manifest, options.exercises, merge_collected(stubbed))
        return StudentResult(submission.student, exercises, submission.report(),
                             seconds=round(time.monotonic() - started, 3))
    options = Options(**{**options.__dict__, "exercises": to_run})
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
    selected = skipped + to_run
    selected.sort(key=lambda e: e.sort_key)
    if not any(e.get("event") == "collected" for e in events):
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        problem = problem or f"the graded tests could not run (pytest exit {proc.returncode}):\n{tail}"
        exercises = score(manifest, selected, merge_collected(stubbed))
        failed = {e.id: e for e in failed_everything(manifest, to_run, "the graded tests could not run")}
        exercises = [failed.get(e.id, e) for e in exercises]
    else:
        exercises = score(manifest, selected, merge_collected(stubbed + events))
    cpu = next((e for e in reversed(events) if e.get("event") == "cpu"), {})
    trusted_cpu, worker_cpu = (float(cpu.get(k, 0.0)) if isinstance(cpu.get(k, 0.0), (int, float))
                               else 0.0 for k in ("trusted", "worker"))
    isolation = next((e for e in reversed(events) if e.get("event") == "sandbox"), {})
    if isolation:
        isolation = {"mode": isolation.get("mode"), "notes": isolation.get("notes", []),
                     "weaker": isolation_modes.weaker(isolation.get("report", {}), isolation.get("mode")),
                     "report": isolation.get("report", {})}
    result = StudentResult(submission.student, exercises, submission.report(), isolation,
                           round(time.monotonic() - started, 3), problem,
                           round(trusted_cpu + worker_cpu, 3), round(worker_cpu, 3))
    if not options.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return result
