"""The real nbgrader pipeline on a course that `kata nbgrader` builds (chapters 01-02 only).

generate_assignment -> six submissions -> autograde -> generate_feedback -> export, then every
score is checked, and ``kata grade`` must give the same submitted notebooks the same scores.
Slow (one to two minutes on two cores: see docs/nbgrader.md), so it is marked ``nbgrader``
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
    # 01.1 right, 01.2 without its shape checks (3 of 4 tests: 1.5 of 2), 01.3 not started
    ("partial", "ch01_neurons"): 3.5,
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


def start_kata_grade(root: Path, submitted: Path, out: Path) -> subprocess.Popen:
    """``kata grade submitted/ --out OUT`` in the repository copy, in the background."""
    env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen([sys.executable, "-m", "grader.grading", "grade", str(submitted),
                             "--out", str(out), "-j", "2"], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


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


@pytest.mark.timeout(300)
def test_nbgrader_pipeline_scores_every_submission(repo_copy, kata_cli, tmp_path):
    started = time.monotonic()
    root = repo_copy(("01", "02"))
    course = tmp_path / "course"
    code, out = kata_cli(root, "nbgrader", str(course), "--time-limit", str(TIME_LIMIT))
    assert code == 0, out
    assert (course / "nbgrader_config.py").is_file()

    step = run_nbgrader(course, "generate_assignment", "*")
    assert step.returncode == 0, step.stdout + step.stderr
    for assignment in CHAPTERS:
        assert (course / "release" / assignment / f"{assignment}.ipynb").is_file()
        assert (course / "release" / assignment / "kata_tests" / "cell.py").is_file()

    for student, assignments in SUBMISSIONS.items():
        for assignment, edits in assignments.items():
            make_submission(course, student, assignment, edits)
    ready = time.monotonic()  # course built, released, submissions written

    step = run_nbgrader(course, "autograde", "*")
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-6000:]
    autograded_at = time.monotonic()
    # kata grade reads the same submitted/ notebooks (alongside, it needs no gradebook)
    kata_grade = start_kata_grade(root, course / "submitted", tmp_path / "kata-grade")
    step = run_nbgrader(course, "generate_feedback", "*")
    assert step.returncode == 0, step.stdout + step.stderr[-3000:]
    step = run_nbgrader(course, "export")
    assert step.returncode == 0, step.stdout + step.stderr[-3000:]
    out, _ = kata_grade.communicate(timeout=600)
    assert kata_grade.returncode == 0, out[-4000:]
    done = time.monotonic()

    with open(course / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in rows}
    expected = {(s, a): EXPECTED.get((s, a), 0.0) for s in SUBMISSIONS for a in CHAPTERS}
    assert scores == pytest.approx(expected), scores
    for row in rows:
        assert float(row["max_score"]) == CHAPTERS[row["assignment"]]

    for (student, assignment) in EXPECTED:
        feedback = course / "feedback" / student / assignment
        assert (feedback / f"{assignment}.html").is_file()
        assert not (feedback / "kata_tests").exists(), "the graded tests leaked into feedback"

    # one engine, two front doors: kata grade gives every chapter the score nbgrader gave it
    with open(tmp_path / "kata-grade" / "grades.csv", newline="") as fh:
        by_kata = {row["student"]: row for row in csv.DictReader(fh)}
    for (student, assignment), score in expected.items():
        chapter = assignment[2:4]
        points = sum(float(v) for k, v in by_kata[student].items()
                     if re.fullmatch(rf"{chapter}\.\d+", k))  # columns 01.1, 01.2, ...
        assert points == pytest.approx(score), (student, assignment, by_kata[student])

    notebooks = sum(len(a) for a in SUBMISSIONS.values())
    seconds = autograded_at - ready
    print(f"\nnbgrader pipeline: build and release {ready - started:.1f} s; {notebooks} "
          f"notebooks autograded in {seconds:.1f} s ({seconds / notebooks:.1f} s per notebook, "
          f"{seconds / len(SUBMISSIONS):.1f} s per student); feedback, export and kata grade "
          f"{done - autograded_at:.1f} s; whole test {time.monotonic() - started:.1f} s")
