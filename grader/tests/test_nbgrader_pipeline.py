"""The real nbgrader pipeline on a course that `kata nbgrader` builds (chapters 01-02 only).

generate_assignment -> six submissions -> autograde -> generate_feedback -> export, then every
score is checked; ``kata grade`` must give the same submitted notebooks the same scores.
Slow (about a minute each on two cores: see docs/nbgrader.md), so both are marked ``nbgrader``
(``-m "not nbgrader"`` leaves it out) and skipped where nbgrader is not installed; CI installs
the ``instructor`` extra and runs it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.nbgrader
pytest.importorskip("nbgrader")

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT = 8  # seconds per test cell: one looping exercise costs this much once
CHAPTERS = {"ch01_neurons": 7.0, "ch02_dense": 9.0}  # assignment -> total points

WRONG_CH01 = {  # answers of a student who gives up and patches numpy in the kernel instead
    "solution_neuron_output": "def neuron_output(inputs, weights, bias):\n    return 0.0",
    "solution_layer_output": (
        "def layer_output(inputs, weights, biases):\n    return np.zeros(len(biases))"),
    "solution_batch_output": (
        "def batch_output(inputs, weights, biases):\n"
        "    return np.arange(len(inputs))[:, None] + np.zeros(len(biases))"),
}
PATCH_CELL = """\
# Make every comparison pass, in this kernel.
import numpy as np
import numpy.testing as npt
for _name in ("assert_allclose", "assert_array_equal", "assert_equal", "assert_almost_equal",
              "assert_array_almost_equal"):
    setattr(npt, _name, lambda *args, **kwargs: None)
np.allclose = np.isclose = np.array_equal = lambda *args, **kwargs: True
"""
LAYER_WITHOUT_CHECKS = """\
def layer_output(inputs, weights, biases):
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    biases = np.asarray(biases, dtype=np.float64)
    return weights @ inputs + biases"""


def _replace_body(solution: str, body: str) -> str:
    """The reference cell with its fenced lines replaced by ``body`` (indented 4)."""
    head, _, rest = solution.partition("    ### BEGIN SOLUTION\n")
    _, _, tail = rest.partition("    ### END SOLUTION")
    return head + "".join(f"    {line}\n" for line in body.splitlines()) + tail.lstrip("\n")


# student -> assignment -> edits: {grade_id: "full" | source} and extra cells after provided_1
SUBMISSIONS = {
    "untouched": {"ch01_neurons": {}},
    "full": {"ch01_neurons": "full", "ch02_dense": "full"},
    "partial": {
        "ch01_neurons": {"solution_neuron_output": "full",
                         "solution_layer_output": LAYER_WITHOUT_CHECKS},
        "ch02_dense": {"solution_init_small_normal": "full", "solution_dense_forward": "full"},
    },
    "exits": {"ch01_neurons": {"solution_neuron_output": ("body", "import os\nos._exit(0)"),
                               "solution_layer_output": "full", "solution_batch_output": "full"}},
    "loops": {"ch01_neurons": {"solution_neuron_output": "full", "solution_layer_output": "full",
                               "solution_batch_output": ("body", "while True:\n    pass")}},
    "patches": {"ch01_neurons": {**WRONG_CH01, "extra": PATCH_CELL}},
}
EXPECTED = {  # (student, assignment) -> score; a missing submission scores 0
    ("untouched", "ch01_neurons"): 0.0,
    ("full", "ch01_neurons"): 7.0, ("full", "ch02_dense"): 9.0,
    # 01.1 right (2), 01.2 without its shape checks (some of its tests: strictly between 0 and
    # 2, by how many tests 01.2 has), 01.3 not started
    ("partial", "ch01_neurons"): (2.0, 4.0),
    # 02.1 and 02.4 right; 02.5 is blocked by the unwritten initializers
    ("partial", "ch02_dense"): 3.0,
    ("exits", "ch01_neurons"): 5.0,   # os._exit inside 01.1 costs 01.1 only
    ("loops", "ch01_neurons"): 4.0,   # the endless 01.3 is stopped after TIME_LIMIT
    ("patches", "ch01_neurons"): 0.0,  # patching numpy in the kernel gains nothing
}


def run_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KATA_ROOT")}
    # the kernels nbgrader starts must be this Python (ipykernel's spec says plain "python")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def make_submission(course: Path, student: str, assignment: str, edits) -> None:
    source_nb = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text())
    reference = {c["metadata"]["nbgrader"]["grade_id"]: _source(c) for c in source_nb["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    release = course / "release" / assignment
    folder = course / "submitted" / student / assignment
    shutil.copytree(release, folder)  # the student hands in the whole folder
    notebook = json.loads((folder / f"{assignment}.ipynb").read_text())
    if edits == "full":
        edits = {grade_id: "full" for grade_id in reference}
    edits = dict(edits)
    extra = edits.pop("extra", None)
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in edits:
            edit = edits.pop(grade_id)
            if edit == "full":
                edit = reference[grade_id]
            elif isinstance(edit, tuple):
                edit = _replace_body(reference[grade_id], edit[1])
            cell["source"] = edit
    assert not edits, f"no cells {sorted(edits)} in {assignment}"
    if extra:
        at = next(i for i, c in enumerate(notebook["cells"])
                  if c["metadata"].get("nbgrader", {}).get("grade_id") == "provided_1")
        notebook["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None,
                                          "id": "student-extra", "metadata": {}, "outputs": [],
                                          "source": extra})
    (folder / f"{assignment}.ipynb").write_text(json.dumps(notebook))
    (folder / "timestamp.txt").write_text("2024-01-01 12:00:00 UTC")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course for chapters 01-02 built by `kata nbgrader`, released, with six submissions."""
    started = time.monotonic()
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
    env["PYTHONPATH"] = str(REPO)
    build = subprocess.run([sys.executable, "-m", "grader", "nbgrader", str(course), "01", "02",
                            "--time-limit", str(TIME_LIMIT)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    step = run_nbgrader(course, "generate_assignment", "*")
    assert step.returncode == 0, step.stdout + step.stderr
    for assignment in CHAPTERS:
        assert (course / "release" / assignment / f"{assignment}.ipynb").is_file()
        assert (course / "release" / assignment / "kata_tests" / "cell.py").is_file()
    for student, assignments in SUBMISSIONS.items():
        for assignment, edits in assignments.items():
            make_submission(course, student, assignment, edits)
    print(f"\nnbgrader course built and released in {time.monotonic() - started:.1f} s")
    return course


def expected_scores() -> dict[tuple[str, str], float | tuple[float, float]]:
    return {(s, a): EXPECTED.get((s, a), 0.0) for s in SUBMISSIONS for a in CHAPTERS}


def matches(score: float, expected) -> bool:
    """A number (kata grade reports hundredths), or (low, high): strictly between them."""
    if isinstance(expected, tuple):
        return expected[0] < score < expected[1]
    return score == pytest.approx(expected, abs=0.005)


@pytest.mark.timeout(300)
def test_nbgrader_autograde_feedback_export_score_every_submission(course):
    started = time.monotonic()
    step = run_nbgrader(course, "autograde", "*")
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-6000:]
    autograded_at = time.monotonic()
    step = run_nbgrader(course, "generate_feedback", "*")
    assert step.returncode == 0, step.stdout + step.stderr[-3000:]
    step = run_nbgrader(course, "export")
    assert step.returncode == 0, step.stdout + step.stderr[-3000:]

    with open(course / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in rows}
    expected = expected_scores()
    assert set(scores) == set(expected), scores
    assert all(matches(scores[key], expected[key]) for key in expected), scores
    for row in rows:
        assert float(row["max_score"]) == CHAPTERS[row["assignment"]]
    for (student, assignment) in EXPECTED:
        feedback = course / "feedback" / student / assignment
        assert (feedback / f"{assignment}.html").is_file()
        assert not (feedback / "kata_tests").exists(), "the graded tests leaked into feedback"

    notebooks = sum(len(a) for a in SUBMISSIONS.values())
    seconds = autograded_at - started
    print(f"\nnbgrader: {notebooks} notebooks autograded in {seconds:.1f} s "
          f"({seconds / notebooks:.1f} s per notebook, {seconds / len(SUBMISSIONS):.1f} s per "
          f"student); feedback and export {time.monotonic() - autograded_at:.1f} s")


@pytest.mark.timeout(300)
def test_kata_grade_gives_the_submitted_notebooks_the_same_scores(course, tmp_path):
    """One engine, two front doors: ``kata grade`` reads nbgrader's submitted/ notebooks."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
    env["PYTHONPATH"] = str(REPO)
    out = tmp_path / "kata-grade"
    run = subprocess.run([sys.executable, "-m", "grader.grading", "grade",
                          str(course / "submitted"), "--out", str(out), "--only", "01,02",
                          "-j", "2"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    with open(out / "grades.csv", newline="") as fh:
        by_kata = {row["student"]: row for row in csv.DictReader(fh)}
    for (student, assignment), score in expected_scores().items():
        chapter = assignment[2:4]
        points = sum(float(v) for k, v in by_kata[student].items()
                     if re.fullmatch(rf"{chapter}\.\d+", k))  # columns 01.1, 01.2, ...
        report = out / student / "feedback.md"
        detail = report.read_text()[:3000] if report.is_file() else run.stdout[-3000:]
        if (course / "grades.csv").is_file():  # nbgrader's own export: the same score exactly
            with open(course / "grades.csv", newline="") as fh:
                score = next(float(r["raw_score"]) for r in csv.DictReader(fh)
                             if (r["student_id"], r["assignment"]) == (student, assignment))
        assert matches(points, score), f"{student} {assignment}: {points}\n{detail}"
    print(f"\nkata grade: {len(SUBMISSIONS)} students in {time.monotonic() - started:.1f} s")
