"""nbgrader notebooks back into kata files: how ``kata grade`` scores ``submitted/`` notebooks.

:func:`notebook_to_sources` reads a notebook *file* (never runs it) and returns the chapter
module it submits, by the rule in :mod:`.splice`: the chapter's stub, with each exercise block
taken from the last code cell that defines it, definitions only. The result has exactly the
shape of a learner's ``exercises/chNN_x.py``, so the sandboxed grader scores it like one, and
nothing the notebook's other cells did in their kernel (patches, ``os._exit``, loops, blanking
later cells) reaches it.

Code cells are read in notebook order, as ``nbgrader autograde`` runs them. IPython syntax
(``%magic``, ``!cmd``) is translated when IPython is installed, else those lines are dropped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from grader.manifest import Chapter, Manifest, load_manifest
from grader.nbgrader.names import META
from grader.nbgrader.notebook import cell_text, chapter_notebook, known_cells
from grader.nbgrader.splice import rebuild
from grader.author.stubgen import generate_stub


class NotebookError(ValueError):
    """The file is not a notebook of this kata; the message says why."""


def _python(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return "\n".join(line for line in source.split("\n")
                         if not line.lstrip().startswith(("%", "!")))
    try:
        return TransformerManager().transform_cell(source)
    except SyntaxError:
        return source  # left for splice, which skips what does not parse


def chapter_of(notebook: dict, path: Path, manifest: Manifest) -> Chapter:
    """The chapter a notebook belongs to: its metadata, else its file name (ch01_neurons.ipynb)."""
    meta = notebook.get("metadata", {}).get(META, {})
    for chapter in manifest.chapters:
        if meta.get("chapter") == chapter.id or meta.get("module") == chapter.module:
            return chapter
    for chapter in manifest.chapters:
        if path.stem == chapter.module:
            return chapter
    raise NotebookError(f"{path}: not a notebook of a kata chapter (no '{META}' metadata, and "
                        "its name is no chapter module such as ch01_neurons.ipynb)")


def read_notebook(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise NotebookError(f"{path}: cannot read it as a notebook: {err}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(f"{path}: not a Jupyter notebook (no list of cells)")
    return notebook


def reference_notebook(chapter: Chapter, manifest: Manifest) -> dict:
    reference = (manifest.root / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")
    return chapter_notebook(chapter, reference, None)


def notebook_to_sources(path: str | os.PathLike,
                        manifest: Manifest | None = None) -> dict[str, str]:
    """``{"ch01_neurons.py": source}``: the chapter module the notebook at ``path`` submits.

    ``manifest`` defaults to the kata checkout found from the current folder (or $KATA_ROOT).
    Raises :class:`NotebookError` for a file that is not a notebook of one of its chapters.
    """
    manifest = manifest or load_manifest()
    path = Path(path)
    notebook = read_notebook(path)
    chapter = chapter_of(notebook, path, manifest)
    reference = (manifest.root / "solutions" / f"{chapter.module}.py").read_text(encoding="utf-8")
    stub = generate_stub(reference, chapter)
    sources = [_python(cell_text(cell)) for cell in notebook["cells"]
               if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    known = known_cells(chapter_notebook(chapter, reference, None))
    return {f"{chapter.module}.py": rebuild(stub, chapter, sources, known)}
