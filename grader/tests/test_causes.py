"""Declared causes of catalogued mistakes: named, silent, or wrongly guessed."""

import pytest

from grader.author.causes import CAUSES, judge
from grader.author.mistakes import mistake

NAMED = ("03.2 ReLU backward: relu_backward is wrong\n"
         "  likely cause: forgot to multiply by dout: the result is exactly the gradient for dout = 1")
WRONG = ("04.11 Softmax cross-entropy backward: dlogits is wrong\n"
         "  likely cause: every example is off by the same vector, and the call has a bias")
PATTERN = ("05.3 Dense layer with backward: W.grad is wrong\n"
           "  pattern: every entry is exactly 0.5x the expected value")


def test_a_message_naming_the_cause_counts_as_named():
    assert judge(NAMED, ("dout",)) == "named"


def test_a_guess_at_another_cause_is_wrong():
    assert judge(WRONG, ("in-place",)) == "wrong"


def test_a_pattern_without_a_guess_is_silent_not_wrong():
    assert judge(PATTERN, ("accumulate",)) == "silent"


def test_a_contract_failure_names_its_cause():
    text = "10.3 Running statistics update: update_running_stats changed its argument `x` in place"
    assert judge(text, ("in-place",)) == "named"


def test_unknown_causes_are_refused_when_the_mistake_is_declared():
    with pytest.raises(ValueError, match="unknown cause"):
        mistake("01.1", "x", cause="typo")
    assert "dout" in CAUSES and "eps-sqrt" in CAUSES
