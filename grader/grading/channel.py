"""The test side of the channel: start a sandboxed worker, talk to it, and stop it for good.

Every wait has a deadline kept *here*: a worker that loops, sleeps, ignores signals or stops
reading is killed (SIGKILL to its whole process group, then to whatever its throw-away uid still
runs, then to any orphan that came back to this process as subreaper) and the call raises
:class:`CallTimeout`. A worker that dies or breaks the format raises :class:`WorkerCrashed`.
Nothing the worker sends is ever executed: replies are decoded by :mod:`.worker.wire` into
plain values and handles, and a remote exception becomes :class:`RemoteError` unless it is a
builtin ``Exception`` (then it is re-raised as that builtin, with the same arguments).
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import os
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

from grader.grading import sandbox
from grader.grading.worker import wire

PR_SET_CHILD_SUBREAPER = 36
STUDENT_FILE = re.compile(r"^exercises/ch\d{2}_\w+\.py$")


class RemoteError(Exception):
    """The student's code raised an exception that is not a builtin one (text kept)."""


class GradingStop(BaseException):
    """The submission could not answer at all. A ``BaseException``, like KeyboardInterrupt, so
    that no ``except Exception`` in a test (or in ``check.raises``) mistakes it for an answer."""


class CallTimeout(GradingStop):
    """The student's code did not answer in time; its worker was killed."""


class WorkerCrashed(GradingStop):
    """The worker died (os._exit, a signal, a resource limit) or broke the channel."""


class CallTimeoutInSetup(Exception):
    """:class:`CallTimeout` while pytest sets up a fixture (the ``kata`` fixture loading the
    module). There it must be an ``Exception``: pytest caches only ``Exception``s as a fixture's
    result, and a ``BaseException`` leaves the fixture half torn down, so that (pytest >= 9.2)
    every later test's setup fails on ``assert not self._finalizers``. No test code runs during
    setup, so nothing can mistake it for an answer."""


class WorkerCrashedInSetup(Exception):
    """:class:`WorkerCrashed` while pytest sets up a fixture (see :class:`CallTimeoutInSetup`)."""


def in_setup(err: GradingStop) -> Exception:
    """The ``Exception`` that stands for ``err`` during a fixture's setup."""
    kind = CallTimeoutInSetup if isinstance(err, CallTimeout) else WorkerCrashedInSetup
    return kind(*err.args)


_ADOPTING = False  # this process is a subreaper that runs only grading children


def become_subreaper() -> bool:
    """Orphans of our descendants come back to us (so none outlives grading). Only for a
    process of our own (the trusted pytest process, ``kata grade``): from then on its children
    that are not running a job are killed when a worker is stopped."""
    global _ADOPTING
    try:
        _ADOPTING = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        _ADOPTING = False
    return _ADOPTING


def children_of(pid: int) -> list[int]:
    found = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found.extend(int(p) for p in fh.read().split())
    except OSError:
        pass
    return found


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (needs root): ``kill -KILL -1`` run as that uid."""
    tool = shutil.which("kill", path="/usr/bin:/bin")
    if tool:
        try:
            subprocess.run([tool, "-s", "KILL", "--", "-1"], user=uid, group=uid, extra_groups=[],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10,
                           cwd="/", env={"PATH": "/usr/bin:/bin"})
            return
        except (OSError, subprocess.SubprocessError):
            pass
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked helper
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def reap_orphans(keep: set[int] = frozenset()) -> int:
    """Kill and reap every child of this process not in ``keep`` (orphans we adopted)."""
    count = 0
    for _ in range(50):
        kids = [p for p in children_of(os.getpid()) if p not in keep]
        if not kids:
            break
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in kids:
            try:
                os.waitpid(pid, 0)
                count += 1
            except ChildProcessError:
                pass
    return count


def rebuild_error(err: dict) -> Exception:
    """The test-side exception for a remote one: the same builtin, else RemoteError."""
    name = str(err.get("type", "Exception"))[:100]
    text = str(err.get("text", ""))
    kind = getattr(builtins, name, None)
    exception = None
    if err.get("builtin") and isinstance(kind, type) and issubclass(kind, Exception):
        args = err.get("args")
        try:
            exception = kind(*args) if isinstance(args, list) else kind(text)
        except Exception:  # noqa: BLE001 - builtins with odd constructors (UnicodeError, ...)
            exception = None
        syntax = err.get("syntax")
        if issubclass(kind, SyntaxError) and isinstance(syntax, dict):
            exception = _syntax_error(kind, syntax) or exception
    if exception is None:
        exception = RemoteError(f"{name}: {text}" if text else name)
    where = str(err.get("tb", ""))
    if where and hasattr(exception, "add_note"):
        exception.add_note("raised in the sandboxed submission:\n" + where.rstrip())
    return exception


def _syntax_error(kind: type, syntax: dict) -> SyntaxError | None:
    """The SyntaxError with its file and line as fields (not folded into the message), so the
    report names them once: ``SyntaxError in exercises/ch02_dense.py, line 60: ...``."""
    file, line, offset = syntax.get("file"), syntax.get("line"), syntax.get("offset")
    text = syntax.get("text")
    if not (isinstance(file, str) and STUDENT_FILE.match(file)):
        file = None
    line = line if isinstance(line, int) and 0 < line < 10**6 else None
    offset = offset if isinstance(offset, int) and 0 <= offset < 10**6 else None
    try:
        return kind(str(syntax.get("msg", "invalid syntax"))[:2000],
                    (file, line, offset, text[:2000] if isinstance(text, str) else None))
    except Exception:  # noqa: BLE001
        return None


def raise_remote(err: dict) -> None:
    """Raise the rebuilt exception with, as its last traceback entry, the student's file and
    line it came from (``exercises/ch02_dense.py:48``), so reports point at their code.

    Only the name and number travel: the frame is compiled from blank lines and a ``raise``.
    """
    exception = rebuild_error(err)
    at = err.get("at")
    if isinstance(at, dict):
        name, line = at.get("file"), at.get("line")
        if isinstance(name, str) and STUDENT_FILE.match(name) and isinstance(line, int) \
                and 0 < line < 100_000:
            code = compile("\n" * (line - 1) + "raise exception", name, "exec")
            exec(code, {"exception": exception})
    raise exception


class Sandbox:
    """One running worker (a zygote in its sandbox) and the child currently serving requests."""

    def __init__(self, job_dir: Path, scratch: Path, repo_root: Path, limits: sandbox.Limits,
                 mode: str = "auto", startup_timeout: float = 60.0, share: Path | None = None,
                 wshare: Path | None = None):
        self.job_dir, self.scratch, self.repo_root = job_dir, scratch, repo_root
        self.share, self.wshare = share, wshare
        self.shared = None           # share.SharedFolder of the running test (bubblewrap)
        self.limits, self.mode, self.startup_timeout = limits, mode, startup_timeout
        self.proc: subprocess.Popen | None = None
        self.launch: sandbox.Launch | None = None
        self.report: dict = {}
        self.child_active = False
        self.link = None             # the proxy.Link of the active child
        self.generation = 0          # bumps every time a worker is started
        self.worker_cpu = 0.0        # CPU seconds the workers reported when stopped cleanly
        self._buffer = bytearray()
        self._seq = 0
        self.callbacks: dict[int, object] = {}
        self.callback_ids: dict[int, int] = {}

    # -- life cycle ---------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def running(self) -> bool:
        """``alive`` without a system call, for every request: a worker that died since is
        noticed at once anyway (its end of the pipe closes)."""
        return self.proc is not None and self.proc.returncode is None

    def start(self) -> None:
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        launch = sandbox.plan(self.job_dir, self.scratch, self.repo_root,
                              (to_worker_r, from_worker_w), self.limits, self.mode, self.share,
                              self.wshare)
        if launch.uid is not None and launch.mode == "process":
            os.chown(self.scratch, launch.uid, launch.uid)
        self.launch = launch
        try:
            self.proc = subprocess.Popen(
                launch.argv, env=launch.env, cwd=launch.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                pass_fds=(to_worker_r, from_worker_w))
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        self._out, self._in = to_worker_w, from_worker_r
        os.set_blocking(self._out, False)
        os.set_blocking(self._in, False)
        self._buffer = bytearray()
        self.generation += 1
        self.child_active = False
        message, buffers = self._read(time.monotonic() + self.startup_timeout, "starting the worker")
        try:
            hello = wire.Decoder(buffers, lambda tag, node: None).decode(message.get("ok"))
        except wire.WireError:
            hello = None
        if message.get("event") != "ready" or not isinstance(hello, dict):
            self.kill()
            raise WorkerCrashed("the worker did not start properly")
        self.report = hello.get("report", {}) if isinstance(hello.get("report"), dict) else {}

    def kill(self) -> None:
        """Stop the worker and everything it started; safe to call twice."""
        proc, self.proc = self.proc, None
        self.child_active = False
        self.callbacks.clear()
        self.callback_ids.clear()
        for fd in (getattr(self, "_out", None), getattr(self, "_in", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._out = self._in = None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.launch is not None and self.launch.uid is not None:
            kill_uid(self.launch.uid)
        if _ADOPTING:
            reap_orphans()

    def stop(self) -> None:
        """A clean stop (the zygote kills its strays and says how much CPU it used), then a
        kill to be sure."""
        if self.alive and self.child_active:
            try:
                self.end_child(2)
            except (CallTimeout, WorkerCrashed, OSError):
                pass
        if self.alive and not self.child_active:
            try:
                self._write(wire.pack({"op": "stop"}, []), time.monotonic() + 2)
                message, _ = self._read(time.monotonic() + 2, "stopping")
                cpu = message.get("cpu") if message.get("event") == "bye" else None
                if isinstance(cpu, (int, float)) and 0 <= cpu < 1e6:
                    self.worker_cpu += float(cpu)
                self.proc.wait(timeout=2)
            except (CallTimeout, WorkerCrashed, OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    # -- children ---------------------------------------------------------------------------
    def spawn(self, config: dict, timeout: float) -> None:
        """Fork a fresh child for one exercise (ending the current one first)."""
        if self.child_active:
            try:
                self.end_child(timeout)
            except (CallTimeout, WorkerCrashed):
                self.kill()  # the previous exercise's child misbehaved: start afresh, blame no one
        if not self.alive:
            self.start()
        deadline = time.monotonic() + timeout
        encoder = wire.Encoder(self._not_data)
        self._seq += 1
        self._write(wire.pack({"op": "spawn"}, []), deadline)
        self._write(wire.pack({"seq": self._seq, "config": encoder.encode(config)}, encoder.buffers),
                    deadline)
        self.child_active = True
        message, _ = self._read(deadline, "starting the exercise's child")
        if message.get("event") != "child" or message.get("seq") != self._seq:
            self.kill()
            raise WorkerCrashed("the worker's child did not start properly")

    def end_child(self, timeout: float) -> None:
        if not self.child_active:
            return
        deadline = time.monotonic() + timeout
        self._write(wire.pack({"op": "exit"}, []), deadline)
        self.child_active = False
        while True:
            message, _ = self._read(deadline, "ending the exercise's child")
            if message.get("event") == "idle":
                return  # frames a student wrote on the channel before exiting are skipped

    # -- requests ----------------------------------------------------------------------------
    def request(self, message: dict, values: dict, timeout: float, decode_tag) -> object:
        """Send ``message`` (with ``values`` encoded into it), return the decoded result.

        ``decode_tag(tag, node)`` turns handle tags into proxies. Callbacks the worker asks for
        are served meanwhile (they may call into the worker again).
        """
        if not self.running or not self.child_active:
            raise WorkerCrashed("the worker is not running (it crashed or timed out earlier)")
        encoder = wire.Encoder(self._not_data)
        self._seq += 1
        seq = self._seq
        message = {**message, "seq": seq, **{k: encoder.encode(v) for k, v in values.items()}}
        chunks = wire.pack(message, encoder.buffers)
        deadline = time.monotonic() + timeout
        shared = self.shared if self.launch is not None and self.launch.mode == "bwrap" else None
        if shared is not None:
            shared.to_worker()
        try:
            self._write(chunks, deadline)
            while True:
                reply, buffers = self._read(deadline, f"answering {message.get('op')}")
                decoder = wire.Decoder(buffers, decode_tag)
                if "callback" not in reply:
                    break
                started = time.monotonic()
                self._serve_callback(reply, decoder, deadline)
                deadline += time.monotonic() - started  # the test's own time does not count
            if reply.get("event") == "idle":  # the zygote: our child is gone
                self.child_active = False
                status = reply.get("ok")
                raise WorkerCrashed("the submission's process ended while "
                                    f"answering {message.get('op')} (wait status "
                                    f"{status[0] if isinstance(status, list) and status else '?'})")
            if reply.get("seq") != seq:
                self.kill()
                raise WorkerCrashed(f"reply {reply.get('seq')!r} to request {seq}: the channel "
                                    "is out of step")
            states = reply.get("rng")
            if isinstance(states, list) and len(states) == len(encoder.generators):
                for generator, state in zip(encoder.generators, states):
                    try:
                        generator.bit_generator.state = decoder.decode(state)
                    except (TypeError, ValueError, KeyError):
                        raise WorkerCrashed("the worker sent back a malformed generator state")
            failure = reply.get("err")
            result = None if failure is not None else decoder.decode(reply.get("ok"))
        except (wire.WireError, RecursionError, MemoryError) as err:
            self.kill()
            raise WorkerCrashed(f"the worker broke the channel: {err}") from None
        except (CallTimeout, WorkerCrashed):
            raise
        except BaseException:
            self.kill()  # interrupted mid-call (pytest-timeout, Ctrl-C, a callback): state unknown
            raise
        finally:
            if shared is not None:
                shared.from_worker()
        if failure is not None:
            raise_remote(failure if isinstance(failure, dict) else {"text": str(failure)})
        return result

    def _serve_callback(self, reply: dict, decoder: wire.Decoder, deadline: float) -> None:
        function = self.callbacks.get(reply.get("callback"))
        if function is None:
            raise WorkerCrashed("the worker asked for a callback that does not exist")
        args = decoder.decode(reply.get("args", []))
        kwargs = decoder.decode(reply.get("kw", {"$": "d", "k": [], "v": []}))
        if not isinstance(args, list) or not isinstance(kwargs, dict) \
                or not all(isinstance(k, str) for k in kwargs):
            raise WorkerCrashed("the worker sent a malformed callback")
        encoder = wire.Encoder(self._not_data)
        try:
            result = function(*args, **kwargs)
            answer = {"op": "return", "ok": encoder.encode(result)}
        except Exception as err:  # noqa: BLE001 - reported to the student's code as a failure
            encoder = wire.Encoder(self._not_data)
            answer = {"op": "return", "err": f"{type(err).__name__}: {err}"[:2000]}
        self._write(wire.pack(answer, encoder.buffers), max(deadline, time.monotonic() + 5))

    def _not_data(self, value):
        to_wire = getattr(type(value), "kata_wire_tag", None)  # stand-ins know their handle
        if to_wire is not None:
            return to_wire(value, self)
        if callable(value):
            cid = self.callback_ids.get(id(value))
            if cid is None or self.callbacks.get(cid) is not value:
                cid = len(self.callbacks) + 1
                self.callbacks[cid] = value
                self.callback_ids[id(value)] = cid
            return {"$": "cb", "id": cid}
        raise TypeError(f"cannot send a {type(value).__name__} to the sandboxed submission: only "
                        "numbers, strings, lists, tuples, dicts, arrays, generators, its own "
                        "objects and functions of the test can cross")

    # -- raw frames ------------------------------------------------------------------------
    def _write(self, chunks: list[bytes], deadline: float) -> None:
        if sum(len(c) for c in chunks) < 1 << 20:
            chunks = [b"".join(chunks)]  # one write, one wake-up of the worker
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                # Write first and wait only when the pipe is full: one system call, not two.
                if self._out is None or time.monotonic() >= deadline:
                    self._wait(self._out, deadline, "reading our request", write=True)
                try:
                    written = os.write(self._out, view)
                except BlockingIOError:
                    self._wait(self._out, deadline, "reading our request", write=True)
                    continue
                except (BrokenPipeError, OSError) as err:
                    self.kill()
                    raise WorkerCrashed(f"the worker stopped reading ({err.strerror})") from None
                view = view[written:]

    def _fill(self, size: int, deadline: float, doing: str) -> None:
        while len(self._buffer) < size:
            # Read first and wait only when nothing is there yet (the deadline is checked
            # either way, so a worker that floods the channel cannot outlast it).
            if self._in is None or time.monotonic() >= deadline:
                self._wait(self._in, deadline, doing)
            try:
                chunk = os.read(self._in, max(size - len(self._buffer), 1 << 16))
            except BlockingIOError:
                self._wait(self._in, deadline, doing)
                continue
            except OSError as err:
                if err.errno == errno.EINTR:
                    continue
                chunk = b""
            if not chunk:
                code = self.proc.poll() if self.proc else None
                self.kill()
                raise WorkerCrashed("the worker died" + (f" (exit status {code})" if code is not None
                                                         else "") + f" while {doing}")
            self._buffer.extend(chunk)

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _read(self, deadline: float, doing: str) -> tuple[dict, list[bytes]]:
        try:
            self._fill(wire.PREFIX.size, deadline, doing)
            count, text_length = wire.parse_prefix(bytes(self._buffer[:wire.PREFIX.size]))
            self._fill(wire.PREFIX.size + 8 * count, deadline, doing)
            lengths = wire.parse_lengths(bytes(self._buffer[wire.PREFIX.size:wire.PREFIX.size + 8 * count]),
                                         count, text_length)
            total = wire.PREFIX.size + 8 * count + text_length + sum(lengths)
            self._fill(total, deadline, doing)
        except wire.WireError as err:
            self.kill()
            raise WorkerCrashed(f"the worker broke the channel: {err}") from None
        self._take(wire.PREFIX.size + 8 * count)
        message = wire.parse_text(self._take(text_length))
        return message, [self._take(n) for n in lengths]

    def _wait(self, fd, deadline: float, doing: str, write: bool = False) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise CallTimeout(f"the submission took longer than allowed while {doing}; "
                                  "its worker was stopped")
            if fd is None:
                raise WorkerCrashed("the worker is gone")
            ready = select.select([] if write else [fd], [fd] if write else [], [], min(left, 0.25))
            if ready[0] or ready[1]:
                return
            if self.proc is not None and self.proc.poll() is not None and not write:
                # The worker is gone but a stray of it may hold the pipe: do not wait for EOF.
                readable = select.select([fd], [], [], 0)[0]
                if not readable:
                    self.kill()
                    raise WorkerCrashed(f"the worker died while {doing}")
                return

