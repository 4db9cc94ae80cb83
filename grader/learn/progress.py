"""The learner's progress: a small git-ignored JSON file, ``.kata/progress.json``.

It remembers, per exercise, the last verdict of its tests together with a fingerprint of the
files that verdict depends on (so an edit makes the verdict stale), and how far up the hint
ladder the learner has climbed. Writes are atomic: a crash never leaves a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from grader.manifest import Exercise, Manifest

STATE_DIR = ".kata"
STUB_RAISE = re.compile(r'raise NotImplementedError\(\s*"Exercise (\d{2}\.\d+):')


def state_dir(manifest: Manifest) -> Path:
    return manifest.root / STATE_DIR


def _path(manifest: Manifest) -> Path:
    return state_dir(manifest) / "progress.json"


def load(manifest: Manifest) -> dict:
    path = _path(manifest)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        data = {}
    data.setdefault("results", {})
    data.setdefault("hints", {})
    return data


def save(manifest: Manifest, data: dict) -> None:
    folder = state_dir(manifest)
    folder.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="progress-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, _path(manifest))


def exercise_file(manifest: Manifest, exercise: Exercise) -> Path:
    return manifest.root / "exercises" / exercise.file


def fingerprint(manifest: Manifest, exercise: Exercise) -> str:
    """Hash of everything the exercise's verdict depends on: its chapter file, the files of its
    prerequisites, and its test file."""
    files = {exercise_file(manifest, exercise), manifest.root / exercise.chapter.test_file}
    files |= {exercise_file(manifest, manifest.exercise(r)) for r in exercise.requires}
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()[:16]


def untouched(manifest: Manifest, exercise: Exercise) -> bool:
    """True while the learner's file still raises this exercise's stub error: not started."""
    path = exercise_file(manifest, exercise)
    if not path.is_file():
        return True
    return exercise.id in STUB_RAISE.findall(path.read_text(encoding="utf-8"))


def record(data: dict, manifest: Manifest, exercise: Exercise, status: str, points: float) -> None:
    data["results"][exercise.id] = {"status": status, "points": round(points, 6),
                                    "fingerprint": fingerprint(manifest, exercise)}


def record_borrowed(data: dict, manifest: Manifest, exercise: Exercise, status: str,
                    points: float) -> None:
    """Record a verdict reached with borrowed prerequisites, unless it would lower the one on
    record: borrowed code may show that an exercise is right, never that it got worse."""
    entry = data["results"].get(exercise.id)
    better = (entry is None or points > entry.get("points", 0.0)
              or (status == "passed" and entry.get("status") != "passed"))
    if better:
        record(data, manifest, exercise, status, points)


def cached(data: dict, manifest: Manifest, exercise: Exercise) -> dict | None:
    entry = data["results"].get(exercise.id)
    if entry and entry.get("fingerprint") == fingerprint(manifest, exercise):
        return entry
    return None
