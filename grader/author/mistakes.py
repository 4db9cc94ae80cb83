"""The mistakes catalog: wrong implementations that learners really write.

Each file ``mistakes/<chapter module>.py`` registers plausible wrong bodies for the exercises
of one chapter::

    from grader.author.mistakes import mistake

    @mistake("01.1", "forgets to add the bias", cause="bias")
    def neuron_output(inputs, weights, bias):
        return float(np.dot(inputs, weights))

``cause`` (optional; a key of ``grader/author/causes.py``, or a tuple of keys) says what the
failure message shown for the mistake should name; ``kata verify`` checks that it names it, or
at least guesses no other cause.

``kata verify`` swaps each one into a fresh load of the reference, runs the exercise's graded
tests against it, and fails if every test still passes: a mistake that no test rejects means
the tests are too weak to teach. The catalog is for authors only; releases leave it out.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.author.causes import CAUSES, unknown_causes


@dataclass(frozen=True)
class Mistake:
    exercise: str
    description: str
    replacement: Callable
    origin: str  # "mistakes/ch01_neurons.py:12", for messages
    causes: tuple[str, ...] = ()  # keys of grader.author.causes.CAUSES

    @property
    def key(self) -> str:
        """A stable, readable identifier used in test IDs."""
        name = getattr(self.replacement, "__name__", "replacement")
        return f"{self.exercise}:{name}:{self.origin.rsplit(':', 1)[-1]}"


_REGISTRY: list[Mistake] = []
LOAD_ERRORS: dict[str, str] = {}  # mistakes file name -> why it could not be imported


def mistake(exercise: str, description: str,
            cause: str | tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Register the decorated function (or method) as a wrong body for ``exercise``."""
    causes = (cause,) if isinstance(cause, str) else tuple(cause)
    unknown = unknown_causes(causes)
    if unknown:
        raise ValueError(f"mistake {exercise} {description!r}: unknown cause {unknown}; "
                         f"known are {sorted(CAUSES)} (grader/author/causes.py)")

    def register(fn: Callable) -> Callable:
        code = fn.__code__
        origin = f"mistakes/{Path(code.co_filename).name}:{code.co_firstlineno}"
        _REGISTRY.append(Mistake(exercise, description, fn, origin, causes))
        return fn

    return register


def load_catalog(root: Path) -> list[Mistake]:
    """Import every ``mistakes/*.py`` file once and return what they registered."""
    folder = Path(root) / "mistakes"
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # mistakes reuse reference helpers: `from solutions...`
    for path in sorted(folder.glob("*.py")):
        name = f"_kata_mistakes_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # noqa: BLE001 - one broken file must not hide the others
            del sys.modules[name]
            LOAD_ERRORS[path.name] = f"mistakes/{path.name} does not import: {type(err).__name__}: {err}"
    return list(_REGISTRY)


def catalog_by_exercise(root: Path) -> dict[str, list[Mistake]]:
    grouped: dict[str, list[Mistake]] = {}
    for entry in load_catalog(root):
        grouped.setdefault(entry.exercise, []).append(entry)
    return grouped
