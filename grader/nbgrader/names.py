"""Names shared by the course builder, the notebooks, the test cells and :mod:`.extract`.

Kept in one stdlib-only module because a copy of it travels inside every assignment.
"""

# The package a notebook imports provided code from: chapter files import each other
# relatively (``from .core import Parameter``), which a notebook cannot do, so the notebook's
# cells say ``from dlf.core import Parameter`` and ``dlf/`` ships beside the notebook.
PACKAGE = "dlf"

# The folder beside each notebook that holds the graded tests and the code that runs them.
BUNDLE = "kata_tests"

# Our key in notebook and cell metadata (nbgrader keeps its own under "nbgrader").
META = "kata"

# Default inner time limit of one test cell (seconds): the whole pytest run of one exercise.
# nbgrader's per-cell timeout (Execute.timeout) is set above it, see config.py.
TIME_LIMIT = 30
CELL_TIMEOUT_MARGIN = 30
