"""Landlock (Linux 5.13+): an unprivileged process fences itself in, for good.

Used when bubblewrap is missing: the worker allows itself to read only the Python installation
and its own job folder, to write only its scratch folder, and (ABI 4+) to open no TCP
connection; with ABI 6+ it can no longer signal processes outside its domain (the test process,
other students' workers) nor reach their abstract Unix sockets. Everything is through
``ctypes``: no compiled helper.
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on x86-64 and arm64
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# file-system rights, by the ABI that introduced them
FS_READ = (1 << 0) | (1 << 2) | (1 << 3)            # execute, read file, read dir
FS_ALL_V1 = (1 << 13) - 1                           # ... plus every write/make/remove right
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_FILE = (1 << 0) | (1 << 1) | (1 << 2) | FS_TRUNCATE | FS_IOCTL_DEV  # rights a file can have
FS_SPECIAL = (1 << 6) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | FS_REFER  # char, sock,
# fifo, block, symlink, and linking across folders
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The Landlock ABI the kernel offers; 0 when Landlock is missing or disabled."""
    try:
        libc = _libc()
    except OSError:
        return 0
    version = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                           ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def open_paths(paths: list[str]) -> list[tuple[int, bool]]:
    """(O_PATH descriptor, is a folder) for each path that exists. Open them *before* dropping
    privileges: a rule can name a folder the dropped uid could not even reach."""
    opened = []
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a folder that does not exist here needs no rule
        opened.append((fd, os.path.isdir(path)))
    return opened


def restrict(read: list[tuple[int, bool]], write: list[tuple[int, bool]],
             share: list[tuple[int, bool]] = ()) -> dict:
    """Allow only reading ``read`` and reading/writing ``write`` (from :func:`open_paths`) from
    now on, and ``share`` like ``write`` but without making symlinks, FIFOs, sockets or devices
    (a folder the trusted process also uses); the descriptors are closed.

    Returns what was applied: ``{"abi": N, "fs": True, "tcp": bool, "signals": bool}``; raises
    OSError when Landlock is unavailable.
    """
    share = list(share)
    try:
        return _restrict(read, write, share)
    finally:
        for fd, _ in read + write + share:
            try:
                os.close(fd)
            except OSError:
                pass


def _restrict(read, write, share) -> dict:
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available in this kernel")
    libc = _libc()
    fs = FS_ALL_V1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0) \
        | (FS_IOCTL_DEV if abi >= 5 else 0)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = RulesetAttr(fs, net, scoped)
    size = ctypes.sizeof(RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in ((read, FS_READ), (write, fs), (share, fs & ~FS_SPECIAL)):
            for fd, is_dir in paths:
                rule = PathBeneath(rights if is_dir else rights & FS_FILE, fd)
                if libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return {"abi": abi, "fs": True, "tcp": bool(net), "signals": bool(scoped)}
