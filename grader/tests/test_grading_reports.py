"""What each reader of ``kata grade``'s output gets: the student's folder holds nothing hidden,
points are fixed-decimal and add up, names keep their letters, errors name their place once."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.grading import reports
from grader.grading.batch import _save, record_path
from grader.grading.collect import student_name
from grader.grading.engine import Options
from grader.grading.scoring import StudentResult, score
from grader.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
SECRET = "expected 41.99731 at entry (2, 3)"
HIDDEN_NAME = "test_hidden_secret_corner_case"


def graded(tests: list[tuple[str, str, bool, str, str]]) -> StudentResult:
    """A StudentResult of exercise 01.1 (2 points) from (nodeid, name, hidden, status, message)."""
    manifest = load_manifest(REPO)
    exercise = manifest.exercise("01.1")
    events = [{"event": "collected", "tests": [
        {"nodeid": n, "exercise": "01.1", "hidden": h, "name": name} for n, name, h, _, _ in tests]}]
    for nodeid, _, _, status, message in tests:
        events.append({"event": "test", "nodeid": nodeid, "when": "setup", "status": "passed",
                       "message": ""})
        events.append({"event": "test", "nodeid": nodeid, "when": "call", "status": status,
                       "message": message})
    return StudentResult("Zoë Müller", score(manifest, [exercise], events), ["used ch01_neurons.py"])


def with_hidden() -> StudentResult:
    return graded([("t/test_a.py::test_public", "test_public", False, "failed", "public message"),
                   ("t/hidden/test_h.py::" + HIDDEN_NAME, HIDDEN_NAME, True, "failed", SECRET),
                   ("t/test_a.py::test_ok", "test_ok", False, "passed", "")])


def student_files(out: Path, student: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((out / student).rglob("*"))
                     if p.is_file())


@pytest.mark.parametrize("hidden_feedback", [False, True])
def test_the_students_folder_holds_nothing_hidden(tmp_path, hidden_feedback):
    result = with_hidden()
    options = Options(exercises=[], hidden_feedback=hidden_feedback)
    _save(tmp_path, result, "fingerprint", options)
    shown = student_files(tmp_path, result.student)
    assert "public message" in shown
    assert (SECRET in shown, HIDDEN_NAME in shown) == (hidden_feedback, hidden_feedback)
    assert sorted(p.name for p in (tmp_path / result.student).iterdir()) == ["feedback.md",
                                                                             "results.json"]
    record = record_path(tmp_path, result.student)  # the instructor's: everything
    assert record.parent.name == "_instructor" and SECRET in record.read_text(encoding="utf-8")


def test_a_grading_problem_keeps_its_detail_for_the_instructor(tmp_path):
    result = with_hidden()
    result.problem = ("the graded tests could not run (pytest exit 2):\n"
                      f"E   assert x == 41.99731\ntests/hidden/test_h.py:9: in {HIDDEN_NAME}")
    _save(tmp_path, result, "fingerprint", Options(exercises=[]))
    shown = student_files(tmp_path, result.student)
    assert "the graded tests could not run; your instructor has the details" in shown
    assert HIDDEN_NAME not in shown and "41.99731" not in shown
    assert HIDDEN_NAME in record_path(tmp_path, result.student).read_text(encoding="utf-8")


def test_points_are_fixed_decimals_that_add_up():
    # 2 points over 3 tests, 2 passed: 0.67 + 0.67, never 1.333333 or a sum of 1.3333
    result = graded([(f"t::test_{i}", f"test_{i}", False, s, "") for i, s in
                     enumerate(["passed", "passed", "failed"])])
    data = reports.gradescope_results(result)
    assert [t["score"] for t in data["tests"]] == [0.67, 0.67, 0.0]
    assert [t["max_score"] for t in data["tests"]] == [0.67, 0.67, 0.66]
    assert data["score"] == 1.34 == round(sum(t["score"] for t in data["tests"]), 2)
    assert data["output"].startswith("1.34 / 2 points.")
    assert "**1.34 / 2 points**" in reports.feedback_markdown(result)
    manifest = load_manifest(REPO)
    row = next(csv.DictReader(io.StringIO(reports.grades_csv([result], [manifest.exercise("01.1")]))))
    assert (row["total"], row["max_total"], row["01.1"]) == ("1.34", "2", "1.34")
    for value, text in ((20.0667, "20.07"), (123.45, "123.45"), (169.0, "169"), (0.5, "0.5")):
        assert reports.fmt_points(value) == text


def test_many_tests_sum_exactly_to_the_top_level_score():
    result = graded([(f"t::test_{i}", f"test_{i}", False, "passed", "") for i in range(7)])
    data = reports.gradescope_results(result)
    assert data["score"] == 2 and round(sum(t["score"] for t in data["tests"]), 2) == 2


@pytest.mark.parametrize("entry, name", [
    ("Zoë Müller", "Zoë Müller"), ("Zoe\u0308.zip", "Zoë"), ("李雷", "李雷"),
    ("a:b|c?*", "a_b_c__"), ("..hidden", "hidden"), ("=HYPERLINK()", "HYPERLINK()"),
    ("tab\there", "tab_here"), ("", "student")])
def test_student_names_keep_their_letters(tmp_path, entry, name):
    path = tmp_path / (entry or "x")
    if entry.endswith(".zip"):
        path.write_bytes(b"")
    assert student_name(path if entry else Path("")) == name


def test_a_syntax_error_names_its_file_and_line_once():
    from grader.grading.channel import rebuild_error
    from grader.grading.worker.server import describe_error
    from grader.testing.plugin import _message

    source = "x = 1\n" * 59 + "y = f(a b)\n"
    try:
        compile(source, "/kata/sub/ch02_dense.py", "exec")
    except SyntaxError as err:
        described = json.loads(json.dumps(describe_error(err)))  # what crosses the channel
    rebuilt = rebuild_error(described)
    assert (rebuilt.filename, rebuilt.lineno) == ("exercises/ch02_dense.py", 60)

    class Info:
        value = rebuilt
    text = _message(Info, REPO)
    assert text.startswith("SyntaxError in exercises/ch02_dense.py, line 60: ")
    assert "in ?," not in text and "None" not in text and text.count("line 60") == 1


def test_keep_work_is_in_the_help():
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert "--keep-work" in done.stdout
