"""``kata classroom DIR``: GitHub Classroom autograding for a student template repository.

It writes ``DIR/.github/workflows/classroom.yml`` (put it in the template, usually a
``kata release``). On every push the workflow installs the kata, grades the student's own
repository once with the same engine (``kata grade . --single``), then reports one
``autograding-command-grader`` step per exercise, worth the exercise's points when every test
of that exercise passed (``python -m grader.grading.classroom OUT ID`` reads the grade).

Know what this is: feedback. The student owns the repository and its workflow, and the
template has public tests only and no reference (so prerequisites are the student's own). For
grades that count, collect the repositories and run ``kata grade`` on them (docs/instructors.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.manifest import Manifest

WORKFLOW = """name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the kata (the tested versions) and bubblewrap
        run: |
          sudo apt-get install -y -qq bubblewrap || echo "no bubblewrap: process isolation"
          python -m pip install -q -c grader/grading/constraints.txt -e .
      - name: Grade (sandboxed, same engine as kata grade)
        run: python -m grader.grading grade . --single --no-isolation --out "$RUNNER_TEMP/kata"{only}
{steps}      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"""

STEP = """      - name: "{title}"
        id: {step_id}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: "{title}"
          setup-command: ""
          command: python -m grader.grading.classroom "$RUNNER_TEMP/kata" {exercise_id}
          timeout: 1
          max-score: {points}
"""


def step_id(exercise_id: str) -> str:
    return "ex" + exercise_id.replace(".", "_")


def workflow(manifest: Manifest, only: list[str]) -> str:
    from grader.grading.selection import selected_exercises

    exercises = selected_exercises(manifest, only, echo=lambda *_: None)
    selector = ",".join(ex.id for ex in exercises)
    steps = "".join(STEP.format(title=f"{ex.id} {ex.title}".replace('"', "'"), step_id=step_id(ex.id),
                                exercise_id=ex.id, points=int(round(ex.points)))
                    for ex in exercises)
    env = "".join(f'          {step_id(ex.id).upper()}_RESULTS: '
                  f'"${{{{steps.{step_id(ex.id)}.outputs.result}}}}"\n' for ex in exercises)
    return WORKFLOW.format(only=f" --only {selector}" if only else "", steps=steps, env=env,
                           runners=",".join(step_id(ex.id) for ex in exercises))


def write_classroom(manifest: Manifest, out: Path, only: list[str]) -> list[Path]:
    path = out / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow(manifest, only), encoding="utf-8")
    return [path]


def check(out: Path, exercise_id: str) -> int:
    """Exit status for one exercise's step: 0 when all of its tests passed in the grade."""
    from grader.grading.batch import INSTRUCTOR_DIR

    records = sorted((out / INSTRUCTOR_DIR).glob("*.json")) if out.is_dir() else []
    if len(records) != 1:
        print(f"no grade found in {out}: did the grading step run?")
        return 2
    result = json.loads(records[0].read_text())["result"]
    for exercise in result["exercises"]:
        if exercise["id"] == exercise_id:
            print(f"{exercise_id}: {exercise['status']} "
                  f"({exercise['points']:g}/{exercise['max_points']:g})")
            for test in exercise["tests"]:
                if test["status"] != "passed" and not test["hidden"]:
                    print(f"\n{test['name']}:\n{test['message']}")
            return 0 if exercise["status"] == "passed" else 1
    print(f"{exercise_id} was not graded")
    return 2


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1]), sys.argv[2]))
