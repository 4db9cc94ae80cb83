"""The course directory, and the ``kata nbgrader COURSE_DIR`` command.

One nbgrader *assignment per chapter*, named after the chapter module (``ch01_neurons``): a
chapter is one file in the kata, so a notebook maps back to exactly one ``exercises/`` file
(what ``kata grade`` scores), and instructors can release chapters one at a time. The builder
reads the manifest, so it covers every chapter whose reference and tests exist.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from grader.manifest import Chapter, Manifest
from grader.nbgrader.bundle import write_bundle
from grader.nbgrader.config import config_text
from grader.nbgrader.names import CELL_TIMEOUT_MARGIN
from grader.nbgrader.notebook import chapter_notebook
from grader.author.stubgen import StubError, generate_stub

CONFIG = "nbgrader_config.py"


def ready(manifest: Manifest, chapter: Chapter) -> str | None:
    """Why the chapter cannot become an assignment yet, or None when it can."""
    root = manifest.root
    for rel in (f"solutions/{chapter.module}.py", chapter.test_file):
        if not (root / rel).is_file():
            return f"{rel} is missing"
    try:
        generate_stub((root / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8"),
                      chapter)
    except StubError as err:
        return str(err)
    return None


def write_assignment(manifest: Manifest, chapter: Chapter, folder: Path, time_limit: float) -> dict:
    root = manifest.root
    reference = (root / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")
    notes_path = root / chapter.notes
    notes = notes_path.read_text(encoding="utf-8") if notes_path.is_file() else None
    notebook = chapter_notebook(chapter, reference, notes)
    folder.mkdir(parents=True)
    (folder / f"{chapter.module}.ipynb").write_text(json.dumps(notebook, indent=1) + "\n",
                                                    encoding="utf-8")
    write_bundle(manifest, chapter, notebook, folder, time_limit)
    return notebook


def build_course(manifest: Manifest, course: Path, chapter_ids: set[str], time_limit: float,
                 force: bool = False) -> tuple[list[str], list[str]]:
    """Write the course; returns (lines to print, problems). Nothing is overwritten unless
    ``force``; an existing nbgrader_config.py is kept unless ``force``."""
    lines, problems = [], []
    chapters = [ch for ch in manifest.chapters if ch.id in chapter_ids]
    todo = []
    for chapter in chapters:
        reason = ready(manifest, chapter)
        if reason:
            lines.append(f"  skipped chapter {chapter.id}: {reason}")
            continue
        folder = course / "source" / chapter.module
        if folder.exists() and not force:
            problems.append(f"{folder} exists (use --force to rebuild it)")
            continue
        todo.append((chapter, folder))
    if problems:
        return lines, problems
    course.mkdir(parents=True, exist_ok=True)
    cell_timeout = int(time_limit + CELL_TIMEOUT_MARGIN)
    config = course / CONFIG
    if config.exists() and not force:
        lines.insert(0, f"  {CONFIG}: kept yours (--force rewrites it)")
    else:
        config.write_text(config_text(time_limit, cell_timeout), encoding="utf-8")
        lines.insert(0, f"  {CONFIG}: per-cell timeout {cell_timeout} s, "
                        f"test cells stop after {time_limit:g} s")
    for chapter, folder in todo:
        if folder.exists():
            shutil.rmtree(folder)
        write_assignment(manifest, chapter, folder, time_limit)
        points = sum(ex.points for ex in chapter.exercises)
        lines.append(f"  source/{chapter.module}/{chapter.module}.ipynb: "
                     f"{len(chapter.exercises)} exercises, {points:g} points")
    return lines, problems


def cmd_nbgrader(manifest: Manifest, args) -> int:
    """``kata nbgrader COURSE_DIR [NN ...] [--time-limit S] [--force]``."""
    course = Path(args.course_dir).resolve()
    lines, problems = build_course(manifest, course, manifest.chapter_ids(args.chapters),
                                   args.time_limit, args.force)
    if problems:
        for problem in problems:
            print(f"kata nbgrader: {problem}")
        return 2
    built = [line for line in lines if ".ipynb" in line]
    print(f"kata nbgrader: course in {course}")
    print("\n".join(lines))
    if built:
        first = built[0].split("/")[1]
        print(f"Next: cd {course} && nbgrader generate_assignment {first}"
              "   (docs/nbgrader.md walks through the rest)")
    return 0 if built else 1


def add_parser(sub) -> None:
    """The ``kata nbgrader`` subcommand's arguments (registered by grader/cli.py)."""
    from grader.nbgrader.names import TIME_LIMIT

    p = sub.add_parser("nbgrader", help="instructors: build an nbgrader course from the kata")
    p.add_argument("course_dir", metavar="COURSE_DIR", help="the course folder to write")
    p.add_argument("chapters", nargs="*", metavar="NN", help="only these chapters (default: all)")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT, metavar="S",
                   help=f"seconds one test cell may run (default {TIME_LIMIT})")
    p.add_argument("--force", action="store_true", help="rebuild existing assignments and config")
