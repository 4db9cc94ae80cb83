"""How long ``kata grade`` takes: 10 full, 10 partial and 10 untouched generated submissions.

    python benchmarks/grading.py [--jobs 2] [--count 10] [--only 01,02] [--keep DIR]

A plain script (pytest does not collect it). It writes the submissions into a temporary folder:

- *full*: every chapter's reference, as an honest student who did everything;
- *partial*: for each chapter, a random half of its exercises written (the reference's
  definition spliced into the stub), the rest left as stubs; some chapters not sent at all;
- *untouched*: the stubs as they were handed out.

then grades them all with ``kata grade -j JOBS`` in one batch, and prints, per kind, the median
wall time per submission (as the engine measured it) and the median CPU seconds per submission
(the trusted pytest process plus the sandboxed workers, as they reported them), the whole
batch's wall time, the grading time per chapter, and the machine's load average (``uptime``):
the machine may be shared, and CPU seconds are the figure that load disturbs least.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading.worker.splice import extract, splice  # noqa: E402
from grader.manifest import load_manifest  # noqa: E402


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_submissions(folder: Path, count: int, seed: int) -> dict[str, str]:
    """Write ``count`` submissions of each kind; returns student -> kind."""
    manifest = load_manifest(ROOT)
    rng = random.Random(seed)
    kinds = {}
    for kind in ("full", "partial", "untouched"):
        for n in range(count):
            student = f"{kind}-{n:02d}"
            kinds[student] = kind
            target = folder / student
            target.mkdir(parents=True)
            for chapter in manifest.chapters:
                stub = (ROOT / "exercises" / f"{chapter.module}.py").read_text(encoding="utf-8")
                reference = (ROOT / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")
                if kind == "full":
                    text = reference
                elif kind == "untouched":
                    text = stub
                else:
                    if rng.random() < 0.25:
                        continue  # a chapter not handed in
                    text = stub
                    for exercise in chapter.exercises:
                        if rng.random() < 0.5:
                            text = splice(text, exercise.symbol, extract(reference, exercise.symbol))
                (target / f"{chapter.module}.py").write_text(text, encoding="utf-8")
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--count", type=int, default=10, help="submissions of each kind")
    parser.add_argument("--only", default="", help="grade only these exercises or chapters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", default=None, help="keep submissions and grades in this folder")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kata-bench-"))
    subs, out = base / "submissions", base / "out"
    shutil.rmtree(subs, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    kinds = make_submissions(subs, args.count, args.seed)
    env = {k: v for k, v in os.environ.items() if k != "KATA_ROOT"}
    env["PYTHONPATH"] = str(ROOT)
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    chapters: dict[str, float] = {}
    rows = []
    for kind in ("full", "partial", "untouched"):
        folder = subs / kind
        folder.mkdir()
        for student in (s for s, k in kinds.items() if k == kind):
            (subs / student).rename(folder / student)
        command = [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out / kind),
                   "-j", str(args.jobs)] + (["--only", args.only] if args.only else [])
        before = os.times()
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        after = os.times()
        if done.returncode != 0:
            print(done.stdout + done.stderr)
            return 1
        records = [json.loads(p.read_text())["result"]
                   for p in sorted((out / kind / "_instructor").glob("*.json"))]
        # kata grade, its trusted pytest processes and, through bubblewrap (or directly), the
        # sandboxed workers, which all end cleanly here: every process is a waited child
        waited = (after.children_user - before.children_user) + (after.children_system
                                                                 - before.children_system)
        for record in records:
            for exercise in record["exercises"]:
                chapter = exercise["id"].split(".")[0]
                chapters[chapter] = chapters.get(chapter, 0.0) + exercise.get("seconds", 0.0)
        rows.append((kind, len(records), wall, statistics.median(r["seconds"] for r in records),
                     statistics.median(r.get("cpu", 0.0) for r in records),
                     waited / len(records),
                     statistics.median(r["total"] for r in records)))
    print(f"load average after:  {load_average()}\n")
    print(f"{'kind':<10} {'n':>3} {'batch wall s':>13} {'median wall s':>14} "
          f"{'median CPU s':>13} {'CPU s per sub':>14} {'median points':>14}")
    for kind, n, wall, median_wall, median_cpu, per_sub, points in rows:
        print(f"{kind:<10} {n:>3} {wall:>13.1f} {median_wall:>14.2f} {median_cpu:>13.2f} "
              f"{per_sub:>14.2f} {points:>14g}")
    print("\nmedian wall s: one submission, as the engine timed it (-j %d at once); median CPU s:"
          "\nits trusted pytest process and sandboxed workers; CPU s per sub: the whole batch's"
          "\nCPU (kata grade itself and every process it started, workers included) / n." % args.jobs)
    print("\ntest time per chapter (trusted process, summed over every batch):")
    print("  " + ", ".join(f"{c} {s:.1f} s" for c, s in sorted(chapters.items())))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
