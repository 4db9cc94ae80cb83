"""A test's tmp_path shared with the worker: files cross, links planted by the worker never do."""

from __future__ import annotations

import os

from grader.grading.share import SharedFolder


def make(tmp_path):
    test_root, worker_root = tmp_path / "tmp", tmp_path / "wshare"
    tmp = test_root / "base" / "test_save0"
    tmp.mkdir(parents=True)
    worker_root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("the reference")
    return SharedFolder(test_root, worker_root, None), tmp, worker_root / "base" / "test_save0", secret


def test_files_cross_both_ways(tmp_path):
    shared, tmp, mirror, _ = make(tmp_path)
    (tmp / "input.npz").write_bytes(b"from the test")
    shared.begin(tmp)
    assert (mirror / "input.npz").read_bytes() == b"from the test"
    (mirror / "output.npz").write_bytes(b"from the worker")
    (mirror / "nested").mkdir()
    (mirror / "nested" / "deep.txt").write_text("deep")
    shared.from_worker()
    assert (tmp / "output.npz").read_bytes() == b"from the worker"
    assert (tmp / "nested" / "deep.txt").read_text() == "deep"


def test_links_and_fifos_of_the_worker_are_never_followed(tmp_path):
    shared, tmp, mirror, secret = make(tmp_path)
    shared.begin(tmp)
    os.symlink(secret, mirror / "model.npz")          # read the reference through the test
    os.symlink(tmp_path, mirror / "escape")           # a folder link
    os.mkfifo(mirror / "pipe")                        # would block a reader forever
    shared.from_worker()
    assert not (tmp / "model.npz").exists() and not (tmp / "escape").exists()
    assert not (tmp / "pipe").exists()


def test_the_test_never_writes_through_a_planted_link(tmp_path):
    shared, tmp, mirror, secret = make(tmp_path)
    shared.begin(tmp)
    os.symlink(secret, mirror / "weights.npz")        # planted before the test writes its input
    (tmp / "weights.npz").write_bytes(b"the test's input")
    shared.to_worker()
    assert secret.read_text() == "the reference"
    assert not (mirror / "weights.npz").is_symlink()
    assert (mirror / "weights.npz").read_bytes() == b"the test's input"
