"""The separate test process of a notebook's test cell (a script; stdlib only until it runs).

``python -I kata_tests/grader/nbgrader/harness.py --bundle kata_tests --exercise 01.1,01.2
--cells cells.json --results results.jsonl`` (started by :mod:`.cell`, in its own session):

1. copies the allow-listed files of the bundle (``settings.json``: grader modules, the test
   file, the stub, the manifest) and of ``dlf/`` into a fresh temporary folder, so files a
   submission added beside them are never imported, and puts only that folder on ``sys.path``;
2. rebuilds the chapter module from the cell sources by the rule of :mod:`.splice` and writes
   it as ``exercises/chNN_x.py`` beside the provided modules;
3. runs the chapter's graded tests of the given exercises with the kata's pytest plugin,
   exactly as ``kata check`` does, writing one JSON line per test as soon as it ends, so the
   results of earlier tests survive a crash. Hidden tests (``tests/hidden/``, present only
   while nbgrader grades) run too, reported under a neutral name and without their message.

What this process does not stop: the learner's code runs in it (that is how the tests call
it), so code inside an exercise can still patch this process. ``kata grade`` keeps the
learner's code out of the test process; see docs/nbgrader.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


class Recorder:
    """A pytest plugin that streams each test's kata status to a JSON-lines file."""

    def __init__(self, path: Path):
        self.out = open(path, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        record["t"] = time.time()  # lets the test cell tell which exercise used up the time
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def pytest_collection_finish(self, session) -> None:
        collected, hidden = [], {}
        for item in session.items:
            mark = item.get_closest_marker("exercise")
            exercise = mark.args[0] if mark and mark.args else ""
            label = item.name
            if is_hidden(item.nodeid):  # students see neither its name nor its message
                hidden[exercise] = hidden.get(exercise, 0) + 1
                label = f"hidden test {hidden[exercise]}"
            collected.append([exercise, item.nodeid, label])
        self.write({"collected": collected})

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        if "kata_status" in props and (report.when == "call" or report.failed):
            message = "" if is_hidden(report.nodeid) else props.get("kata_message", "")
            self.write({"exercise": props.get("kata_exercise", ""), "test": report.nodeid,
                        "status": props["kata_status"], "message": message})


def is_hidden(nodeid: str) -> bool:
    return nodeid.startswith("tests/hidden/")


def _copy(files: list[str], source: Path, target: Path) -> None:
    for rel in files:
        src, dst = source / rel, target / rel
        if src.is_symlink() or not src.is_file():
            raise FileNotFoundError(f"{src} is missing (or not a regular file): the assignment's "
                                    "support files are incomplete")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def run(bundle: Path, exercise_ids: list[str], sources: list[str], results: Path) -> int:
    settings = json.loads((bundle / "settings.json").read_text(encoding="utf-8"))
    module = settings["module"]
    with tempfile.TemporaryDirectory(prefix="kata-nb-") as scratch:
        root = Path(scratch)
        _copy(settings["files"], bundle, root)
        _copy(settings["package_files"], bundle.parent / settings["package"], root / "exercises")
        # Hidden tests are in source/ and so in autograde's copy, but not in the release.
        hidden = [rel for rel in settings.get("hidden_files", [])
                  if (bundle / rel).is_file() and not (bundle / rel).is_symlink()]
        _copy(hidden, bundle, root)
        sys.path.insert(0, str(root))
        os.chdir(root)
        # Only the plugins the graded tests use: entry-point plugins of whatever else is
        # installed (jupyter brings several) double the start-up time of every test cell.
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        import pytest

        from grader.manifest import load_manifest
        from grader.nbgrader.splice import rebuild

        chapter = load_manifest(root).chapter(settings["chapter"])
        stub = (root / "stub.py").read_text(encoding="utf-8")
        source = rebuild(stub, chapter, sources, settings["known_cells"])
        (root / "exercises" / f"{module}.py").write_text(source, encoding="utf-8")
        recorder = Recorder(results)
        args = [f"tests/test_{module}.py", *hidden, f"--exercise={','.join(exercise_ids)}",
                f"--rootdir={root}",
                "-c", str(root / "pytest.ini"), "-q", "-p", "no:cacheprovider",
                "-p", "hypothesis.extra.pytestplugin"]
        code = pytest.main(args, plugins=[recorder])
        recorder.write({"done": True, "exit": int(code)})
        os.chdir(bundle)  # leave the scratch folder so it can be removed
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--exercise", required=True, help="NN.M[,NN.M...]")
    parser.add_argument("--cells", type=Path, required=True, help="JSON list of cell sources")
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args(argv)
    sources = json.loads(args.cells.read_text(encoding="utf-8"))
    return run(args.bundle.resolve(), args.exercise.split(","), sources, args.results.resolve())


if __name__ == "__main__":
    sys.exit(main())
