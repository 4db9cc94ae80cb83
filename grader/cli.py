"""The ``kata`` command (also ``python -m grader``).

Learners:     kata [list] | kata check [ID] | kata hint ID | kata watch [ID] | kata reset ID
              kata demo spiral|sine (the Part I capstone)
Authors:      kata verify [NN ...] | kata stubs [NN ...] [--check]
Instructors:  kata nbgrader COURSE_DIR (and the grading commands: see docs/instructors.md)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from grader.learn import board
from grader.learn import check
from grader.learn import progress
from grader.learn import demo
from grader.grading import commands as grading_commands
from grader.manifest import Exercise, Manifest, ManifestError, load_manifest
from grader.nbgrader import course as nbgrader_course
from grader.learn.reset import restore_symbol
from grader.author.stubgen import StubError, expected_stubs, generate_all
from grader.author.verify import verify


def _pick(manifest: Manifest, exercise_id: str | None, data: dict) -> Exercise:
    if exercise_id:
        return manifest.exercise(exercise_id)
    statuses = board.refresh(manifest, list(manifest.exercises), data)
    return board.next_exercise(manifest, statuses) or manifest.exercises[-1]


def cmd_list(manifest: Manifest, args) -> int:
    data = progress.load(manifest)
    print(board.render(manifest, board.refresh(manifest, list(manifest.exercises), data)))
    return 0


def cmd_check(manifest: Manifest, args) -> int:
    data = progress.load(manifest)
    if args.id and "." not in args.id:  # a whole chapter: one line per exercise
        return check.check_chapter(manifest, manifest.select(args.id), data)
    if args.id:
        exercise = manifest.exercise(args.id)
    else:
        statuses = check.refresh_announcing(manifest, data)
        exercise = board.next_exercise(manifest, statuses)
        if exercise is None:
            print("Every exercise passes. Well done!")
            return 0
    return check.check(manifest, exercise, data, args.reference_prereqs)


def cmd_hint(manifest: Manifest, args) -> int:
    data = progress.load(manifest)
    exercise = _pick(manifest, args.id, data)
    seen = int(data["hints"].get(exercise.id, 0))
    level = min(seen + 1, len(exercise.hints)) if not args.all else len(exercise.hints)
    print(f"{exercise.id} {exercise.title}: hint {level} of {len(exercise.hints)}")
    for number, hint in enumerate(exercise.hints[:level], start=1):
        print(f"  {number}. {hint}")
    if level < len(exercise.hints):
        print(f"  (`kata hint {exercise.id}` again for the next one)")
    if exercise.nnfs:
        print(f"  Book: Neural Networks from Scratch, chapter {exercise.nnfs}.")
    data["hints"][exercise.id] = level
    progress.save(manifest, data)
    return 0


def _backup(manifest: Manifest, path: Path) -> Path:
    """Copy ``path`` to .kata/backups/ under a name that never overwrites an earlier backup."""
    backups = progress.state_dir(manifest) / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    backup = backups / f"{path.stem}.{stamp}.py"
    shutil.copy2(path, backup)
    return backup


RELEASE_STUBS = ".kata-stubs"  # `kata release` keeps a pristine copy of each stub here


def cmd_reset(manifest: Manifest, args) -> int:
    exercise = manifest.exercise(args.id)
    path = manifest.root / "exercises" / exercise.file
    shipped = manifest.root / RELEASE_STUBS / exercise.file  # a student release has no solutions/
    if not (manifest.root / "solutions").is_dir() and shipped.is_file():
        stub = shipped.read_text(encoding="utf-8")
    else:
        stub = expected_stubs(manifest)[path]
    if not path.is_file():
        path.write_text(stub, encoding="utf-8")
        print(f"exercises/{exercise.file} was missing; it is back as a fresh stub file.")
        return 0
    try:
        restored = restore_symbol(path.read_text(encoding="utf-8"), stub, exercise.symbol)
    except SyntaxError as err:
        print(f"kata reset: exercises/{exercise.file} does not parse (line {err.lineno}: "
              f"{err.msg}); fix that first. Nothing was changed.", file=sys.stderr)
        return 2
    backup = _backup(manifest, path)  # keep the learner's whole file before touching it
    path.write_text(restored, encoding="utf-8")
    print(f"{exercise.id}: `{exercise.symbol}` is back to its stub in exercises/{exercise.file}.")
    print(f"Your previous file is saved as {backup.relative_to(manifest.root)}.")
    return 0


def cmd_watch(manifest: Manifest, args) -> int:
    """Re-run the exercise's tests whenever a file under exercises/ is saved (polling)."""
    folder = manifest.root / "exercises"

    def snapshot():
        return {p: p.stat().st_mtime_ns for p in folder.glob("*.py")}

    seen = None
    print("kata watch: re-running tests on every save. Ctrl-C to stop.")
    try:
        while True:
            now = snapshot()
            if now != seen:
                seen = now
                print("\033[2J\033[H" if sys.stdout.isatty() else "", end="")
                print(f"[{datetime.now():%H:%M:%S}]", end=" ")
                cmd = [sys.executable, "-m", "grader", "check"] + ([args.id] if args.id else [])
                subprocess.run(cmd, cwd=manifest.root)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print("\nkata watch: stopped.")
        return 0


def cmd_verify(manifest: Manifest, args) -> int:
    return 1 if verify(manifest, args.chapters) else 0


def cmd_stubs(manifest: Manifest, args) -> int:
    """Regenerate exercises/ from solutions/, backing up any file that would change."""
    changed = 0
    stubs, errors = generate_all(manifest)
    chapters = manifest.chapter_ids(args.chapters)
    failed = [key for key in errors if key in chapters or not key[:2].isdigit()]
    for key in failed:
        print(f"kata stubs: {errors[key]}", file=sys.stderr)
    wanted = {f"{ch.module}.py" for ch in manifest.chapters if ch.id in chapters}
    for path, text in stubs.items():
        if path.name.startswith("ch") and path.name not in wanted:
            continue
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        changed += 1
        if args.check:
            print(f"out of date: {path.relative_to(manifest.root)}")
            continue
        if path.is_file():
            _backup(manifest, path)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(manifest.root)}")
    if not changed:
        print("stubs: exercises/ is in sync with solutions/")
    return 1 if (args.check and changed) or failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kata", description="Deep Learning Foundations katas.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="the progress board (the default)")
    p = sub.add_parser("check", help="run one exercise's tests (default: the next unfinished)")
    p.add_argument("id", nargs="?", help="an exercise (01.2) or a whole chapter (01)")
    p.add_argument("--reference-prereqs", action="store_true",
                   help="use the reference for this exercise's prerequisites")
    p = sub.add_parser("hint", help="the next hint of the ladder")
    p.add_argument("id", nargs="?")
    p.add_argument("--all", action="store_true", help="show the whole ladder")
    p = sub.add_parser("watch", help="re-run the tests whenever you save")
    p.add_argument("id", nargs="?")
    p.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    p = sub.add_parser("reset", help="restore one exercise's stub (your version is backed up)")
    p.add_argument("id")
    p = sub.add_parser("verify", help="author check: is the whole curriculum consistent?")
    p.add_argument("chapters", nargs="*", metavar="NN", help="only these chapters")
    p = sub.add_parser("stubs", help="author tool: regenerate exercises/ from solutions/")
    p.add_argument("chapters", nargs="*", metavar="NN", help="only these chapters")
    p.add_argument("--check", action="store_true", help="only report stale stubs")
    nbgrader_course.add_parser(sub)
    demo.add_parser(sub)
    grading_commands.add_parsers(sub)
    return parser


COMMANDS = {"list": cmd_list, "check": cmd_check, "hint": cmd_hint, "watch": cmd_watch,
            "reset": cmd_reset, "verify": cmd_verify, "stubs": cmd_stubs,
            "nbgrader": nbgrader_course.cmd_nbgrader, "demo": demo.cmd_demo,
            **grading_commands.COMMANDS}


def needs_reference(args) -> str | None:
    """The command as typed when it needs the instructor's copy (``solutions/``), else None."""
    if args.command in ("verify", "stubs", "release", "gradescope", "nbgrader"):
        return f"kata {args.command}"
    for flag in ("solutions", "reference_prereqs"):
        if getattr(args, flag, False):
            named = " ".join(str(getattr(args, a)) for a in ("name", "id") if getattr(args, a, None))
            return " ".join(["kata", args.command, *([named] if named else []),
                             f"--{flag.replace('_', '-')}"])
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        manifest = load_manifest()
        wanted = needs_reference(args)
        if wanted and not (manifest.root / "solutions").is_dir():
            print(f"{wanted}: needs the instructor's copy of the course (with solutions/); "
                  "this is a student release", file=sys.stderr)
            return 2
        return COMMANDS[args.command or "list"](manifest, args)
    except (ManifestError, StubError) as err:
        print(f"kata: {err}", file=sys.stderr)
        return 2
    except KeyError as err:
        print(f"kata: {err.args[0]}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `kata | head`: the reader left; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
