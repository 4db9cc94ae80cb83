"""The job folder a worker is allowed to see, built from a collected submission.

``kata/sub`` gets the student's chapter files and, for chapters they did not send, the stub
(so the package imports and those exercises read *not started*). The provided plumbing
(``__init__.py``, ``core.py``: every non-chapter module of ``exercises/``) is always the
course's own copy: a student's ``core.py`` is ignored like any other non-chapter file.
``kata/stubs`` holds every chapter's stub, ``kata/kata_worker`` the worker code. Nothing from
``solutions/`` is written here: prerequisites travel in the child's configuration.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.manifest import Manifest

WORKER_SOURCE = Path(__file__).resolve().parent / "worker"
# the worker's splice rule is shared with the learner's borrowing (stdlib only, copied as is)
SPLICE_SOURCE = Path(__file__).resolve().parents[1] / "testing" / "splice.py"


def course_stubs(manifest: Manifest) -> dict[str, bytes]:
    """File name -> content of every module in the course's ``exercises/``."""
    folder = manifest.root / "exercises"
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.py"))}


def _write(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    os.chmod(path, 0o644)


def prepare(manifest: Manifest, work: Path, files: dict[str, bytes],
            stubs: dict[str, bytes] | None = None) -> Path:
    """Create ``work`` (emptied first) for a submission's ``files``; returns ``work/kata``."""
    if work.exists():
        shutil.rmtree(work)
    stubs = stubs if stubs is not None else course_stubs(manifest)
    chapters = {f"{ch.module}.py" for ch in manifest.chapters}
    kata = work / "kata"
    for folder in (kata / "kata_worker", kata / "sub", kata / "stubs", work / "scratch", work / "tmp",
                   work / "wshare"):
        folder.mkdir(parents=True)
    for folder in (work, kata, kata / "kata_worker", kata / "sub", kata / "stubs", work / "wshare"):
        os.chmod(folder, 0o755)
    os.chmod(work / "scratch", 0o700)
    for source in sorted(WORKER_SOURCE.glob("*.py")) + [SPLICE_SOURCE]:
        _write(kata / "kata_worker" / source.name, source.read_bytes())
    for name, content in stubs.items():
        if name in chapters:
            _write(kata / "stubs" / name, content)
            _write(kata / "sub" / name, files.get(name, content))
        else:
            _write(kata / "sub" / name, content)  # provided plumbing, always the course's
    for name, content in files.items():
        if name in chapters and name not in stubs:  # a chapter whose stub is not published yet
            _write(kata / "sub" / name, content)
    return kata
