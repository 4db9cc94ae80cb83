"""The grader: everything in Deep Learning Foundations that checks a learner's work.

Folder map (one concept per module):

- ``manifest``   reads ``curriculum.toml``, the single list of chapters and exercises
- ``stubgen``    turns fenced reference bodies in ``solutions/`` into the stubs in ``exercises/``
- ``targets``    loads the code under test (learner stubs, reference, a catalogued mistake)
- ``plugin``     the pytest plugin: modes, ``--exercise`` selection, "not started" reports, points
- ``checks``     teaching assertions: shapes, closeness with mistake fingerprints, gradient checks
- ``mistakes``   the registry behind ``mistakes/``: wrong implementations the tests must reject
- ``verify``     the author's consistency check (``kata verify``)
- ``cli``        the ``kata`` command
"""

__version__ = "0.1.0"
