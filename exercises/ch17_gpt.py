# Chapter 17: GPT. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch17_gpt.py.)
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
    # TODO(17.1): Sequence cross-entropy forward. Stuck? `kata hint 17.1`
    raise NotImplementedError("Exercise 17.1: sequence_ce_forward is not written yet")


def sequence_ce_backward(dloss: float, cache: tuple) -> np.ndarray:
    """dlogits: (B, T, V) = dloss * (softmax(logits) - one_hot(targets)) / N on counted
    positions, and 0 on ignored ones (they never entered the loss).

    >>> probs = np.full((1, 1, 2), 0.5)
    >>> sequence_ce_backward(1.0, (probs, np.array([[1]]), np.array([[True]]), 1))
    array([[[ 0.5, -0.5]]])
    """
    probs, safe, counted, n = cache
    # TODO(17.2): Sequence cross-entropy backward. Stuck? `kata hint 17.2`
    raise NotImplementedError("Exercise 17.2: sequence_ce_backward is not written yet")


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Global-norm clipping (Pascanu et al., 2013; torch.nn.utils.clip_grad_norm_):
        total = sqrt(sum over EVERY array g of sum(g^2))
        scale = min(1, max_norm / (total + 1e-6));   each g -> g * scale
    All arrays share one scale, so the update keeps its direction. returns (clipped, total).

    >>> clip_grad_norm([np.array([3.0]), np.array([4.0])], 1.0)[1]
    5.0
    """
    # TODO(17.3): Global-norm gradient clipping. Stuck? `kata hint 17.3`
    raise NotImplementedError("Exercise 17.3: clip_grad_norm is not written yet")


def lr_schedule(step: int, max_lr: float, warmup_steps: int, total_steps: int,
                min_lr: float = 0.0) -> float:
    """Learning rate for optimizer step ``step`` = 0, 1, 2, ...
        step < warmup_steps:   max_lr * (step + 1) / warmup_steps      (linear; never 0)
        otherwise:             p = (step - warmup_steps) / (total_steps - warmup_steps), capped at 1
                               min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * p))

    >>> [lr_schedule(s, 1.0, 2, 4) for s in range(5)]
    [0.5, 1.0, 1.0, 0.5, 0.0]
    """
    # TODO(17.4): Warmup + cosine learning-rate schedule. Stuck? `kata hint 17.4`
    raise NotImplementedError("Exercise 17.4: lr_schedule is not written yet")


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
        # TODO(17.5): GPT forward. Stuck? `kata hint 17.5`
        raise NotImplementedError("Exercise 17.5: GPT.forward is not written yet")

    def backward(self, dlogits: np.ndarray) -> None:
        """dlogits: (B, T, V). Adds every parameter's gradient into its .grad; returns None.
        With tied weights, tok_emb.W.grad receives the head's dW_head.T AND the embedding's own.

        >>> model = GPT(5, 4, 8, 2, 1, np.random.default_rng(0))
        >>> model.backward(np.ones(model.forward(np.array([[1, 2]])).shape))
        >>> model.W_head.grad.shape
        (8, 5)
        """
        # TODO(17.6): GPT backward (with tied weights). Stuck? `kata hint 17.6`
        raise NotImplementedError("Exercise 17.6: GPT.backward is not written yet")

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
        # TODO(17.9): GPT decode step. Stuck? `kata hint 17.9`
        raise NotImplementedError("Exercise 17.9: GPT.decode_step is not written yet")


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
    # TODO(17.8): One block step with a key/value cache. Stuck? `kata hint 17.8`
    raise NotImplementedError("Exercise 17.8: block_step is not written yet")


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
    # TODO(17.7): Sampling: temperature and top-k. Stuck? `kata hint 17.7`
    raise NotImplementedError("Exercise 17.7: sample_next is not written yet")


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
    # TODO(17.10): Generation with the KV cache. Stuck? `kata hint 17.10`
    raise NotImplementedError("Exercise 17.10: generate is not written yet")


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
