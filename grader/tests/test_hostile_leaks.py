"""Nothing one exercise's child saw reaches a later exercise's child.

Under per-exercise isolation the child that grades 02.5 holds the reference of 02.1-02.3 (spliced
into the student's module). A student can save that code (``__code__``, marshalled) in the
sandbox's writable scratch (``/tmp`` under bubblewrap) and load it back in the child that grades
02.1's hidden tests, which run after 02.5's public ones. The zygote wipes the scratch folder
between children, so the stolen reference is gone by then.
"""

from __future__ import annotations

import json
import textwrap

import pytest

pytestmark = pytest.mark.timeout(300)

HIDDEN = textwrap.dedent('''
    import numpy as np
    import pytest


    @pytest.mark.exercise("02.1")
    def test_hidden_small_normal_shape(kata, check):
        weights = kata.init_small_normal(np.random.default_rng(5), 30, 40)
        check.shape(weights, (30, 40), "init_small_normal(rng, 30, 40)")
''')

THIEF = textwrap.dedent('''
    import marshal as _marshal
    import os as _os
    import types as _types

    # wherever this process may write: its working folder (the scratch folder), TMPDIR, /tmp
    _STASHES = ["stolen-02.1.bin", _os.path.join(_os.environ.get("TMPDIR", "/tmp"), "stolen-02.1.bin"),
                "/tmp/stolen-02.1.bin"]


    def init_small_normal(rng, n_inputs, n_neurons, scale=0.01):
        for stash in _STASHES:
            try:
                with open(stash, "rb") as fh:
                    stolen = _types.FunctionType(_marshal.loads(fh.read()), globals())
            except (OSError, ValueError, EOFError, TypeError):
                continue
            return stolen(rng, n_inputs, n_neurons, scale)
        raise ValueError("nothing stolen yet")


    if "standard_normal" in init_small_normal.__code__.co_names:  # in 02.5's child: the reference
        for _stash in _STASHES:
            try:
                with open(_stash, "wb") as fh:
                    fh.write(_marshal.dumps(init_small_normal.__code__))
            except OSError:
                pass
''')


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_a_reference_seen_by_one_exercise_does_not_reach_the_next(repo_copy, kata_cli, tmp_path,
                                                                  sandbox):
    root = repo_copy()
    (root / "tests" / "hidden").mkdir()
    (root / "tests" / "hidden" / "test_ch02_dense_hidden.py").write_text(HIDDEN)
    reference = (root / "solutions" / "ch02_dense.py").read_text()
    start = reference.index("def init_small_normal")
    end = reference.index("\ndef ", start + 10)
    thief = reference[:start] + THIEF.strip() + "\n\n" + reference[end:]
    (tmp_path / "subs" / "thief").mkdir(parents=True)
    (tmp_path / "subs" / "thief" / "ch02_dense.py").write_text(thief)
    out = tmp_path / "out"
    code, output = kata_cli(root, "grade", str(tmp_path / "subs"), "--out", str(out),
                            "--only", "02.1,02.5", "--sandbox", sandbox)
    assert code == 0, output
    record = json.loads((out / "_instructor" / "thief.json").read_text())["result"]
    by_id = {e["id"]: e for e in record["exercises"]}
    assert by_id["02.5"]["status"] == "passed", (output, by_id["02.5"]["tests"][0]["message"])  # it ran, with the reference inside
    hidden = [t for t in by_id["02.1"]["tests"] if t["hidden"]]
    assert hidden and all(t["status"] != "passed" for t in hidden), hidden
