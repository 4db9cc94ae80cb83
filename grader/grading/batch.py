"""``kata grade``: every student entry of a folder, in parallel, resumable, never in place.

For each entry (a folder or a ``.zip``, see :mod:`.collect`) the engine grades the submission
in its own trusted pytest process and sandbox, then writes ``OUT/<student>/results.json`` and
``feedback.md`` (safe to hand to that student as they are: hidden tests only as passed/failed
unless ``--hidden-feedback``) and ``OUT/_instructor/<student>.json``, the full record with every
test's name and message (what resuming and the Classroom steps read; never for students).
``OUT/grades.csv`` is rewritten after every student, so an interrupted run still leaves one for
those finished. A re-run skips students whose record matches their submission and the options
(its fingerprint), unless ``--force``; a changed submission is graded again. One student's failure,
crash or attack is confined to their own job: anything unexpected becomes an ``error`` row for
them alone. ``SUBMISSIONS`` is only ever read.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from grader.grading import reports
from grader.grading.collect import Submission, collect
from grader.grading.engine import Options, Running, fingerprint, grade_submission
from grader.grading.progressbar import Progress
from grader.grading.scoring import StudentResult, failed_everything
from grader.manifest import Manifest


INSTRUCTOR_DIR = "_instructor"   # OUT/_instructor/<student>.json: full records, not for students
RESERVED = (".work", "grades.csv", INSTRUCTOR_DIR)


def record_path(out: Path, student: str) -> Path:
    """The instructor-only record of one student."""
    return out / INSTRUCTOR_DIR / f"{student}.json"


class GradeError(ValueError):
    """The command cannot run as asked (the message says why)."""


@dataclass
class Summary:
    results: list[StudentResult]
    graded: int
    kept: int
    seconds: float


def check_folders(submissions: Path, out: Path) -> None:
    submissions, out = submissions.resolve(), out.resolve()
    if out == submissions or out.is_relative_to(submissions):
        raise GradeError(f"--out {out} is inside SUBMISSIONS: grading never writes there; "
                         "choose a folder outside it")
    if submissions.is_relative_to(out):
        raise GradeError(f"SUBMISSIONS {submissions} is inside --out {out}; choose another --out")


def _unique(submissions: list[Submission]) -> None:
    """Two entries may sanitize to one name (``a b`` and ``a_b``): suffix the later ones."""
    seen: set[str] = set()
    for sub in submissions:
        name, n = sub.student, 2
        while name in seen or name in RESERVED:
            name, n = f"{sub.student}-{n}", n + 1
        sub.student = name
        seen.add(name)


def _load_kept(path: Path, print_fingerprint: str) -> StudentResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != print_fingerprint or not data.get("complete"):
        return None
    try:
        return StudentResult.from_json(data["result"])
    except (KeyError, TypeError):
        return None


def _save(out: Path, result: StudentResult, print_fingerprint: str, options: Options) -> None:
    reports.write_student(out / result.student, result, options.hidden_feedback)
    reports.write_atomic(record_path(out, result.student), json.dumps(
        {"complete": True, "fingerprint": print_fingerprint, "result": result.to_json()}, indent=1))


def grade_all(manifest: Manifest, entries: list[Path], out: Path, options: Options, jobs: int = 1,
              force: bool = False, echo=print, progress: Progress | None = None) -> Summary:
    """Grade ``entries`` into ``out``; see the module docstring."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    (out / ".work").mkdir(exist_ok=True)
    submissions = [collect(entry, manifest, out / ".work" / "_collect" / str(i))
                   for i, entry in enumerate(entries)]
    _unique(submissions)
    order = [s.student for s in submissions]
    results: dict[str, StudentResult] = {}
    todo = []
    for sub in submissions:
        print_fingerprint = fingerprint(manifest, sub, options)
        kept = None if force else _load_kept(record_path(out, sub.student), print_fingerprint)
        if kept is not None:
            results[sub.student] = kept
        else:
            todo.append((sub, print_fingerprint))
    progress = progress or Progress(len(submissions), echo)
    progress.start(len(results))
    lock = threading.Lock()
    running = Running()
    stopping = threading.Event()  # set on Ctrl-C: results cut short are not saved as finished

    def write_csv() -> None:
        finished = [results[name] for name in order if name in results]
        reports.write_atomic(out / "grades.csv", reports.grades_csv(finished, options.exercises))

    def one(sub: Submission, print_fingerprint: str) -> StudentResult:
        progress.begin(sub.student)
        try:
            result = grade_submission(manifest, sub, out, options, running)
        except Exception as err:  # noqa: BLE001 - a grader bug must not stop the others
            result = StudentResult(sub.student, failed_everything(manifest, options.exercises,
                                                                  "internal error of the grader"),
                                   sub.report(), problem=f"internal error while grading: {err!r}")
        if stopping.is_set():
            return result
        _save(out, result, print_fingerprint, options)
        with lock:
            results[sub.student] = result
            write_csv()
        progress.done(sub.student, result)
        return result

    try:
        if jobs <= 1:
            for sub, print_fingerprint in todo:
                one(sub, print_fingerprint)
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(one, sub, fp) for sub, fp in todo]
                try:
                    for future in as_completed(futures):
                        future.result()
                except BaseException:
                    stopping.set()
                    for future in futures:
                        future.cancel()
                    running.kill_all()
                    raise
    except KeyboardInterrupt:
        stopping.set()
        running.kill_all()
        progress.interrupted()
        raise
    finally:
        write_csv()
        if not options.keep_work:
            shutil.rmtree(out / ".work", ignore_errors=True)
    progress.finish()
    return Summary([results[n] for n in order if n in results], len(todo), len(submissions) - len(todo),
                   time.monotonic() - started)


def chapter_line(results: list[StudentResult]) -> str:
    """Grading time per chapter (its tests in the trusted processes, summed over students)."""
    seconds: dict[str, float] = {}
    for result in results:
        for exercise in result.exercises:
            chapter = exercise.id.split(".")[0]
            seconds[chapter] = seconds.get(chapter, 0.0) + exercise.seconds
    if not seconds:
        return ""
    return "Time per chapter: " + ", ".join(f"{c} {s:.1f} s" for c, s in sorted(seconds.items()))


def sandbox_line(results: list[StudentResult]) -> str:
    """One line for the instructor: which isolation was used, and what it lacks."""
    for result in results:
        if result.isolation.get("mode"):
            text = reports.isolation_text(result.isolation)
            return text
    return ""
