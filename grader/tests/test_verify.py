"""``kata verify`` names each kind of inconsistency it is meant to catch."""

import re

import pytest


@pytest.fixture
def chapter01(repo_copy):
    return repo_copy(chapters=("01",))


def test_clean_copy_passes(chapter01, kata_cli):
    code, out = kata_cli(chapter01, "verify")
    assert code == 0, out
    assert "verify: all checks passed" in out
    # the count follows tests/test_ch01_neurons.py; what matters is that all of them pass and fail
    assert re.search(r"(\d+) graded tests: \1 pass on the reference, \1 fail on the stubs", out), out


def test_a_mistake_no_test_rejects(chapter01, kata_cli):
    with open(chapter01 / "mistakes" / "ch01_neurons.py", "a") as fh:
        fh.write('\n\n@mistake("01.1", "actually correct")\n'
                 "def neuron_output_fine(inputs, weights, bias):\n"
                 "    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)\n"
                 "    if inputs.shape != weights.shape:\n"
                 "        raise ValueError(f'inputs {inputs.shape} weights {weights.shape}')\n"
                 "    return float(inputs @ weights + bias)\n")
    code, out = kata_cli(chapter01, "verify")
    assert code == 1
    assert 'mistake 01.1 "actually correct" passes all 4 tests of 01.1' in out


def test_a_test_that_cannot_fail(chapter01, kata_cli):
    with open(chapter01 / "tests" / "test_ch01_neurons.py", "a") as fh:
        fh.write('\n\n@pytest.mark.exercise("01.2")\ndef test_nothing(kata):\n    assert True\n')
    code, out = kata_cli(chapter01, "verify")
    assert code == 1
    assert "test_nothing[stubs] passes on the untouched stub: it cannot fail" in out


def test_stale_stubs_and_layering(chapter01, kata_cli):
    path = chapter01 / "solutions" / "ch01_neurons.py"
    path.write_text(path.read_text().replace("import numpy as np\n",
                                             "import numpy as np\n\nfrom .ch02_dense import Dense\n", 1))
    code, out = kata_cli(chapter01, "verify")
    assert code == 1
    assert "exercises/ch01_neurons.py differs from what solutions/ generates" in out
    assert "chapter 01 imports ch02_dense" in out


def test_graded_test_without_exercise_marker(chapter01, kata_cli):
    with open(chapter01 / "tests" / "test_ch01_neurons.py", "a") as fh:
        fh.write("\n\ndef test_orphan(kata):\n    assert kata\n")
    code, out = kata_cli(chapter01, "verify")
    assert code == 1 and "test_orphan: needs exactly one @pytest.mark.exercise" in out


def test_an_exercise_without_a_worked_example(chapter01, kata_cli):
    path = chapter01 / "solutions" / "ch01_neurons.py"
    text = path.read_text()
    start = text.index("    >>> inputs, weights")  # 01.1's example: two lines of input, one result
    end = text.index("\n", text.index("\n", text.index("\n", start) + 1) + 1) + 1
    path.write_text(text[:start] + text[end:])
    code, out = kata_cli(chapter01, "verify")
    assert code == 1
    assert "01.1 neuron_output: its docstring has no worked example" in out
