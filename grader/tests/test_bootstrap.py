"""`python3 bootstrap.py`: from a fresh clone, one command sets up .venv and shows the board."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_bootstrap():
    spec = importlib.util.spec_from_file_location("kata_bootstrap", REPO / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def clone(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    # the working tree's bootstrap.py, so the test checks the code being changed
    shutil.copy2(REPO / "bootstrap.py", target / "bootstrap.py")
    return target


@pytest.mark.timeout(900)  # a real pip install into a new virtual environment
def test_first_run_installs_and_shows_the_board_second_run_is_a_no_op(clone):
    first = subprocess.run([sys.executable, "bootstrap.py"], cwd=clone, capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "creating a virtual environment" in first.stdout
    assert "Next: 01.1" in first.stdout and "not started" in first.stdout
    assert (clone / ".venv").is_dir()
    stamp = (clone / ".venv" / "kata-installed.txt").read_text()

    started = time.monotonic()
    second = subprocess.run([sys.executable, "bootstrap.py"], cwd=clone, capture_output=True,
                            text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert second.returncode == 0, second.stdout + second.stderr
    assert "installing" not in second.stdout and "creating" not in second.stdout
    assert "Next: 01.1" in second.stdout
    assert (clone / ".venv" / "kata-installed.txt").read_text() == stamp
    assert elapsed < 30, f"the second run took {elapsed:.1f} s; it should skip the install"
    # nothing outside .venv and the ignored .kata/ changed in the checkout
    status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    changed = [line for line in status.splitlines() if not line.endswith("bootstrap.py")]
    assert not changed, status


def test_too_old_python_is_named_with_the_fix(monkeypatch, capsys):
    bootstrap = _load_bootstrap()
    monkeypatch.setattr(bootstrap.sys, "version_info", (3, 9, 18, "final", 0))
    with pytest.raises(SystemExit) as stop:
        bootstrap.check_python()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "3.10 or newer" in err and "this is Python 3.9" in err


def test_missing_venv_module_names_the_debian_package(monkeypatch, capsys):
    bootstrap = _load_bootstrap()
    monkeypatch.setitem(sys.modules, "ensurepip", None)  # as on Debian without python3-venv
    with pytest.raises(SystemExit):
        bootstrap.check_python()
    assert "apt install python3-venv" in capsys.readouterr().err
