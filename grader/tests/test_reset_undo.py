"""`kata reset NN.M` saves that exercise's definition (not the whole file) and starts its hint
ladder again; `kata reset --undo NN.M` puts the definition back and leaves the rest alone."""

from __future__ import annotations

import json
import re

from grader.testing.splice import extract, splice

CH01 = "exercises/ch01_neurons.py"
MINE = ("def neuron_output(inputs, weights, bias):\n"
        "    return float(inputs @ weights + bias)  # my attempt\n")


def put(root, symbol: str, definition: str) -> None:
    path = root / CH01
    path.write_text(splice(path.read_text(), symbol, definition))


def hint_level(root, exercise_id: str) -> int:
    path = root / ".kata" / "progress.json"
    return json.loads(path.read_text())["hints"].get(exercise_id, 0) if path.is_file() else 0


def test_reset_saves_the_definition_only_and_restarts_the_hints(repo_copy, kata_cli):
    root = repo_copy()
    put(root, "neuron_output", MINE)
    kata_cli(root, "hint", "01.1")
    kata_cli(root, "hint", "01.1")
    code, out = kata_cli(root, "reset", "01.1")
    assert code == 0, out
    assert "hint ladder starts again" in out and "kata reset --undo 01.1" in out
    assert hint_level(root, "01.1") == 0
    (backup,) = (root / ".kata" / "backups").glob("ch01_neurons.01.1.*.py")
    text = backup.read_text()
    assert "my attempt" in text and "def layer_output" not in text  # one definition, not the file
    _, out = kata_cli(root, "hint", "01.1")
    assert "hint 1 of" in out


def test_undo_puts_the_definition_back_and_leaves_the_rest_alone(repo_copy, kata_cli):
    root = repo_copy()
    put(root, "neuron_output", MINE)
    kata_cli(root, "hint", "01.1")
    kata_cli(root, "reset", "01.1")
    # work elsewhere in the same file after the reset
    put(root, "layer_output", "def layer_output(inputs, weights, biases):\n"
                              "    return weights @ inputs + biases  # later work\n")
    code, out = kata_cli(root, "reset", "--undo", "01.1")
    assert code == 0, out
    text = (root / CH01).read_text()
    assert "my attempt" in text and "later work" in text
    assert not re.search(r'NotImplementedError\(\s*"Exercise 01\.1:', text)
    assert extract(text, "neuron_output") == MINE
    assert hint_level(root, "01.1") == 1  # the ladder comes back too
    assert not list((root / ".kata" / "backups").glob("ch01_neurons.01.1.*.py"))
    code, out = kata_cli(root, "reset", "--undo", "01.1")
    assert code == 1 and "no saved version of 01.1" in out


def test_undo_of_a_method_keeps_its_class(repo_copy, kata_cli):
    root = repo_copy()
    path = root / "exercises" / "ch02_dense.py"
    body = ("def __init__(self, n_inputs, n_neurons, rng, init='he'):\n"
            "    self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))  # mine\n"
            "    self.b = Parameter(np.zeros(n_neurons))\n")
    path.write_text(splice(path.read_text(), "Dense.__init__", body))
    before = path.read_text()
    kata_cli(root, "reset", "02.5")
    assert "# mine" not in path.read_text()
    code, out = kata_cli(root, "reset", "--undo", "02.5")
    assert code == 0, out
    assert path.read_text() == before


def test_undo_keeps_code_written_since_the_reset(repo_copy, kata_cli):
    root = repo_copy()
    put(root, "neuron_output", MINE)
    kata_cli(root, "reset", "01.1")
    put(root, "neuron_output", MINE.replace("my attempt", "second try"))
    code, out = kata_cli(root, "reset", "--undo", "01.1")
    assert code == 0 and "second try" not in (root / CH01).read_text()
    (kept,) = (root / ".kata" / "backups").glob("ch01_neurons.01.1.*.py")
    assert "second try" in kept.read_text() and "saved as" in out
    kata_cli(root, "reset", "--undo", "01.1")  # and back again
    assert "second try" in (root / CH01).read_text()


def test_reset_of_an_untouched_stub_saves_nothing(repo_copy, kata_cli):
    root = repo_copy()
    code, out = kata_cli(root, "reset", "01.1")
    assert code == 0 and "already the stub" in out
    assert not (root / ".kata" / "backups").exists() or \
        not list((root / ".kata" / "backups").glob("*.py"))
