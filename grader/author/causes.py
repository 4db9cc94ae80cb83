"""Causes a catalogued mistake can declare, and the phrase its failure message must contain.

``@mistake("03.2", "forgets dout", cause="dout")`` says: the message a learner sees for this
mistake (the first test that rejects it) should name "multiply by dout". ``kata verify`` counts
the mistakes whose cause is named, and reports a problem when the message guesses a *different*
cause (a "likely cause:" line without the declared phrase): a wrong guess misleads more than no
guess. Phrases are matched case-insensitively. Keep the vocabulary small; add a key only with a
checker or contract that really prints its phrase.
"""

from __future__ import annotations

CAUSES: dict[str, tuple[str, ...]] = {
    # key: phrases, any of which names the cause
    "dout": ("multiply by dout",),
    "eps-sqrt": ("square root",),
    "beta": ("(1 - beta)", "beta is not applied"),
    "variance": ("unbiased", "biased variance"),
    "factor": ("factor",),
    "sum-mean": ("a sum where a mean belongs", "summed", "instead of averag", "batch size",
                 "instead of taking the fraction"),
    "moving-average": ("(1 - beta)", "(1 - rho)", "(1 - momentum)", "moving average"),
    "bias-correction": ("bias correction", "bias-correct"),
    "accumulate": ("+=", "accumulat", "not overwrite"),
    "sign": ("sign is flipped", "minus sign"),
    "transpose": ("transpose",),
    "bias": ("bias",),
    "zeros": ("all zeros",),
    "overflow": ("overflow",),
    "shape": ("shape",),
    "in-place": ("in place",),
    "alias": ("shares memory", "itself"),
    "dtype": ("dtype",),
    "labels": ("labels",),
    "state": ("between calls",),
    "step-count": ("once per step",),
    "axis": ("axis",),
    "keepdims": ("keepdims",),
}

GUESS_MARKER = "likely cause:"


def unknown_causes(causes: tuple[str, ...]) -> list[str]:
    return [c for c in causes if c not in CAUSES]


def names_cause(message: str, cause: str) -> bool:
    text = message.lower()
    return any(phrase.lower() in text for phrase in CAUSES[cause])


def guesses(message: str) -> list[str]:
    """The "likely cause:" lines of a failure message."""
    return [line.strip() for line in message.splitlines() if GUESS_MARKER in line.lower()]


def judge(message: str, causes: tuple[str, ...]) -> str:
    """"named", "silent" (no cause shown) or "wrong" (a guess that names none of ``causes``)."""
    if any(names_cause(message, c) for c in causes):
        return "named"
    shown = guesses(message)
    if shown and not any(names_cause(g, c) for g in shown for c in causes):
        return "wrong"
    return "silent"
