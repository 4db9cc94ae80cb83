"""The kata as an nbgrader course: ``kata nbgrader COURSE_DIR`` (docs/nbgrader.md).

One engine, two front doors: the notebooks run the same graded tests as ``kata check``, and
``kata grade`` can score nbgrader's ``submitted/`` notebooks through :mod:`.extract`.

Folder map (one concept per module; none imports nbgrader, so the kata runs without it):

- ``names``     the names shared by the builder, the notebooks and the test cells
- ``blocks``    a chapter file cut into top-level blocks: provided code or one exercise's block
- ``splice``    a chapter module rebuilt from notebook cells (the stub with the learner's blocks)
- ``extract``   ``notebook_to_sources(path)``: a notebook file back into ``chNN_x.py`` source
- ``notebook``  one chapter as an nbgrader source notebook (notes, provided, solution, test cells)
- ``bundle``    the support files beside each notebook: ``dlf/`` and ``kata_tests/``
- ``config``    the text of ``nbgrader_config.py`` (timeouts, stderr, feedback, our stubs)
- ``course``    the course directory, and the ``kata nbgrader`` command
- ``cell``      runs inside the student's kernel: one test cell's call (stdlib only)
- ``process``   the kernel's side of the separate test process: start, time limit, results
- ``harness``   runs in the separate test process: rebuild the module, run pytest, stream results
"""
