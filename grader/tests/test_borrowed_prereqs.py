"""Borrowed prerequisites (`kata check NN.M --reference-prereqs`, and kata check's own retry)
never fail correct learner code, never lower the board, and never show a path into solutions/.

Each case fills in one exercise with the reference's code and leaves its prerequisites as stubs,
as a learner working out of order would."""

from __future__ import annotations

import re

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.learn import progress
from grader.manifest import load_manifest
from grader.testing.splice import extract, splice
from grader.testing.targets import TreeTarget

ALL_PASS = re.compile(r"\b(\d+)/\1 tests pass")  # however many tests the exercise has

REPO = Path(__file__).resolve().parents[2]
UP_TO_08 = tuple(f"{n:02d}" for n in range(1, 9))


def fill(root: Path, exercise_id: str, definition: str | None = None) -> None:
    """Put ``definition`` (default: the reference's) for the exercise into the copy's exercises/."""
    ex = load_manifest(root).exercise(exercise_id)
    if definition is None:
        definition = extract((root / "solutions" / ex.file).read_text(), ex.symbol)
    path = root / "exercises" / ex.file
    path.write_text(splice(path.read_text(), ex.symbol, definition))


def test_05_3_dense_parameters_list_W_and_b(repo_copy, kata_cli):
    root = repo_copy(("01", "02", "03", "04", "05"))
    fill(root, "05.3")
    code, out = kata_cli(root, "check", "05.3", "--reference-prereqs")
    assert code == 0, out
    assert ALL_PASS.search(out) and "should still list W and b" not in out


def test_08_6_gradients_do_not_pile_up(repo_copy, kata_cli):
    root = repo_copy(UP_TO_08)
    fill(root, "08.6")
    code, out = kata_cli(root, "check", "08.6", "--reference-prereqs")
    assert code == 0, out
    assert "pile up" not in out and "blocked" not in out


def test_08_8_training_loss_falls(repo_copy, kata_cli):
    root = repo_copy(UP_TO_08)
    fill(root, "08.8")
    code, out = kata_cli(root, "check", "08.8", "--reference-prereqs")
    assert code == 0, out
    assert "the training loss went from" not in out


@pytest.fixture
def forget_new_modules():
    """Modules imported during the test are dropped from sys.modules afterwards."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_08_8_borrowed_layers_hold_the_learners_own_parameters(repo_copy, monkeypatch,
                                                               forget_new_modules):
    import numpy as np

    root = repo_copy(UP_TO_08)
    fill(root, "08.8")
    manifest = load_manifest(root)
    reference = TreeTarget(manifest, root / "solutions", "kata_borrow_reference")
    learner = TreeTarget(manifest, root / "exercises", "kata_borrow_learner", reference=reference)
    kata = learner.load(manifest.exercise("08.8"), monkeypatch, inject_prereqs=True)
    model = kata.MLP(2, 8, 3, np.random.default_rng(0))  # borrowed Dense.__init__, MLP.forward
    params = model.parameters()
    core = sys.modules["kata_borrow_learner.core"]
    assert len(params) == 4 and all(type(p) is core.Parameter for p in params)
    assert "kata_borrow_reference" not in sys.modules  # read from, never imported


def test_12_5_values_are_the_learners_and_no_path_names_solutions(repo_copy, kata_cli):
    root = repo_copy(("12",))
    fill(root, "12.5")
    code, out = kata_cli(root, "check", "12.5", "--reference-prereqs")
    assert code == 0, out
    assert ALL_PASS.search(out) and "solutions/" not in out


def test_12_5_an_error_inside_borrowed_code_points_at_the_learners_line(repo_copy, kata_cli):
    root = repo_copy(("12",))
    fill(root, "12.5", "def backward(self) -> None:\n"
                       "    self.grad = self.unit_gradient()\n"
                       "    for node in reversed(topological_order(self.parents)):  # wrong\n"
                       "        node.local_backward()\n")
    code, out = kata_cli(root, "check", "12.5", "--reference-prereqs")
    assert code == 1
    assert "raised at exercises/ch12_autograd.py:" in out, out
    assert "solutions/" not in out
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--exercise",
                           "12.5", "--reference-prereqs"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "AttributeError" in proc.stdout
    assert "solutions/" not in proc.stdout + proc.stderr
    assert "<reference 12.4 topological_order>" in proc.stdout  # borrowed code, with its source


def test_kata_checks_own_retry_borrows_the_same_way(repo_copy, kata_cli):
    root = repo_copy(("01", "02", "03", "04", "05"))
    for ex in ("02.1", "02.2", "02.3", "02.4", "02.5", "05.3"):
        fill(root, ex)
    fill(root, "05.1", "def dense_backward(dout, cache):\n"
                       "    x, W, b = cache\n"
                       "    return dout @ W.T, x.T @ dout, dout.mean(axis=0)  # wrong: db\n")
    code, out = kata_cli(root, "check", "05.3")
    assert code == 1
    assert "your 05.3 is right, and the problem is in code it calls" in out, out


def test_a_borrowed_run_never_lowers_the_board(repo_copy, kata_cli):
    root = repo_copy(("01", "02", "03", "04", "05"))
    for ex in ("02.1", "02.2", "02.3", "02.4", "02.5", "05.1", "05.3"):
        fill(root, ex)
    code, out = kata_cli(root, "check", "05.3")
    assert code == 0, out
    state = root / ".kata" / "progress.json"
    assert json.loads(state.read_text())["results"]["05.3"]["status"] == "passed"
    fill(root, "05.3", "def backward(self, dout):\n    return dout  # wrong\n")
    code, out = kata_cli(root, "check", "05.3", "--reference-prereqs")
    assert code == 1
    assert json.loads(state.read_text())["results"]["05.3"]["status"] == "passed"
    code, out = kata_cli(root, "list")  # the board's own refresh tests the learner's code
    assert json.loads(state.read_text())["results"]["05.3"]["status"] == "failed"


@pytest.mark.parametrize("before, status, after", [
    (None, ("failed", 0.5), ("failed", 0.5)),
    (("passed", 2.0), ("failed", 0.5), ("passed", 2.0)),
    (("failed", 0.5), ("passed", 2.0), ("passed", 2.0)),
    (("blocked by 02.5", 0.0), ("failed", 1.0), ("failed", 1.0)),
    (("failed", 1.0), ("failed", 0.5), ("failed", 1.0)),
])
def test_record_borrowed_only_raises(repo_copy, before, status, after):
    manifest = load_manifest(repo_copy(("01", "02")))
    exercise = manifest.exercise("02.5")
    results = {"02.5": {"status": before[0], "points": before[1], "fingerprint": "old"}} if before else {}
    data = {"results": results, "hints": {}}
    progress.record_borrowed(data, manifest, exercise, *status)
    entry = data["results"]["02.5"]
    assert (entry["status"], entry["points"]) == after
