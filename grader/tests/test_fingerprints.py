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
    (EXPECTED + np.array([1.0, -2.0, 0.5]), "error is in the bias"),
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
