"""The trusted pytest process writes each test's outcome to ``stream.jsonl`` as it happens.

The engine reads this file, never pytest's terminal output, exit code or JUnit XML. Lines:

- ``{"event": "collected", "tests": [{"nodeid", "exercise", "hidden"}, ...]}`` once;
- ``{"event": "test", "nodeid", "when", "status", "message"}`` per reported phase;
- ``{"event": "sandbox", "mode", "report", "notes"}`` each time a worker starts;
- ``{"event": "end", "exitstatus"}`` at the end;
- ``{"event": "cpu", "trusted", "worker"}`` last: CPU seconds of this process and of its
  workers (as they reported when stopped cleanly; a killed worker's are missing).

Writing as tests finish means a crash of the test process keeps every earlier result; a test
with no line is scored 0 ("missing result").
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

HIDDEN_DIR = Path("tests") / "hidden"


def classify(status: str, message: str) -> str:
    """The grading status of a failed phase: timeouts and crashes are named as such."""
    if status in ("failed", "error"):
        if message.startswith(("CallTimeout:", "CallTimeoutInSetup:")):
            return "timeout"
        if message.startswith(("WorkerCrashed:", "WorkerCrashedInSetup:")):
            return "error"
    return status


class Recorder:
    def __init__(self, stream: Path, root: Path):
        self.stream = stream
        self.root = root
        self._fh = open(stream, "a", encoding="utf-8", buffering=1)
        self.started = time.monotonic()

    def _write(self, record: dict) -> None:
        self._fh.write(json.dumps(record) + "\n")
        self._fh.flush()

    def pytest_collection_finish(self, session) -> None:
        from grader.testing.plugin import EXERCISE_KEY

        self._write({"event": "timing", "collected_after": round(time.monotonic() - self.started, 3)})
        tests = []
        for item in session.items:
            if EXERCISE_KEY not in item.stash:
                continue
            path = Path(str(item.path)).resolve()
            hidden = path.is_relative_to(self.root / HIDDEN_DIR)
            tests.append({"nodeid": item.nodeid, "exercise": item.stash[EXERCISE_KEY].id,
                          "hidden": hidden, "name": item.name})
        self._write({"event": "collected", "tests": tests})

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        if "kata_status" not in props:
            return
        status = classify(str(props["kata_status"]), str(props.get("kata_message", "")))
        self._write({"event": "test", "nodeid": report.nodeid, "when": report.when,
                     "status": status, "message": str(props.get("kata_message", ""))[:20000],
                     "seconds": round(float(getattr(report, "duration", 0.0)), 4)})

    def sandbox(self, isolation: dict) -> None:
        """The confinement a (re)started worker reported: shown to the instructor."""
        self._write({"event": "sandbox", **isolation})

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._write({"event": "end", "exitstatus": int(exitstatus),
                     "seconds": round(time.monotonic() - self.started, 3)})

    def cpu(self, worker: float) -> None:
        used = resource.getrusage(resource.RUSAGE_SELF)
        self._write({"event": "cpu", "trusted": round(used.ru_utime + used.ru_stime, 4),
                     "worker": round(worker, 4)})

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
