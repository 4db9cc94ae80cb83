"""``kata check NN.M`` in one pytest session (``-p grader.testing.focus --kata-focus NN.M``).

A check wants up to three verdicts; starting pytest once per verdict cost more than the tests.
This plugin takes over the session's test loop and runs, in order:

1. the tests of the exercise under check (the *focus*), on the learner's code; with
   ``--kata-borrow`` on the learner's code with borrowed prerequisites
   (:mod:`grader.testing.borrow`, what ``kata check --reference-prereqs`` asks for);
2. if they fail and the exercise builds on others (and the reference is here), the same tests
   again with borrowed prerequisites: when those pass, the learner's exercise is right and the
   problem is in code it calls;
3. if the focus passes, every other selected exercise (the board's stale verdicts), on the
   learner's own code, so that the "Next:" line is true.

Records of a run with borrowed prerequisites carry ``"target": "borrowed"``
(:meth:`grader.testing.runner.RunResult.borrowed`); the board never takes them for the
learner's own verdict.
"""

from __future__ import annotations

import argparse

import pytest

from grader.testing.plugin import EXERCISE_KEY, STATE_KEY
from grader.testing.runner import BORROWED, summarize


def pytest_addoption(parser):
    group = parser.getgroup("kata")
    group.addoption("--kata-focus", metavar="ID", help=argparse.SUPPRESS)
    group.addoption("--kata-borrow", action="store_true", help=argparse.SUPPRESS)


def _run(session, items) -> None:
    for i, item in enumerate(items):
        nextitem = items[i + 1] if i + 1 < len(items) else None
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)


def _run_borrowing(session, state, items) -> list[dict]:
    start, inject = len(state.records), state.inject
    state.inject = True
    try:
        _run(session, items)
    finally:
        state.inject = inject
    for record in state.records[start:]:
        record["target"] = BORROWED
    return state.records[start:]


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    config = session.config
    focus_id = config.getoption("kata_focus")
    if not focus_id or config.option.collectonly or session.testsfailed:
        return None  # pytest's own loop (and its collection-error handling)
    state = config.stash[STATE_KEY]
    exercise = state.manifest.exercise(focus_id)
    focus = [i for i in session.items if EXERCISE_KEY in i.stash and i.stash[EXERCISE_KEY] is exercise]
    rest = [i for i in session.items if i not in focus]
    if config.getoption("kata_borrow"):
        records = _run_borrowing(session, state, focus)
    else:
        start = len(state.records)
        _run(session, focus)
        records = state.records[start:]
        can_borrow = exercise.requires and (state.manifest.root / "solutions").is_dir()
        if summarize(records) == "failed" and can_borrow and not state.inject:
            _run_borrowing(session, state, focus)
    if summarize(records) == "passed":
        _run(session, rest)
    return True
