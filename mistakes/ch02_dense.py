"""Chapter 02 mistakes: initializers and the dense layer as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch02_dense import INITIALIZERS
from solutions.core import Parameter


@mistake("02.1", "draws from NumPy's global generator instead of rng")
def init_small_normal(rng, n_inputs, n_neurons, scale=0.01):
    return scale * np.random.randn(n_inputs, n_neurons)


@mistake("02.1", "transposes the shape to (n_neurons, n_inputs)", cause="transpose")
def init_small_normal_transposed(rng, n_inputs, n_neurons, scale=0.01):
    return scale * rng.standard_normal((n_neurons, n_inputs))


@mistake("02.1", "ignores the scale argument")
def init_small_normal_fixed_scale(rng, n_inputs, n_neurons, scale=0.01):
    return 0.01 * rng.standard_normal((n_inputs, n_neurons))


@mistake("02.2", "draws from a normal with the uniform's limit as its std")
def init_xavier(rng, n_inputs, n_neurons):
    return np.sqrt(6.0 / (n_inputs + n_neurons)) * rng.standard_normal((n_inputs, n_neurons))


@mistake("02.2", "uses the fan-in only: a = sqrt(6 / n_inputs)")
def init_xavier_fan_in(rng, n_inputs, n_neurons):
    limit = np.sqrt(6.0 / n_inputs)
    return rng.uniform(-limit, limit, size=(n_inputs, n_neurons))


@mistake("02.2", "uses a fresh generator with a fixed seed, ignoring rng")
def init_xavier_own_rng(rng, n_inputs, n_neurons):
    limit = np.sqrt(6.0 / (n_inputs + n_neurons))
    return np.random.default_rng(0).uniform(-limit, limit, size=(n_inputs, n_neurons))


@mistake("02.3", "scales by the variance 2/n instead of the std sqrt(2/n)")
def init_he(rng, n_inputs, n_neurons):
    return (2.0 / n_inputs) * rng.standard_normal((n_inputs, n_neurons))


@mistake("02.3", "forgets ReLU's factor 2 (LeCun init, std sqrt(1/n))")
def init_he_lecun(rng, n_inputs, n_neurons):
    return np.sqrt(1.0 / n_inputs) * rng.standard_normal((n_inputs, n_neurons))


@mistake("02.3", "uses the fan-out n_neurons")
def init_he_fan_out(rng, n_inputs, n_neurons):
    return np.sqrt(2.0 / n_neurons) * rng.standard_normal((n_inputs, n_neurons))


@mistake("02.4", "forgets the bias", cause="bias")
def dense_forward(x, W, b):
    return x @ W, (x, W, b)


@mistake("02.4", "returns only the output, no cache")
def dense_forward_no_cache(x, W, b):
    return x @ W + b


@mistake("02.4", "multiplies by W.T, the chapter-01 layout", cause="transpose")
def dense_forward_transposed(x, W, b):
    return x @ W.T + b, (x, W, b)


@mistake("02.5", "stores W transposed as (n_neurons, n_inputs)", cause="transpose")
def __init__(self, n_inputs, n_neurons, rng, init="he"):
    self.W = Parameter(INITIALIZERS[init](rng, n_neurons, n_inputs))
    self.b = Parameter(np.zeros(n_neurons))


@mistake("02.5", "ignores the init argument and always uses He")
def dense_init_always_he(self, n_inputs, n_neurons, rng, init="he"):
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}")
    self.W = Parameter(INITIALIZERS["he"](rng, n_inputs, n_neurons))
    self.b = Parameter(np.zeros(n_neurons))


@mistake("02.5", "starts the biases at one", cause="bias")
def dense_init_bias_ones(self, n_inputs, n_neurons, rng, init="he"):
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}")
    self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))
    self.b = Parameter(np.ones(n_neurons))


@mistake("02.5", "lets an unknown init name fail with a bare KeyError")
def dense_init_no_check(self, n_inputs, n_neurons, rng, init="he"):
    self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))
    self.b = Parameter(np.zeros(n_neurons))


@mistake("02.3", "He-uniform instead of He-normal: U(-sqrt(6/n), sqrt(6/n)) has the same std")
def init_he_uniform(rng, n_inputs, n_neurons):
    limit = np.sqrt(6.0 / n_inputs)
    return rng.uniform(-limit, limit, size=(n_inputs, n_neurons))


@mistake("02.4", "keeps only the inputs in the cache, as NNFS's layer does (self.inputs)")
def dense_forward_cache_x_only(x, W, b):
    return x @ W + b, x


@mistake("02.4", "cache in the wrong order (W, x, b)")
def dense_forward_cache_order(x, W, b):
    return x @ W + b, (W, x, b)


@mistake("02.5", "biases of shape (1, n_neurons), as in NNFS", cause="shape")
def dense_init_bias_row(self, n_inputs, n_neurons, rng, init="he"):
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}")
    self.W = Parameter(INITIALIZERS[init](rng, n_inputs, n_neurons))
    self.b = Parameter(np.zeros((1, n_neurons)))


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("02.4", "returns float32 outputs for float64 inputs", cause="dtype")
def dense_forward_float32(x, W, b):
    return (x @ W + b).astype(np.float32), (x, W, b)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("02.4", "squeezes the output: one example (B = 1) comes back as (N,)")
def dense_forward_squeezed(x, W, b):
    return np.squeeze(x @ W + b), (x, W, b)
