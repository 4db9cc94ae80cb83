"""The learner's loop, end to end on a throw-away copy: board, check, hint, reset."""

import os
import re
import subprocess
import sys

from pathlib import Path

from grader.author.stubgen import BEGIN, END

REPO = Path(__file__).resolve().parents[2]


def reference_body(root, symbol: str) -> str:
    """The fenced body of ``symbol`` in the copy's solutions/ch01_neurons.py."""
    text = (root / "solutions" / "ch01_neurons.py").read_text()
    start = text.index(f"def {symbol}(")
    begin = text.index(BEGIN, start) + len(BEGIN) + 1
    return text[begin:text.index(END, begin)].rstrip() + "\n"


def put_body(root, exercise_id: str, body: str) -> None:
    path = root / "exercises" / "ch01_neurons.py"
    text = path.read_text()
    stub = re.compile(rf"    # TODO\({re.escape(exercise_id)}\).*\n    raise NotImplementedError\(.*\)\n")
    assert stub.search(text), "stub not found"
    path.write_text(stub.sub(lambda _: body, text, count=1))


def test_board_starts_with_everything_not_started(repo_copy, kata_cli):
    root = repo_copy()
    code, out = kata_cli(root, "list")
    assert code == 0
    assert "0/8 exercises" in out
    assert out.count("not started") == 8
    assert "Next: 01.1 One neuron" in out


def test_check_untouched_stub_says_not_started_briefly(repo_copy, kata_cli):
    root = repo_copy()
    code, out = kata_cli(root, "check", "01.1")
    assert code == 1
    assert "not started" in out and "exercises/ch01_neurons.py:" in out
    assert "Traceback" not in out and len(out.splitlines()) <= 5


def test_reference_body_turns_check_green_and_board_updates(repo_copy, kata_cli):
    root = repo_copy()
    put_body(root, "01.1", reference_body(root, "neuron_output"))
    code, out = kata_cli(root, "check", "01.1")
    assert code == 0, out
    assert "4/4 tests pass" in out and "Next: 01.2" in out
    code, out = kata_cli(root, "list")
    assert "1/8 exercises, 2/16 points" in out


def test_wrong_body_points_at_the_mistake(repo_copy, kata_cli):
    root = repo_copy()
    put_body(root, "01.1", "    return float(np.dot(inputs, weights))\n")  # forgot the bias
    code, out = kata_cli(root, "check", "01.1")
    assert code == 1
    assert "neuron_output" in out and "expected 2.3" in out
    assert "when the bias is left out" in out and "kata hint 01.1" in out


def test_hints_climb_the_ladder_and_remember(repo_copy, kata_cli):
    root = repo_copy()
    _, first = kata_cli(root, "hint", "01.2")
    _, second = kata_cli(root, "hint", "01.2")
    assert "hint 1 of 4" in first and "hint 2 of 4" in second
    assert "  2. " in second and "  2. " not in first


def test_reset_restores_one_stub_and_keeps_a_backup(repo_copy, kata_cli):
    root = repo_copy()
    put_body(root, "01.1", "    return 42.0  # my attempt\n")
    put_body(root, "01.2", "    return weights @ inputs + biases  # keep me\n")
    code, out = kata_cli(root, "reset", "01.1")
    assert code == 0, out
    text = (root / "exercises" / "ch01_neurons.py").read_text()
    assert 'NotImplementedError("Exercise 01.1' in text and "keep me" in text
    backups = list((root / ".kata" / "backups").glob("ch01_neurons.*.py"))
    assert len(backups) == 1 and "my attempt" in backups[0].read_text()


def test_plain_pytest_passes_no_graded_test_on_stubs(repo_copy):
    root = repo_copy()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" not in summary and re.search(r"\b\d+ not started\b", summary), summary
    assert "testing exercises/" not in proc.stdout  # -q hides the header; the summary speaks


def test_unfinished_prerequisite_blocks_and_reference_prereqs_unblock(repo_copy, kata_cli):
    root = repo_copy()
    path = root / "exercises" / "ch02_dense.py"
    body = ("        if init not in INITIALIZERS:\n"
            "            raise ValueError(f'init must be one of {sorted(INITIALIZERS)}')\n"
            "        self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))\n"
            "        self.b = Parameter(np.zeros(n_neurons))\n")
    stub = re.compile(r"        # TODO\(02\.5\).*\n        raise NotImplementedError\(.*\)\n")
    path.write_text(stub.sub(lambda _: body, path.read_text(), count=1))
    code, out = kata_cli(root, "check", "02.5")
    assert code == 1 and "blocked by 02.1, 02.2, 02.3" in out and "--reference-prereqs" in out
    code, out = kata_cli(root, "check", "02.5", "--reference-prereqs")
    assert code == 0, out
    assert "6/6 tests pass" in out


def test_runaway_loop_is_stopped_and_located(repo_copy, kata_cli):
    root = repo_copy()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("timeout = 30", 'timeout = 30\nkata_cpu_seconds = "1"'))
    put_body(root, "01.1", "    total = 0.0\n    while True:\n        total += 1.0\n")
    code, out = kata_cli(root, "check", "01.1", timeout=60)
    assert code == 1
    assert "ran for more than 1 s of CPU time" in out
    lines = (root / "exercises" / "ch01_neurons.py").read_text().splitlines()
    loop = [n for n, line in enumerate(lines, start=1) if "while True" in line or "total +=" in line]
    assert re.search(rf"stopped at exercises/ch01_neurons.py:({loop[0]}|{loop[1]})\.", out), out
    assert out.count("not run, because an earlier test") == 3  # waited for once, not four times


def test_syntax_error_is_shown_once_with_its_line(repo_copy, kata_cli):
    root = repo_copy()
    put_body(root, "01.1", "    return float(inputs @ weights + bias\n")
    code, out = kata_cli(root, "check", "01.1")
    assert code == 1
    assert "exercises/ch01_neurons.py, line" in out and "SyntaxError" in out
    assert out.count("SyntaxError") == 1 and "Traceback" not in out


def test_check_without_id_announces_what_just_passed(repo_copy, kata_cli):
    root = repo_copy()
    put_body(root, "01.1", reference_body(root, "neuron_output"))
    code, out = kata_cli(root, "check")
    assert "01.1 One neuron: passed" in out and "01.2 A layer of neurons" in out


def test_a_failing_prerequisite_is_named_when_the_exercise_itself_is_right(repo_copy, kata_cli):
    root = repo_copy()
    path = root / "exercises" / "ch02_dense.py"
    text = path.read_text()
    for ex, body in [("02.1", "    return scale * rng.standard_normal((n_inputs, n_neurons))\n"),
                     ("02.2", "    return rng.uniform(-1.0, 1.0, size=(n_inputs, n_neurons))\n"),  # wrong
                     ("02.3", "    return np.sqrt(2.0 / n_inputs) * rng.standard_normal((n_inputs, n_neurons))\n")]:
        stub = re.compile(rf"    # TODO\({re.escape(ex)}\).*\n    raise NotImplementedError\(.*\)\n")
        text = stub.sub(lambda _: body, text, count=1)
    body = ("        if init not in INITIALIZERS:\n"
            "            raise ValueError(f'init must be one of {sorted(INITIALIZERS)}')\n"
            "        self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))\n"
            "        self.b = Parameter(np.zeros(n_neurons))\n")
    stub = re.compile(r"        # TODO\(02\.5\).*\n        raise NotImplementedError\(.*\)\n")
    path.write_text(stub.sub(lambda _: body, text, count=1))
    code, out = kata_cli(root, "check", "02.5")
    assert code == 1
    assert "your 02.5 is right, and the problem is in code it calls" in out


def test_a_broken_contract_and_an_exception_teach_in_kata_check(repo_copy, kata_cli):
    """The call contracts run on the learner's own code: an in-place change is named, and an
    error inside the learner's function shows its line and what it usually means."""
    root = repo_copy()
    body = reference_body(root, "layer_output").replace(
        "return weights @ inputs + biases", "biases += weights @ inputs\n    return biases")
    assert "biases +=" in body
    put_body(root, "01.2", body)
    code, out = kata_cli(root, "check", "01.2")
    assert code == 1
    assert "layer_output changed its argument `biases` in place" in out and "copy" in out
    put_body(root, "01.3", "    return inputs @ weights + biases\n")  # forgets the transpose
    code, out = kata_cli(root, "check", "01.3")
    assert code == 1
    assert "raised ValueError" in out and "exercises/ch01_neurons.py:" in out
    assert "matrix product" in out
