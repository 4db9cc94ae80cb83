"""Chapter 05 mistakes: backward passes and gradient checkers as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake


# ---------------------------------------------------------------- 05.1 dense_backward
@mistake("05.1", "dx = dout @ W without the transpose", cause="transpose")
def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)


@mistake("05.1", "dW = dout.T @ x: the (N, D) transpose of the gradient", cause="transpose")
def dense_backward_dW_transposed(dout, cache):
    x, W, b = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


@mistake("05.1", "db averaged over the batch instead of summed", cause="sum-mean")
def dense_backward_db_mean(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


@mistake("05.1", "db summed over the wrong axis (each example's outputs)", cause="axis")
def dense_backward_db_axis1(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


@mistake("05.1", "dW divided by the batch size (the loss already averaged)", cause="sum-mean")
def dense_backward_dW_mean(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout / len(x), dout.sum(axis=0)


# ---------------------------------------------------------------- 05.2 numerical_gradient
@mistake("05.2", "one-sided (forward) difference: (f(x + eps) - f(x)) / eps")
def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        grad[i] = (f(x) - base) / eps
        x[i] = saved
    return grad


@mistake("05.2", "divides the central difference by eps instead of 2 * eps", cause="factor")
def numerical_gradient_no_two(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        plus = f(x)
        x[i] = saved - eps
        minus = f(x)
        x[i] = saved
        grad[i] = (plus - minus) / eps
    return grad


@mistake("05.2", "never puts the entry back after the -eps evaluation")
def numerical_gradient_no_restore(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        plus = f(x)
        x[i] -= 2 * eps
        minus = f(x)
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@mistake("05.2", "perturbs the caller's array in place and leaves it shifted", cause="in-place")
def numerical_gradient_in_place(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        plus = f(x)
        x[i] -= 2 * eps
        minus = f(x)
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@mistake("05.2", "loops over range(len(x)), nudging whole rows of a 2-D x")
def numerical_gradient_rows(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        saved = x[i].copy()
        x[i] = saved + eps
        plus = f(x)
        x[i] = saved - eps
        minus = f(x)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@mistake("05.2", "ignores the eps argument and always uses 1e-6")
def numerical_gradient_fixed_eps(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    h = 1e-6
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        plus = f(x)
        x[i] = saved - h
        minus = f(x)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * h)
    return grad


# ---------------------------------------------------------------- 05.3 Dense.backward
@mistake("05.3", "assigns the gradients (=) instead of accumulating (+=)", cause="accumulate")
def backward(self, dout):
    x, W, b = self.cache
    self.W.grad = x.T @ dout
    self.b.grad = dout.sum(axis=0)
    return dout @ W.T


@mistake("05.3", "forgets the bias gradient", cause="bias")
def dense_backward_no_db(self, dout):
    x, W, b = self.cache
    self.W.grad += x.T @ dout
    return dout @ W.T


@mistake("05.3", "returns dW instead of dx")
def dense_backward_returns_dW(self, dout):
    x, W, b = self.cache
    self.W.grad += x.T @ dout
    self.b.grad += dout.sum(axis=0)
    return x.T @ dout


# ---------------------------------------------------------------- 05.4 MLP.forward
@mistake("05.4", "forgets the ReLU: two dense layers collapse into one linear map")
def forward(self, x):
    return self.dense2.forward(self.dense1.forward(x))


@mistake("05.4", "applies a ReLU after the output layer too")
def mlp_forward_relu_on_logits(self, x):
    h = self.relu.forward(self.dense1.forward(x))
    return np.maximum(self.dense2.forward(h), 0.0)


@mistake("05.4", "applies the ReLU to the input, before dense1")
def mlp_forward_relu_first(self, x):
    return self.dense2.forward(self.dense1.forward(self.relu.forward(x)))


@mistake("05.4", "applies np.maximum itself instead of self.relu: relu.backward has no cache")
def mlp_forward_bare_maximum(self, x):
    return self.dense2.forward(np.maximum(self.dense1.forward(x), 0.0))


@mistake("05.4", "writes the maths out with the weights, bypassing the layers' forward (no caches)")
def mlp_forward_by_hand(self, x):
    h = np.maximum(x @ self.dense1.W.data + self.dense1.b.data, 0.0)
    return h @ self.dense2.W.data + self.dense2.b.data


# ---------------------------------------------------------------- 05.5 MLP.backward
@mistake("05.5", "skips the ReLU on the way back")
def mlp_backward_no_relu(self, dlogits):
    return self.dense1.backward(self.dense2.backward(dlogits))


@mistake("05.5", "applies ReLU to the gradient instead of masking by the forward input")
def mlp_backward_relu_of_gradient(self, dlogits):
    return self.dense1.backward(np.maximum(self.dense2.backward(dlogits), 0.0))


@mistake("05.5", "zeroes the gradients at the start of backward", cause="accumulate")
def mlp_backward_zero_grad(self, dlogits):
    self.zero_grad()
    return self.dense1.backward(self.relu.backward(self.dense2.backward(dlogits)))


@mistake("05.5", "returns the hidden gradient, stopping before dense1")
def mlp_backward_stops_early(self, dlogits):
    dh = self.relu.backward(self.dense2.backward(dlogits))
    self.dense1.backward(dh)
    return dh


@mistake("05.2", "copies x keeping its dtype: an integer x cannot hold x + eps")
def numerical_gradient_keeps_dtype(f, x, eps=1e-6):
    x_work = np.array(x)
    grad = np.zeros(x_work.shape)
    for i in np.ndindex(x_work.shape):
        saved = x_work[i]
        x_work[i] = saved + eps
        f_plus = f(x_work)
        x_work[i] = saved - eps
        f_minus = f(x_work)
        x_work[i] = saved
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("05.1", "clears the cache after use to save memory (x.fill(0)): the caller's x is gone",
         cause="in-place")
def dense_backward_clears_cache(dout, cache):
    x, W, b = cache
    dx, dW, db = dout @ W.T, x.T @ dout, dout.sum(axis=0)
    x.fill(0.0)
    return dx, dW, db


@mistake("05.1", "returns float32 weight gradients", cause="dtype")
def dense_backward_float32(dout, cache):
    x, W, b = cache
    return dout @ W.T, (x.T @ dout).astype(np.float32), dout.sum(axis=0)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("05.1", "squeezes dx: one example (B = 1) comes back as (D,)")
def dense_backward_squeezed(dout, cache):
    x, W, b = cache
    return np.squeeze(dout @ W.T), x.T @ dout, dout.sum(axis=0)


@mistake("05.1", "db with keepdims=True, as in NNFS: (1, N) instead of the shape of b")
def dense_backward_db_keepdims(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, np.sum(dout, axis=0, keepdims=True)


@mistake("05.3", "starts each backward from fresh zeros: gradients left by an earlier use are lost")
def backward_fresh_zeros(self, dout):
    x, W, b = self.cache
    if getattr(self, "_last_cache", None) is not self.cache:
        self.W.grad = np.zeros_like(self.W.data)
        self.b.grad = np.zeros_like(self.b.data)
        self._last_cache = self.cache
    self.W.grad += x.T @ dout
    self.b.grad += dout.sum(axis=0)
    return dout @ W.T


@mistake("05.2", "sizes the result with np.zeros(len(x)): a 0-d x has no length")
def numerical_gradient_len(f, x, eps=1e-6):
    x_work = np.array(x, dtype=np.float64)
    grad = np.zeros(len(x_work)) if x_work.ndim == 1 else np.zeros_like(x_work)
    for i in np.ndindex(x_work.shape):
        saved = x_work[i]
        x_work[i] = saved + eps
        plus = f(x_work)
        x_work[i] = saved - eps
        minus = f(x_work)
        x_work[i] = saved
        grad[i] = (plus - minus) / (2.0 * eps)
    return grad if x_work.ndim else grad.reshape(1)


@mistake("05.3", "returns dx squeezed: one example (B = 1) comes back as (D,)")
def dense_backward_layer_squeezed(self, dout):
    x, W, b = self.cache
    self.W.grad += x.T @ dout
    self.b.grad += dout.sum(axis=0)
    return np.squeeze(dout @ W.T)
