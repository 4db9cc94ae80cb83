"""The code that runs *inside* the sandbox, next to a student's modules.

This package is copied, file by file, into each grading job and started there by
:mod:`grader.grading.sandbox`; it imports nothing but the standard library and NumPy (never
``grader``), so a student's code finds no test, reference or pytest object in its process.

- ``wire``      the data-only format both sides speak: frames of JSON plus raw array buffers
- ``confine``   the worker's first act: drop privileges, rlimits, no network, Landlock
- ``landlock``  the Linux Landlock LSM through ctypes (the file-system fence without bubblewrap)
- ``splice``    (copied in from ``grader/testing/splice.py``) reference prerequisites put into a
                student's module, function by function
- ``modules``   the student's package imported from memory (with splices and stub fallbacks)
- ``server``    the zygote (forks one child per exercise) and the child's request loop
- ``scratch``   the writable scratch folder emptied between exercises (nothing crosses children)

The test side holds every guarantee: whatever this code is made to say by a hostile module
in the same process, it can only send data back.
"""
