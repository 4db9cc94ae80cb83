"""Set up Deep Learning Foundations in one command, then do the main job.

    python3 bootstrap.py          learner: make .venv, install the kata into it, show the board
    python3 bootstrap.py test     contributor: also install the instructor and plots extras (and PyTorch
                                  for the cross-checks when it can be had), then run every test
                                  CI runs: kata verify, then pytest on tests, grader, crosschecks

Windows (PowerShell): ``py bootstrap.py`` and ``py bootstrap.py test``.

The virtual environment lives in ``.venv`` inside the checkout (an existing one is reused).
Installing is skipped when nothing it depends on changed since the last run (a stamp file in
``.venv`` records what was installed), so a second run costs about a second.

Environment: ``KATA_TORCH=skip`` skips PyTorch; ``KATA_TORCH=2.13.0`` picks the version.
This file must keep running on old Pythons long enough to say that they are too old.
"""

import hashlib
import os
import subprocess
import sys
import time

MINIMUM = (3, 10)
ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
STAMP = os.path.join(VENV, "kata-installed.txt")
TORCH_DEFAULT = "2.13.0"
CONSTRAINTS = os.path.join("grader", "grading", "constraints.txt")
# The contributors' test command; .ci/run calls `python3 bootstrap.py test`, which runs this.
VERIFY = ["kata", "verify"]
PYTEST = ["-m", "pytest", "--solutions", "tests", "grader", "crosschecks"]


def fail(message):
    sys.stderr.write("bootstrap: " + message + "\n")
    sys.exit(2)


def check_python():
    if sys.version_info[:2] < MINIMUM:
        fail("Python %d.%d or newer is needed; this is Python %d.%d (%s).\n"
             "  Install a newer Python (python.org, your package manager, or pyenv), then run\n"
             "  `python3.12 bootstrap.py` (or whichever version you installed)."
             % (MINIMUM + sys.version_info[:2] + (sys.executable,)))
    try:
        import ensurepip  # noqa: F401  (Debian and Ubuntu ship venv without it)
        import venv  # noqa: F401
    except ImportError:
        fail("this Python cannot create virtual environments (the venv module or ensurepip is "
             "missing).\n  On Debian/Ubuntu: sudo apt install python3-venv   (or python%d.%d-venv)"
             % sys.version_info[:2])


def venv_python():
    folder = "Scripts" if os.name == "nt" else "bin"
    name = "python.exe" if os.name == "nt" else "python"
    return os.path.join(VENV, folder, name)


def venv_tool(name):
    folder = "Scripts" if os.name == "nt" else "bin"
    return os.path.join(VENV, folder, name + (".exe" if os.name == "nt" else ""))


def run(command, **kwargs):
    return subprocess.call(command, cwd=ROOT, **kwargs)


def ensure_venv():
    if os.path.exists(venv_python()):
        return
    print("bootstrap: creating a virtual environment in .venv ...")
    if run([sys.executable, "-m", "venv", VENV]) != 0:
        fail("`%s -m venv .venv` failed (see above)" % sys.executable)


def wanted_state(extras):
    """What an install depends on: the project metadata and the extras asked for."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", CONSTRAINTS):
        with open(os.path.join(ROOT, name), "rb") as fh:
            digest.update(fh.read())
    digest = digest.hexdigest()[:16]
    return "pyproject %s extras %s python %s" % (digest, ",".join(sorted(extras)), venv_python())


def installed_state():
    try:
        with open(STAMP, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def pip(*args):
    return run([venv_python(), "-m", "pip", "--disable-pip-version-check", *args])


def ensure_installed(extras):
    state = wanted_state(extras)
    have = installed_state()
    # A learner's run after a contributor's keeps the larger install.
    if have == state or (not extras and have.startswith(state.split(" extras")[0])):
        if os.path.exists(venv_tool("kata")):
            return
    target = "." + ("[%s]" % ",".join(sorted(extras)) if extras else "")
    # Contributors test with the versions grading was tested with (the constraints file).
    pins = ["-c", CONSTRAINTS] if extras else []
    print("bootstrap: installing the kata into .venv (pip install %s-e %s) ..."
          % ("-c %s " % CONSTRAINTS if pins else "", target))
    if extras:
        print("bootstrap: the instructor extra brings nbgrader: this takes a few minutes once")
    if pip("install", "--quiet", *pins, "-e", target) != 0:
        fail("`pip install -e %s` failed (see above); nothing else was changed" % target)
    with open(STAMP, "w", encoding="utf-8") as fh:
        fh.write(state + "\n")


def ensure_torch():
    version = os.environ.get("KATA_TORCH", TORCH_DEFAULT)
    if version == "skip":
        print("bootstrap: KATA_TORCH=skip: the PyTorch cross-checks will be skipped")
        return
    probe = [venv_python(), "-c", "import torch"]
    if subprocess.call(probe, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        return
    print("bootstrap: installing PyTorch %s (CPU is enough) for the cross-checks ..." % version)
    try:
        code = subprocess.call([venv_python(), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", "torch==" + version],
                               cwd=ROOT, timeout=600)
    except subprocess.TimeoutExpired:
        code = -1
    if code != 0:
        print("bootstrap: PyTorch could not be installed here: crosschecks/ will be skipped "
              "(set KATA_TORCH to another version, or install it yourself)")


def learner(argv):
    ensure_venv()
    ensure_installed(())
    print("bootstrap: ready. Activate the environment to use `kata` directly:\n"
          "  source .venv/bin/activate      (Windows: .venv\\Scripts\\Activate.ps1)\n")
    return run([venv_tool("kata"), *argv])


def contributor(argv):
    ensure_venv()
    ensure_installed(("instructor", "plots"))
    ensure_torch()
    started = time.monotonic()
    code = run([venv_tool(VERIFY[0]), *VERIFY[1:]])
    if code != 0:
        return code
    report = os.path.join(VENV, "last-test-report.xml")
    code = run([venv_python(), *PYTEST, "--junitxml=" + report, *argv])
    if code == 5:
        print("bootstrap: pytest collected no test: that is a failure")
        return 1
    if code == 0 and ran_no_test(report):
        print("bootstrap: pytest reported success but ran no test: that is a failure")
        return 1
    print("bootstrap: all tests done in %.0f s (exit %d)" % (time.monotonic() - started, code))
    return code


def ran_no_test(report):
    import xml.etree.ElementTree as ET

    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    return sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites) == 0


def main(argv):
    check_python()
    if argv[:1] == ["test"]:
        return contributor(argv[1:])
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    return learner(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
