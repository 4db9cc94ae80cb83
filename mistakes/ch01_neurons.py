"""Chapter 01 mistakes: what learners really write for one neuron, a layer and a batch."""

import numpy as np

from grader.author.mistakes import mistake


@mistake("01.1", "forgets to add the bias", cause="bias")
def neuron_output(inputs, weights, bias):
    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)
    if inputs.shape != weights.shape:
        raise ValueError(f"inputs {inputs.shape} and weights {weights.shape} differ")
    return float(np.dot(inputs, weights))


@mistake("01.1", "adds the bias to every product instead of once", cause="bias")
def neuron_output_bias_each(inputs, weights, bias):
    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)
    if inputs.shape != weights.shape:
        raise ValueError(f"inputs {inputs.shape} and weights {weights.shape} differ")
    return float(np.sum(inputs * weights + bias))


@mistake("01.1", "lets NumPy complain about mismatched shapes instead of a clear message")
def neuron_output_no_check(inputs, weights, bias):
    return float(np.dot(np.asarray(inputs, float), np.asarray(weights, float)) + bias)


@mistake("01.2", "multiplies by the transposed weights (only works when N == D)")
def layer_output(inputs, weights, biases):
    return np.asarray(inputs, float) @ np.asarray(weights, float) + np.asarray(biases, float)


@mistake("01.2", "forgets the biases", cause="bias")
def layer_output_no_bias(inputs, weights, biases):
    weights = np.asarray(weights, float)
    if weights.shape[1] != len(inputs) or len(biases) != weights.shape[0]:
        raise ValueError("weights or biases have the wrong shape")
    return weights @ inputs


@mistake("01.2", "no shape checks: a single bias silently broadcasts to every neuron")
def layer_output_no_check(inputs, weights, biases):
    return np.asarray(weights, float) @ np.asarray(inputs, float) + np.asarray(biases, float)


@mistake("01.3", "forgets the transpose and multiplies the weights from the wrong side", cause="transpose")
def batch_output(inputs, weights, biases):
    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)
    if inputs.ndim != 2 or weights.shape[1] != inputs.shape[1] or len(biases) != weights.shape[0]:
        raise ValueError("inputs, weights or biases have the wrong shape")
    return weights @ inputs.T + biases  # (N, B): examples end up in the columns


@mistake("01.3", "no check that inputs is 2-D: a single example slips through")
def batch_output_no_ndim_check(inputs, weights, biases):
    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)
    if weights.shape[1] != inputs.shape[-1]:
        raise ValueError(f"weights {weights.shape} do not match inputs {inputs.shape}")
    if len(biases) != weights.shape[0]:
        raise ValueError(f"biases must have {weights.shape[0]} entries")
    return inputs @ weights.T + biases


@mistake("01.3", "adds the biases along the batch axis", cause="bias")
def batch_output_bias_axis(inputs, weights, biases):
    inputs, weights = np.asarray(inputs, float), np.asarray(weights, float)
    if inputs.ndim != 2 or weights.shape[1] != inputs.shape[1] or len(biases) != weights.shape[0]:
        raise ValueError("inputs, weights or biases have the wrong shape")
    out = inputs @ weights.T
    return out + np.resize(np.asarray(biases, float), out.shape[0])[:, None]


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("01.2", "adds into the caller's biases in place and returns them", cause="in-place")
def layer_output_into_biases(inputs, weights, biases):
    biases += weights @ inputs
    return biases


@mistake("01.3", "computes in float32 to save memory: float64 inputs give a float32 result",
         cause="dtype")
def batch_output_float32(inputs, weights, biases):
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or inputs.shape[1] != weights.shape[1] or len(biases) != len(weights):
        raise ValueError(f"inputs {inputs.shape}, weights {weights.shape}, biases {np.shape(biases)}")
    return (inputs.astype(np.float32) @ weights.T.astype(np.float32) + biases).astype(np.float32)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("01.2", "squeezes the result: a layer of one neuron returns a scalar, not (1,)")
def layer_output_squeezed(inputs, weights, biases):
    inputs, weights, biases = (np.asarray(a, float) for a in (inputs, weights, biases))
    if weights.ndim != 2 or weights.shape[1] != inputs.shape[-1] or biases.shape != (weights.shape[0],):
        raise ValueError(f"weights {weights.shape} or biases {biases.shape} do not fit")
    return np.squeeze(weights @ inputs + biases)


@mistake("01.3", "squeezes the result: a batch of one example comes back as (N,), not (1, N)")
def batch_output_squeezed(inputs, weights, biases):
    inputs, weights, biases = (np.asarray(a, float) for a in (inputs, weights, biases))
    if inputs.ndim != 2:
        raise ValueError(f"inputs must be 2-D, got {inputs.shape}")
    if weights.ndim != 2 or weights.shape[1] != inputs.shape[1]:
        raise ValueError(f"weights must be (N, {inputs.shape[1]}), got {weights.shape}")
    if biases.shape != (weights.shape[0],):
        raise ValueError(f"biases must be ({weights.shape[0]},), got {biases.shape}")
    return (inputs @ weights.T + biases).squeeze()
