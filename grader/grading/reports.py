"""What the instructor and the students read: ``grades.csv``, ``results.json``, ``feedback.md``.

``results.json`` follows Gradescope's autograder results schema (``score``, ``output``,
``tests`` with ``name``, ``number``, ``score``, ``max_score``, ``status``, ``output``,
``visibility``, ``tags``). Hidden tests show only passed/failed under a neutral name unless the
instructor opts in (``--hidden-feedback``); ``feedback.md`` quotes the teaching message of every
failed *public* test and only counts hidden ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from grader.grading.scoring import DECIMALS, StudentResult, TestResult
from grader.manifest import Exercise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fmt_points(points: float) -> str:
    """Points with ``DECIMALS`` fixed decimals, trailing zeros dropped: 7, 0.5, 20.07, 123.45."""
    return f"{points:.{DECIMALS}f}".rstrip("0").rstrip(".")


_fmt = fmt_points


def _hidden_names(result: StudentResult) -> dict[str, str]:
    names, counts = {}, {}
    for exercise in result.exercises:
        for test in exercise.tests:
            if test.hidden:
                counts[exercise.id] = counts.get(exercise.id, 0) + 1
                names[test.nodeid] = f"hidden test {counts[exercise.id]}"
    return names


def student_problem(problem: str) -> str:
    """What a student is told when grading could not run: the detail (pytest's log, which may
    quote hidden tests, or a grader error) stays in the instructor's record."""
    if problem.startswith(("the graded tests could not run", "internal error")):
        return problem.split(":", 1)[0].split(" (")[0] + "; your instructor has the details"
    return problem


def isolation_text(isolation: dict) -> str:
    mode = isolation.get("mode")
    if not mode:
        return ""
    lines = [f"Sandbox: {'bubblewrap' if mode == 'bwrap' else 'process isolation'}"]
    lines += [f"  {n}" for n in isolation.get("notes", []) if n]
    lines += [f"  weaker: {w}" for w in isolation.get("weaker", [])]
    return "\n".join(lines)


def gradescope_results(result: StudentResult, hidden_feedback: bool = False) -> dict:
    hidden_names = _hidden_names(result)
    tests = []
    for exercise in result.exercises:
        for test in exercise.tests:
            shown = not test.hidden or hidden_feedback
            name = test.name if shown else hidden_names[test.nodeid]
            output = "" if test.status == "passed" else (test.message if shown else "")
            tests.append({
                "name": f"{exercise.id} {exercise.title}: {name}",
                "number": exercise.id,
                "score": round(test.points, DECIMALS),
                "max_score": round(test.max_points, DECIMALS),
                "status": "passed" if test.status == "passed" else "failed",
                "output": output if shown else f"{test.status if test.status == 'passed' else 'failed'}",
                "visibility": "visible",
                "tags": [exercise.id, test.status] if shown else [exercise.id],
            })
        if not exercise.tests:
            tests.append({"name": f"{exercise.id} {exercise.title}", "number": exercise.id,
                          "score": 0.0, "max_score": exercise.max_points, "status": "failed",
                          "output": exercise.detail or exercise.status, "visibility": "visible",
                          "tags": [exercise.id]})
    lines = [f"{_fmt(result.total)} / {_fmt(result.max_total)} points."]
    if result.problem:
        lines.append(f"Grading problem: {student_problem(result.problem)}")
    lines += result.submission
    return {"score": result.total, "output": "\n".join(lines), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def feedback_markdown(result: StudentResult, hidden_feedback: bool = False) -> str:
    out = io.StringIO()
    out.write(f"# Feedback for {result.student}\n\n")
    out.write(f"**{_fmt(result.total)} / {_fmt(result.max_total)} points**\n\n")
    if result.problem:
        out.write(f"Grading could not run: {student_problem(result.problem)}\n\n")
    out.write("| exercise | status | points |\n|---|---|---|\n")
    for exercise in result.exercises:
        status = exercise.status + (f" ({exercise.detail})" if exercise.detail else "")
        out.write(f"| {exercise.id} {exercise.title} | {status} | "
                  f"{_fmt(exercise.points)} / {_fmt(exercise.max_points)} |\n")
    for exercise in result.exercises:
        public = [t for t in exercise.tests if not t.hidden or hidden_feedback]
        hidden = [t for t in exercise.tests if t.hidden and not hidden_feedback]
        failed = [t for t in public if t.status != "passed"]
        if not failed and not [t for t in hidden if t.status != "passed"]:
            continue
        out.write(f"\n## {exercise.id} {exercise.title}: {exercise.status}\n")
        if exercise.status == "not started":
            out.write("\nNot started yet: the stub still raises NotImplementedError.\n")
        else:
            groups: dict[tuple[str, str], list[str]] = {}  # one message, said once
            for test in failed:
                groups.setdefault((test.status, _message(test)), []).append(test.name)
            for (status, message), names in groups.items():
                out.write(f"\n### {', '.join(names)} ({status})\n\n```text\n{message}\n```\n")
        if hidden:
            passed = sum(t.status == "passed" for t in hidden)
            out.write(f"\nHidden tests: {passed} of {len(hidden)} passed.\n")
    if result.submission:
        out.write("\n## Your files\n\n" + "".join(f"- {line}\n" for line in result.submission))
    return out.getvalue()


def _message(test: TestResult) -> str:
    return (test.message or test.status).replace("```", "'''")


def grades_csv(results: list[StudentResult], exercises: list[Exercise]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "total", "max_total", *[e.id for e in exercises],
                     *[f"{e.id} status" for e in exercises]])
    for result in results:
        by_id = {e.id: e for e in result.exercises}
        points = [_fmt(by_id[e.id].points) if e.id in by_id else "" for e in exercises]
        statuses = [by_id[e.id].status if e.id in by_id else "" for e in exercises]
        writer.writerow([result.student, _fmt(result.total), _fmt(result.max_total), *points, *statuses])
    return out.getvalue()


def write_student(folder: Path, result: StudentResult, hidden_feedback: bool = False) -> None:
    write_atomic(folder / "results.json",
                 json.dumps(gradescope_results(result, hidden_feedback), indent=1))
    write_atomic(folder / "feedback.md", feedback_markdown(result, hidden_feedback))
