"""How a grading worker is started: bubblewrap when it works here, else process isolation.

Both ways start the same worker (:mod:`grader.grading.worker.server`) with the channel on two
pipes; what differs is what the operating system enforces around it.

**bubblewrap** (Debian/Ubuntu package ``bubblewrap``): new mount, pid, network, ipc and uts
namespaces. The worker sees only ``/usr``, the Python installation (read-only), its own job
folder at ``/kata`` (read-only) and a small private ``/tmp``; no repository, no other student,
no network; when the sandbox's first process dies the kernel kills everything in it. Started as
root, the worker then drops to a throw-away uid (so the process limit counts only its own
processes); started by a user, it runs in a user namespace.

**process isolation** (bubblewrap missing or unable to create namespaces): a new session, the
same resource limits, the same uid drop when root, a network namespace when the kernel allows
one, and a Landlock fence (read only Python and the job folder, write only the scratch folder,
no TCP, no signals outside) when the kernel has Landlock. :func:`weaker` lists what is lost.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from grader.grading.worker import landlock

BOOT = ("import sys; sys.path.insert(0, sys.argv[2]); "
        "from kata_worker.server import main; main(sys.argv)")
UID_BASE = 2_000_000_000   # throw-away uids: UID_BASE + the test process's pid (unique while it runs)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096       # address space of each worker process
    cpu_seconds: int = 600      # CPU time of one exercise's child (a safety net: wall time rules)
    processes: int = 32         # processes and threads of the job's uid
    file_mb: int = 64           # largest file the worker may write
    open_files: int = 256
    tmp_mb: int = 64            # size of the private /tmp (bubblewrap)


@dataclass
class Launch:
    """Everything needed to start one sandboxed worker."""
    argv: list[str]
    env: dict[str, str]
    cwd: str
    spec: dict
    mode: str                               # "bwrap" or "process"
    uid: int | None                         # the throw-away uid, when started as root
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=None)
def bwrap_status(path: str | None = None) -> tuple[str | None, str]:
    """(bwrap path or None, why not): bubblewrap is usable only if it can make namespaces here."""
    path = path or shutil.which("bwrap")
    if not path:
        return None, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    probe = [path, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent",
             "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    if os.getuid() != 0:
        probe.append("--unshare-user")
    try:
        done = subprocess.run([*probe, "true"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"bubblewrap could not run: {err}"
    if done.returncode != 0:
        return None, f"bubblewrap cannot create namespaces here: {done.stderr.strip()[:200]}"
    return path, ""


@lru_cache(maxsize=None)
def bwrap_options(path: str) -> frozenset[str]:
    try:
        text = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(word for word in text.split() if word.startswith("--"))


def python_dirs(exclude: Path) -> list[str]:
    """Folders the interpreter needs (prefixes, site-packages), none holding ``exclude``."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)),
                  os.path.dirname(os.path.abspath(sys.executable))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry
                                              or entry.startswith(tuple(candidates))):
            candidates.add(entry)
    exclude = exclude.resolve()
    kept = []
    for folder in sorted({os.path.realpath(c) for c in candidates} | set(candidates)):
        path = Path(folder)
        if not path.is_dir() or path == Path("/") or exclude == path or exclude.is_relative_to(path):
            continue  # binding it would show the course repository (and its solutions)
        if any(path.is_relative_to(Path(k)) for k in kept):
            continue
        kept = [k for k in kept if not Path(k).is_relative_to(path)] + [str(path)]
    return sorted(kept)


def throwaway_uid() -> int | None:
    return UID_BASE + os.getpid() if os.getuid() == 0 else None


def _env(home: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


def _confine_spec(limits: Limits, uid: int | None) -> dict:
    return {
        "uid": uid, "gid": uid,
        "limits": {"AS": limits.memory_mb * 2**20, "NPROC": limits.processes,
                   "FSIZE": limits.file_mb * 2**20, "NOFILE": limits.open_files, "CORE": 0},
    }


def plan(job_dir: Path, scratch: Path, repo_root: Path, fds: tuple[int, int],
         limits: Limits = Limits(), mode: str = "auto", share: Path | None = None,
         wshare: Path | None = None) -> Launch:
    """The command that starts a worker for the job in ``job_dir`` (its ``kata/`` folder).

    ``share`` is the trusted process's temporary folder (where each test's ``tmp_path`` is):
    tests that ask the submission to save or load a file pass it plain path strings. With
    bubblewrap the worker sees ``wshare`` at that path, a separate folder kept in step by
    :mod:`.share`; without, it writes in ``share`` itself, fenced by Landlock.
    """
    kata = job_dir / "kata"
    bwrap, why_not = bwrap_status()
    if mode == "bwrap" and not bwrap:
        raise RuntimeError(f"--sandbox bwrap: {why_not}")
    uid = throwaway_uid()
    confine = _confine_spec(limits, uid)
    spec = {"fds": list(fds), "confine": confine, "child_cpu": limits.cpu_seconds}
    if bwrap and mode in ("auto", "bwrap"):
        return _bwrap_launch(bwrap, kata, repo_root, spec, limits, uid, share, wshare)
    return _process_launch(kata, scratch, repo_root, spec, uid, why_not, share)


def _bwrap_launch(bwrap: str, kata: Path, repo_root: Path, spec: dict, limits: Limits,
                  uid: int | None, share: Path | None, wshare: Path | None) -> Launch:
    options = bwrap_options(bwrap)
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if os.getuid() != 0:
        argv.append("--unshare-user")
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if "--perms" in options and "--size" in options:
        argv += ["--perms", "1777", "--size", str(limits.tmp_mb * 2**20)]
    argv += ["--tmpfs", "/tmp"]  # before the folders below: some of them may live under /tmp
    binds = python_dirs(repo_root) + ([str(share)] if share is not None else [])
    made: set[str] = set()
    for folder in binds:
        # Parents bubblewrap would create itself get mode 0700, which a dropped uid cannot
        # enter (Python under /root, a job folder under a private temporary folder).
        for parent in reversed(Path(folder).parents):
            text = str(parent)
            if text != "/" and text not in made and not text.startswith(SYSTEM_DIRS):
                made.add(text)
                argv += ["--dir", text]
    for folder in python_dirs(repo_root):
        argv += ["--ro-bind", folder, folder]
    argv += ["--ro-bind", str(kata), "/kata", "--proc", "/proc", "--dev", "/dev"]
    if share is not None:
        argv += ["--bind", str(wshare or share), str(share)]
    argv += ["--chdir", "/tmp", "--clearenv"]
    for key, value in _env("/tmp").items():
        argv += ["--setenv", key, value]
    if uid is not None:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    spec = {**spec, "kill_scope": "pidns", "base": "/kata", "wipe": "/tmp"}
    argv += ["--", sys.executable, "-I", "-B", "-c", BOOT, json.dumps(spec), "/kata"]
    return Launch(argv, {}, "/", spec, "bwrap", uid,
                  ["bubblewrap: own mount, pid, network, ipc and uts namespaces; read-only view of "
                   "Python and this job only"])


def _process_launch(kata: Path, scratch: Path, repo_root: Path, spec: dict, uid: int | None,
                    why_not: str, share: Path | None) -> Launch:
    read = python_dirs(repo_root) + [d for d in SYSTEM_DIRS if os.path.isdir(d)] \
        + ["/etc/ld.so.cache", str(kata)]
    spec = {**spec, "kill_scope": "uid" if uid is not None else "group",
            "base": str(kata), "open_base": True, "wipe": ".",  # its working folder: scratch
            "remap": python_dirs(repo_root) if uid is not None else []}
    spec["confine"] = {**spec["confine"], "unshare_net": True,
                       "landlock": {"read": read, "write": [str(scratch), os.devnull],
                                    "share": [str(share)] if share is not None else []}}
    argv = [sys.executable, "-I", "-B", "-c", BOOT, json.dumps(spec), str(kata)]
    return Launch(argv, _env(str(scratch)), str(scratch), spec, "process", uid, [why_not])


def weaker(report: dict, mode: str) -> list[str]:
    """What this worker's isolation lacks compared with bubblewrap, from its own report."""
    if mode == "bwrap":
        return []
    lost = ["no mount namespace: the worker sees the host's file system, fenced only by Landlock "
            "and file permissions",
            "no pid namespace: leftover processes are found through the job's uid or the "
            "subreaper, not killed by the kernel with the sandbox"]
    fence = report.get("landlock")
    if not isinstance(fence, dict):
        lost.append(f"no Landlock fence ({fence or 'not requested'}): the worker can read every "
                    "file its uid can read (keep the course repository and OUT unreadable to "
                    "others: chmod -R go-rwx)")
    elif not fence.get("signals"):
        lost.append("Landlock older than ABI 6: signals to other processes of the same uid are "
                    "not blocked")
    network = report.get("network", "")
    if "namespace" not in str(network):
        lost.append("network not isolated: " + (
            "Landlock blocks TCP only" if isinstance(fence, dict) and fence.get("tcp")
            else "the worker can open connections"))
    if report.get("uid", 0) and os.getuid() != 0:
        lost.append("not started as root: the worker keeps your uid (the process limit counts "
                    "all of your processes)")
    return lost


def landlock_abi() -> int:
    return landlock.abi_version()
