"""Deep Learning Foundations: one module per chapter (``chNN_topic.py``) plus provided plumbing.

Chapters import earlier chapters with relative imports (``from .ch02_dense import Dense``), so the
same text works in ``solutions/`` and in the generated ``exercises/``.
"""
