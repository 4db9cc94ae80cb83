"""Each fingerprint recognises its mistake and stays quiet on unrelated errors."""

import numpy as np
import pytest

from grader.testing.fingerprints import diagnose

rng = np.random.default_rng(0)
EXPECTED = rng.normal(size=(4, 3))


@pytest.mark.parametrize("actual, phrase", [
    (EXPECTED * 4, "sum where a mean belongs"),
    (EXPECTED / 4, "divided by the batch size"),
    (-EXPECTED, "sign is flipped"),
    (EXPECTED * 2, "factor 2"),
    (EXPECTED + np.array([1.0, -2.0, 0.5]), "off by the same vector"),
    (EXPECTED.T, "shape is transposed"),
    (np.where(EXPECTED > 0, np.nan, EXPECTED), "NaN or inf"),
])
def test_fingerprint_names_the_mistake(actual, phrase):
    assert phrase in diagnose(actual, EXPECTED, batch_size=4)


def test_square_transpose():
    square = rng.normal(size=(3, 3))
    assert "transpose" in diagnose(square.T, square)


def test_random_error_gets_no_guess():
    assert diagnose(EXPECTED + rng.normal(size=(4, 3)), EXPECTED, batch_size=4) is None


def test_a_bias_is_named_only_when_the_call_had_one():
    wrong = EXPECTED + np.array([1.0, -2.0, 0.5])
    assert diagnose(wrong, EXPECTED).label == "pattern"
    found = diagnose(wrong, EXPECTED, context={"x": EXPECTED, "b": np.zeros(3)})
    assert found.label == "likely cause" and "bias" in found


def test_a_factor_alone_names_no_cause():
    """2x is a missing factor 2, a gradient assigned instead of added, or a batch of 2."""
    for factor in (2.0, 0.5, 3.0):
        found = diagnose(EXPECTED * factor, EXPECTED, batch_size=2)
        assert found.label == "pattern" and "likely" not in found


def test_forgetting_dout_is_named_from_the_call():
    dout = rng.normal(size=(4, 3))
    found = diagnose(EXPECTED, EXPECTED * dout, context={"dout": dout, "cache": None})
    assert found.label == "likely cause" and "multiply by dout" in found
    assert diagnose(EXPECTED, EXPECTED * 1.5, context={"dout": 1.5}).startswith("forgot")


def test_biased_vs_unbiased_variance_is_named_from_the_batch_size():
    x = rng.normal(size=(5, 3))
    found = diagnose(EXPECTED * np.sqrt(5 / 4), EXPECTED, context={"x": x})
    assert found.label == "likely cause" and "unbiased" in found
