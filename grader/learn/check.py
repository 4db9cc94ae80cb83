"""``kata check``: run one exercise's tests and say, briefly, what to do next.

Before running anything it looks for what would only produce noise: a missing exercise file or
one that does not parse. Then one pytest session (:mod:`grader.testing.focus`) runs the
exercise's tests; after a failure of an exercise that builds on others, the same tests again
with the reference's prerequisites (when that passes, the learner's exercise is right and the
message points at the prerequisite instead); after a pass, the board's stale verdicts that the
"Next:" line depends on (the others wait for the next ``kata list``). A run with borrowed prerequisites (``--reference-prereqs``) never lowers a
recorded result.
"""

from __future__ import annotations

from grader.learn import board
from grader.learn import progress
from grader.manifest import Exercise, Manifest
from grader.testing.runner import RunResult, run_exercises, summarize


def preflight(manifest: Manifest, exercise: Exercise) -> str | None:
    """A one-paragraph problem with the files this exercise needs, or None."""
    needed = [exercise] + [manifest.exercise(r) for r in exercise.requires]
    for ex in needed:
        path = progress.exercise_file(manifest, ex)
        rel = path.relative_to(manifest.root)
        if not path.is_file():
            return (f"{rel} is missing. `kata reset {ex.id}` puts a fresh stub file back "
                    "(the other exercises of that file will be stubs again too).")
        try:
            compile(path.read_text(encoding="utf-8"), str(rel), "exec")
        except SyntaxError as err:
            source = f"\n    {err.text.rstrip()}\n    {' ' * max((err.offset or 1) - 1, 0)}^" \
                if err.text else ""
            return f"{rel}, line {err.lineno}: SyntaxError: {err.msg}{source}\nFix this first."
    return None


def _failures(records: list[dict]) -> list[str]:
    lines = []
    for record in records:
        if record["status"] == "passed" or record["status"] == "not started":
            continue
        if record["status"].startswith("blocked"):
            continue
        message = record["message"] or record["status"]
        lines.append(f"\n  x {record['test']}")
        lines.append("    " + message.replace("\n", "\n    "))
        if "next:" not in message and record["status"] != "timeout":
            lines.append("    next: the last line above is where it went wrong; "
                         f"`kata hint {record['exercise']}` if you are stuck")
    return lines


def _prerequisite_verdict(exercise: Exercise, result: RunResult) -> str | None:
    """What the retry with the reference's prerequisites says (it ran after a failure)."""
    borrowed = result.borrowed(exercise.id)
    if not borrowed or summarize(borrowed) != "passed":
        return None
    names = ", ".join(exercise.requires)
    return (f"  With the reference's version of {names} every test passes: your {exercise.id} "
            f"is right, and the problem is in code it calls. Run `kata check` on {names}.")


def report(manifest: Manifest, exercise: Exercise, result: RunResult, data: dict,
           reference_prereqs: bool, stale: list[Exercise] = ()) -> int:
    records = result.borrowed(exercise.id) if reference_prereqs else result.for_exercise(exercise.id)
    status = summarize(records)
    points = sum(r["points"] for r in records)
    if reference_prereqs:
        progress.record_borrowed(data, manifest, exercise, status, points)
    else:
        progress.record(data, manifest, exercise, status, points)
    if status == "passed":
        board.record_run(manifest, list(stale), result, data)
    progress.save(manifest, data)
    print(f"{exercise.id} {exercise.title}  (exercises/{exercise.file}, `{exercise.symbol}`)")
    if status == "not started":
        where = records[0]["message"].rsplit("(", 1)[-1].rstrip(")") if records else exercise.file
        print(f"  not started: `{exercise.symbol}` still raises NotImplementedError ({where})")
        print(f"  Replace that line with your code. Stuck? `kata hint {exercise.id}`")
        return 1
    print("\n".join(_failures(records)))
    blockers = sorted({r["status"].split()[-1] for r in records if r["status"].startswith("blocked")})
    if blockers:
        waiting = sum(r["status"].startswith("blocked") for r in records)
        has_reference = (manifest.root / "solutions").is_dir()  # a student release has none
        either = "" if reference_prereqs or not has_reference else \
            f", or run `kata check {exercise.id} --reference-prereqs`"
        print(f"\n  {waiting} test(s) are blocked by {', '.join(blockers)}, not started yet: do "
              f"{'it' if len(blockers) == 1 else 'them'} first{either}")
    passed = sum(r["status"] == "passed" for r in records)
    print(f"\n  {passed}/{len(records)} tests pass, {points:.3g}/{exercise.points:g} points")
    if status == "passed":
        if reference_prereqs:
            names = ", ".join(exercise.requires)
            print(f"  Passed, with the reference's version of {names}; your own are needed too.")
        else:
            print(f"  Passed! Read more in docs/{exercise.module}.md.")
        upcoming = board.upcoming(manifest, data)
        if upcoming:
            print(f"  Next: {upcoming.id} {upcoming.title}: `kata check {upcoming.id}`")
        return 0
    if status == "failed" and not reference_prereqs:
        verdict = _prerequisite_verdict(exercise, result)
        if verdict:
            print(verdict)
    return 1


def check(manifest: Manifest, exercise: Exercise, data: dict, reference_prereqs: bool) -> int:
    problem = preflight(manifest, exercise)
    if problem:
        print(f"{exercise.id} {exercise.title}: cannot run its tests yet.\n  "
              + problem.replace("\n", "\n  "))
        return 1
    if reference_prereqs and not (manifest.root / "solutions").is_dir():
        print(f"{exercise.id}: this copy has no solutions/ folder (a student release?), so there "
              "are no reference prerequisites to borrow.")
        return 2
    # one session: this exercise, then (if it passes) the stale verdicts "Next:" depends on
    stale = [ex for ex in board.pending(manifest, data) if ex is not exercise]
    result = run_exercises(manifest, [exercise, *stale], focus=exercise, borrow=reference_prereqs)
    if result.crashed:
        print(f"{exercise.id}: the tests could not run (pytest exit {result.exit_code}):")
        print(result.output.strip()[-4000:])
        return 2
    return report(manifest, exercise, result, data, reference_prereqs, stale)


def refresh_announcing(manifest: Manifest, data: dict) -> dict[str, dict]:
    """Refresh the board, print the exercises that pass now but did not at the last look,
    and return every exercise's status."""
    before = {k: v.get("status") for k, v in data["results"].items()}
    statuses = board.refresh(manifest, list(manifest.exercises), data)
    for ex in manifest.exercises:
        if statuses[ex.id]["status"] == "passed" and before.get(ex.id) != "passed":
            print(f"{ex.id} {ex.title}: passed, {ex.points:g} points.")
    return statuses


def check_chapter(manifest: Manifest, exercises: list[Exercise], data: dict) -> int:
    """`kata check 03`: every exercise of a chapter in one run, one line each."""
    result = run_exercises(manifest, exercises)
    if result.crashed:
        print(f"the tests could not run (pytest exit {result.exit_code}):")
        print(result.output.strip()[-4000:])
        return 2
    all_passed = True
    for ex in exercises:
        records = result.for_exercise(ex.id)
        status, points = summarize(records), sum(r["points"] for r in records)
        progress.record(data, manifest, ex, status, points)
        passed = sum(r["status"] == "passed" for r in records)
        mark = "ok" if status == "passed" else "  "
        print(f"  {mark} {ex.id:<6} {ex.title:<40} {passed}/{len(records)} tests  {status}")
        all_passed &= status == "passed"
    progress.save(manifest, data)
    if not all_passed:
        print("Details of one exercise: `kata check NN.M`.")
    return 0 if all_passed else 1
