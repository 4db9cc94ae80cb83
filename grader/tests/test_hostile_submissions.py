"""Hostile submissions get exactly their honest score, in bounded time, and leave nothing behind.

Every attack of DESIGN §5 (and a few on the channel itself) is built on the untouched stubs of
chapters 01-02, so its honest score is 0; an honest full solution and a partial one are graded
in the same batches, next to the attacks, and must keep exactly their own scores. The course is
a throw-away copy of the repository (chapters 01-02), so attacks that aim at its tests or its
reference aim at the copy. After grading: no process started by a submission is alive, no file
appeared outside OUT, SUBMISSIONS and the course copy are unchanged, and nothing reached a
listening socket of the host.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from course_copies import copy_course

REPO = Path(__file__).resolve().parents[2]
MARK = f"kata-hostile-{uuid.uuid4().hex[:10]}"
pytestmark = pytest.mark.timeout(600)  # the module fixture grades two whole batches
CALL_TIMEOUT = 2.0
RUNTIME_ONLY, FILES_ONLY = "01.2", "01.1,02.1,02.5"   # what each batch grades
FULL_RUNTIME, FULL_FILES = 2.0, 5.0


# ------------------------------------------------------------------------------ the course
def course_copy(root: Path) -> Path:
    """A copy of the repository with chapters 01 and 02 only."""
    return copy_course(root, ("01", "02"))


def stub(course: Path, module: str) -> str:
    return (course / "exercises" / f"{module}.py").read_text(encoding="utf-8")


def reference(course: Path, module: str) -> str:
    return (course / "solutions" / f"{module}.py").read_text(encoding="utf-8")


def with_body(source: str, exercise_id: str, body: str) -> str:
    """``source`` with the stub line of ``exercise_id`` replaced by ``body``."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if f'raise NotImplementedError("Exercise {exercise_id}:' in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines[i:i + 1] = textwrap.indent(textwrap.dedent(body).strip("\n"), indent).splitlines()
            return "\n".join(lines) + "\n"
    raise AssertionError(f"no stub line for {exercise_id}")


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def marked_processes() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if MARK.encode() in fh.read():
                        found.append(entry)
            except OSError:
                continue
    return found


class Listener:
    """TCP and UDP sockets on the host's loopback that record anything sent to them."""

    def __init__(self):
        self.received: list[bytes] = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(5)
        self.tcp.settimeout(0.2)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.tcp.accept()
                conn.settimeout(1)
                self.received.append(b"tcp:" + conn.recv(1000))
                conn.close()
            except OSError:
                pass
            try:
                self.received.append(b"udp:" + self.udp.recv(1000))
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join(2)
        self.tcp.close()
        self.udp.close()


# ------------------------------------------------------------------------------ the attacks
def runtime_attacks(course: Path, subs: Path, out: Path, port: int) -> dict[str, str]:
    """Chapter 01 module sources, one attack each, in the body of 01.2 (``layer_output``) or at
    module level."""
    ch01 = stub(course, "ch01_neurons")
    body = lambda text: with_body(ch01, "01.2", text)  # noqa: E731
    daemon = f'["/bin/sh", "-c", "sleep 600; : {MARK}"]'
    forged = """
        import sys
        import kata_worker.server as server
        import kata_worker.wire as wire
        frame = sys._getframe(1)
        while frame is not None and "message" not in frame.f_locals:
            frame = frame.f_back
        seq = frame.f_locals["message"].get("seq") if frame else 1
        for err in ({"type": "Skipped", "builtin": True, "text": "skip", "args": ["skip"]},
                    {"type": "Failed", "builtin": True, "text": "x"},
                    {"type": "KataAssertion", "builtin": True, "text": "x"}):
            wire.write_frame(server.FD_OUT, wire.pack({"seq": seq, "err": err}, []))
        wire.write_frame(server.FD_OUT, wire.pack({"seq": seq + 1, "ok": {"$": "a", "dt": "|O8",
                                                  "sh": [1], "b": 0}}, [b"\\x00" * 8]))
        import os
        os.write(server.FD_OUT, b"KAT1garbage" * 100)
        return 0.0
    """
    return {
        "loop": body("while True:\n    pass"),
        "loop_catching_timeouts": body("""
            import signal
            for name in ("SIGTERM", "SIGINT", "SIGALRM", "SIGHUP", "SIGUSR1", "SIGXCPU"):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            while True:
                try:
                    while True:
                        pass
                except BaseException:
                    pass
        """),
        "memory_10gib": body("""
            hog = bytearray(10 * 2**30)
            more = np.ones(10 * 2**30 // 8)
            return float(len(hog) + more.size)
        """),
        "os_exit": body("import os\nos._exit(0)"),
        "sys_exit": body("import sys\nsys.exit(0)"),
        "exit_at_import": ch01 + "\nimport os\nos._exit(0)\n",
        "fork_daemon": body(f"""
            import os
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv("/bin/sh", {daemon})
                os._exit(0)
            return 0.0
        """),
        "fork_bomb": body(f"""
            import os
            for _ in range(1000):
                try:
                    if os.fork() == 0:
                        os.setsid()
                        os.execv("/bin/sh", {daemon})
                except OSError:
                    break
            return 0.0
        """),
        "network": body(f"""
            import socket
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                try:
                    s = socket.socket(socket.AF_INET, kind)
                    s.settimeout(1)
                    s.connect(("127.0.0.1", {port}))
                    s.sendall(b"LEAK {MARK}")
                    s.close()
                except OSError:
                    pass
            return 0.0
        """),
        "fake_pass_output": "".join([body("""
            import os, sys
            banner = "============ 50 passed in 0.01s ============\\n"
            print(banner)
            sys.stdout.flush()
            os.write(1, banner.encode())
            os.write(2, banner.encode())
            return 0.0
        """), "\nprint('===== 50 passed in 0.01s =====')\n"]),
        "pytest_skip": body("import pytest\npytest.skip('nothing to see')"),
        "unittest_skip": body("import unittest\nraise unittest.SkipTest('skipped')"),
        "patch_numpy_testing": ch01 + textwrap.dedent("""
            import builtins
            import numpy.testing
            numpy.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__
            np.allclose = lambda *a, **k: True
            np.isclose = lambda *a, **k: True
            builtins.isinstance = lambda *a: True
        """),
        "gc_pytest_hooks": ch01 + textwrap.dedent("""
            import gc, sys
            for obj in gc.get_objects():
                name = type(obj).__name__
                if name in ("Config", "PytestPluginManager", "Session", "TerminalReporter"):
                    try:
                        obj.pluginmanager.register(type("Forge", (), {
                            "pytest_runtest_logreport": lambda self, report: setattr(report, "outcome", "passed")})())
                    except Exception:
                        pass
            for name in list(sys.modules):
                if name.startswith(("_pytest", "grader")):
                    sys.modules[name].__dict__.clear()
        """),
        "forged_channel_frames": body(forged),
        "kill_everything": body("""
            import os, signal
            for pid in (os.getppid(), 1, -1):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return 0.0
        """),
        "fill_the_disk": body(f"""
            for folder in ("/tmp", ".", "{out}", "{subs}"):
                try:
                    with open(folder + "/fill-{MARK}", "wb") as fh:
                        for _ in range(10 * 1024):
                            fh.write(b"\\0" * 2**20)
                except OSError:
                    pass
            return 0.0
        """),
        "huge_reply": body("return np.zeros(2**26)  # 512 MiB, beyond the channel's frame limit"),
        "read_reference_at_runtime": body(f"""
            ns = {{"__name__": "stolen"}}
            exec(open("{course}/solutions/ch01_neurons.py").read(), ns)
            return ns["layer_output"](inputs, weights, biases)
        """),
        "tamper_at_runtime": body(f"""
            for path in ("{course}/tests/test_ch01_neurons.py", "{course}/solutions/ch01_neurons.py",
                         "{out}/grades.csv", "{subs}/full/ch01_neurons.py", "/tmp/{MARK}-runtime",
                         "{Path.home()}/{MARK}-runtime"):
                try:
                    with open(path, "w") as fh:
                        fh.write("score = 100")
                except OSError:
                    pass
            return 0.0
        """),
    }


def file_attacks(course: Path, subs: Path, out: Path) -> dict[str, object]:
    """Entries that attack the collector or the course files. Values: a dict of files for a
    folder, or bytes of a zip."""
    ch01, ch02 = stub(course, "ch01_neurons"), stub(course, "ch02_dense")
    steal = f"""
        ns = {{"__name__": "stolen"}}
        exec(open("{course}/solutions/ch01_neurons.py").read(), ns)
        return ns["neuron_output"](inputs, weights, bias)
    """
    copy_a_classmate = f"""
        import glob
        for path in sorted(glob.glob("{subs}/**/*.py", recursive=True)):
            try:
                text = open(path).read()
            except OSError:
                continue
            if "BEGIN SOLUTION" in text:
                ns = {{"__name__": "copied"}}
                exec(text, ns)
                return ns["neuron_output"](inputs, weights, bias)
        return 0.0
    """
    find_own_reference = """
        import os
        for top in ("/", "/kata", "/tmp", os.getcwd()):
            for folder, _, names in os.walk(top):
                if folder.startswith(("/proc", "/sys", "/dev", "/usr")):
                    continue
                for name in names:
                    try:
                        text = open(os.path.join(folder, name), errors="ignore").read(200000)
                    except OSError:
                        continue
                    if "self.W = Parameter(INITIALIZERS" in text and "class Dense" in text:
                        ns = {"__name__": "found"}
                        exec(text.replace("from .core import", "from exercises.core import"), ns)
                        layer = ns["Dense"](n_inputs, n_neurons, rng, init)
                        self.W, self.b = layer.W, layer.b
                        return
    """
    tamper_targets = [course / "tests" / "test_ch01_neurons.py", course / "solutions" / "ch01_neurons.py",
                      course / "curriculum.toml", course / "conftest.py", out / "grades.csv",
                      out / "tamper_files" / "results.json", subs / "full" / "ch01_neurons.py",
                      Path("/tmp") / f"{MARK}-tamper", Path.home() / f"{MARK}-tamper"]
    tamper = "\n".join([f"for path in {[str(p) for p in tamper_targets]!r}:",
                        "    try:",
                        f"        open(path, 'w').write('score = 100  # {MARK}')",
                        "    except OSError:",
                        "        pass",
                        "return 0.0"])
    conftest = textwrap.dedent("""
        import pytest
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            report = outcome.get_result()
            report.outcome = "passed"
    """)
    forged_core = "class Parameter:\n    def __init__(self, data):\n        self.data = data\n"
    return {
        "read_the_reference": {"ch01_neurons.py": with_body(ch01, "01.1", steal), "ch02_dense.py": ch02},
        "copy_a_classmate": {"ch01_neurons.py": with_body(ch01, "01.1", copy_a_classmate)},
        "find_reference_of_tested_exercise": {
            "ch02_dense.py": with_body(ch02, "02.5", find_own_reference)},
        "tamper_files": {"ch01_neurons.py": with_body(ch01, "01.1", tamper)},
        "conftest_and_config": {"ch01_neurons.py": ch01, "conftest.py": conftest,
                                "exercises/conftest.py": conftest, "pytest.ini": "[pytest]\naddopts = -p no:kata\n",
                                "setup.cfg": "[tool:pytest]\naddopts = -x\n", "tox.ini": "[pytest]\n",
                                "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n",
                                "sitecustomize.py": "import os\nos._exit(0)\n",
                                "usercustomize.py": "import os\nos._exit(0)\n",
                                "evil.pth": "import os; os._exit(0)\n",
                                "core.py": forged_core, "__init__.py": "raise SystemExit\n"},
        "symlinks_to_reference": {"@link ch01_neurons.py": str(course / "solutions" / "ch01_neurons.py"),
                                  "@link ch02_dense.py": str(course / "solutions" / "ch02_dense.py"),
                                  "@link exercises": str(course / "solutions")},
        "zip_symlinks_to_reference": _zip([
            ("ch01_neurons.py", str(course / "solutions" / "ch01_neurons.py").encode(), 0o120777),
            ("ch02_dense.py", str(course / "solutions" / "ch02_dense.py").encode(), 0o120777)]),
        "zip_slip": _zip([
            ("../../" + f"{MARK}-slip.py", b"x = 1\n", 0o100644),
            (f"/tmp/{MARK}-absolute.py", b"x = 1\n", 0o100644),
            ("a/../../" + f"{MARK}-slip2/ch01_neurons.py", reference(course, "ch01_neurons").encode(), 0o100644),
            ("ch01_neurons.py", ch01.encode(), 0o100644)]),
        "zip_bomb": _zip([("ch01_neurons.py", b"#" * (60 * 2**20), 0o100644)]),
    }


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def write_entry(subs: Path, name: str, content) -> None:
    if isinstance(content, bytes):
        (subs / f"{name}.zip").write_bytes(content)
        return
    folder = subs / name
    folder.mkdir(parents=True)
    for rel, text in content.items():
        if rel.startswith("@link "):
            os.symlink(text, folder / rel[len("@link "):])
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def honest_entries(course: Path) -> dict[str, dict[str, str]]:
    ch01, ch02 = reference(course, "ch01_neurons"), reference(course, "ch02_dense")
    dense_only = ch02
    # partial: chapter 01 done; in chapter 02 only the Dense layer (02.5), its initializers
    # (02.1-02.3) left as stubs: per-exercise isolation grades 02.5 with the reference ones.
    dense_stub = stub(course, "ch02_dense")
    start = dense_only.index("class Dense(Module):")
    partial_ch02 = dense_stub[: dense_stub.index("class Dense(Module):")] + dense_only[start:]
    return {
        "full": {"ch01_neurons.py": ch01, "ch02_dense.py": ch02},
        "partial": {"exercises/ch01_neurons.py": ch01, "exercises/ch02_dense.py": partial_ch02,
                    "old/ch01_neurons.py": stub(course, "ch01_neurons")},
        "untouched": {"ch01_neurons.py": stub(course, "ch01_neurons"), "ch02_dense.py": dense_stub},
    }


# ------------------------------------------------------------------------------ grading
def run_grade(course: Path, subs: Path, out: Path, only: str, sandbox: str = "auto",
              timeout: float = 240) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_ROOT", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(REPO)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader.grading", "grade", str(subs), "--out", str(out),
                           "-j", "2", "--only", only, "--call-timeout", str(CALL_TIMEOUT),
                           "--sandbox", sandbox],
                          cwd=course, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    grades = {}
    for line in (out / "grades.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        grades[fields[0]] = float(fields[1])
    return {"grades": grades, "seconds": seconds, "output": done.stdout + done.stderr}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    course = course_copy(base / "course")
    listener = Listener()
    home_before = set(os.listdir(Path.home()))
    tmp_before = {p for p in os.listdir("/tmp") if MARK in p}
    runs = {}
    try:
        for batch, only, sandbox in BATCHES:
            subs, out = base / f"subs-{batch}", base / f"out-{batch}"
            subs.mkdir()
            honest = honest_entries(course)
            if batch == "files":
                entries = {**honest, **file_attacks(course, subs, out)}
            else:
                entries = {"full": honest["full"]}
                for name, source in runtime_attacks(course, subs, out, listener.port).items():
                    if batch == "runtime" or name in PROCESS_SUBSET:
                        entries[name] = {"ch01_neurons.py": source}
            for name, content in entries.items():
                write_entry(subs, name, content)
            course_digest, subs_digest = tree_digest(course), tree_digest(subs)
            runs[batch] = run_grade(course, subs, out, only, sandbox)
            runs[batch].update(out=out, entries=sorted(entries),
                               course_unchanged=tree_digest(course) == course_digest,
                               subs_unchanged=tree_digest(subs) == subs_digest)
    finally:
        time.sleep(0.5)  # anything that survived would still be running now
        listener.close()
    runs["strays"] = marked_processes()
    runs["received"] = listener.received
    runs["new_in_home"] = set(os.listdir(Path.home())) - home_before
    runs["new_in_tmp"] = {p for p in os.listdir("/tmp") if MARK in p} - tmp_before
    runs["course"] = course
    return runs


BATCHES = (("runtime", RUNTIME_ONLY, "auto"), ("files", FILES_ONLY, "auto"),
           ("process", RUNTIME_ONLY, "process"))   # the last: without bubblewrap's namespaces
PROCESS_SUBSET = ["loop", "fork_daemon", "network", "kill_everything", "read_reference_at_runtime",
                  "tamper_at_runtime"]   # what process isolation does differently
RUNTIME = ["read_reference_at_runtime", "tamper_at_runtime", "loop", "loop_catching_timeouts", "memory_10gib", "os_exit", "sys_exit", "exit_at_import",
           "fork_daemon", "fork_bomb", "network", "fake_pass_output", "pytest_skip", "unittest_skip",
           "patch_numpy_testing", "gc_pytest_hooks", "forged_channel_frames", "kill_everything",
           "fill_the_disk", "huge_reply"]
FILES = ["read_the_reference", "copy_a_classmate", "find_reference_of_tested_exercise",
         "tamper_files", "conftest_and_config", "symlinks_to_reference",
         "zip_symlinks_to_reference", "zip_slip", "zip_bomb"]


@pytest.mark.parametrize("attack", RUNTIME)
def test_runtime_attack_scores_zero(hostile, attack):
    assert hostile["runtime"]["grades"][attack] == 0.0, hostile["runtime"]["output"]


@pytest.mark.parametrize("attack", PROCESS_SUBSET)
def test_attack_scores_zero_under_process_isolation(hostile, attack):
    assert hostile["process"]["grades"][attack] == 0.0, hostile["process"]["output"]
    assert "Sandbox: process isolation" in hostile["process"]["output"]


@pytest.mark.parametrize("attack", FILES)
def test_file_attack_scores_zero(hostile, attack):
    assert hostile["files"]["grades"][attack] == 0.0, hostile["files"]["output"]


def test_honest_submissions_keep_their_scores_next_to_attacks(hostile):
    assert hostile["runtime"]["grades"]["full"] == FULL_RUNTIME
    assert hostile["process"]["grades"]["full"] == FULL_RUNTIME
    files = hostile["files"]["grades"]
    assert files["full"] == FULL_FILES
    assert files["partial"] == 2.0 + 2.0  # 01.1, and 02.5 graded on reference prerequisites
    assert files["untouched"] == 0.0


def test_statuses_name_what_happened(hostile):
    def statuses(batch, student):
        data = json.loads((hostile[batch]["out"] / "_instructor" / f"{student}.json").read_text())["result"]
        return {e["id"]: e["status"] for e in data["exercises"]}

    assert statuses("runtime", "loop")["01.2"] == "timeout"
    assert statuses("runtime", "loop_catching_timeouts")["01.2"] == "timeout"
    assert statuses("runtime", "os_exit")["01.2"] == "error"
    assert statuses("runtime", "exit_at_import") == {"01.2": "error"}
    assert statuses("files", "conftest_and_config")["01.1"] == "not started"
    partial = statuses("files", "partial")
    assert partial["02.5"] == "passed" and partial["02.1"] == "not started"


def test_grading_is_bounded_in_time(hostile):
    for batch in ("runtime", "files", "process"):
        data = [json.loads((hostile[batch]["out"] / "_instructor" / f"{name}.json").read_text())["result"]
                for name in hostile[batch]["entries"]]
        slowest = max(d["seconds"] for d in data)
        assert slowest < 60, (batch, slowest)
    assert all(hostile[b]["seconds"] < 180 for b in ("runtime", "files", "process"))


def test_machine_is_left_clean(hostile):
    assert hostile["strays"] == [], "processes started by submissions are still running"
    assert hostile["received"] == [], "a submission reached the host's network"
    assert not hostile["new_in_home"] and not hostile["new_in_tmp"]
    for batch in ("runtime", "files", "process"):
        run = hostile[batch]
        assert run["course_unchanged"], "a submission changed the course's files"
        assert run["subs_unchanged"], "grading wrote into SUBMISSIONS"
        out = run["out"]
        assert sorted(p.name for p in out.iterdir()) == sorted(["grades.csv", "_instructor",
                                                                *run["entries"]])
        assert sorted(p.name for p in (out / "_instructor").iterdir()) == \
            sorted(f"{name}.json" for name in run["entries"])
        for folder in (p for p in out.iterdir() if p.is_dir() and p.name != "_instructor"):
            assert sorted(p.name for p in folder.iterdir()) == ["feedback.md", "results.json"]
    leftovers = [p for p in Path("/tmp").glob(f"*{MARK}*")] + list(hostile["course"].parent.glob(f"**/*{MARK}*"))
    assert leftovers == []


def test_feedback_reports_ignored_files(hostile):
    report = (hostile["files"]["out"] / "conftest_and_config" / "feedback.md").read_text()
    for name in ("conftest.py", "pytest.ini", "sitecustomize.py", "core.py", "evil.pth"):
        assert f"ignored {name}" in report
    links = (hostile["files"]["out"] / "symlinks_to_reference" / "feedback.md").read_text()
    assert "symlink" in links
    slip = (hostile["files"]["out"] / "zip_slip" / "feedback.md").read_text()
    assert "unsafe path" in slip
    bomb = (hostile["files"]["out"] / "zip_bomb" / "feedback.md").read_text()
    assert "larger than" in bomb


def test_no_stat_surprises_in_out(hostile):
    for batch in ("runtime", "files", "process"):
        for path in hostile[batch]["out"].rglob("*"):
            mode = os.lstat(path).st_mode
            assert stat.S_ISDIR(mode) or stat.S_ISREG(mode), path
