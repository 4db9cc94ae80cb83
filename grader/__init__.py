"""The grader: everything in Deep Learning Foundations that checks a learner's work.

Folder map, one subpackage per audience (dependencies point down this list, never up):

- ``cli``        the ``kata`` command, the front door for everyone
- ``manifest``   reads ``curriculum.toml``, the single list of chapters and exercises
- ``learn/``     the learner's loop: ``kata check``, the board, progress, hints, reset, demos
- ``grading/``   instructors: sandboxed ``kata grade``, ``release``, ``gradescope``, ``classroom``
- ``nbgrader/``  instructors: ``kata nbgrader``, the kata as an nbgrader course
- ``author/``    contributors: stub generator, mistakes catalog registry, ``kata verify``
- ``testing/``   the test machinery every mode shares: the pytest plugin, the targets it loads
                 code from, teaching checks, fingerprints, gradient checks, the CPU-time limit,
                 and the runner that starts pytest for ``kata``
- ``tests/``     the grader's own tests (not shipped)

``grader/tests/test_layout.py`` keeps this true: no import circle, and ``testing/`` never
imports the packages that use it (grading mode plugs in as its own pytest plugin).
"""

__version__ = "0.1.0"
