"""The pytest plugin, active whenever pytest runs in the repository (see ``conftest.py``).

- Modes: by default graded tests run against ``exercises/`` (your code); ``--solutions`` runs
  them against the reference. The report header says which tree is under test.
- ``--exercise 01.2`` (or ``--exercise 01`` for a chapter; repeatable) selects tests.
- Every graded test (a test under ``tests/``) carries exactly one ``@pytest.mark.exercise("NN.M")``
  and reaches the code under test only through the ``kata`` fixture.
- A test that hits an untouched stub is reported as *not started* in one line; one that hits
  the stub of another exercise is *blocked by NN.M*. Under ``--solutions`` both are failures.
- Each test is worth an equal share of its exercise's points (``--kata-report`` writes them).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from grader.testing.checks import Checker, KataAssertion
from grader.testing.contract_messages import explain_exception
from grader.testing.contracts import install as install_contracts
from grader.manifest import Exercise, Manifest, load_manifest
from grader.author.mistakes import catalog_by_exercise
from grader.author.stubgen import STUB_MESSAGE
from grader.testing.timelimit import ExerciseTimeout, cpu_limit
from grader.testing.targets import MistakeTarget, TreeTarget

EXERCISE_KEY = pytest.StashKey[Exercise]()


@dataclass
class KataState:
    manifest: Manifest
    default: TreeTarget
    targets: dict[str, TreeTarget]
    reference_mode: bool
    inject: bool
    verify: bool
    selected: list[Exercise] | None
    grading: bool = False  # set by grader.grading.mode: the default target is a sandbox
    records: list[dict] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)  # verify: mistakes some test already failed
    timed_out: set[tuple] = field(default_factory=set)  # (target, exercise) out of CPU time


STATE_KEY = pytest.StashKey[KataState]()
NOT_RUN = "{}: not run, because an earlier test of this exercise ran out of CPU time"
_HYPOTHESIS_READY = False


def pytest_addoption(parser):
    group = parser.getgroup("kata", "Deep Learning Foundations")
    group.addoption("--solutions", action="store_true",
                    help="test the reference in solutions/ instead of your exercises/")
    group.addoption("--exercise", action="append", default=[], metavar="ID",
                    help="run only exercise NN.M, or chapter NN (repeatable; commas allowed)")
    group.addoption("--reference-prereqs", action="store_true",
                    help="take the prerequisites of each exercise from the reference")
    parser.addini("kata_cpu_seconds", "CPU seconds a graded test may use", type="string",
                  default="5")
    group.addoption("--kata-report", metavar="PATH", help=argparse.SUPPRESS)
    group.addoption("--kata-verify", metavar="STUBS_DIR", help=argparse.SUPPRESS)


def _build_state(config) -> KataState:
    manifest = load_manifest(config.rootpath)
    root = manifest.root
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    reference = TreeTarget(manifest, root / "solutions", "solutions")
    learner = TreeTarget(manifest, root / "exercises", "exercises", reference=reference)
    reference_mode = bool(config.getoption("solutions"))
    if (reference_mode or config.getoption("reference_prereqs")) and not (root / "solutions").is_dir():
        raise pytest.UsageError("this copy has no solutions/ folder (a student release?): "
                                "--solutions and --reference-prereqs need the reference")
    targets: dict[str, TreeTarget] = {"solutions": reference}
    stubs_dir = config.getoption("kata_verify")
    if stubs_dir:
        targets["stubs"] = TreeTarget(manifest, Path(stubs_dir), "kata_stubs", reference=reference)
        for entries in catalog_by_exercise(root).values():
            for entry in entries:
                targets[f"mistake:{entry.key}"] = MistakeTarget(reference, entry)
    selected = None
    wanted = [s for opt in config.getoption("exercise") for s in opt.split(",") if s.strip()]
    if wanted:
        try:
            selected = [ex for s in wanted for ex in manifest.select(s)]
        except KeyError as err:
            raise pytest.UsageError(str(err.args[0])) from None
    # Grading mode (grader.grading.mode, loaded with -p by `kata grade`) replaces `default`
    # afterwards with a sandboxed target: the test machinery never imports the grading package.
    return KataState(
        manifest=manifest,
        default=reference if reference_mode else learner,
        targets=targets,
        reference_mode=reference_mode,
        inject=bool(config.getoption("reference_prereqs")),
        verify=bool(stubs_dir),
        selected=selected,
    )


def pytest_configure(config):
    config.stash[STATE_KEY] = _build_state(config)


def _hypothesis_profile(shrink: bool = True) -> None:
    """Deterministic, storage-free property tests: the same code always gets the same verdict.

    Loaded just before the first test module that uses Hypothesis is imported (so explicit
    ``@settings`` in that module inherit it): importing Hypothesis costs about a second, which
    `kata check` on a chapter without property tests should not pay. The author check needs
    only a verdict, not a minimal counterexample, so it skips shrinking.
    """
    global _HYPOTHESIS_READY
    if _HYPOTHESIS_READY:
        return
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "kata", deadline=None, derandomize=True, database=None, max_examples=40,
        phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else []),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    settings.load_profile("kata")
    _HYPOTHESIS_READY = True


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("test_"):
        if "hypothesis" in file_path.read_text(encoding="utf-8", errors="replace"):
            _hypothesis_profile(shrink=not parent.config.stash[STATE_KEY].verify)


def pytest_report_header(config):
    state = config.stash[STATE_KEY]
    if state.verify:
        return "kata: author check (solutions, stubs and every catalogued mistake)"
    if state.reference_mode:
        return "kata: testing solutions/ (the reference)"
    if state.grading:
        return f"kata: grading {state.default.describe()}"
    extra = ", prerequisites from the reference" if state.inject else ""
    return f"kata: testing exercises/ (your code{extra}); `pytest --solutions` tests the reference"


def _is_graded(item, root: Path) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(root / "tests")


def pytest_collection_modifyitems(session, config, items):
    state = config.stash[STATE_KEY]
    problems, kept, deselected = [], [], []
    for item in items:
        if not _is_graded(item, state.manifest.root):
            kept.append(item)
            continue
        marks = list(item.iter_markers("exercise"))
        if len(marks) != 1 or len(marks[0].args) != 1:
            problems.append(f"{item.nodeid}: needs exactly one @pytest.mark.exercise('NN.M')")
            continue
        try:
            exercise = state.manifest.exercise(marks[0].args[0])
        except KeyError as err:
            problems.append(f"{item.nodeid}: {err.args[0]}")
            continue
        if "kata" not in item.fixturenames:
            problems.append(f"{item.nodeid}: graded tests reach the code only via the `kata` fixture")
            continue
        item.stash[EXERCISE_KEY] = exercise
        if state.selected is None or exercise in state.selected:
            kept.append(item)
        else:
            deselected.append(item)
    if problems:
        raise pytest.UsageError("graded tests are malformed:\n  " + "\n  ".join(problems))
    counts: dict[str, int] = {}
    for item in kept + deselected:
        if EXERCISE_KEY in item.stash and _target_of(item) in (None, "solutions"):
            counts[item.stash[EXERCISE_KEY].id] = counts.get(item.stash[EXERCISE_KEY].id, 0) + 1
    state.points = {ex_id: state.manifest.exercise(ex_id).points / n for ex_id, n in counts.items()}
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_generate_tests(metafunc):
    state = metafunc.config.stash[STATE_KEY]
    if not state.verify or "kata_target" not in metafunc.fixturenames:
        return
    marks = list(metafunc.definition.iter_markers("exercise"))
    if len(marks) != 1:
        return  # reported at collection
    ex_id = marks[0].args[0]
    keys = ["solutions", "stubs"] + [k for k in state.targets if k.startswith(f"mistake:{ex_id}:")]
    metafunc.parametrize("kata_target", keys, indirect=True, ids=keys)


def _target_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("kata_target") if callspec else None


@pytest.fixture
def kata_target(request) -> TreeTarget:
    state = request.config.stash[STATE_KEY]
    key = getattr(request, "param", None)
    return state.targets[key] if key else state.default


@pytest.fixture
def kata(request, kata_target, monkeypatch):
    """The module under test for this test's exercise (learner, reference, or mistake)."""
    state = request.config.stash[STATE_KEY]
    exercise = request.node.stash[EXERCISE_KEY]
    if _target_of(request.node) in state.rejected:
        pytest.skip("this mistake is already rejected by an earlier test")  # verify needs one
    if (_target_of(request.node), exercise.id) in state.timed_out:
        # One runaway loop per exercise is enough to wait for.
        pytest.fail(NOT_RUN.format(exercise.id), pytrace=False)
    module = kata_target.load(exercise, monkeypatch, inject_prereqs=state.inject)
    # Every call the test makes into the exercise's code is checked against the contracts
    # (grader/testing/contracts.py): arguments unchanged, no aliasing, dtype, repeatable.
    install_contracts(module, exercise, state.manifest, monkeypatch,
                      remote=not isinstance(kata_target, TreeTarget))
    return module


@pytest.fixture
def check(request) -> Checker:
    """Teaching assertions bound to this test's exercise and its tolerances."""
    return Checker(request.node.stash[EXERCISE_KEY])


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: reproducible, and different per test."""
    return np.random.default_rng(zlib.crc32(request.node.originalname.encode()))


def _stub_origin(excinfo, root: Path) -> tuple[str, str] | None:
    """(exercise ID, "file:line") when the error is an untouched stub's NotImplementedError."""
    if excinfo is None or not isinstance(excinfo.value, NotImplementedError):
        return None
    match = STUB_MESSAGE.match(str(excinfo.value))
    if not match:
        return None
    entry = excinfo.traceback[-1]
    path = Path(str(entry.path))
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    return match.group(1), f"{shown}:{entry.lineno + 1}"


def _message(excinfo, root: Path, exercise: Exercise | None = None) -> str:
    if isinstance(excinfo.value, KataAssertion):
        return str(excinfo.value)
    if isinstance(excinfo.value, SyntaxError):
        err = excinfo.value
        path = Path(err.filename or "?")
        shown = path.relative_to(root) if path.is_absolute() and path.is_relative_to(root) else path
        line = f"\n    {err.text.rstrip()}" if err.text else ""
        return f"SyntaxError in {shown}, line {err.lineno}: {err.msg}{line}"
    text = f"{type(excinfo.value).__name__}: {excinfo.value}".strip()
    where = _code_location(excinfo, root)
    if exercise is not None and not isinstance(excinfo.value, (AssertionError, ExerciseTimeout)):
        explained = explain_exception(excinfo.value, exercise, where,
                                      _code_location(excinfo, root, source=True))
        if explained:
            return explained
    return f"{text}\n  raised at {where}" if where else text


def _code_location(excinfo, root: Path, source: bool = False) -> str | None:
    """"exercises/chNN_x.py:LINE" of the innermost frame in the code under test, if any
    (with ``source``: the text of that line)."""
    for entry in reversed(excinfo.traceback):
        path = Path(str(entry.path))
        if any(path.is_relative_to(root / d) for d in ("exercises", "solutions", "mistakes")):
            if source:
                try:
                    return str(entry.statement).strip().splitlines()[0]
                except Exception:  # noqa: BLE001 - no source to show
                    return None
            return f"{path.relative_to(root)}:{entry.lineno + 1}"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Graded tests run under a CPU-time limit that even Hypothesis cannot retry past."""
    if EXERCISE_KEY not in item.stash:
        yield
        return
    with cpu_limit(float(item.config.getini("kata_cpu_seconds"))):
        yield


def _timeout_message(excinfo, exercise: Exercise, root: Path, seconds: float) -> str:
    location = _code_location(excinfo, root)
    where = f" at {location}" if location else ""
    return (f"{exercise.id} {exercise.title}: the code ran for more than {seconds:g} s of CPU time "
            f"and was stopped{where}.\n  look for a loop that never ends, or a Python loop over "
            "every element where one array operation would do")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if EXERCISE_KEY not in item.stash or not (report.failed or report.when == "call"):
        return
    state = item.config.stash[STATE_KEY]
    exercise = item.stash[EXERCISE_KEY]
    status, message = ("skipped", str(report.longrepr[-1])) if report.skipped else ("passed", "")
    if report.failed:
        status = "failed" if report.when == "call" else "error"
        message = _message(call.excinfo, state.manifest.root, exercise) if call.excinfo else ""
        if report.when == "setup" and (_target_of(item), exercise.id) in state.timed_out:
            status, message = "timeout", NOT_RUN.format(exercise.id)
        elif call.excinfo is not None and call.excinfo.errisinstance(ExerciseTimeout):
            status = "timeout"
            state.timed_out.add((_target_of(item), exercise.id))
            message = _timeout_message(call.excinfo, exercise, state.manifest.root,
                                       float(item.config.getini("kata_cpu_seconds")))
            report.longrepr = message
        origin = _stub_origin(call.excinfo, state.manifest.root)
        if origin:
            stub_id, where = origin
            if stub_id == exercise.id:
                status, message = "not started", f"{exercise.id} {exercise.symbol} is not started ({where})"
            else:
                status, message = f"blocked by {stub_id}", (
                    f"{exercise.id} is blocked by {stub_id}, which is not started ({where})")
            if not state.reference_mode:
                report.longrepr = message
        report.kata_status = status
        target = _target_of(item)
        if target and target.startswith("mistake:"):
            state.rejected.add(target)
    report.user_properties.extend([("kata_exercise", exercise.id), ("kata_status", status),
                                   ("kata_message", message)])
    if report.when == "call" or report.failed:
        state.records.append({
            "nodeid": item.nodeid, "test": item.name, "exercise": exercise.id,
            "target": _target_of(item) or ("solutions" if state.reference_mode else "exercises"),
            "status": status, "message": message,
            "points": state.points.get(exercise.id, 0.0) if status == "passed" else 0.0,
            "max_points": state.points.get(exercise.id, 0.0),
        })


def pytest_report_teststatus(report, config):
    status = getattr(report, "kata_status", "")
    if config.stash[STATE_KEY].reference_mode:
        return None
    if status == "not started":
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    if status.startswith("blocked"):
        return "blocked", "b", ("BLOCKED", {"yellow": True})
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash[STATE_KEY]
    waiting = {}
    for record in state.records:
        if record["status"] == "not started" or record["status"].startswith("blocked"):
            waiting.setdefault(record["exercise"], record["message"])
    if waiting and not state.verify:
        terminalreporter.section("not started yet", sep="-", yellow=True)
        for message in waiting.values():
            terminalreporter.line(message)
        terminalreporter.line("Open the file, replace the `raise NotImplementedError`, then "
                              "run `kata check`; `kata hint NN.M` helps.")


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("kata_report")
    if path:
        records = session.config.stash[STATE_KEY].records
        Path(path).write_text(json.dumps({"exitstatus": int(exitstatus), "tests": records},
                                         indent=1), encoding="utf-8")
