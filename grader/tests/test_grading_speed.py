"""Unfinished work is cheapest to grade: an untouched chapter never reaches pytest or the sandbox,
and an exercise whose first test hits its stub is not started without its other tests going
through the worker. (Speed itself is measured in benchmarks/grading.py, never in a test.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)


def stream(out: Path, student: str) -> list[dict]:
    path = out / ".work" / student / "stream.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def test_untouched_chapters_are_not_started_without_running_anything(repo_copy, kata_cli, tmp_path):
    root = repo_copy()
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "idle").mkdir(parents=True)
    (subs / "idle" / "ch01_neurons.py").write_bytes((root / "exercises" / "ch01_neurons.py").read_bytes())
    (subs / "busy").mkdir()
    (subs / "busy" / "ch02_dense.py").write_bytes((root / "solutions" / "ch02_dense.py").read_bytes())
    code, output = kata_cli(root, "grade", str(subs), "--out", str(out), "--keep-work")
    assert code == 0, output
    assert "idle: 0/16 points (8 not started)" in output and "busy: 9/16 points" in output, output
    assert not (out / ".work" / "idle").exists()  # no trusted pytest process, no sandbox
    busy = stream(out, "busy")
    graded = {t["exercise"] for e in busy if e.get("event") == "collected" for t in e["tests"]}
    assert graded == {"02.1", "02.2", "02.3", "02.4", "02.5"}  # chapter 01 never ran
    idle = json.loads((out / "_instructor" / "idle.json").read_text())["result"]
    tests = [t for e in idle["exercises"] for t in e["tests"]]
    assert len(tests) > 8 and all(t["status"] == "not started" for t in tests)
    assert "Time per chapter: 01 " in output


def test_an_exercise_whose_first_test_hits_its_stub_skips_the_worker_after(repo_copy, kata_cli, tmp_path):
    from grader.testing.splice import extract, splice

    root = repo_copy(chapters=("01",))
    stub = (root / "exercises" / "ch01_neurons.py").read_text()
    reference = (root / "solutions" / "ch01_neurons.py").read_text()
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "ch01_neurons.py").write_text(
        splice(stub, "neuron_output", extract(reference, "neuron_output")))
    code, output = kata_cli(root, "grade", str(subs), "--out", str(out), "--keep-work")
    assert code == 0, output
    assert "ann: 2/7 points (2 not started, 1 passed)" in output, output
    events = [e for e in stream(out, "ann") if e.get("event") == "test" and e["status"] != "passed"]
    collected = next(e["tests"] for e in stream(out, "ann") if e.get("event") == "collected")
    for exercise in ("01.2", "01.3"):
        nodeids = [t["nodeid"] for t in collected if t["exercise"] == exercise]
        phases = [(e["when"], e["status"]) for n in nodeids for e in events if e["nodeid"] == n]
        assert phases[0] == ("call", "not started"), phases  # the first test ran on the stub
        assert phases[1:] == [("setup", "not started")] * (len(nodeids) - 1), phases
    record = json.loads((out / "_instructor" / "ann.json").read_text())["result"]
    by_id = {e["id"]: e for e in record["exercises"]}
    assert by_id["01.2"]["status"] == "not started"
    assert all("exercises/ch01_neurons.py:" in t["message"] for t in by_id["01.3"]["tests"])
