"""``python -m grader`` is the same as the ``kata`` command."""

from grader.cli import main

raise SystemExit(main())
