"""Shared by the PyTorch cross-checks: float64 leaves, vector-Jacobian products, comparisons.

Imported by test modules that have already skipped themselves when torch is missing.
"""

import numpy as np
import torch


def tensor(a):
    """A float64 leaf that records its gradient."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=True)


def torch_grads(out, dout, *leaves):
    """Gradients of sum(out * dout) with respect to ``leaves``, as NumPy arrays."""
    grads = torch.autograd.grad(out, leaves, grad_outputs=torch.tensor(dout, dtype=torch.float64))
    return [g.detach().numpy() for g in grads]


def assert_close(mine, theirs, what, rtol, atol):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol, err_msg=what)
