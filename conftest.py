"""Activates the kata pytest plugin for every pytest run in this repository."""

pytest_plugins = ["grader.testing.plugin"]
