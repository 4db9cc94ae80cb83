"""The ``nbgrader_config.py`` that ``kata nbgrader`` writes (self-contained: it needs nbgrader,
not the kata, so the course folder can move to a JupyterHub server as it is)."""

from __future__ import annotations

from grader.nbgrader.names import BUNDLE, META

TEMPLATE = '''\
"""nbgrader configuration of the Deep Learning Foundations course (written by `kata nbgrader`).

Run nbgrader's commands in this folder; docs/nbgrader.md in the kata walks through them.
"""

import shutil
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = "deep-learning-foundations"

# One test cell runs one exercise's graded tests in a separate process, stopped after
# {time_limit:g} s; the kernel's per-cell timeout sits above that, so our limit acts first.
c.Execute.timeout = {cell_timeout}

# Our test cells report through their output and exceptions only, so whatever reaches stderr
# (warnings, library chatter) is noise: without this, any stderr output in a graded cell
# scores 0. nbgrader removes these stderr outputs from every cell during autograde.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\\s\\S]"


class KataClearSolutions(ClearSolutions):
    """nbgrader's ClearSolutions, writing each exercise's own stub instead of one generic stub.

    A solution cell made by the kata keeps, under metadata.{meta}.stubs, the stub lines of each
    fenced region in order (e.g. "# TODO(01.1): ..." and "raise NotImplementedError(...)"), so
    the released cell is exactly the kata's stub. Other cells get nbgrader's usual stub.
    """

    def _replace_solution_region(self, cell, language):
        stubs = cell.metadata.get("{meta}", {{}}).get("stubs")
        if cell.cell_type != "code" or not stubs:
            return super()._replace_solution_region(cell, language)
        lines, inside, count = [], False, 0
        for line in cell.source.split("\\n"):
            if self.begin_solution_delimeter in line:
                if inside or count >= len(stubs):
                    raise RuntimeError("unexpected BEGIN SOLUTION: " + repr(cell.source[:80]))
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(indent + stub for stub in stubs[count])
                count += 1
            elif self.end_solution_delimeter in line:
                inside = False
            elif not inside:
                lines.append(line)
        if inside:
            raise RuntimeError("no END SOLUTION in cell " + repr(cell.source[:80]))
        cell.source = "\\n".join(lines)
        return count > 0


c.GenerateAssignment.preprocessors = [
    KataClearSolutions if step is ClearSolutions else step
    for step in GenerateAssignment.class_traits()["preprocessors"].default()
]


def keep_hidden_tests_out_of_the_release(assignment, student, notebooks):
    """generate_assignment copies every file beside a notebook; hidden tests stay in source/
    (autograde copies them from there)."""
    for notebook in notebooks:
        source = Path(notebook).resolve().parent  # source/<assignment>
        release = source.parents[1] / "release" / source.name
        shutil.rmtree(release / "{bundle}" / "tests" / "hidden", ignore_errors=True)


c.GenerateAssignment.post_convert_hook = keep_hidden_tests_out_of_the_release


def keep_tests_out_of_feedback(assignment, student, notebooks):
    """generate_feedback copies every file beside a notebook; the graded tests stay out."""
    for notebook in notebooks:
        autograded = Path(notebook).resolve().parent  # autograded/<student>/<assignment>
        feedback = autograded.parents[2] / "feedback" / autograded.parent.name / autograded.name
        shutil.rmtree(feedback / "{bundle}", ignore_errors=True)


c.GenerateFeedback.post_convert_hook = keep_tests_out_of_feedback
'''


def config_text(time_limit: float, cell_timeout: int) -> str:
    return TEMPLATE.format(time_limit=time_limit, cell_timeout=cell_timeout, meta=META,
                           bundle=BUNDLE)
