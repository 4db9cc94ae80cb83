"""The progress board (``kata`` / ``kata list``) and the status of each exercise.

An exercise whose stub is untouched is *not started* without running anything. For the others
the last verdict is reused while none of the files it depends on changed; stale ones are
re-tested together in one pytest run, so the board is always true and usually instant.
"""

from __future__ import annotations

import sys

from grader.learn import progress
from grader.manifest import Exercise, Manifest
from grader.testing.runner import run_exercises, summarize


def _symbols() -> dict[str, str]:
    fancy = (sys.stdout.encoding or "").lower().replace("-", "") in ("utf8", "utf16")
    if fancy:
        return {"passed": "✓", "failed": "✗", "not started": "·", "blocked": "⋯"}
    return {"passed": "+", "failed": "x", "not started": ".", "blocked": "~"}


def refresh(manifest: Manifest, exercises: list[Exercise], data: dict) -> dict[str, dict]:
    """Status and points of every exercise, re-testing only those whose files changed."""
    statuses: dict[str, dict] = {}
    stale = []
    for ex in exercises:
        if progress.untouched(manifest, ex):
            statuses[ex.id] = {"status": "not started", "points": 0.0}
        elif (entry := progress.cached(data, manifest, ex)) is not None:
            statuses[ex.id] = entry
        else:
            stale.append(ex)
    if stale:
        print(f"(checking {len(stale)} changed exercise{'s' if len(stale) > 1 else ''}...)",
              file=sys.stderr, flush=True)
        result = run_exercises(manifest, stale)
        for ex in stale:
            records = result.for_exercise(ex.id)
            status = summarize(records) if not result.crashed else "failed"
            points = sum(r["points"] for r in records)
            progress.record(data, manifest, ex, status, points)
            statuses[ex.id] = data["results"][ex.id]
        progress.save(manifest, data)
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
