"""A test's ``tmp_path``, shared with the worker without trusting what the worker puts there.

Some exercises save and load files (``save_params(path, ...)``): the test passes a path under
its ``tmp_path`` and reads or writes the file itself. The worker must be able to use that path,
but the trusted process (often root) must never follow a symlink the worker planted there, nor
write through one.

With bubblewrap the worker sees, at the same absolute path, a *separate* folder (``wshare``)
that it may write. Regular files are copied in before each call and out after it, through
directory descriptors with ``O_NOFOLLOW``: symlinks, devices and FIFOs the worker makes are
never followed or copied, and the test's own folder is never writable by the worker. Without
bubblewrap the worker writes in the test's folder itself, fenced by Landlock (no symlinks,
FIFOs, sockets or devices there); see :mod:`.sandbox`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILES = 1000
MAX_BYTES = 256 * 2**20
MAX_DEPTH = 8
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(root_fd: int, parts: tuple[str, ...], create: bool, uid: int | None) -> int:
    """A descriptor for ``parts`` below ``root_fd``, never through a symlink."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o700, dir_fd=fd)
                    if uid is not None:
                        os.chown(part, uid, uid, dir_fd=fd, follow_symlinks=False)
                except FileExistsError:
                    pass
            child = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _copy_tree(src_fd: int, dst_fd: int, uid: int | None, budget: list[int], depth: int = 0) -> None:
    """Copy regular files and folders from ``src_fd`` to ``dst_fd`` (changed files only)."""
    if depth > MAX_DEPTH:
        return
    with os.scandir(src_fd) as entries:
        names = [(e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
                 for e in entries]
    for name, is_dir, is_file in sorted(names):
        if budget[0] <= 0:
            return
        budget[0] -= 1
        if is_dir:
            try:
                sub_src = os.open(name, DIR_FLAGS, dir_fd=src_fd)
            except OSError:
                continue
            try:
                sub_dst = _open_dir(dst_fd, (name,), create=True, uid=uid)
            except OSError:
                os.close(sub_src)
                continue
            try:
                _copy_tree(sub_src, sub_dst, uid, budget, depth + 1)
            finally:
                os.close(sub_src)
                os.close(sub_dst)
        elif is_file:
            _copy_file(src_fd, dst_fd, name, uid, budget)


def _copy_file(src_fd: int, dst_fd: int, name: str, uid: int | None, budget: list[int]) -> None:
    try:
        source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=src_fd)
    except OSError:
        return
    try:
        info = os.fstat(source)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget[1]:
            return
        try:
            old = os.stat(name, dir_fd=dst_fd, follow_symlinks=False)
            if stat.S_ISREG(old.st_mode) and old.st_size == info.st_size \
                    and old.st_mtime_ns == info.st_mtime_ns:
                return  # unchanged
            if not stat.S_ISREG(old.st_mode):
                if stat.S_ISDIR(old.st_mode):
                    return
                os.unlink(name, dir_fd=dst_fd)  # a link or FIFO in the way: removed, not followed
        except FileNotFoundError:
            pass
        data = b""
        while len(data) <= info.st_size:
            chunk = os.read(source, 1 << 20)
            if not chunk:
                break
            data += chunk
        if len(data) > budget[1]:
            return
        budget[1] -= len(data)
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644, dir_fd=dst_fd)
        try:
            if uid is not None:
                os.fchown(target, uid, uid)
            os.write(target, data)
            os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(target)
    except OSError:
        return
    finally:
        os.close(source)


class SharedFolder:
    """Mirror of one test's ``tmp_path`` (below ``test_root``) in ``worker_root``."""

    def __init__(self, test_root: Path, worker_root: Path, uid: int | None):
        self.test_root, self.worker_root, self.uid = Path(test_root), Path(worker_root), uid
        self.parts: tuple[str, ...] | None = None

    def begin(self, tmp_path: Path) -> None:
        tmp_path = Path(tmp_path).resolve()
        if not tmp_path.is_relative_to(self.test_root.resolve()):
            self.parts = None
            return
        self.parts = tmp_path.relative_to(self.test_root.resolve()).parts
        self.to_worker()

    def end(self) -> None:
        self.parts = None

    def _sync(self, from_root: Path, to_root: Path, uid: int | None) -> None:
        if self.parts is None:
            return
        root_src = os.open(from_root, DIR_FLAGS)
        root_dst = os.open(to_root, DIR_FLAGS)
        try:
            src = _open_dir(root_src, self.parts, create=False, uid=None)
            dst = _open_dir(root_dst, self.parts, create=True, uid=uid)
            try:
                _copy_tree(src, dst, uid, [MAX_FILES, MAX_BYTES])
            finally:
                os.close(src)
                os.close(dst)
        except OSError:
            pass
        finally:
            os.close(root_src)
            os.close(root_dst)

    def to_worker(self) -> None:
        """Before a call: the test's files, into the worker's folder."""
        self._sync(self.test_root, self.worker_root, self.uid)

    def from_worker(self) -> None:
        """After a call: the worker's regular files, into the test's folder (owned by us)."""
        self._sync(self.worker_root, self.test_root, None)
