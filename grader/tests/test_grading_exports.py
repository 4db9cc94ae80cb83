"""``kata release``, ``kata gradescope`` (run against a fake /autograder tree) and
``kata classroom``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)


def test_release_has_stubs_and_public_tests_only_and_starts_not_started(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    (root / "tests" / "hidden").mkdir()
    (root / "tests" / "hidden" / "test_ch01_neurons_hidden.py").write_text("# secret\n")
    (root / "docs" / "instructors.md").write_text("# for instructors only\n")
    release = tmp_path / "release"
    code, output = kata_cli(root, "release", str(release), "--chapters", "01")
    assert code == 0, output
    names = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert "exercises/ch01_neurons.py" in names and "tests/test_ch01_neurons.py" in names
    assert "grader/cli.py" in names and "docs/ch01_neurons.md" in names
    for forbidden in ("solutions/", "mistakes/", "tests/hidden/", "grader/tests/", "docs/instructors.md",
                      "exercises/ch02_dense.py", "tests/test_ch02_dense.py"):
        assert not any(n.startswith(forbidden) for n in names), forbidden
    for folder in ("exercises", "tests", "docs"):
        for path in (release / folder).rglob("*"):
            assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8"), path
    assert (release / "exercises" / "ch01_neurons.py").read_text() == \
        (root / "exercises" / "ch01_neurons.py").read_text()
    assert '"02"' not in (release / "curriculum.toml").read_text()

    env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
    env["PYTHONPATH"] = str(release)  # the release's own grader, not this repository's
    board = subprocess.run([sys.executable, "-m", "grader", "list"], cwd=release, env=env,
                           capture_output=True, text=True, timeout=120)
    assert board.returncode == 0, board.stderr
    assert "0/3 exercises" in board.stdout and board.stdout.count("not started") == 3

    code, output = kata_cli(root, "release", str(release))
    assert code == 2 and "exists" in output
    code, output = kata_cli(root, "release", str(root))
    assert code == 2


def test_gradescope_bundle_grades_a_fake_autograder_tree(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    bundle = tmp_path / "autograder.zip"
    code, output = kata_cli(root, "gradescope", str(bundle), "--only", "01")
    assert code == 0, output
    tree = tmp_path / "autograder"
    (tree / "submission" / "nested").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        archive.extractall(tree / "source")
    assert {"setup.sh", "run_autograder", "kata-grading.json", "grader/grading/engine.py",
            "solutions/ch01_neurons.py", "tests/test_ch01_neurons.py"} <= set(names)
    assert not any(n.startswith(("grader/tests/", "mistakes/")) for n in names)
    shutil.copy(tree / "source" / "run_autograder", tree / "run_autograder")
    shutil.copy(root / "solutions" / "ch01_neurons.py", tree / "submission" / "nested")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KATA_"))}
    env.update(KATA_AUTOGRADER_ROOT=str(tree), KATA_PYTHON=sys.executable)
    modes = {p: p.stat().st_mode for p in [tree / "source", *(tree / "source").rglob("*")]}
    done = subprocess.run(["bash", str(tree / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=240)
    # a local test tree is left as it was (permissions are restricted on a real /autograder only)
    assert {p: p.stat().st_mode for p in modes} == modes
    results = json.loads((tree / "results" / "results.json").read_text())
    assert results["score"] == 7.0, (done.stdout, done.stderr, results)
    assert len(results["tests"]) > 3 and all(t["status"] == "passed" for t in results["tests"])
    assert "Sandbox:" in results["output"]


def test_classroom_workflow_runs_the_same_grading_per_push(repo_copy, kata_cli, tmp_path):
    from grader.grading.classroom import check

    root = repo_copy()
    code, output = kata_cli(root, "classroom", str(tmp_path / "template"), "--only", "01")
    assert code == 0, output
    text = (tmp_path / "template" / ".github" / "workflows" / "classroom.yml").read_text()
    assert "python -m grader.grading grade . --single" in text
    assert text.count("autograding-command-grader@v1") == 3 and "max-score: 3" in text
    assert "runners: ex01_1,ex01_2,ex01_3" in text and 'EX01_2_RESULTS: "${{steps.ex01_2.outputs.result}}"' in text

    out = tmp_path / "graded" / "_instructor"
    out.mkdir(parents=True)
    record = {"exercises": [{"id": "01.1", "status": "passed", "points": 2, "max_points": 2, "tests": []},
                            {"id": "01.2", "status": "failed", "points": 1, "max_points": 2,
                             "tests": [{"name": "t", "status": "failed", "hidden": False, "message": "m"}]}]}
    (out / "student.json").write_text(json.dumps({"result": record}))
    assert check(tmp_path / "graded", "01.1") == 0
    assert check(tmp_path / "graded", "01.2") == 1
    assert check(tmp_path / "nowhere", "01.1") == 2


def test_gradescope_setup_installs_the_tested_versions_and_fails_loudly(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    bundle = tmp_path / "autograder.zip"
    code, output = kata_cli(root, "gradescope", str(bundle), "--only", "01")
    assert code == 0, output
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
        pins = archive.read("grader/grading/constraints.txt").decode()
    for package in ("pytest", "pytest-timeout", "hypothesis", "numpy"):
        assert f"\n{package}==" in pins, package
    assert "set -euo pipefail" in setup and "-c grader/grading/constraints.txt" in setup
    assert "2>/dev/null" not in setup and "|| " not in setup  # no install error is swallowed
    # A failing install stops the build with the installer's own error on screen.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text("#!/bin/sh\nexit 0\n")
    (fake / "python3").write_text("#!/bin/sh\necho 'ERROR: no matching distribution' >&2\nexit 1\n")
    for tool in fake.iterdir():
        tool.chmod(0o755)
    (tmp_path / "setup.sh").write_text(setup)
    done = subprocess.run(["bash", str(tmp_path / "setup.sh")], capture_output=True, text=True,
                          env={"PATH": f"{fake}:/usr/bin:/bin"}, timeout=60)
    assert done.returncode != 0 and "no matching distribution" in done.stderr


def test_classroom_workflow_installs_the_tested_versions(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    release = tmp_path / "release"
    assert kata_cli(root, "release", str(release), "--chapters", "01")[0] == 0
    code, output = kata_cli(root, "classroom", str(release), "--only", "01")
    assert code == 0, output
    text = (release / ".github" / "workflows" / "classroom.yml").read_text()
    assert "pip install -q -c grader/grading/constraints.txt -e ." in text
    assert (release / "grader" / "grading" / "constraints.txt").is_file()


def test_pyproject_allows_only_the_pytest_majors_that_are_tested():
    text = (REPO / "pyproject.toml").read_text()
    assert '"pytest>=7.4,<10"' in text
    assert 'pytest==7.4' in (REPO / ".ci" / "run").read_text()  # the oldest, tested in CI
