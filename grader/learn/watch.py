"""``kata watch NN.M``: re-check an exercise every time a file under ``exercises/`` is saved.

One warm process: it imports NumPy, pytest, the test machinery and the chapter's test module
once (a collect-only session, which never imports the learner's code), then *forks* a child
per check. The child starts with all of that in memory, imports the learner's modules fresh
and runs ``kata check``; when it exits, nothing of the learner's code is left behind, so every
check is as isolated as a cold one and costs a fraction of it. Saves are noticed by polling
(0.1 s). A change to a test file or the manifest restarts the watcher. Without ``os.fork``
(Windows) each check is a new process.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Callable

from grader.learn import board, progress
from grader.manifest import Manifest
from grader.testing.runner import run_pytest

WATCHING = "-- watching exercises/ for saves (Ctrl-C to stop)"


def _snapshot(folder) -> dict:
    return {p: p.stat().st_mtime_ns for p in sorted(folder.glob("*.py"))}


def _warm_up(manifest: Manifest, exercise_id: str | None) -> None:
    """Import what every check needs, without the learner's code."""
    if exercise_id is None:
        statuses = board.refresh(manifest, list(manifest.exercises), progress.load(manifest))
        chosen = board.next_exercise(manifest, statuses)
        exercise_id = chosen.id if chosen else None
    if exercise_id is None:
        return
    exercise = manifest.exercise(exercise_id)
    test_file = str(manifest.root / exercise.chapter.test_file)
    import grader.testing.focus  # noqa: F401 - loaded by every check's session
    run_pytest(manifest, [test_file, f"--exercise={exercise.id}", "--collect-only",
                          "--assert=plain"], autoload=False)


def _forget_learner_code() -> None:
    """Drop the learner's modules (a board refresh may have imported them): children import
    them fresh."""
    for name in [n for n in sys.modules if n == "exercises" or n.startswith("exercises.")]:
        del sys.modules[name]


def _check_in_child(check: Callable[[], int]) -> int:
    """``check()`` (``kata check``) in a forked child of this warm process; its exit code."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: run the check, then leave without running the parent's cleanup
        code = 1
        try:
            code = check()
        except KeyboardInterrupt:
            code = 130
        except BaseException:  # noqa: BLE001 - the child must never return into the watcher
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def watch(manifest: Manifest, exercise_id: str | None, check: Callable[[list[str]], int],
          interval: float = 0.1) -> int:
    """Watch; ``check(args)`` is ``kata check ARGS`` (the command line's own entry point)."""
    exercise = manifest.exercise(exercise_id) if exercise_id else None
    args = [exercise.id] if exercise else []
    folder = manifest.root / "exercises"
    fixed = [manifest.root / "curriculum.toml", manifest.root / "tests"]
    forking = hasattr(os, "fork")
    target = f"{exercise.id} {exercise.title}" if exercise else "the next unfinished exercise"
    print(f"kata watch: checking {target} on every save. Ctrl-C to stop.", flush=True)
    if forking:
        _warm_up(manifest, exercise_id)
        _forget_learner_code()
        gc.freeze()  # children share these objects: the collector leaves them (and their pages) alone
    fixed_seen = {p: _snapshot(p) if p.is_dir() else p.stat().st_mtime_ns for p in fixed}
    seen = None
    try:
        while True:
            now = _snapshot(folder)
            if now != seen:
                seen = now
                print("\033[2J\033[H" if sys.stdout.isatty() else "", end="")
                print(f"[{datetime.now():%H:%M:%S}]", end=" ", flush=True)
                if forking:
                    _check_in_child(lambda: check(args))
                else:
                    subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=manifest.root)
                print(WATCHING, flush=True)
            if {p: _snapshot(p) if p.is_dir() else p.stat().st_mtime_ns for p in fixed} != fixed_seen:
                print("kata watch: the tests or the manifest changed; restarting.", flush=True)
                os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
            time.sleep(interval)
    except KeyboardInterrupt:
        print("\nkata watch: stopped.")
        return 0
