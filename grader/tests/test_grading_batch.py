"""``kata grade`` end to end on a course copy: reports, hidden tests, resuming, isolation,
notebooks, and SUBMISSIONS left untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)

HIDDEN_TEST = textwrap.dedent('''
    import numpy as np
    import pytest


    @pytest.mark.exercise("01.1")
    def test_hidden_neuron_sums_ones(kata, check):
        check.close(kata.neuron_output(np.ones(3), np.ones(3), 0.5), 3.5, "neuron_output(ones, ones, 0.5)")
''')


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def only_01_1_solved(root: Path) -> str:
    from grader.testing.splice import extract, splice

    stub = (root / "exercises" / "ch01_neurons.py").read_text()
    return splice(stub, "neuron_output", extract((root / "solutions" / "ch01_neurons.py").read_text(),
                                                 "neuron_output"))


def test_grade_reports_resumes_and_never_writes_into_submissions(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    (root / "tests" / "hidden").mkdir()
    (root / "tests" / "hidden" / "test_ch01_neurons_hidden.py").write_text(HIDDEN_TEST)
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "alice" / "deep" / "exercises").mkdir(parents=True)
    shutil.copy(root / "solutions" / "ch01_neurons.py", subs / "alice" / "deep" / "exercises")
    with zipfile.ZipFile(subs / "bob smith.zip", "w") as archive:
        archive.writestr("bob/ch01_neurons.py", only_01_1_solved(root))
        archive.writestr("bob/conftest.py", "raise SystemExit\n")
    (subs / "notes.txt").write_text("not a submission")
    before = digest(subs)

    code, output = kata_cli(root, "grade", str(subs), "--out", str(out), "--only", "01", "-j", "2")
    assert code == 0, output
    assert "skipped notes.txt" in output
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["student"] for r in rows] == ["alice", "bob smith"]
    assert list(rows[0])[:6] == ["student", "total", "max_total", "01.1", "01.2", "01.3"]
    assert (rows[0]["total"], rows[0]["max_total"], rows[0]["01.3 status"]) == ("7", "7", "passed")
    assert (rows[1]["total"], rows[1]["01.1 status"], rows[1]["01.2 status"]) == ("2", "passed",
                                                                                  "not started")

    results = json.loads((out / "bob smith" / "results.json").read_text())
    assert results["score"] == 2.0 and "ignored bob/conftest.py" in results["output"]
    for test in results["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output", "visibility"}
    hidden = [t for t in results["tests"] if "hidden test" in t["name"]]
    assert len(hidden) == 1 and hidden[0]["output"] == "passed"
    assert "test_hidden_neuron_sums_ones" not in json.dumps(results)  # pass/fail only
    feedback = (out / "bob smith" / "feedback.md").read_text()
    assert "01.2 A layer of neurons: not started" in feedback
    assert "test_hidden_neuron_sums_ones" not in feedback

    code, output = kata_cli(root, "grade", str(subs), "--out", str(out), "--only", "01")
    assert code == 0 and "graded 0, kept 2" in output, output

    with zipfile.ZipFile(subs / "bob smith.zip", "w") as archive:  # bob resubmits
        archive.writestr("ch01_neurons.py", (root / "solutions" / "ch01_neurons.py").read_text())
    code, output = kata_cli(root, "grade", str(subs), "--out", str(out), "--only", "01",
                            "--hidden-feedback")
    assert code == 0 and "graded 2, kept 0" in output, output  # options changed: both again
    assert "test_hidden_neuron_sums_ones" in (out / "alice" / "results.json").read_text()
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["total"] for r in rows] == ["7", "7"]

    assert digest(subs) != before  # (bob's new zip) ... but grading itself wrote nothing there:
    assert sorted(p.name for p in subs.iterdir()) == ["alice", "bob smith.zip", "notes.txt"]
    assert not (out / ".work").exists()
    code, output = kata_cli(root, "grade", str(subs), "--out", str(subs / "alice" / "out"))
    assert code == 2 and "inside SUBMISSIONS" in output


def test_isolation_grades_an_exercise_on_reference_prerequisites(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    subs = tmp_path / "subs"
    (subs / "carol").mkdir(parents=True)
    stub = (root / "exercises" / "ch02_dense.py").read_text()
    reference = (root / "solutions" / "ch02_dense.py").read_text()
    cut = "class Dense(Module):"
    (subs / "carol" / "ch02_dense.py").write_text(stub[: stub.index(cut)] + reference[reference.index(cut):])
    (subs / "carol" / "ch01_neurons.py").write_text("this chapter does not even parse (\n")

    code, output = kata_cli(root, "grade", str(subs), "--out", str(tmp_path / "iso"), "--only", "02.5")
    assert code == 0, output
    assert "carol: 2/2 points" in output, output
    code, output = kata_cli(root, "grade", str(subs), "--out", str(tmp_path / "own"), "--only", "02.5",
                            "--no-isolation")
    assert code == 0, output
    # only the test that rejects an unknown init passes: the stub initializers block the rest
    assert "carol: 0.33/2 points" in output, output
    record = json.loads((tmp_path / "own" / "_instructor" / "carol.json").read_text())["result"]
    statuses = {t["name"]: t["status"] for t in record["exercises"][0]["tests"]}
    assert statuses["test_dense_layer_same_seed_same_weights"] == "blocked by 02.3"


def test_notebooks_are_graded_through_the_nbgrader_front_door(repo_copy, kata_cli, tmp_path):
    extract = pytest.importorskip("grader.nbgrader.extract")
    from grader.manifest import load_manifest

    root = repo_copy(chapters=("01",))
    manifest = load_manifest(root)
    notebook = extract.reference_notebook(manifest.chapters[0], manifest)
    subs = tmp_path / "subs"
    (subs / "dora" / "submitted").mkdir(parents=True)
    (subs / "dora" / "submitted" / "ch01_neurons.ipynb").write_text(json.dumps(notebook))
    code, output = kata_cli(root, "grade", str(subs), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert "dora: 7/7 points" in output, output
