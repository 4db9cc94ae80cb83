"""A student release that works: its README is written for students, every link in it resolves
and every command it shows runs in the release; instructor-only commands say so in one line;
the manifest carries only the released chapters and, with ``--max-hints``, capped ladders."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(600)
INSTALL = {"python3 bootstrap.py"}


def release_env(release: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_ROOT", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(release)  # the release's own grader
    return env


def run_in(release: Path, *argv: str, timeout: float = 120) -> tuple[int, str]:
    done = subprocess.run([sys.executable, *argv], cwd=release, env=release_env(release),
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def release(repo_copy, kata_cli, tmp_path) -> Path:
    root = repo_copy(chapters=("01", "02"))
    out = tmp_path / "release"
    code, output = kata_cli(root, "release", str(out), "--chapters", "01", "02", "--max-hints", "2")
    assert code == 0, output
    return out


def commands(readme: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
            if line.split("#")[0].strip()]


def test_the_readme_is_for_students_and_its_links_resolve(release):
    readme = (release / "README.md").read_text(encoding="utf-8")
    for word in ("## Install", "## The loop", "## Hints", "## How to hand in"):
        assert word in readme
    for forbidden in ("instructors.md", "nbgrader.md", "--solutions", "kata verify",
                      "--reference-prereqs", "CONTRIBUTING", "solutions/"):
        assert forbidden not in readme, forbidden
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert len(links) >= 4  # notes and exercise file of each chapter
    for link in links:
        assert not link.startswith(("http:", "https:")) and (release / link).is_file(), link


def test_every_command_in_the_readme_works_in_the_release(release):
    readme = (release / "README.md").read_text(encoding="utf-8")
    shown = commands(readme)
    assert INSTALL <= set(shown) and "kata check" in shown and "kata hint 01.1" in shown
    for command in shown:
        if command in INSTALL:
            continue  # the install itself: pyproject.toml is there, and `kata` below runs
        argv = shlex.split(command)
        if argv[0] == "kata":
            code, output = run_in(release, "-m", "grader", *argv[1:])
        else:
            assert argv[0] == "pytest", command
            code, output = run_in(release, "-m", "pytest", *argv[1:], "-q", "-p", "no:cacheprovider")
        # 1: tests fail on the untouched stubs, as they should; never a usage error or a crash
        assert code in (0, 1) and "Traceback" not in output, (command, output)
        assert "instructor" not in output, (command, output)
    assert (release / "pyproject.toml").is_file() and (release / "bootstrap.py").is_file()


@pytest.mark.parametrize("argv", [["verify"], ["demo", "spiral", "--solutions"],
                                  ["check", "01.1", "--reference-prereqs"], ["stubs"]])
def test_instructor_commands_say_so_in_one_line(release, argv):
    code, output = run_in(release, "-m", "grader", *argv)
    assert code == 2 and len(output.strip().splitlines()) == 1, output
    assert "needs the instructor's copy" in output and "Traceback" not in output


def test_the_manifest_holds_the_released_chapters_with_capped_ladders(release):
    from grader.manifest import parse_manifest, tomllib

    data = tomllib.loads((release / "curriculum.toml").read_text(encoding="utf-8"))
    manifest = parse_manifest(data, release)
    assert [ch.id for ch in manifest.chapters] == ["01", "02"]
    assert all(1 <= len(ex.hints) <= 2 for ex in manifest.exercises)
    assert any(len(ex.hints) == 2 for ex in manifest.exercises)


def test_cap_hints_and_subsets_keep_a_manifest_that_loads():
    from grader.grading.handout import cap_hints, manifest_subset
    from grader.manifest import parse_manifest, tomllib

    repo = Path(__file__).resolve().parents[2]
    text = (repo / "curriculum.toml").read_text(encoding="utf-8")
    one = manifest_subset(text, {"05"})  # 05.3 requires 02.4: dropped, not dangling
    capped = cap_hints(one, 1)
    manifest = parse_manifest(tomllib.loads(capped), repo)
    assert [ch.id for ch in manifest.chapters] == ["05"]
    assert all(len(ex.hints) == 1 for ex in manifest.exercises)
    assert all(r.startswith("05.") for ex in manifest.exercises for r in ex.requires)
    with pytest.raises(ValueError):
        cap_hints(text, 0)
