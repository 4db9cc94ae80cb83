"""A CPU-time limit for code under test that stops runaway loops cleanly, once.

pytest-timeout's wall-clock alarm fires once per test. Inside a Hypothesis test that is not
enough: Hypothesis catches the timeout as an ordinary failure and replays and shrinks the example,
each replay looping forever again. So learner code also runs under a CPU-time timer whose
exception derives from BaseException, which Hypothesis (and a learner's `except Exception:`)
does not swallow: the test stops at the first expiry, and the traceback shows the learner's line.
"""

from __future__ import annotations

import contextlib
import signal
import threading

DEFAULT_CPU_SECONDS = 5.0


class ExerciseTimeout(BaseException):
    """The code under test used more CPU time than a test allows."""


def _expired(signum, frame):
    raise ExerciseTimeout("the code under test ran out of CPU time")


@contextlib.contextmanager
def cpu_limit(seconds: float = DEFAULT_CPU_SECONDS):
    """Raise ExerciseTimeout inside the block after ``seconds`` of process CPU time (POSIX,
    main thread only; elsewhere the block runs unlimited and pytest-timeout remains)."""
    usable = (hasattr(signal, "setitimer") and seconds > 0
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGVTALRM, _expired)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
