"""Fixtures for the grader's own tests: throw-away copies of the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_copies import REPO, copy_course


@pytest.fixture
def repo_copy(tmp_path: Path):
    """A copy of the repository restricted to some chapters (01-02 by default), as a learner
    would have it."""

    def make(chapters=("01", "02")) -> Path:
        return copy_course(tmp_path / "repo", chapters)

    return make


def _installed_from_here() -> bool:
    """Whether the installed ``kata`` script runs this checkout (an editable install of REPO)."""
    import json
    from importlib import metadata

    try:
        text = metadata.distribution("deep-learning-foundations").read_text("direct_url.json")
        url = json.loads(text or "{}").get("url", "")
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return url.startswith("file://") and Path(url[len("file://"):]).resolve() == REPO


@pytest.fixture
def kata_cli():
    """Run ``python -m grader ARGS`` in a folder; returns (exit code, output)."""

    # The installed console script when there is one (as learners run it: the current folder
    # is then NOT on sys.path), else `python -m grader` with this checkout's package.
    script = Path(sys.executable).with_name("kata")
    if not _installed_from_here():
        script = Path("/nonexistent/kata")  # it would run another checkout's grader
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "grader"]

    def run(root: Path, *args: str, timeout: float = 120) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
        # The grader package under test is this checkout's, also when the console script was
        # installed from another one (a worktree next to main); the copy's folder stays off
        # sys.path either way.
        env["PYTHONPATH"] = str(REPO)
        proc = subprocess.run([*command, *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=timeout)
        return proc.returncode, proc.stdout + proc.stderr

    return run
