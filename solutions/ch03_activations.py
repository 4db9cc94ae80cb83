"""Chapter 03 - Activation functions, forward and backward ("Neural Networks from Scratch", ch. 4, 9).

API (every kernel works elementwise on any shape, softmax on the last axis):

    relu_forward(x)    -> (out, cache)     relu_backward(dout, cache)    -> dx
    sigmoid_forward(x) -> (out, cache)     sigmoid_backward(dout, cache) -> dx
    tanh_forward(x)    -> (out, cache)     tanh_backward(dout, cache)    -> dx
    linear_forward(x)  -> (out, cache)     linear_backward(dout, cache)  -> dx
    softmax_forward(x) -> (probs, cache)   softmax_backward(dout, cache) -> dx
    Modules (provided): ReLU, Sigmoid, Tanh, Softmax with forward(x) and backward(dout).

Without a nonlinearity between them, stacked dense layers collapse into one linear map. A backward
pass receives dout = dL/dout (same shape as out) and returns dx = dL/dx by the chain rule. For an
elementwise f that is dx = dout * f'(x): the Jacobian is diagonal, so we never build it.
No kernel changes its arguments in place, and none returns one of them (or a view of one): x and
dout belong to the caller, who may use them again. The test machinery checks both on every call.
"""

from __future__ import annotations

import numpy as np

from .core import Module


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(x, 0) elementwise. x: any shape. cache = x (backward needs to know where x > 0).

    Return a new array: never modify the caller's x in place.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))[0]
    array([0., 0., 2.])
    """
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    return out, x
    ### END SOLUTION


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * (x > 0), with x = cache. At x == 0 we take the derivative to be 0 (as NNFS does).

    >>> relu_backward(np.array([10.0, 10.0, 10.0]), np.array([-1.0, 0.0, 2.0]))
    array([ 0.,  0., 10.])
    """
    ### BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    ### END SOLUTION


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = sigmoid(x) = 1 / (1 + exp(-x)), computed without overflow. cache = out.

    exp(-x) overflows for x < -709 and exp(x) for x > 709. With z = exp(-|x|), which is always in
    (0, 1], both halves are safe:  x >= 0: 1 / (1 + z)   and   x < 0: z / (1 + z).
    (np.where evaluates BOTH of its branches, so each branch must be safe everywhere.)

    >>> sigmoid_forward(np.array([-1000.0, 0.0, 1000.0]))[0]
    array([0. , 0.5, 1. ])
    """
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return out, out
    ### END SOLUTION


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * out * (1 - out), with out = cache = sigmoid(x): the derivative from the output.

    >>> out, cache = sigmoid_forward(np.array([0.0]))
    >>> sigmoid_backward(np.array([1.0]), cache)
    array([0.25])
    """
    ### BEGIN SOLUTION
    out = cache
    return dout * out * (1.0 - out)
    ### END SOLUTION


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), finite for all x. cache = out.

    Note tanh(x) = 2 * sigmoid(2 x) - 1. The textbook quotient overflows to inf / inf = NaN for
    |x| > 710; np.tanh does not.

    >>> tanh_forward(np.array([-1000.0, 0.0, 1000.0]))[0]
    array([-1.,  0.,  1.])
    """
    ### BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    ### END SOLUTION


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * (1 - out**2), with out = cache = tanh(x).

    >>> out, cache = tanh_forward(np.array([0.0, 1000.0]))
    >>> tanh_backward(np.array([2.0, 2.0]), cache)
    array([2., 0.])
    """
    ### BEGIN SOLUTION
    out = cache
    return dout * (1.0 - out ** 2)
    ### END SOLUTION


def linear_forward(x: np.ndarray) -> tuple[np.ndarray, None]:
    """The identity activation (regression outputs, NNFS ch. 17): out = x, cache = None.

    out is a new array equal to x (x.copy()), not x itself: no kernel returns one of its
    arguments, so a caller who later changes out in place cannot change x with it.

    >>> linear_forward(np.array([-1.5, 2.0]))[0]
    array([-1.5,  2. ])
    """
    ### BEGIN SOLUTION
    return x.copy(), None
    ### END SOLUTION


def linear_backward(dout: np.ndarray, cache: None) -> np.ndarray:
    """d(out)/dx = 1, so dx = dout * 1 = dout (a copy, so callers may modify it freely).

    >>> linear_backward(np.array([0.5, -3.0]), None)
    array([ 0.5, -3. ])
    """
    ### BEGIN SOLUTION
    return dout.copy()
    ### END SOLUTION


def softmax_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """probs[..., k] = exp(x[..., k]) / sum_j exp(x[..., j]) over the LAST axis. cache = probs.

    x: (B, K) class scores, or any (..., K). Subtracting the row maximum first changes nothing
    (the factor exp(-max) cancels) but keeps every exponent <= 0, so exp cannot overflow.

    >>> softmax_forward(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))[0]
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=-1, keepdims=True)  # (..., K), each row's largest entry is 0
    e = np.exp(shifted)
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs, probs
    ### END SOLUTION


def softmax_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product through softmax. dout, probs = cache: (..., K) -> dx: (..., K).

    Per row the Jacobian is J[i, j] = dprobs_i/dx_j = probs_i * (delta_ij - probs_j), so
        dx_j = sum_i dout_i * J[i, j] = probs_j * (dout_j - sum_i dout_i * probs_i).
    One multiply and one row sum: the (K, K) Jacobian is never built, and no loop over rows.

    >>> probs, cache = softmax_forward(np.array([[1.0, 2.0, 3.0]]))
    >>> softmax_backward(np.array([[1.0, 1.0, 1.0]]), cache)
    array([[0., 0., 0.]])
    """
    ### BEGIN SOLUTION
    probs = cache
    weighted = np.sum(dout * probs, axis=-1, keepdims=True)  # (..., 1)
    return probs * (dout - weighted)
    ### END SOLUTION


# Provided thin modules (not exercises). They call the kernels by name at run time, so they
# always use whatever relu_forward etc. this module holds (yours, once you have written them).
class ReLU(Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = relu_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return relu_backward(dout, self.cache)


class Sigmoid(Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = sigmoid_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return sigmoid_backward(dout, self.cache)


class Tanh(Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = tanh_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return tanh_backward(dout, self.cache)


class Softmax(Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = softmax_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return softmax_backward(dout, self.cache)
