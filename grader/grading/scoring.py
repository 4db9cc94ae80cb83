"""From the recorder's stream to points: per test, per exercise, per student.

A test scores its share of the exercise's points (points / number of its tests, hidden ones
included) only when its *call* phase passed. Points are kept in hundredths (``DECIMALS``): an
exercise's points are split into whole hundredths over its tests (the first tests get the odd
hundredths), so every figure is a fixed-decimal number and per-test scores add up exactly to
the exercise's and the student's totals, in grades.csv, results.json and feedback alike. Everything else scores 0: a failure, a timeout, a
crash, a skip, and a test with no result at all (the grading process stopped before it).

Exercise status, from its tests: ``passed`` (all passed), ``timeout`` (one timed out),
``not started`` (every failing test hit the exercise's own stub), ``blocked`` (every failing
test hit a stub, some another exercise's), ``error`` (every failing test errored: the module
did not import, the worker crashed), else ``failed``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.manifest import Exercise, Manifest

DECIMALS = 2
UNIT = 10 ** DECIMALS
STATUSES = ("passed", "failed", "not started", "error", "timeout", "blocked")
MISSING = "no result: the grading process stopped before this test finished"


@dataclass
class TestResult:
    nodeid: str
    name: str
    exercise: str
    hidden: bool
    status: str
    message: str
    points: float
    max_points: float


@dataclass
class ExerciseResult:
    id: str
    title: str
    status: str
    points: float
    max_points: float
    tests: list[TestResult] = field(default_factory=list)
    detail: str = ""          # "blocked by 02.1", "no graded tests"
    seconds: float = 0.0      # wall time of its tests in the trusted process


@dataclass
class StudentResult:
    student: str
    exercises: list[ExerciseResult]
    submission: list[str] = field(default_factory=list)   # files used / ignored
    isolation: dict = field(default_factory=dict)
    seconds: float = 0.0
    problem: str = ""          # why grading could not run at all (then every exercise is 0)
    cpu: float = 0.0           # CPU seconds: trusted pytest process + sandboxed workers
    cpu_worker: float = 0.0    # of which the sandboxed workers

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), DECIMALS)

    @property
    def max_total(self) -> float:
        return round(sum(e.max_points for e in self.exercises), DECIMALS)

    def to_json(self) -> dict:
        data = asdict(self)
        data["total"], data["max_total"] = self.total, self.max_total
        return data

    @classmethod
    def from_json(cls, data: dict) -> "StudentResult":
        exercises = [ExerciseResult(**{**e, "tests": [TestResult(**t) for t in e["tests"]]})
                     for e in data["exercises"]]
        return cls(data["student"], exercises, data.get("submission", []), data.get("isolation", {}),
                   data.get("seconds", 0.0), data.get("problem", ""), data.get("cpu", 0.0),
                   data.get("cpu_worker", 0.0))


def shares(points: float, count: int) -> list[float]:
    """``points`` split over ``count`` tests in whole hundredths, summing exactly to ``points``
    (rounded to ``DECIMALS``): 2 points over 3 tests are 0.67, 0.67, 0.66."""
    units = round(points * UNIT)
    base, extra = divmod(units, count)
    return [(base + (i < extra)) / UNIT for i in range(count)]


def read_stream(path: Path) -> list[dict]:
    """The recorder's events; a torn last line (the process was killed mid-write) is skipped."""
    events = []
    if not path.is_file():
        return events
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _test_status(phases: list[dict]) -> tuple[str, str]:
    for phase in phases:  # setup, call, teardown: the first that did not pass decides
        if phase.get("when") == "teardown" and any(p.get("when") == "call" for p in phases):
            continue
        if phase.get("status") != "passed":
            return str(phase.get("status")), str(phase.get("message", ""))
    if any(p.get("when") == "call" and p.get("status") == "passed" for p in phases):
        return "passed", ""
    return "error", MISSING


def exercise_status(tests: list[TestResult]) -> tuple[str, str]:
    if not tests:
        return "error", "no graded tests ran for this exercise"
    failing = [t.status for t in tests if t.status != "passed"]
    if not failing:
        return "passed", ""
    if "timeout" in failing:
        return "timeout", ""
    if all(s == "not started" for s in failing) and len(failing) == len(tests):
        return "not started", ""
    if all(s == "not started" or s.startswith("blocked") for s in failing) and len(failing) == len(tests):
        blockers = sorted({s.split()[-1] for s in failing if s.startswith("blocked")})
        return "blocked", "blocked by " + ", ".join(blockers)
    if all(s == "error" for s in failing):
        return "error", ""
    return "failed", ""


def score(manifest: Manifest, selected: list[Exercise], events: list[dict]) -> list[ExerciseResult]:
    collected = next((e for e in events if e.get("event") == "collected"), {"tests": []})
    phases: dict[str, list[dict]] = {}
    for event in events:
        if event.get("event") == "test":
            phases.setdefault(str(event.get("nodeid")), []).append(event)
    seconds: dict[str, float] = {}
    by_exercise: dict[str, list[dict]] = {}
    for test in collected.get("tests", []):
        by_exercise.setdefault(str(test.get("exercise")), []).append(test)
    results = []
    for exercise in selected:
        tests = by_exercise.get(exercise.id, [])
        graded = []
        for test, share in zip(tests, shares(exercise.points, len(tests)) if tests else []):
            status, message = _test_status(phases.get(str(test.get("nodeid")), []))
            seconds[exercise.id] = seconds.get(exercise.id, 0.0) + sum(
                float(p.get("seconds", 0.0)) for p in phases.get(str(test.get("nodeid")), [])
                if isinstance(p.get("seconds", 0.0), (int, float)))
            graded.append(TestResult(
                nodeid=str(test.get("nodeid")), name=str(test.get("name", test.get("nodeid"))),
                exercise=exercise.id, hidden=bool(test.get("hidden")), status=status,
                message=message, points=share if status == "passed" else 0.0, max_points=share))
        status, detail = exercise_status(graded)
        results.append(ExerciseResult(exercise.id, exercise.title, status,
                                      round(sum(t.points for t in graded), DECIMALS),
                                      round(float(exercise.points), DECIMALS), graded, detail,
                                      round(seconds.get(exercise.id, 0.0), 4)))
    return results


def failed_everything(manifest: Manifest, selected: list[Exercise], problem: str) -> list[ExerciseResult]:
    return [ExerciseResult(ex.id, ex.title, "error", 0.0, round(float(ex.points), DECIMALS), [],
                           problem)
            for ex in selected]
