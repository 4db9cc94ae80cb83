"""The nbgrader front door without nbgrader: blocks, the splice rule, notebook_to_sources,
the course builder, and the test cells' separate process (no Jupyter kernel needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grader.manifest import load_manifest
from grader.nbgrader import cell as test_cell
from grader.nbgrader import process
from grader.nbgrader.blocks import exercise_blocks, join_blocks, split_blocks
from grader.nbgrader.course import ready
from grader.nbgrader.extract import NotebookError, notebook_to_sources
from grader.nbgrader.notebook import cell_text, chapter_notebook
from grader.nbgrader.splice import rebuild
from grader.author.stubgen import HEADER, generate_stub

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(REPO)
CHAPTERS = [ch for ch in MANIFEST.chapters if ready(MANIFEST, ch) is None]
CH01 = MANIFEST.chapter("01")


def reference(chapter) -> str:
    return (REPO / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")


def stub(chapter) -> str:
    return generate_stub(reference(chapter), chapter)


def write_notebook(path: Path, cells: list[str], module: str = "ch01_neurons") -> Path:
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": text} for text in cells],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    target = path / f"{module}.ipynb"
    target.write_text(json.dumps(notebook), encoding="utf-8")
    return target


def solution_cells(chapter) -> dict[str, str]:
    """Exercise block name -> the source notebook's solution cell."""
    notebook = chapter_notebook(chapter, reference(chapter), None)
    return {c["metadata"]["kata"]["block"]: cell_text(c) for c in notebook["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")}


# ------------------------------------------------------------------- every chapter present
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda ch: ch.module)
def test_blocks_cut_reference_and_stub_alike_and_join_back(chapter):
    names = set(exercise_blocks(chapter))
    ref_blocks = split_blocks(reference(chapter), names)
    stub_blocks = split_blocks(stub(chapter), names)
    assert join_blocks(ref_blocks) == reference(chapter)
    assert join_blocks(stub_blocks) == stub(chapter)
    assert [b.name for b in ref_blocks] == [b.name for b in stub_blocks]
    assert {b.name for b in ref_blocks} - {None} == names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda ch: ch.module)
def test_source_notebook_gives_the_reference_and_its_stub_cells_give_the_stub(chapter, tmp_path):
    notebook = chapter_notebook(chapter, reference(chapter), None)
    path = tmp_path / f"{chapter.module}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    header = HEADER.format(chapter=chapter.id, title=chapter.title, module=chapter.module)
    expected = {f"{chapter.module}.py": header + reference(chapter)}
    assert notebook_to_sources(path, MANIFEST) == expected
    names = set(exercise_blocks(chapter))
    released = [b.code for b in split_blocks(stub(chapter), names) if b.name]
    assert rebuild(stub(chapter), chapter, released) == stub(chapter)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda ch: ch.module)
def test_every_exercise_has_one_stub_and_one_test_cell_worth_its_points(chapter):
    notebook = chapter_notebook(chapter, reference(chapter), None)
    stubs = [s for c in notebook["cells"] for s in c["metadata"].get("kata", {}).get("stubs", [])]
    stubbed = [line.split('"Exercise ')[1].split(":")[0] for _, line in stubs]
    assert sorted(stubbed) == sorted(ex.id for ex in chapter.exercises)
    tests = {c["metadata"]["kata"]["exercise"]: c["metadata"]["nbgrader"]["points"]
             for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    assert tests == {ex.id: ex.points for ex in chapter.exercises}


# ------------------------------------------------------------------- the splice rule
def test_last_definition_wins_and_unparsable_cells_define_nothing(tmp_path):
    cells = solution_cells(CH01)
    broken = "def neuron_output(inputs, weights, bias):\n    return (\n"
    wrong = "def layer_output(inputs, weights, biases):\n    return 0"
    path = write_notebook(tmp_path, [cells["neuron_output"], broken, wrong, cells["layer_output"]])
    module = notebook_to_sources(path, MANIFEST)["ch01_neurons.py"]
    assert "return float(np.dot(inputs, weights) + bias)" in module  # the parsable definition
    assert "return 0\n" not in module                                 # superseded
    assert "no cell of the notebook defines batch_output" in module   # never defined
    namespace: dict = {}
    exec(compile(module, "ch01_neurons.py", "exec"), namespace)
    with pytest.raises(NameError, match="Exercise 01.3"):
        namespace["batch_output"]([[1.0]], [[1.0]], [0.0])


def test_only_definitions_leave_the_notebook(tmp_path):
    cells = solution_cells(CH01)
    hostile = ("import os\nos._exit(0)\nwhile True:\n    pass\n"
               "import numpy.testing as npt\nnpt.assert_allclose = lambda *a, **k: None\n")
    demo = cells["neuron_output"] + "\n\nprint(neuron_output([1.0], [2.0], 3.0))\nEPS = 1e-12\n"
    helper = "import math\n\ndef _double(x):\n    return 2 * x\n\n_double(1)\n"
    path = write_notebook(tmp_path, [hostile, demo, helper])
    module = notebook_to_sources(path, MANIFEST)["ch01_neurons.py"]
    for gone in ("os._exit", "while True", "npt.assert_allclose", "print(", "_double(1)"):
        assert gone not in module
    for kept in ("EPS = 1e-12", "import math", "def _double(x):", "import numpy.testing as npt"):
        assert kept in module
    assert module.index("def _double") > module.index("def batch_output")  # helpers at the end
    exec(compile(module, "ch01_neurons.py", "exec"), {})


def test_notebook_imports_become_relative_again(tmp_path):
    chapter = MANIFEST.chapter("02")
    cells = solution_cells(chapter)
    extra = "from dlf.core import Parameter as P\n\ndef make(x):\n    return P(x)\n"
    path = write_notebook(tmp_path, [cells["Dense"], extra], module="ch02_dense")
    module = notebook_to_sources(path, MANIFEST)["ch02_dense.py"]
    assert "from .core import Parameter as P" in module and "dlf" not in module


def test_a_cell_holding_two_exercise_blocks_is_spliced_once(tmp_path):
    cells = solution_cells(CH01)
    both = cells["neuron_output"] + "\n\n\n" + cells["layer_output"]
    path = write_notebook(tmp_path, [both, cells["batch_output"]])
    module = notebook_to_sources(path, MANIFEST)["ch01_neurons.py"]
    assert module.count("def neuron_output(") == 1 and module.count("def layer_output(") == 1
    exec(compile(module, "ch01_neurons.py", "exec"), {})


def test_magics_and_input_transformers_do_not_reach_the_module(tmp_path):
    cells = solution_cells(CH01)
    blanker = ("%time x = 1\n!echo hi\nget_ipython().input_transformers_cleanup.append("
               "lambda lines: [])\n")
    path = write_notebook(tmp_path, [blanker, cells["neuron_output"]])
    module = notebook_to_sources(path, MANIFEST)["ch01_neurons.py"]
    assert "input_transformers" not in module and "echo" not in module
    assert "return float(np.dot(inputs, weights) + bias)" in module


def test_files_that_are_not_kata_notebooks_are_refused(tmp_path):
    (tmp_path / "notes.ipynb").write_text("{not json")
    with pytest.raises(NotebookError, match="cannot read"):
        notebook_to_sources(tmp_path / "notes.ipynb", MANIFEST)
    other = write_notebook(tmp_path, ["x = 1"], module="homework")
    with pytest.raises(NotebookError, match="not a notebook of a kata chapter"):
        notebook_to_sources(other, MANIFEST)


# ------------------------------------------------------------------- the test cells
INFO = {"title": "One neuron", "symbol": "neuron_output", "points": 2.0}


def _outcome(statuses, problem=""):
    names = [f"test_{i}" for i in range(len(statuses))]
    records = [{"exercise": "01.1", "test": f"tests/t.py::{n}", "status": s,
                "message": f"{n} says why"} for n, s in zip(names, statuses) if s is not None]
    return {"collected": [(f"tests/t.py::{n}", n) for n in names], "records": records,
            "problem": problem}


def test_summary_scores_the_share_of_passing_tests():
    points, lines = test_cell.summarize("01.1", INFO, _outcome(["passed"] * 3 + ["failed"]))
    assert points == 1.5
    assert lines[0] == "01.1 One neuron: 3/4 tests pass, 1.5/2 points"
    assert "  x test_3: failed" in lines and "    test_3 says why" in lines


def test_summary_of_an_untouched_stub_and_of_a_crash():
    points, lines = test_cell.summarize("01.1", INFO, _outcome(["not started"] * 4))
    assert points == 0 and "not started" in lines[0]
    points, lines = test_cell.summarize(
        "01.1", INFO, _outcome(["passed", None], problem="the test process ended early"))
    assert points == 1.0
    assert "  x test_1: did not report" in lines and "  the test process ended early" in lines


def test_a_timeout_is_blamed_on_the_exercise_that_used_the_time():
    outcome = {"timed_out": True, "started": 100.0, "ended": 110.0,
               "records": [{"exercise": "01.1", "test": "t", "t": 101.0}]}
    assert process.to_blame(outcome, ["01.1", "01.2"], "01.2", time_limit=10)  # 9 s alone
    outcome["records"][0]["t"] = 108.0
    assert not process.to_blame(outcome, ["01.1", "01.2"], "01.2", time_limit=10)  # 2 s
    assert process.to_blame(outcome, ["01.2"], "01.2", time_limit=10)  # it ran first
    assert process.to_blame({**outcome, "timed_out": False}, ["01.1", "01.2"], "01.2", 10)


@pytest.fixture(scope="module")
def course01(tmp_path_factory):
    """A course with chapter 01 built by the real command."""
    from grader.nbgrader.course import build_course

    course = tmp_path_factory.mktemp("course")
    lines, problems = build_course(MANIFEST, course, {"01"}, time_limit=20)
    assert not problems and any("ch01_neurons.ipynb" in line for line in lines)
    return course / "source" / "ch01_neurons"


def _bundle_cell(course01):
    """The copy of cell.py that ships with the assignment (not the one in the repository)."""
    import importlib

    from grader.testing.targets import load_package

    name = f"shipped_kata_tests_{abs(hash(str(course01)))}"  # one package per assignment
    load_package(course01 / "kata_tests", name)
    return importlib.import_module(f"{name}.cell")


def test_separate_process_grades_the_notebook_code(course01, monkeypatch):
    shipped = _bundle_cell(course01)
    settings = json.loads((course01 / "kata_tests" / "settings.json").read_text())
    notebook = json.loads((course01 / "ch01_neurons.ipynb").read_text())
    cells = [cell_text(c) for c in notebook["cells"] if c["cell_type"] == "code"]
    outcome = shipped.run_tests(["01.1", "01.2", "01.3"], cells, time_limit=60)
    assert outcome["done"] and not outcome["problem"]
    for ex_id, info in settings["exercises"].items():
        points, _ = shipped.summarize(ex_id, info, shipped.for_exercise(outcome, ex_id))
        assert points == info["points"]


def test_os_exit_inside_an_exercise_costs_that_exercise_only(course01):
    shipped = _bundle_cell(course01)
    settings = json.loads((course01 / "kata_tests" / "settings.json").read_text())
    cells = solution_cells(CH01)
    exiting = cells["neuron_output"].replace(
        "    ### BEGIN SOLUTION", "    import os\n    os._exit(0)\n    ### BEGIN SOLUTION")
    sources = [exiting, cells["layer_output"], cells["batch_output"]]
    result = shipped.results_for("01.1", settings, sources, ahead=True)
    points, lines = shipped.summarize("01.1", settings["exercises"]["01.1"], result)
    assert points == 0 and "ended early (exit code 0)" in "\n".join(lines)
    result = shipped.results_for("01.2", settings, sources, ahead=True)  # its own run
    assert shipped.summarize("01.2", settings["exercises"]["01.2"], result)[0] == 2.0


def test_course_builder_refuses_to_overwrite_and_names_what_it_skips(tmp_path, repo_copy, kata_cli):
    root = repo_copy(("01", "02"))
    (root / "tests" / "test_ch02_dense.py").unlink()
    code, out = kata_cli(root, "nbgrader", str(tmp_path / "course"))
    assert code == 0, out
    assert "source/ch01_neurons/ch01_neurons.ipynb: 3 exercises, 7 points" in out
    assert "skipped chapter 02: tests/test_ch02_dense.py is missing" in out
    compile((tmp_path / "course" / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec")
    code, out = kata_cli(root, "nbgrader", str(tmp_path / "course"))
    assert code == 2 and "use --force" in out
    code, out = kata_cli(root, "nbgrader", str(tmp_path / "course"), "--force")
    assert code == 0, out


def test_our_clear_solutions_writes_the_kata_stubs():
    pytest.importorskip("nbgrader")
    from nbformat import from_dict
    from traitlets.config import Config

    from grader.nbgrader.config import config_text

    namespace = {"get_config": Config}
    exec(compile(config_text(30, 60), "nbgrader_config.py", "exec"), namespace)
    clear = namespace["KataClearSolutions"]()
    for chapter in CHAPTERS:
        names = set(exercise_blocks(chapter))
        expected = [b.code for b in split_blocks(stub(chapter), names) if b.name]
        notebook = chapter_notebook(chapter, reference(chapter), None)
        got = []
        for raw in notebook["cells"]:
            if raw["metadata"].get("nbgrader", {}).get("solution"):
                cell = from_dict(raw)
                cell.source = cell_text(raw)
                clear.preprocess_cell(cell, {"language": "python"}, 0)
                got.append(cell.source)
        # the notebook's TODO lines point at the hints folded above, not at `kata hint`
        for ex in chapter.exercises:
            expected = [e.replace(f"`kata hint {ex.id}`", f"open the hints of {ex.id} above")
                        for e in expected]
        assert got == [to_notebook(e) for e in expected], chapter.id


def to_notebook(code: str) -> str:
    from grader.nbgrader.blocks import to_notebook_imports

    return to_notebook_imports(code)


@pytest.mark.parametrize("name", ["cell.py", "process.py", "harness.py"])
def test_kernel_side_needs_nothing_but_the_standard_library(name):
    source = (REPO / "grader" / "nbgrader" / name).read_text()
    imported = {line.split()[1].split(".")[0] for line in source.splitlines()
                if line.startswith(("import ", "from ")) and "__future__" not in line}
    assert imported - {""} <= set(sys.stdlib_module_names)  # "from .process" splits to ""


HIDDEN_TEST = """\
import numpy as np
import pytest


@pytest.mark.exercise("01.1")
def test_neuron_secret_case(kata, check):
    check.close(kata.neuron_output(np.array([2.0]), np.array([3.0]), 1.0), 7.0, "the secret case")
"""


def test_hidden_tests_count_while_grading_and_stay_anonymous(repo_copy, kata_cli, tmp_path):
    root = repo_copy(("01",))
    (root / "tests" / "hidden").mkdir()
    (root / "tests" / "hidden" / "test_ch01_neurons_secret.py").write_text(HIDDEN_TEST)
    code, out = kata_cli(root, "nbgrader", str(tmp_path / "course"))
    assert code == 0, out
    folder = tmp_path / "course" / "source" / "ch01_neurons"
    settings = json.loads((folder / "kata_tests" / "settings.json").read_text())
    assert settings["hidden_files"] == ["tests/hidden/test_ch01_neurons_secret.py"]
    shipped = _bundle_cell(folder)
    wrong = "def neuron_output(inputs, weights, bias):\n    return 0.0\n"
    part = shipped.for_exercise(shipped.run_tests(["01.1"], [wrong], time_limit=60), "01.1")
    assert [label for _, label in part["collected"]][-1] == "hidden test 1"
    points, lines = shipped.summarize("01.1", settings["exercises"]["01.1"], part)
    assert lines[0].startswith("01.1 One neuron: 0/5 tests pass")
    assert "  x hidden test 1: failed" in lines and "secret" not in "\n".join(lines)
    # the release has no hidden tests: the same cell then runs the public ones only
    (folder / "kata_tests" / "tests" / "hidden" / "test_ch01_neurons_secret.py").unlink()
    part = shipped.for_exercise(shipped.run_tests(["01.1"], [wrong], time_limit=60), "01.1")
    assert len(part["collected"]) == 4


def test_config_hooks_keep_hidden_tests_out_of_release_and_feedback(tmp_path):
    pytest.importorskip("nbgrader")
    from traitlets.config import Config

    from grader.nbgrader.config import config_text

    namespace = {"get_config": Config}
    exec(compile(config_text(30, 60), "nbgrader_config.py", "exec"), namespace)
    for step in ("source/ch01_neurons", "release/ch01_neurons", "autograded/ann/ch01_neurons",
                 "feedback/ann/ch01_neurons"):
        (tmp_path / step / "kata_tests" / "tests" / "hidden").mkdir(parents=True)
    notebook = "ch01_neurons.ipynb"
    namespace["keep_hidden_tests_out_of_the_release"](
        assignment="ch01_neurons", student=".",
        notebooks=[str(tmp_path / "source" / "." / "ch01_neurons" / notebook)])
    assert not (tmp_path / "release/ch01_neurons/kata_tests/tests/hidden").exists()
    assert (tmp_path / "source/ch01_neurons/kata_tests/tests/hidden").exists()
    namespace["keep_tests_out_of_feedback"](
        assignment="ch01_neurons", student="ann",
        notebooks=[str(tmp_path / "autograded/ann/ch01_neurons" / notebook)])
    assert not (tmp_path / "feedback/ann/ch01_neurons/kata_tests").exists()
    assert (tmp_path / "autograded/ann/ch01_neurons/kata_tests").exists()


# ------------------------------------------------------------- what a hand-out carries and says
def test_the_hand_out_carries_only_its_chapter_of_the_manifest(tmp_path):
    from grader.nbgrader.bundle import write_bundle
    from grader.manifest import MANIFEST_NAME, load_manifest as load

    chapter = MANIFEST.chapter("02")
    notebook = chapter_notebook(chapter, reference(chapter), None)
    write_bundle(MANIFEST, chapter, notebook, tmp_path, 8.0)
    handed_out = load(tmp_path / "kata_tests")
    assert [ch.id for ch in handed_out.chapters] == ["02"]
    later = MANIFEST.exercise("03.1").hints[-1]
    assert later not in (tmp_path / "kata_tests" / MANIFEST_NAME).read_text(encoding="utf-8")


@pytest.mark.parametrize("chapter", CHAPTERS[:3], ids=lambda ch: ch.module)
def test_notebook_messages_point_at_the_notebook_not_at_kata(chapter):
    from grader.testing.checks import Checker, KataAssertion

    notebook = chapter_notebook(chapter, reference(chapter), None)
    stubs = [line for c in notebook["cells"] for s in c["metadata"].get("kata", {}).get("stubs", [])
             for line in s]
    assert stubs and not any("kata hint" in line for line in stubs)
    exercise = chapter.exercises[0]
    with pytest.raises(KataAssertion) as failure:
        Checker(exercise).fail("out is wrong", "worst entry [0]")
    outcome = {"collected": [("test_a", "test_a")], "problem": "",
               "records": [{"test": "test_a", "status": "failed", "message": str(failure.value)}]}
    info = {"title": exercise.title, "symbol": exercise.symbol, "points": exercise.points}
    _, lines = test_cell.summarize(exercise.id, info, outcome)
    text = "\n".join(lines)
    assert "docs/" not in text and "kata hint" not in text, text
    assert f"open the hints of {exercise.id} above" in text
