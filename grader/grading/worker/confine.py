"""The worker's first act, before any student code exists in the process: confine itself.

In order (each step is skipped when the spec does not ask for it, and the report says so):

1. a new network namespace (no interface but a down loopback): needs root or user namespaces;
   under bubblewrap the sandbox already has one;
2. resource limits: address space, CPU seconds, processes, file size, open files, no core files;
3. drop to the job's throw-away uid/gid when started as root (so the process limit counts only
   this job's processes, and nothing it starts can signal or read what root owns);
4. no new privileges (setuid binaries stay powerless), then Landlock when asked (the file-system
   fence when bubblewrap is missing).
"""

from __future__ import annotations

import ctypes
import os
import resource

from . import landlock

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 38, 4

LIMITS = {"AS": resource.RLIMIT_AS, "CPU": resource.RLIMIT_CPU, "NPROC": resource.RLIMIT_NPROC,
          "FSIZE": resource.RLIMIT_FSIZE, "NOFILE": resource.RLIMIT_NOFILE,
          "CORE": resource.RLIMIT_CORE}


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unshare_net() -> str:
    libc = _libc()
    if libc.unshare(CLONE_NEWNET) == 0:
        return "own network namespace"
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return "own user and network namespace"
    return f"not isolated ({os.strerror(ctypes.get_errno())})"


def processes_of(uid: int) -> int:
    """How many processes ``uid`` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def set_limits(limits: dict, relative_nproc: bool) -> dict:
    applied = {}
    for name, value in limits.items():
        if name not in LIMITS or value is None:
            continue
        value = int(value)
        if name == "NPROC" and relative_nproc:
            value += processes_of(os.getuid())
        try:
            resource.setrlimit(LIMITS[name], (value, value))
            applied[name] = value
        except (ValueError, OSError) as err:
            applied[name] = f"not set ({err})"
    return applied


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop to the job's uid")


def confine(spec: dict) -> dict:
    """Apply ``spec`` (see the module docstring); return what was done, for the report."""
    report: dict = {}
    os.umask(0o077)
    if spec.get("unshare_net"):
        report["network"] = _unshare_net()
    fence = spec.get("landlock")
    fence_paths = (landlock.open_paths(fence.get("read", [])),
                   landlock.open_paths(fence.get("write", [])),
                   landlock.open_paths(fence.get("share", []))) if fence else None
    uid, gid = spec.get("uid"), spec.get("gid")
    dropping = uid is not None and os.getuid() == 0
    report["limits"] = set_limits(spec.get("limits", {}), relative_nproc=not dropping
                                  and os.getuid() != 0 and spec.get("relative_nproc", True))
    if dropping:
        drop_privileges(int(uid), int(gid))
        report["uid"] = int(uid)
    else:
        report["uid"] = os.getuid()
    libc = _libc()
    report["no_new_privs"] = libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    if fence_paths:
        try:
            report["landlock"] = landlock.restrict(*fence_paths)
        except OSError as err:
            report["landlock"] = f"not applied ({err})"
    return report
