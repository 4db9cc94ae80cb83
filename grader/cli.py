"""The ``kata`` command (also ``python -m grader``).

Learners:     kata [list] | kata check [ID] | kata hint ID | kata watch [ID] | kata reset [--undo] ID
              kata demo spiral|sine (the Part I capstone)
Authors:      kata verify [NN ...] | kata stubs [NN ...] [--check]
Instructors:  kata nbgrader COURSE_DIR (and the grading commands: see docs/instructors.md)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path

from grader.learn import board
from grader.learn import check
from grader.learn import progress
from grader.learn import reset
from grader.learn import demo
from grader.learn import watch
from grader.grading import commands as grading_commands
from grader.manifest import Exercise, Manifest, ManifestError, load_manifest
from grader.nbgrader import course as nbgrader_course
from grader.author.stubgen import StubError, generate_all
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


def cmd_reset(manifest: Manifest, args) -> int:
    exercise = manifest.exercise(args.id)
    return reset.undo(manifest, exercise) if args.undo else reset.reset(manifest, exercise)


def cmd_watch(manifest: Manifest, args) -> int:
    """Re-check the exercise whenever a file under exercises/ is saved (one warm process)."""
    return watch.watch(manifest, args.id, lambda ids: main(["check", *ids]), args.interval)


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
    p = sub.add_parser("watch", help="re-check an exercise whenever you save")
    p.add_argument("id", nargs="?", help="an exercise (01.2); default: the next unfinished")
    p.add_argument("--interval", type=float, default=0.1, help=argparse.SUPPRESS)
    p = sub.add_parser("reset", help="restore one exercise's stub (your version is saved; --undo)")
    p.add_argument("id")
    p.add_argument("--undo", action="store_true", help="put back the version the last reset saved")
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
