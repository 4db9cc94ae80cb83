"""The instructor's ``kata`` commands: ``release``, ``grade``, ``gradescope``, ``classroom``.

``grader/cli.py`` registers them with :func:`add_parsers` and dispatches to the ``cmd_*``
functions (each takes the manifest and the parsed arguments, and returns an exit code).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.grading.selection import selected_exercises
from grader.manifest import Manifest

# The heavier grading machinery is imported inside the commands: the learner's `kata` stays quick.


def options_from(manifest: Manifest, args, echo=print):
    from grader.grading import sandbox
    from grader.grading.engine import Options

    limits = sandbox.Limits(memory_mb=args.memory, processes=args.processes)
    isolate = not args.no_isolation
    if isolate and not (manifest.root / "solutions").is_dir():
        echo("kata grade: no solutions/ here (a student release?): prerequisites are the "
             "student's own (--no-isolation)")
        isolate = False
    return Options(exercises=selected_exercises(manifest, args.only, echo),
                   isolate=isolate, call_timeout=args.call_timeout,
                   student_timeout=args.student_timeout, sandbox=args.sandbox, limits=limits,
                   hidden_feedback=args.hidden_feedback, keep_work=args.keep_work)


def cmd_grade(manifest: Manifest, args) -> int:
    from grader.grading import sandbox
    from grader.grading.batch import (GradeError, chapter_line, check_folders, grade_all,
                                      sandbox_line)
    from grader.grading.channel import become_subreaper, reap_orphans
    from grader.grading.collect import list_entries

    submissions, out = Path(args.submissions), Path(args.out)
    if not submissions.exists():
        print(f"kata grade: {submissions} does not exist", file=sys.stderr)
        return 2
    try:
        check_folders(submissions, out)
        if args.single:
            entries, skipped = [submissions], []
        elif not submissions.is_dir():
            raise GradeError(f"{submissions} is not a folder (one entry per student); "
                             "use --single to grade one student's folder or .zip")
        else:
            entries, skipped = list_entries(submissions)
        options = options_from(manifest, args)
        if args.sandbox == "bwrap" and not sandbox.bwrap_status()[0]:
            raise GradeError(sandbox.bwrap_status()[1])
    except (GradeError, KeyError) as err:
        print(f"kata grade: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    for line in skipped:
        print(f"skipped {line}")
    if not entries:
        print(f"kata grade: no student entries (folders or .zip files) in {submissions}")
        return 1
    if not options.exercises:
        print("kata grade: no exercise with graded tests to grade", file=sys.stderr)
        return 2
    bwrap, why_not = sandbox.bwrap_status()
    if not bwrap and args.sandbox != "process":
        print(f"kata grade: {why_not}; grading with process isolation (weaker, see the summary)")
    print(f"kata grade: {len(entries)} submission(s), {len(options.exercises)} exercise(s), "
          f"{args.jobs} at a time -> {out}")
    become_subreaper()  # this process is ours: what escapes a student's processes comes back here
    try:
        summary = grade_all(manifest, entries, out, options, jobs=args.jobs, force=args.force)
    except KeyboardInterrupt:
        return 130
    finally:
        reap_orphans()
    print(f"graded {summary.graded}, kept {summary.kept}, in {summary.seconds:.1f} s; "
          f"grades in {out / 'grades.csv'}")
    for line in (chapter_line(summary.results), sandbox_line(summary.results)):
        if line:
            print(line)
    if args.check:
        return 0 if all(r.total == r.max_total and not r.problem for r in summary.results) else 1
    return 0


def cmd_release(manifest: Manifest, args) -> int:
    from grader.grading.release import ReleaseError, build_release

    try:
        report = build_release(manifest, Path(args.out), args.chapters, force=args.force,
                               max_hints=args.max_hints)
    except ReleaseError as err:
        print(f"kata release: {err}", file=sys.stderr)
        return 2
    print(report)
    return 0


def cmd_gradescope(manifest: Manifest, args) -> int:
    from grader.grading.gradescope import build_bundle

    path = build_bundle(manifest, Path(args.out), args.only, call_timeout=args.call_timeout)
    print(f"wrote {path}: upload it as the Gradescope autograder (Ubuntu image); "
          "see docs/instructors.md")
    return 0


def cmd_classroom(manifest: Manifest, args) -> int:
    from grader.grading.classroom import write_classroom

    for path in write_classroom(manifest, Path(args.out), args.only):
        print(f"wrote {path}")
    return 0


def _grading_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", action="append", default=[], metavar="ID",
                   help="grade only these exercises or chapters (01.2, 03; repeatable, commas allowed)")
    p.add_argument("--call-timeout", type=float, default=10.0, metavar="S",
                   help="seconds one call into a submission may take (default 10)")


def add_parsers(sub) -> None:
    p = sub.add_parser("grade", help="instructor: grade a folder of submissions in a sandbox")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="folder with one entry per student (a folder or a .zip)")
    p.add_argument("--out", required=True, metavar="OUT", help="where grades and feedback go")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="students graded at once")
    p.add_argument("--force", action="store_true", help="grade again students already graded")
    _grading_options(p)
    p.add_argument("--no-isolation", action="store_true",
                   help="use the student's own prerequisites (default: the reference's)")
    p.add_argument("--hidden-feedback", action="store_true",
                   help="show names and messages of hidden tests to students")
    p.add_argument("--single", action="store_true",
                   help="SUBMISSIONS is one student's folder or .zip")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every student got full marks (for CI)")
    p.add_argument("--sandbox", choices=("auto", "bwrap", "process"), default="auto",
                   help="auto: bubblewrap when it works here, else process isolation")
    p.add_argument("--memory", type=int, default=4096, metavar="MiB",
                   help="address-space limit of a worker (default 4096)")
    p.add_argument("--processes", type=int, default=32, help=argparse.SUPPRESS)
    p.add_argument("--student-timeout", type=float, default=1800.0, metavar="S",
                   help="wall-clock limit for one student (default 1800)")
    p.add_argument("--keep-work", action="store_true",
                   help="keep each student's job folder (OUT/.work: pytest.log, the stream) to debug")

    p = sub.add_parser("release", help="instructor: the student release (no solutions)")
    p.add_argument("out", metavar="OUT", help="folder to create")
    p.add_argument("--chapters", nargs="*", default=[], metavar="NN", help="only these chapters")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument("--max-hints", type=int, default=None, metavar="K",
                   help="keep at most the first K hints of each exercise's ladder")

    p = sub.add_parser("gradescope", help="instructor: a Gradescope autograder .zip")
    p.add_argument("out", metavar="OUT.zip")
    _grading_options(p)

    p = sub.add_parser("classroom", help="instructor: GitHub Classroom autograding workflow")
    p.add_argument("out", metavar="DIR", help="the student template repository (usually a release)")
    p.add_argument("--only", action="append", default=[], metavar="ID",
                   help="only these exercises or chapters")


COMMANDS = {"grade": cmd_grade, "release": cmd_release, "gradescope": cmd_gradescope,
            "classroom": cmd_classroom}
