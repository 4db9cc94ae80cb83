"""The curriculum manifest: one TOML file that lists every chapter and exercise.

``curriculum.toml`` at the repository root is the only place an exercise is described.
The CLI, the pytest plugin, the stub generator and the author check all read it through
:func:`load_manifest`; nothing else repeats its contents.

Layout::

    [[chapter]]
    id = "01"              # two digits; IDs are permanent once landed
    module = "ch01_neurons" # exercises/ch01_neurons.py, solutions/..., tests/test_ch01_neurons.py
    title = "Neurons"
    nnfs = "2-3"           # chapters of "Neural Networks from Scratch" (optional)

    [[chapter.exercise]]
    id = "01.1"
    title = "One neuron"
    symbol = "neuron_output"   # a function, or "Class.method"
    points = 2
    requires = []              # exercise IDs whose code this one calls
    hints = ["most general", "...", "nearly the answer"]
    rtol = 1e-9                # optional tolerances for this exercise's checks
    contracts = {mutates = ["model"]}  # optional: where the automatic call contracts do not hold

``contracts`` declares, once, the exceptions to the contracts the test machinery checks on every
call a graded test makes into the exercise's code (``grader/testing/contracts.py``):
``mutates`` names arguments the code may change in place (a training step updates its model),
``aliases`` names arguments the result may share memory with (a documented view), and ``skip``
turns a whole contract off: ``"mutation"``, ``"alias"``, ``"dtype"``, ``"repeat"``, ``"step"``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MANIFEST_NAME = "curriculum.toml"
# A student release (no solutions/) keeps a pristine copy of each stub here, for `kata reset`.
RELEASE_STUBS = ".kata-stubs"
EXERCISE_ID = re.compile(r"^(\d{2})\.(\d+)$")

DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-9
DEFAULT_GRAD_RTOL = 1e-6
DEFAULT_GRAD_ATOL = 1e-8


CONTRACT_NAMES = ("mutation", "alias", "dtype", "repeat", "step")


class ManifestError(ValueError):
    """The manifest is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Contracts:
    """Declared exceptions to the automatic call contracts (manifest key ``contracts``)."""

    mutates: frozenset[str] = frozenset()
    aliases: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    symbol: str
    points: float
    chapter: "Chapter" = field(repr=False, compare=False)
    requires: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    nnfs: str | None = None
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    grad_rtol: float = DEFAULT_GRAD_RTOL
    grad_atol: float = DEFAULT_GRAD_ATOL
    contracts: Contracts = Contracts()

    @property
    def module(self) -> str:
        return self.chapter.module

    @property
    def file(self) -> str:
        """Path of the exercise's file relative to ``exercises/`` or ``solutions/``."""
        return f"{self.chapter.module}.py"

    @property
    def sort_key(self) -> tuple[int, int]:
        major, minor = EXERCISE_ID.match(self.id).groups()
        return int(major), int(minor)


@dataclass(frozen=True)
class Chapter:
    id: str
    module: str
    title: str
    nnfs: str | None = None
    exercises: tuple[Exercise, ...] = field(default=(), compare=False)

    @property
    def test_file(self) -> str:
        return f"tests/test_{self.module}.py"

    @property
    def notes(self) -> str:
        return f"docs/{self.module}.md"


@dataclass(frozen=True)
class Manifest:
    root: Path
    chapters: tuple[Chapter, ...]

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(ex for ch in self.chapters for ex in ch.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        loose = re.fullmatch(r"\s*(\d{1,2})\.(\d+)\s*", exercise_id)
        if loose:  # "1.1" means "01.1"
            exercise_id = f"{int(loose.group(1)):02d}.{int(loose.group(2))}"
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        known = ", ".join(ex.id for ex in self.exercises[:8])
        raise KeyError(
            f"no exercise {exercise_id!r} in {MANIFEST_NAME}; IDs look like 01.1 ({known}, ...); "
            "`kata list` shows them all"
        )

    def chapter(self, chapter_id: str) -> Chapter:
        for ch in self.chapters:
            if ch.id == chapter_id:
                return ch
        raise KeyError(f"no chapter {chapter_id!r} in {MANIFEST_NAME}")

    def chapter_ids(self, selectors: list[str]) -> set[str]:
        """The chapter IDs named by ``selectors`` (like "3" or "03"); all chapters if none."""
        if not selectors:
            return {ch.id for ch in self.chapters}
        wanted = {c.zfill(2) for c in selectors}
        unknown = wanted - {ch.id for ch in self.chapters}
        if unknown:
            raise KeyError(f"no chapter(s) {sorted(unknown)} in {MANIFEST_NAME}")
        return wanted

    def select(self, selector: str) -> list[Exercise]:
        """Exercises matching ``NN.M`` (one exercise) or ``NN`` (a whole chapter)."""
        selector = selector.strip()
        if re.fullmatch(r"\d{1,2}\.\d+", selector):
            return [self.exercise(selector)]
        if re.fullmatch(r"\d{1,2}", selector):
            return list(self.chapter(selector.zfill(2)).exercises)
        raise KeyError(f"{selector!r} is neither an exercise ID (like 01.2) nor a chapter (like 01)")


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root: ``$KATA_ROOT``, else the nearest folder upward holding the manifest."""
    if os.environ.get("KATA_ROOT"):
        root = Path(os.environ["KATA_ROOT"]).resolve()
        if not (root / MANIFEST_NAME).is_file():
            raise ManifestError(f"KATA_ROOT={root} has no {MANIFEST_NAME}")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    raise ManifestError(
        f"no {MANIFEST_NAME} in {here} or any folder above it: run kata from inside the "
        "Deep Learning Foundations checkout (or set KATA_ROOT)"
    )


def _require(table: dict, key: str, kind: type | tuple, where: str):
    if key not in table:
        raise ManifestError(f"{where}: missing key {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise ManifestError(f"{where}: {key!r} should be {kind}, got {type(value).__name__}")
    return value


def _parse_exercise(raw: dict, chapter: Chapter) -> Exercise:
    where = f"{MANIFEST_NAME}: exercise {raw.get('id', '?')} of chapter {chapter.id}"
    ex_id = _require(raw, "id", str, where)
    if not EXERCISE_ID.match(ex_id) or not ex_id.startswith(chapter.id + "."):
        raise ManifestError(f"{where}: id must look like {chapter.id}.M, got {ex_id!r}")
    hints = tuple(raw.get("hints", ()))
    if not hints or not all(isinstance(h, str) and h.strip() for h in hints):
        raise ManifestError(f"{where}: 'hints' must be a non-empty list of strings (a ladder)")
    known = {"id", "title", "symbol", "points", "requires", "hints", "nnfs",
             "rtol", "atol", "grad_rtol", "grad_atol", "contracts"}
    unknown = set(raw) - known
    if unknown:
        raise ManifestError(f"{where}: unknown keys {sorted(unknown)}; known are {sorted(known)}")
    return Exercise(
        id=ex_id,
        title=_require(raw, "title", str, where),
        symbol=_require(raw, "symbol", str, where),
        points=float(_require(raw, "points", (int, float), where)),
        chapter=chapter,
        requires=tuple(raw.get("requires", ())),
        hints=hints,
        nnfs=raw.get("nnfs"),
        rtol=float(raw.get("rtol", DEFAULT_RTOL)),
        atol=float(raw.get("atol", DEFAULT_ATOL)),
        grad_rtol=float(raw.get("grad_rtol", DEFAULT_GRAD_RTOL)),
        grad_atol=float(raw.get("grad_atol", DEFAULT_GRAD_ATOL)),
        contracts=_parse_contracts(raw.get("contracts", {}), where),
    )


def _parse_contracts(raw, where: str) -> Contracts:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: 'contracts' must be a table like {{mutates = [\"model\"]}}")
    unknown = set(raw) - {"mutates", "aliases", "skip"}
    if unknown:
        raise ManifestError(f"{where}: unknown contracts keys {sorted(unknown)}; "
                            "known are ['aliases', 'mutates', 'skip']")
    lists = {}
    for key in ("mutates", "aliases", "skip"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{where}: contracts.{key} must be a list of names")
        lists[key] = frozenset(value)
    bad = lists["skip"] - set(CONTRACT_NAMES)
    if bad:
        raise ManifestError(f"{where}: contracts.skip names unknown contracts {sorted(bad)}; "
                            f"known are {list(CONTRACT_NAMES)}")
    return Contracts(**lists)


def parse_manifest(data: dict, root: Path) -> Manifest:
    chapters = []
    for raw in data.get("chapter", []):
        where = f"{MANIFEST_NAME}: chapter {raw.get('id', '?')}"
        chapter = Chapter(
            id=_require(raw, "id", str, where),
            module=_require(raw, "module", str, where),
            title=_require(raw, "title", str, where),
            nnfs=raw.get("nnfs"),
        )
        exercises = tuple(sorted((_parse_exercise(e, chapter) for e in raw.get("exercise", [])),
                                 key=lambda ex: ex.sort_key))
        # Chapter is frozen; attach its exercises once they exist (they point back to it).
        object.__setattr__(chapter, "exercises", exercises)
        chapters.append(chapter)
    # Chapters may appear in any order in the file; the curriculum runs by chapter number.
    manifest = Manifest(root=root, chapters=tuple(sorted(chapters, key=lambda ch: ch.id)))
    ids = [ex.id for ex in manifest.exercises]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ManifestError(f"{MANIFEST_NAME}: exercise IDs used twice: {duplicated}")
    for ex in manifest.exercises:
        for req in ex.requires:
            if req not in ids:
                raise ManifestError(f"{MANIFEST_NAME}: {ex.id} requires unknown exercise {req!r}")
            if manifest.exercise(req).sort_key >= ex.sort_key:
                raise ManifestError(f"{MANIFEST_NAME}: {ex.id} requires {req}, which comes later")
    return manifest


@lru_cache(maxsize=None)
def _load(path: Path, mtime: float) -> Manifest:
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as err:
            raise ManifestError(f"{path}: not valid TOML: {err}") from None
    return parse_manifest(data, path.parent)


def load_manifest(root: str | os.PathLike | None = None) -> Manifest:
    """Read (and cache) the manifest of the repository at ``root`` (default: found upward)."""
    root = Path(root).resolve() if root else find_root()
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path} is missing")
    return _load(path, path.stat().st_mtime)
