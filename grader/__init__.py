"""The grader: everything in Deep Learning Foundations that checks a learner's work.

Folder map (one concept per module):

- ``manifest``     reads ``curriculum.toml``, the single list of chapters and exercises
- ``stubgen``      turns fenced reference bodies in ``solutions/`` into the stubs in ``exercises/``
- ``targets``      loads the code under test (learner stubs, reference, a catalogued mistake)
- ``plugin``       the pytest plugin: modes, ``--exercise`` selection, "not started", points
- ``timelimit``    the CPU-time limit that stops runaway learner code once
- ``checks``, ``fingerprints``, ``gradcheck``   teaching assertions and their diagnoses
- ``mistakes``     the registry behind ``mistakes/``: wrong implementations tests must reject
- ``verify``       the author's consistency check (``kata verify``)
- ``runner``, ``progress``, ``board``, ``check``, ``reset``   the learner's loop behind ``kata``
- ``demo``         ``kata demo spiral|sine``, the Part I capstone
- ``cli``          the ``kata`` command
- ``grading/``     sandboxed autograding: ``kata grade``, ``release``, ``gradescope``, ``classroom``
- ``nbgrader/``    ``kata nbgrader``: the kata as an nbgrader course
"""

__version__ = "0.1.0"
