"""``kata release OUT``: the repository a student receives.

What goes in, by allow-list (nothing else is copied):

- ``exercises/``: the stubs, *regenerated* from ``solutions/`` by the stub generator (so a stale
  committed stub cannot leak an answer), and the provided plumbing (``core.py``, ...);
- ``tests/test_<chapter>.py``: the public graded tests (never ``tests/hidden/``);
- ``docs/<chapter>.md`` and the other learner notes (not the instructor guides);
- the manifest (only the released chapters; with ``--max-hints K`` at most K hints each),
  ``conftest.py``, ``pyproject.toml``, ``LICENSE``, ``.gitignore``, the ``grader`` package
  without its own tests (the learner's ``kata`` command), and a ``README.md`` written for
  students (:mod:`.student_readme`; not the repository's, which is for the whole project).

What never goes in: ``solutions/``, ``mistakes/``, ``tests/hidden/``, ``grader/tests/``, CI files,
crosschecks, git history, progress files. Before finishing, the release is scanned: no file may
hold a solution fence, and every released stub must equal what the generator makes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import grader
from grader.grading.handout import cap_hints, manifest_subset
from grader.grading.student_readme import student_readme
from grader.manifest import RELEASE_STUBS, Manifest
from grader.author.stubgen import BEGIN, END, generate_stub

TOP_FILES = ("conftest.py", "pyproject.toml", "LICENSE", ".gitignore", "bootstrap.py")  # + a student README
INSTRUCTOR_DOCS = {"instructors.md", "nbgrader.md"}
SKIP_PARTS = {"__pycache__", "tests", ".pytest_cache"}


class ReleaseError(ValueError):
    """The release cannot be built as asked; the message says why."""


def _files(manifest: Manifest, chapter_ids: set[str], max_hints: int | None = None) -> dict[str, bytes]:
    root = manifest.root
    chapters = [ch for ch in manifest.chapters if ch.id in chapter_ids]
    files: dict[str, bytes] = {}
    text = (root / "curriculum.toml").read_text(encoding="utf-8")
    if len(chapter_ids) < len(manifest.chapters):
        text = manifest_subset(text, chapter_ids)
    if max_hints is not None:
        text = cap_hints(text, max_hints)
    files["curriculum.toml"] = text.encode("utf-8")
    for name in TOP_FILES:
        if (root / name).is_file():
            files[name] = (root / name).read_bytes()
    chapter_files = {f"{ch.module}.py" for ch in manifest.chapters}
    for path in sorted((root / "solutions").glob("*.py")):
        if path.name not in chapter_files:
            files[f"exercises/{path.name}"] = path.read_bytes()  # provided plumbing
    for chapter in chapters:
        reference = root / "solutions" / f"{chapter.module}.py"
        if not reference.is_file():
            raise ReleaseError(f"chapter {chapter.id}: solutions/{chapter.module}.py is missing")
        try:
            stub = generate_stub(reference.read_text(encoding="utf-8"), chapter)
        except ValueError as err:
            raise ReleaseError(f"chapter {chapter.id}: {err}") from None
        files[f"exercises/{chapter.module}.py"] = stub.encode("utf-8")
        files[f"{RELEASE_STUBS}/{chapter.module}.py"] = stub.encode("utf-8")  # for `kata reset`
        for rel in (chapter.test_file, chapter.notes):
            if (root / rel).is_file():
                files[rel] = (root / rel).read_bytes()
            elif rel == chapter.test_file:
                raise ReleaseError(f"chapter {chapter.id}: {rel} is missing")
    chapter_notes = {f"{ch.module}.md" for ch in manifest.chapters}
    for path in sorted((root / "docs").glob("*")):
        if path.is_file() and path.name not in chapter_notes and path.name not in INSTRUCTOR_DOCS:
            files[f"docs/{path.name}"] = path.read_bytes()
    package = Path(grader.__file__).resolve().parent  # the grader that is running now
    for path in sorted([*package.rglob("*.py"), *package.rglob("constraints.txt")]):
        rel = path.relative_to(package.parent)
        if SKIP_PARTS.isdisjoint(rel.parts[1:-1]) and not path.is_symlink():
            files[rel.as_posix()] = path.read_bytes()
    files["README.md"] = student_readme(manifest, chapter_ids, set(files), max_hints).encode("utf-8")
    return files


def _scan(files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        if rel.startswith(("solutions/", "mistakes/", "tests/hidden/", "grader/tests/")):
            raise ReleaseError(f"{rel} must never be released")
        if rel.startswith(("exercises/", "tests/", "docs/")) or rel == "curriculum.toml":
            text = content.decode("utf-8", errors="replace")
            if BEGIN in text or END in text:
                raise ReleaseError(f"{rel} contains a solution fence: refusing to release it")


def build_release(manifest: Manifest, out: Path, chapters: list[str] = (), force: bool = False,
                  max_hints: int | None = None) -> str:
    """Write the release to ``out``; returns a short report."""
    out = out.resolve()
    root = manifest.root.resolve()
    if out == root or root.is_relative_to(out):
        raise ReleaseError(f"{out} would overwrite the course repository")
    if out.exists():
        if not force:
            raise ReleaseError(f"{out} exists; use --force to replace it")
        if not (out / "curriculum.toml").is_file() and any(out.iterdir()):
            raise ReleaseError(f"{out} exists and is not an earlier release; not replacing it")
        shutil.rmtree(out)
    try:
        chapter_ids = manifest.chapter_ids(list(chapters))
    except KeyError as err:
        raise ReleaseError(str(err.args[0])) from None
    try:
        files = _files(manifest, chapter_ids, max_hints)
    except ValueError as err:
        raise ReleaseError(str(err)) from None
    _scan(files)
    for rel, content in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    exercises = [ex for ch in manifest.chapters if ch.id in chapter_ids for ex in ch.exercises]
    return (f"wrote {len(files)} files to {out}: chapters {', '.join(sorted(chapter_ids))}, "
            f"{len(exercises)} exercises as stubs, public tests only (no solutions, mistakes or "
            "hidden tests).\nStudents: pip install -e . && kata")
