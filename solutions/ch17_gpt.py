"""Chapter 17 - GPT: a language model that trains, and talks.

A GPT (Radford et al., 2018, 2019) maps token ids (B, T) to next-token logits (B, T, V):

    x = tok_emb(ids) + pos_emb[:T]        (B, T, C)    learned positions (chapter 13)
    x = block_n(... block_1(x, causal))   (B, T, C)    chapter 16, causal mask (chapter 14)
    logits = ln_f(x) @ W_head             (B, T, V)    W_head: (C, V), or tok_emb.W.T if tied

Weight tying (Press & Wolf, 2017) reuses the embedding table as the output layer; the table
then receives two gradients, one per use, and they add. Training minimizes the mean
cross-entropy of each next token, with ``ignore_index`` marking targets that do not count.
Around the model: global-norm gradient clipping, a warmup + cosine learning-rate schedule
(Loshchilov & Hutter, 2017), sampling (temperature, top-k), and a key/value cache that makes
each generated token cost one position instead of the whole sequence.
"""

from __future__ import annotations

import math

import numpy as np

from .ch06_optimizers import Adam  # noqa: F401 - re-exported for train_step's callers
from .ch11_layernorm import LayerNorm, layernorm_forward
from .ch13_embeddings import Embedding, PositionalEmbedding
from .ch14_attention import attention_forward, causal_mask
from .ch15_multihead_attention import merge_heads, split_heads
from .ch16_transformer_block import TransformerBlock, ffn_forward
from .core import Module, Parameter

IGNORE_INDEX = -100  # PyTorch's default for cross_entropy


def sequence_ce_forward(logits: np.ndarray, targets: np.ndarray,
                        ignore_index: int = IGNORE_INDEX) -> tuple[float, tuple]:
    """Mean next-token cross-entropy over the positions whose target is not ``ignore_index``.
    logits: (B, T, V)   targets: (B, T) ints in [0, V) or ignore_index
    loss = -(1/N) * sum over counted (b, t) of log softmax(logits[b, t])[targets[b, t]],
    N = number of counted positions (loss 0.0 when N = 0). returns (loss: float, cache).

    >>> round(sequence_ce_forward(np.zeros((1, 2, 4)), np.array([[3, -100]]))[0], 4)   # ln 4
    1.3863
    """
    ### BEGIN SOLUTION
    counted = targets != ignore_index                                   # (B, T)
    n = max(int(counted.sum()), 1)
    shifted = logits - logits.max(axis=-1, keepdims=True)               # no overflow in exp
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    safe = np.where(counted, targets, 0)                                # a valid index everywhere
    picked = np.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]   # (B, T)
    loss = -float((picked * counted).sum()) / n
    return loss, (np.exp(log_probs), safe, counted, n)
    ### END SOLUTION


def sequence_ce_backward(dloss: float, cache: tuple) -> np.ndarray:
    """dlogits: (B, T, V) = dloss * (softmax(logits) - one_hot(targets)) / N on counted
    positions, and 0 on ignored ones (they never entered the loss).

    >>> probs = np.full((1, 1, 2), 0.5)
    >>> sequence_ce_backward(1.0, (probs, np.array([[1]]), np.array([[True]]), 1))
    array([[[ 0.5, -0.5]]])
    """
    probs, safe, counted, n = cache
    ### BEGIN SOLUTION
    dlogits = probs.copy()
    at_target = np.take_along_axis(probs, safe[..., None], axis=-1)        # (B, T, 1)
    np.put_along_axis(dlogits, safe[..., None], at_target - 1.0, axis=-1)
    return dlogits * counted[..., None] * (dloss / n)          # ignored rows: exactly 0
    ### END SOLUTION


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Global-norm clipping (Pascanu et al., 2013; torch.nn.utils.clip_grad_norm_):
        total = sqrt(sum over EVERY array g of sum(g^2))
        scale = min(1, max_norm / (total + 1e-6));   each g -> g * scale
    All arrays share one scale, so the update keeps its direction. returns (clipped, total).

    >>> clip_grad_norm([np.array([3.0]), np.array([4.0])], 1.0)[1]
    5.0
    """
    ### BEGIN SOLUTION
    total = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], total
    ### END SOLUTION


def lr_schedule(step: int, max_lr: float, warmup_steps: int, total_steps: int,
                min_lr: float = 0.0) -> float:
    """Learning rate for optimizer step ``step`` = 0, 1, 2, ...
        step < warmup_steps:   max_lr * (step + 1) / warmup_steps      (linear; never 0)
        otherwise:             p = (step - warmup_steps) / (total_steps - warmup_steps), capped at 1
                               min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * p))

    >>> [lr_schedule(s, 1.0, 2, 4) for s in range(5)]
    [0.5, 1.0, 1.0, 0.5, 0.0]
    """
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))
    ### END SOLUTION


class GPT(Module):
    """Provided constructor. tok_emb (V, C), pos_emb (block_size, C), blocks, ln_f, and the head
    W_head (C, V), which is None when tie_weights (the head is then tok_emb.W.T)."""

    def __init__(self, vocab_size: int, block_size: int, dim: int, n_heads: int, n_layers: int,
                 rng: np.random.Generator, hidden: int | None = None, dropout: float = 0.0,
                 tie_weights: bool = False, dtype=np.float64):
        self.block_size = block_size
        self.tok_emb = Embedding(vocab_size, dim, rng)
        self.pos_emb = PositionalEmbedding(block_size, dim, rng)
        self.blocks = [TransformerBlock(dim, n_heads, rng, hidden, dropout)
                       for _ in range(n_layers)]
        self.ln_f = LayerNorm(dim)
        self.W_head = (None if tie_weights
                       else Parameter(0.02 * rng.standard_normal((dim, vocab_size))))
        self.to_dtype(dtype)

    def head_weight(self) -> np.ndarray:
        """(C, V): the output layer's weight, shared with the embedding table when tied."""
        return self.tok_emb.W.data.T if self.W_head is None else self.W_head.data

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """ids: (B, T) ints, T <= block_size -> logits: (B, T, V). Keep ln_f's output in
        ``self.x_f`` (B, T, C): the head's backward needs it.

        >>> GPT(5, 4, 8, 2, 1, np.random.default_rng(0)).forward(np.array([[1, 2, 3]])).shape
        (1, 3, 5)
        """
        if ids.ndim != 2 or ids.shape[1] > self.block_size:
            raise ValueError(f"ids must be (B, T) with T <= block_size = {self.block_size}, "
                             f"got {ids.shape}")
        ### BEGIN SOLUTION
        x = self.pos_emb.forward(self.tok_emb.forward(ids))      # (B, T, C)
        mask = causal_mask(ids.shape[1])
        for block in self.blocks:
            x = block.forward(x, mask)
        self.x_f = self.ln_f.forward(x)                          # (B, T, C)
        return self.x_f @ self.head_weight()                     # (B, T, V)
        ### END SOLUTION

    def backward(self, dlogits: np.ndarray) -> None:
        """dlogits: (B, T, V). Adds every parameter's gradient into its .grad; returns None.
        With tied weights, tok_emb.W.grad receives the head's dW_head.T AND the embedding's own.

        >>> model = GPT(5, 4, 8, 2, 1, np.random.default_rng(0))
        >>> model.backward(np.ones(model.forward(np.array([[1, 2]])).shape))
        >>> model.W_head.grad.shape
        (8, 5)
        """
        ### BEGIN SOLUTION
        C, V = self.head_weight().shape
        dW_head = self.x_f.reshape(-1, C).T @ dlogits.reshape(-1, V)    # (C, V), sums over B, T
        if self.W_head is None:
            self.tok_emb.W.grad = self.tok_emb.W.grad + dW_head.T       # path 1 of 2
        else:
            self.W_head.grad = self.W_head.grad + dW_head
        dx = self.ln_f.backward(dlogits @ self.head_weight().T)         # (B, T, C)
        for block in reversed(self.blocks):
            dx = block.backward(dx)
        self.tok_emb.backward(self.pos_emb.backward(dx))                # path 2 accumulates
        ### END SOLUTION

    def decode_step(self, ids_t: np.ndarray, cache: dict | None = None) -> tuple[np.ndarray, dict]:
        """One new token per row, ids_t: (B,), at position pos = cache["pos"] (0 if cache is None).
        returns (logits: (B, V), new cache {"pos": pos + 1, "k": [...], "v": [...]}), one (B, H,
        pos + 1, Dh) key and value array per block; equal to forward(all tokens so far)[:, -1].
        Eval mode (no dropout); calls kernels only, so no module's cache changes.

        >>> model = GPT(5, 4, 8, 2, 1, np.random.default_rng(0))
        >>> logits, cache = model.decode_step(np.array([1]))
        >>> logits.shape, cache["pos"], cache["k"][0].shape
        ((1, 5), 1, (1, 2, 1, 4))
        """
        pos = 0 if cache is None else cache["pos"]
        if pos >= self.block_size:
            raise ValueError(f"decode_step: position {pos} is past block_size = {self.block_size}")
        ### BEGIN SOLUTION
        x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[pos])[:, None, :]   # (B, 1, C)
        keys, values = [], []
        for i, block in enumerate(self.blocks):
            past = (None, None) if cache is None else (cache["k"][i], cache["v"][i])
            x, k, v = block_step(block, x, *past)
            keys.append(k)
            values.append(v)
        x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data)[0]  # (B, C)
        logits = x_f @ self.head_weight()                                        # (B, V)
        return logits, {"pos": pos + 1, "k": keys, "v": values}
        ### END SOLUTION


def block_step(block: TransformerBlock, x: np.ndarray, k_past: np.ndarray | None,
               v_past: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block on the newest position only. x: (B, 1, C); k_past, v_past: (B, H, t, Dh) or None.
    Appends this position's key and value (computed from ln1(x), like in MHA) along the time
    axis, lets its query attend to all t + 1 of them (no mask: all are in the past), and applies
    the output projection, the residuals and the FFN as TransformerBlock.forward does. Use
    the kernels (layernorm_forward, ffn_forward), not the modules: a module's forward would
    overwrite the cache that its backward needs.
    returns (out: (B, 1, C), k: (B, H, t + 1, Dh), v: (B, H, t + 1, Dh)).

    >>> block = TransformerBlock(4, 2, np.random.default_rng(0))
    >>> [a.shape for a in block_step(block, np.ones((1, 1, 4)), None, None)]
    [(1, 1, 4), (1, 2, 1, 2), (1, 2, 1, 2)]
    """
    ### BEGIN SOLUTION
    a, H = block.attn, block.n_heads
    h = layernorm_forward(x, block.ln1.gamma.data, block.ln1.beta.data)[0]    # (B, 1, C)
    q = split_heads(h @ a.Wq.data + a.bq.data, H)                             # (B, H, 1, Dh)
    k = split_heads(h @ a.Wk.data + a.bk.data, H)
    v = split_heads(h @ a.Wv.data + a.bv.data, H)
    if k_past is not None:
        k = np.concatenate([k_past, k], axis=2)                               # (B, H, t + 1, Dh)
        v = np.concatenate([v_past, v], axis=2)
    attended, _ = attention_forward(q, k, v)                                  # (B, H, 1, Dh)
    x = x + merge_heads(attended) @ a.Wo.data + a.bo.data                     # (B, 1, C)
    h = layernorm_forward(x, block.ln2.gamma.data, block.ln2.beta.data)[0]
    f = block.ffn
    return x + ffn_forward(h, f.W1.data, f.b1.data, f.W2.data, f.b2.data)[0], k, v
    ### END SOLUTION


def sample_next(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0,
                top_k: int | None = None) -> np.ndarray:
    """Next token per row from logits: (B, V) -> (B,) ints.
    temperature == 0: greedy argmax, no draw. Otherwise divide the LOGITS by temperature, keep
    the top_k largest per row (logits below the k-th largest -> -inf; ties with it stay), and
    draw from softmax of what is left with ``rng``.

    top_k must lie in 1..V (None keeps every token); a bad value is a ValueError.

    >>> sample_next(np.array([[0.0, 3.0, 1.0]]), np.random.default_rng(0), temperature=0.0)
    array([1])
    """
    if top_k is not None and not 1 <= top_k <= logits.shape[-1]:
        raise ValueError(f"top_k must be None or between 1 and V = {logits.shape[-1]}, got {top_k}")
    ### BEGIN SOLUTION
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits.astype(np.float64) / temperature
    if top_k is not None:
        kth = np.sort(z, axis=-1)[:, -top_k][:, None]                  # (B, 1) k-th largest
        z = np.where(z < kth, -np.inf, z)
    cdf = np.cumsum(np.exp(z - z.max(axis=-1, keepdims=True)), axis=-1)   # (B, V), unnormalized
    u = rng.random((z.shape[0], 1)) * cdf[:, -1:]                       # u < total: always a token
    return (cdf <= u).sum(axis=-1)                                      # first index with cdf > u
    ### END SOLUTION


def generate(model: GPT, ids: np.ndarray, n_new: int, rng: np.random.Generator,
             temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Continue the prompts ids: (B, T0) by n_new tokens -> (B, T0 + n_new), using
    model.decode_step (the KV cache: feed the prompt one position at a time, then each sampled
    token) and sample_next. The last new token is never fed back, so T0 + n_new - 1 must not
    exceed model.block_size.

    >>> generate(GPT(5, 4, 8, 2, 1, np.random.default_rng(0)), np.array([[1]]), 2,
    ...          np.random.default_rng(0)).shape
    (1, 3)
    """
    if ids.shape[1] < 1 or ids.shape[1] + n_new - 1 > model.block_size:
        raise ValueError(f"generate: need 1 <= T0 and T0 + n_new - 1 <= block_size = "
                         f"{model.block_size}, got T0 = {ids.shape[1]}, n_new = {n_new}")
    ### BEGIN SOLUTION
    cache = None
    for t in range(ids.shape[1]):
        logits, cache = model.decode_step(ids[:, t], cache)
    out = [ids]
    for i in range(n_new):
        token = sample_next(logits, rng, temperature, top_k)           # (B,)
        out.append(token[:, None])
        if i + 1 < n_new:
            logits, cache = model.decode_step(token, cache)
    return np.concatenate(out, axis=1)
    ### END SOLUTION


def train_step(model: GPT, optimizer, ids: np.ndarray, targets: np.ndarray, max_norm: float = 1.0,
               lr: float | None = None) -> float:
    """Provided: one update (loss, backward, global clipping, optimizer step); returns the loss.
    ``optimizer`` is chapter 06's (e.g. Adam(model.parameters())); ``lr`` overrides its rate."""
    model.zero_grad()
    loss, cache = sequence_ce_forward(model.forward(ids), targets)
    model.backward(sequence_ce_backward(1.0, cache))
    params = model.parameters()
    clipped, _ = clip_grad_norm([p.grad for p in params], max_norm)
    for p, g in zip(params, clipped):
        p.grad = g
    if lr is not None:
        optimizer.lr = lr
    optimizer.step()
    return loss
