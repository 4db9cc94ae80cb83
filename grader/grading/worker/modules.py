"""The student's package, imported from the job folder through an in-memory loader.

Layout of the job folder (read-only in the sandbox)::

    sub/     the student's chapter files (a stub where they sent none) and the provided
             plumbing (``__init__.py``, ``core.py``: always the course's own copies)
    stubs/   every chapter's stub, used for a *dependency* chapter that does not import

The package is called ``exercises``, as on the student's machine, so tracebacks read the same.
Only files in ``sub/`` can be imported from it. Before a chapter module runs, the reference
definitions of the job's prerequisites are spliced into its source (see :mod:`.splice`).

With ``fallback`` (per-exercise isolation), a chapter that the module under test imports and
that raises while being imported (a syntax error, a NameError at module level, ``sys.exit``)
is replaced by its stub plus the spliced prerequisites: a broken early chapter does not zero
later ones. Chapters the module under test does not import are never run. The module under
test itself never falls back.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import re
import sys

try:
    from .splice import splice  # the copy workspace.py puts beside the worker in its job folder
except ImportError:  # imported in place as grader.grading.worker (the grader's own tests)
    from grader.testing.splice import splice

CHAPTER = re.compile(r"^ch\d{2}_\w+$")


class StudentPackage:
    def __init__(self, name: str, sub_dir: str, stubs_dir: str, inject: dict, fallback: bool):
        self.name = name
        self.sub_dir = sub_dir
        self.stubs_dir = stubs_dir
        self.inject = inject            # {module: [[symbol, definition], ...]}
        self.fallback = fallback
        self.replaced: dict[str, str] = {}  # module -> why its stub was used instead
        self.under_test: str | None = None
        self.available = {f[:-3] for f in os.listdir(sub_dir) if f.endswith(".py")}

    # -- importlib protocol (a meta path finder and its loader) ----------------------
    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.name:
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True,
                                                  origin=os.path.join(self.sub_dir, "__init__.py"))
            spec.submodule_search_locations = []
            spec.has_location = True
            return spec
        prefix = self.name + "."
        if fullname.startswith(prefix):
            short = fullname[len(prefix):]
            if "." in short or short not in self.available or short == "__init__":
                return None
            return importlib.machinery.ModuleSpec(fullname, self, origin=self._path(short))
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        short = "__init__" if module.__name__ == self.name else module.__name__[len(self.name) + 1:]
        guarded = self.fallback and short != self.under_test and CHAPTER.match(short) \
            and os.path.isfile(os.path.join(self.stubs_dir, f"{short}.py"))
        try:
            self._run(module, short)
        except BaseException as err:  # noqa: BLE001 - SystemExit at import is a broken chapter too
            if not guarded:
                raise
            self.replaced[short] = f"{type(err).__name__}: {err}"[:300]
            for key in [k for k in module.__dict__ if k not in ("__name__", "__spec__", "__loader__",
                                                                  "__package__", "__path__")]:
                del module.__dict__[key]
            self._run(module, short)

    def _run(self, module, short: str) -> None:
        source = self.source(short)
        code = compile(source, self._path(short), "exec", dont_inherit=True)
        module.__file__ = self._path(short)
        exec(code, module.__dict__)

    # -- sources ------------------------------------------------------------------------
    def _path(self, short: str) -> str:
        folder = self.stubs_dir if short in self.replaced else self.sub_dir
        return os.path.join(folder, f"{short}.py")

    def source(self, short: str) -> str:
        with open(self._path(short), "rb") as fh:
            text = fh.read().decode("utf-8")
        for symbol, definition in self.inject.get(short, []):
            try:
                text = splice(text, symbol, definition)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                break  # the module does not parse: it fails on import, as it would anyway
        return text

    # -- loading --------------------------------------------------------------------------
    def install(self) -> None:
        sys.meta_path.insert(0, self)

    def load(self, module: str):
        """Import ``module`` of the package (the module under test: it never falls back)."""
        if module not in self.available or not CHAPTER.match(module):
            raise ModuleNotFoundError(f"no chapter module {module!r} in this job")
        self.under_test = module
        importlib.import_module(self.name)
        return importlib.import_module(f"{self.name}.{module}")
