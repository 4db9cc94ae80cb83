"""`kata watch NN.M`: one warm process that re-checks the exercise after every save, each check
in a fresh child (the learner's new code, never a stale import)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.learn.watch import WATCHING
from grader.testing.splice import extract, splice

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the warm watcher forks")


def _reader(proc) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # the end of the output

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until_watching(lines: queue.Queue, timeout: float = 60) -> str:
    """Everything the watcher prints up to its next 'watching' line."""
    seen = []
    try:
        while not seen or not seen[-1].startswith(WATCHING):
            seen.append(lines.get(timeout=timeout) or "(the watcher ended)")
    except queue.Empty:
        raise AssertionError("kata watch said nothing in time:\n" + "".join(seen)) from None
    return "".join(seen)


def test_watch_rechecks_after_each_save_with_the_new_code(repo_copy):
    root = repo_copy()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("KATA_ROOT", None)
    proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", "01.1"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = _reader(proc)
    try:
        first = _until_watching(lines)
        assert "checking 01.1 One neuron" in first and "not started" in first
        path = root / "exercises" / "ch01_neurons.py"
        reference = extract((root / "solutions" / "ch01_neurons.py").read_text(), "neuron_output")
        path.write_text(splice(path.read_text(), "neuron_output", reference))
        second = _until_watching(lines)
        assert "4/4 tests pass" in second and "Passed!" in second
        path.write_text(splice(path.read_text(), "neuron_output",
                               "def neuron_output(inputs, weights, bias):\n    return 0.0\n"))
        third = _until_watching(lines)
        assert "tests pass" in third and "Passed!" not in third
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        rest = "".join(iter(lambda: lines.get(timeout=10), None))
        assert "kata watch: stopped." in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
