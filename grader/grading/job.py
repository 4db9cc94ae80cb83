"""One student's grading job: where its files are and how it is to be graded.

The engine writes ``job.json`` in the job folder and starts the trusted pytest process with
``--kata-grade job.json``; the grading target and the recorder read it back. Layout::

    OUT/.work/<student>/
        job.json
        kata/kata_worker/   the worker code (a copy of grader/grading/worker)
        kata/sub/           the student's chapter files (stubs where missing) + provided plumbing
        kata/stubs/         every chapter's stub (fallback for a dependency that does not import)
        scratch/            the worker's writable folder (process isolation only)
        tmp/                TMPDIR and basetemp of the trusted pytest process; the worker sees
                            it at the same path and may write in a test's tmp_path only
        wshare/             the worker's writable copy of a test's tmp_path (bubblewrap)
        stream.jsonl        one line per test event, written as tests finish
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.grading.sandbox import Limits


@dataclass
class Job:
    student: str
    work: str                          # the job folder (absolute)
    isolate: bool = True               # reference prerequisites for every exercise
    call_timeout: float = 10.0         # seconds for one call into the submission
    startup_timeout: float = 60.0      # seconds for a worker to start (NumPy import under load)
    timeouts_per_exercise: int = 2     # after this many timeouts an exercise's other tests are not run
    sandbox: str = "auto"              # "auto", "bwrap" or "process"
    limits: Limits = field(default_factory=Limits)

    @property
    def folder(self) -> Path:
        return Path(self.work)

    @property
    def kata(self) -> Path:
        return self.folder / "kata"

    @property
    def scratch(self) -> Path:
        return self.folder / "scratch"

    @property
    def share(self) -> Path:
        """TMPDIR and pytest's basetemp of the trusted process; visible to the worker."""
        return self.folder / "tmp"

    @property
    def wshare(self) -> Path:
        """What the worker sees at ``share``'s path under bubblewrap (see grading/share.py)."""
        return self.folder / "wshare"

    @property
    def stream(self) -> Path:
        return self.folder / "stream.jsonl"

    def save(self) -> Path:
        path = self.folder / "job.json"
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Job":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["limits"] = Limits(**data.get("limits", {}))
        return cls(**data)
