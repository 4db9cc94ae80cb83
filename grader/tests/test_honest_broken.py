"""One runaway exercise costs one exercise: honest, complete submissions with one broken exercise.

Each submission is the reference of chapters 01, 02 and 11 (an honest student who did it all)
with ONE exercise's body replaced by something that kills, hangs or exhausts its worker: an
infinite loop, ``os._exit``, ``sys.exit``, a 6 GiB allocation, a segfault through ``ctypes``.
The broken exercises sit at several positions (the curriculum's first exercise, the middle and
the end of a chapter, a class's method, the last exercise graded). Each must score exactly the
full marks minus that one exercise's points, and that exercise's status must say what happened.

``kata grade`` runs with this interpreter's pytest; CI (``.ci/run``) runs this module again
with the oldest pytest the project supports, so both ends of ``pytest>=7.4,<10`` are covered.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.manifest import load_manifest

from course_copies import copy_course

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = ("01", "02", "11")
CALL_TIMEOUT = 2.0
pytestmark = pytest.mark.timeout(600)

# name: (exercise, body, the status it must get)
BROKEN = {
    "loop_first": ("01.1", "while True:\n    pass", "timeout"),
    "sys_exit_end_of_chapter": ("01.3", "import sys\nsys.exit(3)", "failed"),
    "os_exit_middle": ("02.2", "import os\nos._exit(0)", "error"),
    "memory_6gib_method": ("02.5", "hog = np.ones(6 * 2**30 // 8)\nself.W = hog", "failed"),
    "segfault_late_chapter": ("11.1", "import ctypes\nctypes.string_at(0)", "error"),
    "loop_last": ("11.4", "while True:\n    pass", "timeout"),
}


def course_copy(root: Path) -> Path:
    """A copy of the repository with ``CHAPTERS`` only."""
    return copy_course(root, CHAPTERS)


def break_exercise(source: str, symbol: str, body: str) -> str:
    """``source`` (a reference module) with the fenced solution of ``symbol`` replaced by
    ``body`` (``Class.method`` or a function name)."""
    lines = source.splitlines()
    *owner, name = symbol.split(".")
    start = 0
    if owner:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"class {owner[0]}"))
    start = next(i for i in range(start, len(lines))
                 if re.match(rf"\s*def {re.escape(name)}\(", lines[i]))
    begin = next(i for i in range(start, len(lines)) if "### BEGIN SOLUTION" in lines[i])
    end = next(i for i in range(begin, len(lines)) if "### END SOLUTION" in lines[i])
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    lines[begin + 1:end] = textwrap.indent(body, indent).splitlines()
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("honest-broken")
    course = course_copy(base / "course")
    manifest = load_manifest(course)
    subs, out = base / "subs", base / "out"
    full = {f"{ch.module}.py": (course / "solutions" / f"{ch.module}.py").read_text(encoding="utf-8")
            for ch in manifest.chapters}
    students = {"honest_full": full}
    for student, (exercise_id, body, _) in BROKEN.items():
        exercise = manifest.exercise(exercise_id)
        files = dict(full)
        files[f"{exercise.module}.py"] = break_exercise(files[f"{exercise.module}.py"],
                                                        exercise.symbol, body)
        students[student] = files
    for student, files in students.items():
        (subs / student).mkdir(parents=True)
        for name, text in files.items():
            (subs / student / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_ROOT", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "grader.grading", "grade", str(subs), "--out",
                           str(out), "-j", "2", "--only", ",".join(CHAPTERS),
                           "--call-timeout", str(CALL_TIMEOUT)],
                          cwd=course, env=env, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stdout + done.stderr
    results = {s: json.loads((out / "_instructor" / f"{s}.json").read_text())["result"] for s in students}
    return {"manifest": manifest, "results": results, "output": done.stdout + done.stderr}


def test_the_honest_complete_submission_gets_full_marks(graded):
    result = graded["results"]["honest_full"]
    assert result["total"] == result["max_total"], graded["output"]


@pytest.mark.parametrize("student", sorted(BROKEN))
def test_one_broken_exercise_costs_that_exercise_only(graded, student):
    exercise_id, _, status = BROKEN[student]
    result = graded["results"][student]
    points = graded["manifest"].exercise(exercise_id).points
    lost = {e["id"]: (e["status"], e["points"]) for e in result["exercises"]
            if e["points"] != e["max_points"]}
    assert lost == {exercise_id: (status, 0.0)}, graded["output"]
    assert result["total"] == pytest.approx(result["max_total"] - points)
