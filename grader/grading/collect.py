"""A student's chapter files, found by name anywhere inside their directory or ``.zip``.

Only *allow-listed regular files* are taken: the chapter modules of the manifest
(``ch01_neurons.py``, ...), and Jupyter notebooks of those chapters when the nbgrader front door
(:mod:`grader.nbgrader.extract`) is available. Everything else is ignored and reported:
``conftest.py``, ``pytest.ini``, ``sitecustomize.py``, ``.pth`` files, other modules, and any
symlink (a link to the reference must gain nothing). Nothing is ever extracted to a path taken
from the archive, so a zip entry named ``../../x`` cannot write anywhere (it is reported), and
every read is size-limited (zip bombs stop at the limit).

When one chapter file appears several times, the copy in a folder named ``exercises`` wins,
then the shallowest, then the first by name; the others are reported.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.manifest import RELEASE_STUBS, Manifest

MAX_SOURCE = 2 * 2**20          # one chapter file
MAX_NOTEBOOK = 20 * 2**20       # one notebook
MAX_FILES = 20_000              # files looked at in one submission
MAX_REPORTED = 40               # ignored files listed by name
SKIPPED_DIRS = {".git", "__pycache__", ".ipynb_checkpoints", "__MACOSX", ".kata", RELEASE_STUBS,
                "node_modules"}


@dataclass
class Submission:
    student: str
    entry: Path
    files: dict[str, bytes] = field(default_factory=dict)     # chapter file name -> content
    origins: dict[str, str] = field(default_factory=dict)     # chapter file name -> where found
    ignored: list[str] = field(default_factory=list)          # "path: reason"
    problems: list[str] = field(default_factory=list)         # the entry could not be read

    def report(self) -> list[str]:
        lines = [f"used {name} from {self.origins[name]}" for name in sorted(self.files)]
        shown = self.ignored[:MAX_REPORTED]
        lines += [f"ignored {line}" for line in shown]
        if len(self.ignored) > len(shown):
            lines.append(f"ignored {len(self.ignored) - len(shown)} more files")
        lines += [f"problem: {p}" for p in self.problems]
        return lines


def chapter_files(manifest: Manifest) -> set[str]:
    return {f"{ch.module}.py" for ch in manifest.chapters}


# What a folder name (Linux, macOS, Windows) or a spreadsheet cell cannot hold safely.
UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]')


def student_name(entry: Path) -> str:
    """The entry's name, kept as it is (``Zoë Müller``, ``李雷``) but for what a file system or a
    CSV cannot hold: control characters and ``/ \\ < > : " | ? *`` become ``_``; leading dots
    (hidden files), leading ``=+-@`` (spreadsheet formulas) and trailing dots and spaces go."""
    stem = entry.name[:-4] if entry.name.lower().endswith(".zip") and entry.is_file() else entry.name
    stem = unicodedata.normalize("NFC", stem)
    stem = "".join("_" if unicodedata.category(c)[0] == "C" else c for c in stem)
    name = UNSAFE_IN_NAME.sub("_", stem).strip().lstrip(".=+-@ ").rstrip(". ")
    while len(name.encode("utf-8")) > 200:  # file systems count bytes
        name = name[:-1]
    return name or "student"


def list_entries(submissions: Path) -> tuple[list[Path], list[str]]:
    """(student entries, report of what was skipped) in ``submissions``."""
    entries, skipped = [], []
    for path in sorted(submissions.iterdir()):
        if path.name.startswith(".") or path.name in SKIPPED_DIRS:
            continue
        if path.is_symlink():
            skipped.append(f"{path.name}: a symlink, not a submission (ignored)")
        elif path.is_dir() or (path.is_file() and path.name.lower().endswith(".zip")):
            entries.append(path)
        else:
            skipped.append(f"{path.name}: neither a folder nor a .zip (ignored)")
    return entries, skipped


class _Candidates:
    """Every copy of each chapter file seen, to pick one by the rule in the module docstring."""

    def __init__(self):
        self.seen: dict[str, list[tuple[tuple, str, bytes]]] = {}

    def add(self, name: str, where: str, content: bytes, notebook: bool = False) -> None:
        parts = PurePosixPath(where).parts
        rank = (notebook, "exercises" not in parts[:-1], len(parts), where)
        self.seen.setdefault(name, []).append((rank, where, content))

    def choose(self, submission: Submission) -> None:
        for name, copies in sorted(self.seen.items()):
            copies.sort(key=lambda c: c[0])
            _, where, content = copies[0]
            submission.files[name] = content
            submission.origins[name] = where
            for _, other, _ in copies[1:]:
                submission.ignored.append(f"{other}: another copy of {name} (used {where})")


def _read_limited(fd: int, limit: int) -> bytes | None:
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def _notebook_sources(path: Path, manifest: Manifest) -> tuple[dict[str, str] | None, str]:
    try:
        from grader.nbgrader.extract import notebook_to_sources
    except ImportError:
        return None, "notebook support (grader.nbgrader) is not installed"
    try:
        return notebook_to_sources(path, manifest), ""
    except Exception as err:  # noqa: BLE001 - a broken notebook is the student's, reported
        return None, f"could not read it as a chapter notebook: {str(err)[:200]}"


def _add_notebook(candidates, submission, where, path, manifest, wanted) -> None:
    sources, why = _notebook_sources(path, manifest)
    if sources is None:
        submission.ignored.append(f"{where}: {why}")
        return
    for name, source in sources.items():
        if name in wanted:
            candidates.add(name, f"{where} (notebook)", source.encode("utf-8"), notebook=True)


def collect(entry: Path, manifest: Manifest, scratch: Path) -> Submission:
    """The allow-listed files of one student entry (``scratch`` holds notebooks from zips)."""
    submission = Submission(student_name(entry), entry)
    try:
        if entry.is_symlink():
            submission.problems.append("the entry is a symlink: not read")
        elif entry.is_dir():
            _collect_folder(entry, submission, manifest)
        else:
            _collect_zip(entry, submission, manifest, scratch)
    except (OSError, zipfile.BadZipFile, ValueError) as err:
        submission.problems.append(f"could not read {entry.name}: {err}")
    return submission


def _collect_folder(entry: Path, submission: Submission, manifest: Manifest) -> None:
    wanted, candidates, count = chapter_files(manifest), _Candidates(), 0
    for folder, dirs, names in os.walk(entry, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            where = (here / name).relative_to(entry).as_posix()
            if (here / name).is_symlink():
                submission.ignored.append(f"{where}/: a symlink (not followed)")
                dirs.remove(name)
            elif name in SKIPPED_DIRS:
                dirs.remove(name)
        dirs.sort()
        for name in sorted(names):
            count += 1
            if count > MAX_FILES:
                submission.problems.append(f"more than {MAX_FILES} files: the rest was not read")
                candidates.choose(submission)
                return
            path = here / name
            where = path.relative_to(entry).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                submission.ignored.append(f"{where}: a symlink (never followed)")
                continue
            if not stat.S_ISREG(info.st_mode):
                submission.ignored.append(f"{where}: not a regular file")
                continue
            is_notebook = name.endswith(".ipynb")
            if name not in wanted and not is_notebook:
                submission.ignored.append(f"{where}: not a chapter file")
                continue
            limit = MAX_NOTEBOOK if is_notebook else MAX_SOURCE
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    submission.ignored.append(f"{where}: not a regular file")
                    continue
                content = _read_limited(fd, limit)
            finally:
                os.close(fd)
            if content is None:
                submission.ignored.append(f"{where}: larger than {limit // 2**20} MiB")
            elif is_notebook:
                _add_notebook(candidates, submission, where, path, manifest, wanted)
            else:
                candidates.add(name, where, content)
    candidates.choose(submission)


def _safe_member(name: str) -> str | None:
    """The member's path if it is a plain relative path, else None (absolute, ``..``, drive)."""
    text = name.replace("\\", "/")
    path = PurePosixPath(text)
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in path.parts:
        return None
    return text


def _collect_zip(entry: Path, submission: Submission, manifest: Manifest, scratch: Path) -> None:
    wanted, candidates = chapter_files(manifest), _Candidates()
    with zipfile.ZipFile(entry) as archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            submission.problems.append(f"more than {MAX_FILES} members: only the first were read")
            members = members[:MAX_FILES]
        for number, info in enumerate(members):
            where = _safe_member(info.filename)
            if where is None:
                submission.ignored.append(f"{info.filename}: unsafe path in the archive (not used)")
                continue
            if info.is_dir():
                continue
            parts = PurePosixPath(where).parts
            name = parts[-1] if parts else ""
            if any(p in SKIPPED_DIRS for p in parts[:-1]):
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode == stat.S_IFLNK:
                submission.ignored.append(f"{where}: a symlink (never followed)")
                continue
            if mode not in (0, stat.S_IFREG):
                submission.ignored.append(f"{where}: not a regular file")
                continue
            is_notebook = name.endswith(".ipynb")
            if name not in wanted and not is_notebook:
                submission.ignored.append(f"{where}: not a chapter file")
                continue
            if info.flag_bits & 0x1:
                submission.ignored.append(f"{where}: encrypted")
                continue
            limit = MAX_NOTEBOOK if is_notebook else MAX_SOURCE
            if info.file_size > limit:
                submission.ignored.append(f"{where}: larger than {limit // 2**20} MiB")
                continue
            with archive.open(info) as fh:
                content = fh.read(limit + 1)
            if len(content) > limit:
                submission.ignored.append(f"{where}: larger than {limit // 2**20} MiB")
            elif is_notebook:
                folder = scratch / f"notebook-{number}"  # keeps the name: it may say the chapter
                folder.mkdir(parents=True, exist_ok=True)
                copy = folder / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                copy.write_bytes(content)
                _add_notebook(candidates, submission, where, copy, manifest, wanted)
            else:
                candidates.add(name, where, content)
    candidates.choose(submission)
