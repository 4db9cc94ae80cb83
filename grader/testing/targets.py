"""What a graded test runs against: the code under test, reached through one indirection.

Tests never import ``exercises`` or ``solutions``. They ask the ``kata`` fixture for the module
of their exercise, and the fixture asks the active *target*:

==================  ======================================================================
``TreeTarget``      a folder imported as a package: ``exercises/`` (the default; learner mode
                    never imports ``solutions/``), ``solutions/`` (``pytest --solutions``,
                    what CI runs), or generated stubs in a scratch folder (``kata verify``)
``MistakeTarget``   the reference with one exercise swapped for a catalogued wrong body
==================  ======================================================================

``GradingTarget`` (``grader/grading/target.py``, selected by ``--kata-grade``, used by
``kata grade``) runs a submission in a sandboxed worker and hands tests a proxy with the same
attributes. So tests obey one rule about state: *they never rely on the code under test
changing an array they passed in*. State that lives on (parameters, optimizer moments, running
statistics, dropout masks) is read back through the learner's own objects, e.g. ``layer.W.data``.

Reference injection: with ``inject_prereqs`` a target replaces the symbols of the exercise's
prerequisites (manifest ``requires``, transitively) by the reference's definitions compiled
inside the learner's own modules (:mod:`grader.testing.borrow`), so one unfinished exercise does
not fail the next and every object stays the learner's. Learner mode does this only when asked
(``--reference-prereqs``, or ``kata check``'s retry after a failure).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

from grader.manifest import Exercise, Manifest
from grader.author.mistakes import Mistake
from grader.testing.borrow import borrow, prerequisites


def load_package(folder: Path, name: str) -> types.ModuleType:
    """Import ``folder`` as a package called ``name`` (its modules use relative imports)."""
    if name in sys.modules:
        return sys.modules[name]
    init = Path(folder) / "__init__.py"
    if not init.is_file():
        raise FileNotFoundError(f"{folder} has no __init__.py: it is not a kata package")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def resolve(module: types.ModuleType, symbol: str):
    """(owner, attribute) for ``"func"`` or ``"Class.method"`` inside ``module``."""
    owner = module
    *path, attr = symbol.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


def _swapped(entry, original, value):
    """``entry`` (a tuple or list) with ``original`` replaced by ``value``; None if absent."""
    if isinstance(entry, (tuple, list)) and any(e is original for e in entry):
        return type(entry)(value if e is original else e for e in entry)
    return None


def patch_symbol(monkeypatch, package: str, module: types.ModuleType, symbol: str, value) -> None:
    """Replace ``symbol`` in ``module`` and wherever the package holds it: names bound by
    ``from . import``, and module-level dicts such as ``INITIALIZERS = {"he": init_he}`` or
    ``TASKS = {"ce": (forward, backward)}``."""
    owner, attr = resolve(module, symbol)
    original = owner.__dict__.get(attr, getattr(owner, attr, None))
    monkeypatch.setattr(owner, attr, value, raising=False)
    if owner is not module:
        return  # a method: every user reaches it through the class
    for name, other in list(sys.modules.items()):
        if other is None or not (name == module.__name__ or name.startswith(package + ".")):
            continue
        for alias, bound in list(vars(other).items()):
            if bound is original and other is not module:
                monkeypatch.setattr(other, alias, value)
            elif isinstance(bound, dict):
                for key, entry in list(bound.items()):
                    if entry is original:
                        monkeypatch.setitem(bound, key, value)
                    elif (swapped := _swapped(entry, original, value)) is not None:
                        monkeypatch.setitem(bound, key, swapped)


class TreeTarget:
    """Code under test read from one folder, imported as package ``package``."""

    def __init__(self, manifest: Manifest, folder: Path, package: str,
                 reference: "TreeTarget | None" = None):
        self.manifest = manifest
        self.folder = Path(folder)
        self.package = package
        self.reference = reference  # whose source injected prerequisites are read from

    def describe(self) -> str:
        return f"{self.folder.name}/"

    def module(self, exercise: Exercise) -> types.ModuleType:
        load_package(self.folder, self.package)
        return importlib.import_module(f"{self.package}.{exercise.module}")

    def load(self, exercise: Exercise, monkeypatch, inject_prereqs: bool = False):
        module = self.module(exercise)
        if inject_prereqs and self.reference is not None:
            for prereq in prerequisites(self.manifest, exercise):
                learner = self.module(prereq)
                value = borrow(learner, prereq, self.reference.folder)
                if value is not None:
                    patch_symbol(monkeypatch, self.package, learner, prereq.symbol, value)
        return module


class MistakeTarget(TreeTarget):
    """The reference, with one exercise replaced by a catalogued wrong implementation."""

    def __init__(self, reference: TreeTarget, entry: Mistake):
        super().__init__(reference.manifest, reference.folder, reference.package)
        self.entry = entry

    def describe(self) -> str:
        return f"mistake {self.entry.key} ({self.entry.description})"

    def load(self, exercise: Exercise, monkeypatch, inject_prereqs: bool = False):
        module = self.module(exercise)
        patch_symbol(monkeypatch, self.package, module, exercise.symbol, self.entry.replacement)
        return module
