"""How long does `kata check NN.M` take? Median CPU and wall seconds per chapter.

    python benchmarks/kata_check.py [--chapters 01 05] [--repeat 5]

A plain script, never collected by pytest. For each chapter it takes one exercise (the last
one with a catalogued mistake), in a throw-away copy of the repository (grader included, so
the copy's own bytecode cache is what is measured) where that exercise's prerequisites are
solved and the board is up to date, and times `python -m grader check NN.M` after a save
(the file is rewritten before every check, as an editor does) with the exercise

- stub:   untouched (not started);
- wrong:  a catalogued mistake (fails; the retry with borrowed prerequisites runs too);
- solved: the reference body (passes; the verdicts the save made stale are refreshed too);

with a bytecode cache (after a warm-up run) and without one (no __pycache__ in the copy and
PYTHONDONTWRITEBYTECODE=1, as on CI). CPU is the child's user + system time. Then `kata watch
NN.M` runs in the same copy and the last column is the median wall time from a save (cycling
through stub, wrong, solved) to the end of the re-check it prints. Wall times depend on what
else runs: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.manifest import Exercise, load_manifest  # noqa: E402
from grader.testing.borrow import prerequisites  # noqa: E402
from grader.testing.splice import extract, splice  # noqa: E402

COPIED = ("curriculum.toml", "conftest.py", "pyproject.toml", "solutions", "exercises", "tests",
          "mistakes", "docs", "grader")


def make_copy(dest: Path) -> Path:
    root = dest / "repo"
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name,
                            ignore=shutil.ignore_patterns("__pycache__", "tests" if name == "grader" else "-"))
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


def mistake_definition(root: Path, exercise: Exercise) -> str | None:
    """The first catalogued mistake of ``exercise``, renamed to the exercise's symbol."""
    path = root / "mistakes" / f"{exercise.module}.py"
    if not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "mistake"
                    and deco.args and getattr(deco.args[0], "value", None) == exercise.id):
                lines = source.splitlines()[node.lineno - 1:node.end_lineno]
                name = exercise.symbol.rsplit(".", 1)[-1]
                lines[0] = re.sub(r"def \w+\(", f"def {name}(", lines[0], count=1)
                return "\n".join(lines) + "\n"
    return None


def put(root: Path, exercise: Exercise, definition: str | None, tail: str = "") -> None:
    """Write ``definition`` for the exercise into the copy's exercises/ (None: the stub;
    "solved": the reference's), and ``tail`` at the end of the file: one save."""
    path = root / "exercises" / exercise.file
    text = path.read_text(encoding="utf-8")
    source = {None: ROOT / "exercises", "solved": root / "solutions"}.get(definition)
    if source is not None:
        definition = extract((source / exercise.file).read_text(encoding="utf-8"), exercise.symbol)
    path.write_text(splice(text, exercise.symbol, definition) + tail, encoding="utf-8")


def solve(root: Path, exercise: Exercise) -> None:
    put(root, exercise, "solved")


def pick(manifest, chapter) -> Exercise:
    with_mistakes = [ex for ex in chapter.exercises if mistake_definition(ROOT, ex)]
    return (with_mistakes or chapter.exercises)[-1]


def timed(root: Path, args: list[str], env: dict) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grader", *args], cwd=root, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.returncode


def drop_bytecode(root: Path) -> None:
    for folder in root.rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def measure(root: Path, exercise: Exercise, state: str, cache: bool, repeat: int) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KATA_ROOT", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if not cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        drop_bytecode(root)
    definition = {"stub": None, "solved": "solved", "wrong": mistake_definition(root, exercise)}[state]
    cpus, walls = [], []
    for n in range(repeat + (1 if cache else 0)):
        put(root, exercise, definition, f"# save {n}\n")
        cpu, wall, _ = timed(root, ["check", exercise.id], env)
        if cache and n == 0:
            continue  # the warm-up run writes the bytecode cache
        cpus.append(cpu)
        walls.append(wall)
    return statistics.median(cpus), statistics.median(walls)


def measure_watch(root: Path, exercise: Exercise, repeat: int) -> float:
    """Median seconds from a save to the end of `kata watch`'s re-check."""
    from grader.learn.watch import WATCHING

    env = {k: v for k, v in os.environ.items()
           if k not in ("KATA_ROOT", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", exercise.id], cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()

    def until_watching() -> None:
        while not lines.get(timeout=60).startswith(WATCHING):
            if proc.poll() is not None:
                raise RuntimeError(f"kata watch ended (exit {proc.returncode})")

    definitions = [None, mistake_definition(root, exercise), "solved"]
    latencies = []
    try:
        until_watching()
        for n in range(3 * repeat):
            time.sleep(0.3)  # a save some time after the last check, as when typing
            while not lines.empty():  # nothing left over from the last check
                lines.get_nowait()
            start = time.perf_counter()
            put(root, exercise, definitions[n % 3], f"# watch {n}\n")
            until_watching()
            latencies.append(time.perf_counter() - start)
    finally:
        proc.kill()
        proc.wait()
    return statistics.median(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", help="only these chapters (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="checks per median (default 5)")
    parser.add_argument("--watch-only", action="store_true", help="only time kata watch")
    args = parser.parse_args()
    manifest = load_manifest(ROOT)
    chapters = [ch for ch in manifest.chapters if not args.chapters or ch.id in args.chapters]
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
          f"  ({os.cpu_count()} CPUs), python {sys.version.split()[0]}")
    print(f"{'exercise':<9}{'state':<8}" + "".join(f"{h:>12}" for h in
          ("cpu cached", "wall cached", "cpu no-pyc", "wall no-pyc", "watch")))
    rows, watches = [], []
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as scratch:
        for chapter in chapters:
            root = make_copy(Path(scratch) / chapter.id)
            exercise = pick(manifest, chapter)
            for prereq in prerequisites(manifest, exercise):
                solve(root, prereq)
            timed(root, ["list"], dict(os.environ))  # the board is up to date before the edits
            for state in () if args.watch_only else ("stub", "wrong", "solved"):
                figures = [x for cache in (True, False)
                           for x in measure(root, exercise, state, cache, args.repeat)]
                rows.append(figures)
                print(f"{exercise.id:<9}{state:<8}" + "".join(f"{x:>12.2f}" for x in figures),
                      flush=True)
            watches.append(measure_watch(root, exercise, args.repeat) if hasattr(os, "fork") else 0)
            print(f"{exercise.id:<9}{'watch':<8}{'':>48}{watches[-1]:>12.2f}", flush=True)
            shutil.rmtree(root.parent, ignore_errors=True)
    columns = (list(zip(*rows)) or [[0.0]] * 4) + [watches]
    print(f"{'median':<17}" + "".join(f"{statistics.median(c):>12.2f}" for c in columns))
    print(f"{'worst':<17}" + "".join(f"{max(c):>12.2f}" for c in columns))
    print(f"load after:  {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
