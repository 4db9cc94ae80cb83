"""Instructor grading that a hostile submission cannot forge (DESIGN §5), and releases.

Folder map (one concept per module):

- ``worker/``      runs *inside* the sandbox next to the student's code (stdlib + NumPy only)
- ``sandbox``      how a worker is started: bubblewrap, else process isolation (and what is weaker)
- ``channel``      the test side of the data-only channel: deadlines, kills, remote exceptions
- ``proxy``        stand-ins for remote objects: the ``kata`` module, handles, operators
- ``mode``         the pytest plugin ``kata grade`` loads (``-p grader.grading.mode``): it swaps
                   the test machinery's target for a sandboxed one
- ``target``       ``GradingTarget``: the ``kata`` fixture's target under ``--kata-grade``
- ``recorder``     the trusted pytest process streams each test's outcome to a file
- ``job``          one student's job folder and settings
- ``collect``      a student's chapter files from a folder or .zip (allow-list, limits, notebooks)
- ``workspace``    the job folder a worker may see
- ``engine``       grade one submission (trusted pytest process, scores, cleanup)
- ``scoring``      stream -> points and statuses
- ``reports``      grades.csv, Gradescope results.json, feedback.md
- ``batch``        ``kata grade``: many students, parallel, resumable
- ``progressbar``  progress display
- ``release``      ``kata release``: the student release
- ``handout``      what a hand-out's manifest holds: its chapters only, hints capped
- ``student_readme`` the README written into a student release
- ``constraints.txt`` the exact versions grading was tested with (Gradescope, Classroom, CI)
- ``gradescope``   ``kata gradescope``: the autograder bundle and its ``run_autograder``
- ``classroom``    ``kata classroom``: the GitHub Classroom workflow
- ``selection``    which exercises a command covers (``--only``)
- ``commands``     the command-line entry points (registered in ``grader/cli.py``)

``python -m grader.grading COMMAND`` runs the same commands without the learner CLI.
"""
