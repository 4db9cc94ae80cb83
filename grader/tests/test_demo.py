"""`kata demo`: trains, reports progress, ends with one JSON line, and names unfinished work."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_spiral_demo_on_the_reference_ends_with_metrics(tmp_path, kata_cli):
    code, out = kata_cli(REPO, "demo", "spiral", "--solutions", "--seed", "3", "--epochs", "60",
                         "--out", str(tmp_path))
    assert code == 0, out
    lines = out.strip().splitlines()
    assert any(line.startswith("epoch") for line in lines)  # progress while training
    metrics = json.loads(lines[-1])
    assert metrics["demo"] == "spiral" and metrics["seed"] == 3
    assert 0.5 < metrics["accuracy"] <= 1.0  # 60 epochs: well above chance (1/3), not the band
    assert (tmp_path / "spiral-seed3-solutions.npz").is_file()


def test_demo_on_untouched_stubs_names_the_exercise(repo_copy, kata_cli, tmp_path):
    root = repo_copy(chapters=("01", "02", "03", "04", "05", "06", "07", "08"))
    code, out = kata_cli(root, "demo", "sine", "--out", str(tmp_path / "runs"))
    assert code == 1
    assert "not started" in out and "--solutions" in out and "Traceback" not in out


@pytest.mark.timeout(240)  # ~5 s of CPU, but a loaded shared machine stretches the wall clock
def test_gpt_demo_on_the_reference_ends_with_metrics(tmp_path, kata_cli):
    code, out = kata_cli(REPO, "demo", "gpt", "--solutions", "--seed", "1", "--steps", "30",
                         "--every", "10", "--out", str(tmp_path), timeout=230)
    assert code == 0, out
    lines = out.strip().splitlines()
    assert sum(line.startswith("step") for line in lines) == 3  # steps 10, 20, 30
    metrics = json.loads(lines[-1])
    assert {"demo": "gpt", "task": "sort", "seed": 1, "steps": 30}.items() <= metrics.items()
    assert metrics["val_loss"] < 2.3 and 0.0 <= metrics["accuracy"] <= 1.0  # learning, not the band
    assert "->" in out  # a few held-out strings and their generated answers
    for path in metrics["plots"]:
        assert Path(path).is_file()


@pytest.mark.timeout(120)
def test_gpt_demo_on_untouched_stubs_names_the_exercise(repo_copy, kata_cli, tmp_path):
    root = repo_copy(chapters=tuple(f"{i:02d}" for i in range(1, 18)))
    code, out = kata_cli(root, "demo", "gpt", "--steps", "2", "--out", str(tmp_path / "runs"))
    assert code == 1
    assert "not started" in out and "--solutions" in out and "Traceback" not in out


@pytest.mark.timeout(300)  # about 2 s of CPU; the margin is for a loaded machine
def test_ddpm2d_demo_ends_with_distances(tmp_path, kata_cli):
    code, out = kata_cli(REPO, "demo", "ddpm2d", "--solutions", "--seed", "1", "--steps", "300",
                         "--samples", "300", "--out", str(tmp_path), timeout=300)
    assert code == 0, out
    lines = out.strip().splitlines()
    assert any(line.startswith("step") for line in lines)  # progress while training
    metrics = json.loads(lines[-1])
    assert metrics["demo"] == "ddpm2d" and metrics["steps"] == 300
    plots = 2 if importlib.util.find_spec("matplotlib") else 0  # plots need the [plots] extra
    assert len(metrics["plots"]) == plots and all(Path(p).is_file() for p in metrics["plots"])
    assert metrics["sample_distance"] >= 0 and metrics["baseline_distance"] > 0
    assert metrics["sample_distance"] < 1.0  # 300 steps: not the band, just not diverged


@pytest.mark.timeout(300)  # about 3 s of CPU; the margin is for a loaded machine
def test_ddpm_images_demo_runs_in_float32(tmp_path, kata_cli):
    code, out = kata_cli(REPO, "demo", "ddpm-images", "--solutions", "--steps", "2", "--samples", "4",
                         "--out", str(tmp_path), timeout=300)
    assert code == 0, out
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["dtype"] == "float32" and metrics["steps"] == 2
    assert {"nn_distance", "heldout_nn_distance", "baseline_nn_distance"} <= set(metrics)


def test_ddpm_demo_on_untouched_stubs_names_the_exercise(repo_copy, kata_cli, tmp_path):
    root = repo_copy(chapters=("02", "03", "05", "06", "09", "18", "19", "20", "21"))
    code, out = kata_cli(root, "demo", "ddpm2d", "--steps", "5", "--out", str(tmp_path / "runs"))
    assert code == 1
    assert "not started" in out and "--solutions" in out and "Traceback" not in out
