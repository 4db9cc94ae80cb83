"""``kata gradescope OUT.zip``: a Gradescope autograder that grades with the same engine.

The bundle holds ``setup.sh`` and ``run_autograder`` at its top, next to what grading needs from
the course (manifest, ``grader`` without its tests, ``solutions/`` for reference prerequisites,
``exercises/`` for stubs, ``tests/`` with hidden tests) and ``kata-grading.json`` (the options).
Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh`` once when building the
image, then ``run_autograder`` for each submission, which calls :func:`run`: the submission in
``/autograder/submission`` is graded like one entry of ``kata grade`` (same collector, sandbox,
scores), and ``/autograder/results/results.json`` is written, whatever happens.

``KATA_AUTOGRADER_ROOT`` (or ``--root``) replaces ``/autograder``, and ``KATA_PYTHON`` the
interpreter: that is how the bundle is tested against a fake tree in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import grader

TOP_FILES = ("curriculum.toml", "conftest.py", "pyproject.toml", "README.md", "LICENSE")
SETTINGS = "kata-grading.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. Any failing step
# fails the build (set -euo pipefail) with its error shown: an image without the grader's
# exact, tested versions (grader/grading/constraints.txt) must not grade anyone.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv bubblewrap >/dev/null
# Its own environment, readable by everyone (the sandboxed worker runs Python from it).
python3 -m venv /opt/kata-venv
/opt/kata-venv/bin/python -m pip install -q --upgrade pip
cd /autograder/source
/opt/kata-venv/bin/python -m pip install -q -c grader/grading/constraints.txt -e .
/opt/kata-venv/bin/python -c "import numpy, pytest, pytest_timeout, hypothesis, grader.grading.engine"
echo "kata autograder ready: $(/opt/kata-venv/bin/python -m pytest --version 2>&1)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: kata's sandboxed engine grades
# $ROOT/submission and writes $ROOT/results/results.json.
# KATA_AUTOGRADER_ROOT (a fake tree for a local test) and KATA_PYTHON replace /autograder and
# the interpreter setup.sh installed.
set -u
ROOT="${KATA_AUTOGRADER_ROOT:-/autograder}"
if [ -z "${KATA_PYTHON:-}" ] && [ -x /opt/kata-venv/bin/python ]; then
    PY=/opt/kata-venv/bin/python
else
    PY="${KATA_PYTHON:-python3}"
fi
mkdir -p "$ROOT/results"
if [ "$(id -u)" = 0 ] && [ -z "${KATA_AUTOGRADER_ROOT:-}" ]; then
    # On Gradescope only (never on a local test tree): without bubblewrap the worker runs as a
    # throw-away uid on the real file system, so keep the reference and the results
    # readable by root only.
    chmod -R go-rwx "$ROOT/source" "$ROOT/results" 2>/dev/null || true
fi
cd "$ROOT/source"
"$PY" -m grader.grading.gradescope --root "$ROOT"
if [ ! -s "$ROOT/results/results.json" ]; then
    echo '{"score": 0, "output": "The autograder failed to start; please tell your instructor.", "tests": []}' \\
        > "$ROOT/results/results.json"
fi
"""


def _course_files(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in TOP_FILES:
        if (root / name).is_file():
            files[name] = (root / name).read_bytes()
    for folder in ("solutions", "exercises", "tests"):
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in path.parts and not path.is_symlink():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    package = Path(grader.__file__).resolve().parent  # the grader that is running now
    for path in sorted([*package.rglob("*.py"), *package.rglob("constraints.txt")]):
        rel = path.relative_to(package.parent)
        if "tests" not in rel.parts[1:-1] and "__pycache__" not in rel.parts:
            files[rel.as_posix()] = path.read_bytes()
    return files


def build_bundle(manifest, out: Path, only: list[str], call_timeout: float = 10.0) -> Path:
    """Write the autograder .zip; ``only`` selects exercises (default: every tested one)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    files = _course_files(manifest.root)
    settings = {"only": [s for opt in only for s in opt.split(",") if s.strip()],
                "call_timeout": call_timeout}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)
        bundle.writestr(SETTINGS, json.dumps(settings, indent=1))
        for rel, content in sorted(files.items()):
            bundle.writestr(rel, content)
    return out


def _failure(message: str) -> dict:
    return {"score": 0.0, "output": f"The autograder could not grade this submission: {message}",
            "visibility": "visible", "tests": []}


def run(root: Path) -> int:
    """Grade ``root/submission`` into ``root/results/results.json`` (always written)."""
    from grader.grading.batch import grade_all
    from grader.grading.selection import selected_exercises
    from grader.grading.engine import Options
    from grader.grading.reports import isolation_text
    from grader.manifest import load_manifest

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="kata-gradescope-"))
    try:
        source = root / "source"
        manifest = load_manifest(source)
        settings = json.loads((source / SETTINGS).read_text()) if (source / SETTINGS).is_file() else {}
        exercises = selected_exercises(manifest, settings.get("only", []), echo=lambda *_: None)
        options = Options(exercises=exercises, call_timeout=float(settings.get("call_timeout", 10.0)))
        summary = grade_all(manifest, [root / "submission"], scratch / "out", options,
                            echo=lambda *_: None)
        result = summary.results[0]
        data = json.loads((scratch / "out" / result.student / "results.json").read_text())
        sandbox = isolation_text(result.isolation)
        if sandbox:
            data["output"] = data.get("output", "") + "\n" + sandbox
        results.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return 0
    except Exception as err:  # noqa: BLE001 - Gradescope must always get a results file
        results.write_text(json.dumps(_failure(repr(err))), encoding="utf-8")
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from grader.grading.channel import become_subreaper, reap_orphans

    parser = argparse.ArgumentParser(prog="python -m grader.grading.gradescope")
    parser.add_argument("--root", default="/autograder", help="the autograder folder")
    args = parser.parse_args(argv)
    become_subreaper()
    try:
        return run(Path(args.root))
    finally:
        reap_orphans()


if __name__ == "__main__":
    sys.exit(main())
