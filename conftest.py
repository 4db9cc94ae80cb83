"""Activates the kata pytest plugin for every pytest run in this repository."""

pytest_plugins = ["grader.testing.plugin"]

# benchmarks/ holds plain timing scripts, never tests (speed is measured there, not asserted)
collect_ignore = ["benchmarks"]
