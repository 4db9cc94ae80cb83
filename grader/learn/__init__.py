"""The learner's loop behind ``kata``: ``check`` (one pytest run per check), ``board`` and
``progress`` (what passed, saved in ``.kata/``), ``reset`` (put a stub back, and undo it),
``watch`` (one warm process that re-checks on every save) and ``demo`` (the capstones that train
a model made of the learner's own code)."""
