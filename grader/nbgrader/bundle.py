"""The support files beside each chapter notebook.

``dlf/``          the package the notebook's provided cells import from: the kata's provided
                  plumbing and the *reference* of the earlier chapters this chapter imports
                  (never its own reference).
``kata_tests/``   what the test cells run: ``cell.py`` and ``process.py`` (kernel side), the
                  grader modules the pytest plugin and the harness need (found by following
                  their imports), the chapter's graded test file, its stub (``stub.py``), the
                  manifest, and ``settings.json``, which lists every file the harness may copy
                  (nothing else is ever imported).

nbgrader copies both folders into the release, and ``autograde`` copies them again from
``source/`` over whatever a submission holds, so a student's edits to them do not count.
Hidden tests (``tests/hidden/test_<module>_*.py`` in the kata) go to ``kata_tests/tests/hidden/``
in ``source/``; a hook in ``nbgrader_config.py`` deletes them from the release, and autograde's
copy from ``source/`` brings them back for grading.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import grader
from grader.grading.handout import manifest_subset
from grader.manifest import MANIFEST_NAME, Chapter, Manifest
from grader.nbgrader.names import BUNDLE, PACKAGE
from grader.nbgrader.notebook import known_cells
from grader.author.stubgen import CHAPTER_FILE, generate_stub

GRADER = Path(grader.__file__).resolve().parent
ENTRY_POINTS = ("grader.testing.plugin", "grader.nbgrader.harness")
KERNEL_SIDE = ("cell.py", "process.py")  # what the test cells import, as kata_tests.cell
HIDDEN = "tests/hidden"  # in source/ (so in autograde's copy), removed from the release

CONFTEST = ('"""The graded tests run with the kata\'s pytest plugin."""\n\n'
            'pytest_plugins = ["grader.testing.plugin"]\n')
PYTEST_INI = """[pytest]
addopts = -p no:cacheprovider
markers =
    exercise(id): the exercise (NN.M) a graded test belongs to
"""
INIT = '''"""Support files of this assignment's autograder test cells. Do not edit: nbgrader
replaces this folder with the instructor's copy before grading."""
'''


def _module_file(name: str) -> Path | None:
    """The file of module ``grader.x.y`` (a package's __init__.py), if it exists."""
    parts = name.split(".")[1:]
    base = GRADER.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _grader_imports(path: Path, module: str) -> set[str]:
    """Names of the grader modules that the file at ``path`` (module ``module``) imports."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found
            if name.split(".")[0] == "grader" and (_module_file(name) or _is_package(name))}


def _is_package(name: str) -> bool:
    return GRADER.joinpath(*name.split(".")[1:]).is_dir()


def grader_files(extra_sources: list[Path] = ()) -> list[str]:
    """Paths (relative to the grader package's parent) of the modules the harness needs."""
    todo = list(ENTRY_POINTS)
    for path in extra_sources:
        todo.extend(_grader_imports(path, "tests"))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        for module in [name, *parents]:
            if module in seen:
                continue
            seen.add(module)
            path = _module_file(module)
            if path is not None:  # None: a namespace package, a folder without __init__.py
                todo.extend(_grader_imports(path, module) - seen)
    files = {_module_file(m).relative_to(GRADER.parent).as_posix()
             for m in seen if _module_file(m) is not None}
    return sorted(files)


def package_modules(manifest: Manifest, chapter: Chapter) -> list[str]:
    """File names in ``solutions/`` the chapter imports, directly or not, plus __init__.py."""
    solutions = manifest.root / "solutions"
    todo, seen = [chapter.module], set()
    while todo:
        name = todo.pop()
        for node in ast.walk(ast.parse((solutions / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                for imported in names:
                    root_name = imported.split(".")[0]
                    if root_name not in seen and (solutions / f"{root_name}.py").is_file():
                        seen.add(root_name)
                        todo.append(root_name)
    seen.discard(chapter.module)
    return ["__init__.py"] + sorted(f"{name}.py" for name in seen)


def package_aliases(chapters: list[str]) -> str:
    """Code for dlf/__init__.py that makes ``dlf.ch02_dense`` import ``dlf/_ch02_dense.py``.

    Earlier chapters ship under another name so that no file in a submission is named like a
    chapter file: a grader that collects ``chNN_x.py`` files from a student's folder must never
    find the reference there.
    """
    if not chapters:
        return ""
    names = ", ".join(repr(name[:-3]) for name in chapters)
    return (
        "\n\n# Earlier chapters (the reference) ship as _chNN_x.py; import them as dlf.chNN_x.\n"
        "import importlib as _importlib\n"
        "import sys as _sys\n\n"
        f"for _name in ({names},):\n"
        "    globals()[_name] = _importlib.import_module(f\"._{_name}\", __name__)\n"
        '    _sys.modules[f"{__name__}.{_name}"] = globals()[_name]\n'
    )


def write_bundle(manifest: Manifest, chapter: Chapter, notebook: dict, folder: Path,
                 time_limit: float) -> None:
    """Write ``dlf/`` and ``kata_tests/`` for ``chapter`` into the assignment ``folder``."""
    root = manifest.root
    package = folder / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    stored = {}  # file name in dlf/ -> the module's real file name
    for name in package_modules(manifest, chapter):
        stored[f"_{name}" if CHAPTER_FILE.match(name) else name] = name
    for kept, name in stored.items():
        text = (root / "solutions" / name).read_text(encoding="utf-8")
        if kept == "__init__.py":
            text += package_aliases([n for k, n in stored.items() if k != n])
        (package / kept).write_text(text, encoding="utf-8")

    bundle = folder / BUNDLE
    tests = [root / chapter.test_file] + sorted(
        p for p in (root / "tests").glob("*.py") if not p.name.startswith("test_"))
    hidden = sorted((root / "tests" / "hidden").glob(f"test_{chapter.module}_*.py"))
    files = grader_files(tests + hidden)
    for rel in files:
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(GRADER.parent / rel, bundle / rel)
    for test in tests:
        (bundle / "tests").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(test, bundle / "tests" / test.name)
    for test in hidden:
        (bundle / HIDDEN).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(test, bundle / HIDDEN / test.name)
    # Only this assignment's chapter: a hand-out must not carry other chapters' hints.
    manifest_text = manifest_subset((root / MANIFEST_NAME).read_text(encoding="utf-8"), {chapter.id})
    (bundle / MANIFEST_NAME).write_text(manifest_text, encoding="utf-8")
    for name in KERNEL_SIDE:
        shutil.copyfile(GRADER / "nbgrader" / name, bundle / name)
    reference = (root / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")
    (bundle / "stub.py").write_text(generate_stub(reference, chapter), encoding="utf-8")
    (bundle / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (bundle / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    (bundle / "__init__.py").write_text(INIT, encoding="utf-8")
    settings = {
        "chapter": chapter.id,
        "module": chapter.module,
        "time_limit": time_limit,
        "package": PACKAGE,
        "exercises": {ex.id: {"title": ex.title, "symbol": ex.symbol, "points": ex.points}
                      for ex in chapter.exercises},
        "files": sorted(files + [f"tests/{t.name}" for t in tests] + [
            MANIFEST_NAME, "conftest.py", "pytest.ini", "stub.py"]),
        "package_files": stored,
        "hidden_files": [f"{HIDDEN}/{test.name}" for test in hidden],
        "known_cells": known_cells(notebook),
    }
    (bundle / "settings.json").write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
