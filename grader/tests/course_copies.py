"""Throw-away copies of the course for the grader's own tests: some chapters only, with their
reference, stubs, tests, mistakes and notes, as a learner's (or an instructor's) copy holds them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from grader.grading.handout import manifest_subset

REPO = Path(__file__).resolve().parents[2]
TOP_FILES = ("conftest.py", "pyproject.toml", "bootstrap.py")


def copy_course(root: Path, chapters) -> Path:
    """Write a copy of the repository restricted to ``chapters`` (like "01") into ``root``."""
    root.mkdir(parents=True)
    text = manifest_subset((REPO / "curriculum.toml").read_text(encoding="utf-8"), set(chapters))
    (root / "curriculum.toml").write_text(text, encoding="utf-8")
    for name in TOP_FILES:
        shutil.copy2(REPO / name, root / name)
    modules = re.findall(r'(?m)^module = "(\w+)"', text)
    for folder in ("solutions", "exercises", "tests", "mistakes", "docs"):
        (root / folder).mkdir()
    for folder in ("solutions", "exercises"):
        for path in (REPO / folder).glob("*.py"):
            if not path.name.startswith("ch") or path.stem in modules:
                shutil.copy2(path, root / folder / path.name)
    for module in modules:
        for rel in (f"tests/test_{module}.py", f"mistakes/{module}.py", f"docs/{module}.md"):
            if (REPO / rel).is_file():
                shutil.copy2(REPO / rel, root / rel)
    return root
