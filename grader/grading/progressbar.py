"""Progress of ``kata grade``: one line per finished student, and a live status line on a terminal."""

from __future__ import annotations

import sys
import threading
import time

from grader.grading.reports import fmt_points


class Progress:
    def __init__(self, total: int, echo=print, live: bool | None = None):
        self.total = total
        self.echo = echo
        self.live = sys.stderr.isatty() if live is None else live
        self.finished = 0
        self.active: list[str] = []
        self.started = time.monotonic()
        self.graded_seconds: list[float] = []
        self.lock = threading.Lock()

    def _status(self) -> None:
        if not self.live:
            return
        left = self.total - self.finished
        eta = ""
        if self.graded_seconds and left:
            elapsed = time.monotonic() - self.started
            rate = elapsed / max(len(self.graded_seconds), 1)
            eta = f", about {rate * left:.0f} s left"
        names = ", ".join(self.active[:3]) + (" ..." if len(self.active) > 3 else "")
        sys.stderr.write(f"\r\033[K[{self.finished}/{self.total}] grading {names}{eta}")
        sys.stderr.flush()

    def _line(self, text: str) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
        self.echo(text)

    def start(self, kept: int) -> None:
        with self.lock:
            self.finished = kept
            if kept:
                self._line(f"{kept} student(s) already graded (kept; --force grades them again)")
            self._status()

    def begin(self, student: str) -> None:
        with self.lock:
            self.active.append(student)
            self._status()

    def done(self, student: str, result) -> None:
        with self.lock:
            self.finished += 1
            if student in self.active:
                self.active.remove(student)
            self.graded_seconds.append(result.seconds)
            counts: dict[str, int] = {}
            for exercise in result.exercises:
                counts[exercise.status] = counts.get(exercise.status, 0) + 1
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            problem = f"  ({result.problem.splitlines()[0][:80]})" if result.problem else ""
            self._line(f"[{self.finished}/{self.total}] {student}: {fmt_points(result.total)}/{fmt_points(result.max_total)} "
                       f"points ({statuses}) in {result.seconds:.1f} s{problem}")
            self._status()

    def interrupted(self) -> None:
        self._line("interrupted: finished students are kept; run the same command again to go on")

    def finish(self) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
