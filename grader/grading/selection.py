"""Which exercises a grading command covers: ``--only`` IDs or chapters, else all with tests."""

from __future__ import annotations

from grader.manifest import Exercise, Manifest


def selected_exercises(manifest: Manifest, selectors: list[str], echo=print) -> list[Exercise]:
    """The exercises named by ``--only`` (IDs or chapters), else every exercise with tests."""
    from grader.grading.engine import test_files

    wanted = [s.strip() for opt in selectors for s in opt.split(",") if s.strip()]
    if wanted:
        exercises = {ex.id: ex for s in wanted for ex in manifest.select(s)}
        chosen = sorted(exercises.values(), key=lambda ex: ex.sort_key)
    else:
        chosen = list(manifest.exercises)
    untested = sorted({ex.chapter.id for ex in chosen if not test_files(manifest, [ex])})
    if untested:
        echo(f"kata grade: chapter(s) {', '.join(untested)} have no graded tests yet: left out")
        chosen = [ex for ex in chosen if ex.chapter.id not in untested]
    return chosen
