"""Grading mode: how ``kata grade`` plugs into the test machinery.

The trusted pytest process is started with ``-p grader.grading.mode --kata-grade job.json``.
This plugin adds that option and, once the kata plugin has built its state, swaps the target
under test for a :class:`~grader.grading.target.GradingTarget` (the submission in a sandboxed
worker). The test machinery (``grader.testing``) never imports the grading package; grading
depends on it, not the other way round.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from grader.grading.target import GradingTarget
from grader.testing.plugin import STATE_KEY


def pytest_addoption(parser):
    parser.getgroup("kata").addoption("--kata-grade", metavar="JOB", help=argparse.SUPPRESS)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    job = config.getoption("kata_grade")
    if not job:
        return
    state = config.stash[STATE_KEY]
    state.default = GradingTarget.from_job(state.manifest, Path(job), config)
    state.grading = True
