"""The progress board (``kata`` / ``kata list``) and the status of each exercise.

An exercise whose stub is untouched is *not started* without running anything. For the others
the last verdict is reused while none of the files it depends on changed; stale ones are
re-tested together in one pytest run, so the board is always true and usually instant.
"""

from __future__ import annotations

import sys

from grader.learn import progress
from grader.manifest import Exercise, Manifest
from grader.testing.runner import RunResult, run_exercises, summarize


def _symbols() -> dict[str, str]:
    fancy = (sys.stdout.encoding or "").lower().replace("-", "") in ("utf8", "utf16")
    if fancy:
        return {"passed": "✓", "failed": "✗", "not started": "·", "blocked": "⋯"}
    return {"passed": "+", "failed": "x", "not started": ".", "blocked": "~"}


def stale(manifest: Manifest, exercises: list[Exercise], data: dict) -> list[Exercise]:
    """The exercises whose last verdict no longer holds (a file it depends on changed)."""
    return [ex for ex in exercises if not progress.untouched(manifest, ex)
            and progress.cached(data, manifest, ex) is None]


def pending(manifest: Manifest, data: dict) -> list[Exercise]:
    """The stale verdicts that the "Next:" line depends on: those before the first exercise
    known to be unfinished (untouched, or failing while its files are unchanged)."""
    needed = []
    for ex in manifest.exercises:
        if progress.untouched(manifest, ex):
            break
        entry = progress.cached(data, manifest, ex)
        if entry is None:
            needed.append(ex)
        elif entry["status"] != "passed":
            break
    return needed


def upcoming(manifest: Manifest, data: dict) -> Exercise | None:
    """The next exercise to do, from the recorded verdicts (run :func:`pending` ones first)."""
    for ex in manifest.exercises:
        if progress.untouched(manifest, ex):
            return ex
        entry = progress.cached(data, manifest, ex)
        if entry is None or entry["status"] != "passed":
            return ex
    return None


def record_run(manifest: Manifest, exercises: list[Exercise], result: RunResult, data: dict) -> None:
    """Write the learner's own verdicts of ``exercises`` from ``result`` into ``data``."""
    for ex in exercises:
        records = result.for_exercise(ex.id)
        status = summarize(records) if not result.crashed else "failed"
        progress.record(data, manifest, ex, status, sum(r["points"] for r in records))


def refresh(manifest: Manifest, exercises: list[Exercise], data: dict) -> dict[str, dict]:
    """Status and points of every exercise, re-testing only those whose files changed."""
    changed = stale(manifest, exercises, data)
    if changed:
        print(f"(checking {len(changed)} changed exercise{'s' if len(changed) > 1 else ''}...)",
              file=sys.stderr, flush=True)
        record_run(manifest, changed, run_exercises(manifest, changed), data)
        progress.save(manifest, data)
    statuses: dict[str, dict] = {}
    for ex in exercises:
        if progress.untouched(manifest, ex):
            statuses[ex.id] = {"status": "not started", "points": 0.0}
        else:
            statuses[ex.id] = data["results"][ex.id]
    return statuses


def next_exercise(manifest: Manifest, statuses: dict[str, dict]) -> Exercise | None:
    for ex in manifest.exercises:
        if statuses.get(ex.id, {}).get("status") != "passed":
            return ex
    return None


def render(manifest: Manifest, statuses: dict[str, dict]) -> str:
    marks = _symbols()
    earned = sum(s["points"] for s in statuses.values())
    total = sum(ex.points for ex in manifest.exercises)
    done = sum(s["status"] == "passed" for s in statuses.values())
    lines = [f"Deep Learning Foundations: {done}/{len(manifest.exercises)} exercises, "
             f"{earned:g}/{total:g} points", ""]
    width = max((len(ex.title) for ex in manifest.exercises), default=10)
    for chapter in manifest.chapters:
        nnfs = f"  (NNFS ch. {chapter.nnfs})" if chapter.nnfs else ""
        lines.append(f"{chapter.id} {chapter.title}{nnfs}  exercises/{chapter.module}.py")
        for ex in chapter.exercises:
            state = statuses[ex.id]
            kind = "blocked" if state["status"].startswith("blocked") else state["status"]
            label = "" if kind == "passed" else state["status"]
            lines.append(f"   {marks.get(kind, '?')} {ex.id:<5}  {ex.title:<{width}} "
                         f"{state['points']:>4.3g}/{ex.points:<3g} {label}".rstrip())
    upcoming = next_exercise(manifest, statuses)
    lines.append("")
    if upcoming is None:
        lines.append("Every exercise passes. Well done!")
    else:
        lines.append(f"Next: {upcoming.id} {upcoming.title} in exercises/{upcoming.file} "
                     f"(`{upcoming.symbol}`)")
        lines.append(f"      read docs/{upcoming.module}.md, then run `kata check` "
                     f"(or `kata hint {upcoming.id}`)")
    return "\n".join(lines)
