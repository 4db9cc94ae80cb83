"""Chapter 17 mistakes: the GPT, its loss, training helpers and decoding, as learners get them wrong."""

import math

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch11_layernorm import layernorm_forward
from solutions.ch14_attention import attention_forward, causal_mask
from solutions.ch15_multihead_attention import merge_heads, split_heads
from solutions.ch16_transformer_block import ffn_forward
from solutions.ch17_gpt import block_step as reference_block_step
from solutions.ch17_gpt import sequence_ce_forward as reference_ce_forward


# ---------------------------------------------------------------- 17.1 / 17.2 sequence CE
@mistake("17.1", "ignored positions counted in the mean (divides by B * T)")
def sequence_ce_forward(logits, targets, ignore_index=-100):
    loss, (probs, safe, counted, n) = reference_ce_forward(logits, targets, ignore_index)
    return loss * n / counted.size, (probs, safe, counted, counted.size)


@mistake("17.1", "no max-subtraction: exp overflows at large logits")
def sequence_ce_forward_unstable(logits, targets, ignore_index=-100):
    counted = targets != ignore_index
    n = max(int(counted.sum()), 1)
    with np.errstate(over="ignore", invalid="ignore"):
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    safe = np.where(counted, targets, 0)
    picked = np.take_along_axis(probs, safe[..., None], -1)[..., 0]
    return -float((np.log(picked) * counted).sum()) / n, (probs, safe, counted, n)


@mistake("17.1", "ignore_index never used: padding targets wrap around to the last class")
def sequence_ce_forward_no_ignore(logits, targets, ignore_index=-100):
    safe = np.mod(targets, logits.shape[-1])
    return reference_ce_forward(logits, safe, ignore_index)


@mistake("17.2", "ignored rows keep a gradient")
def sequence_ce_backward(dloss, cache):
    probs, safe, counted, n = cache
    d = probs.copy()
    np.put_along_axis(d, safe[..., None], np.take_along_axis(probs, safe[..., None], -1) - 1, -1)
    return d * (dloss / n)


@mistake("17.2", "gradient not divided by the number of counted positions")
def sequence_ce_backward_sum(dloss, cache):
    probs, safe, counted, n = cache
    d = probs.copy()
    np.put_along_axis(d, safe[..., None], np.take_along_axis(probs, safe[..., None], -1) - 1, -1)
    return d * counted[..., None] * dloss


# ---------------------------------------------------------------- 17.3 clipping
@mistake("17.3", "per-parameter clipping: each array scaled by its own norm")
def clip_grad_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], total


@mistake("17.3", "scale not capped at 1: small gradients are blown up to max_norm")
def clip_grad_norm_uncapped(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    return [g * max_norm / (total + 1e-6) for g in grads], total


@mistake("17.3", "total norm is the sum of the per-array norms")
def clip_grad_norm_sum_of_norms(grads, max_norm):
    total = sum(float(np.linalg.norm(g)) for g in grads)
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


# ---------------------------------------------------------------- 17.4 schedule
@mistake("17.4", "warmup off by one: step / warmup_steps starts at 0")
def lr_schedule(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    p = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * p))


@mistake("17.4", "cosine not capped: the rate climbs again after total_steps")
def lr_schedule_uncapped(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * p))


@mistake("17.4", "cosine decays to 0, ignoring min_lr")
def lr_schedule_no_min(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    p = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return 0.5 * max_lr * (1.0 + math.cos(math.pi * p))


# ---------------------------------------------------------------- 17.5 / 17.6 GPT
@mistake("17.5", "no causal mask in the blocks")
def forward(self, ids):
    x = self.pos_emb.forward(self.tok_emb.forward(ids))
    for block in self.blocks:
        x = block.forward(x)
    self.x_f = self.ln_f.forward(x)
    return self.x_f @ self.head_weight()


@mistake("17.5", "no final LayerNorm")
def forward_no_ln_f(self, ids):
    x = self.pos_emb.forward(self.tok_emb.forward(ids))
    mask = causal_mask(ids.shape[1])
    for block in self.blocks:
        x = block.forward(x, mask)
    self.x_f = x
    return x @ self.head_weight()


@mistake("17.5", "positions forgotten")
def forward_no_positions(self, ids):
    x = self.tok_emb.forward(ids)
    self.pos_emb.forward(x)
    mask = causal_mask(ids.shape[1])
    for block in self.blocks:
        x = block.forward(x, mask)
    self.x_f = self.ln_f.forward(x)
    return self.x_f @ self.head_weight()


@mistake("17.6", "tied weights updated from one path only (the head's gradient never reaches tok_emb.W)")
def backward(self, dlogits):
    C, V = self.head_weight().shape
    dW_head = self.x_f.reshape(-1, C).T @ dlogits.reshape(-1, V)
    if self.W_head is not None:
        self.W_head.grad = self.W_head.grad + dW_head
    dx = self.ln_f.backward(dlogits @ self.head_weight().T)
    for block in reversed(self.blocks):
        dx = block.backward(dx)
    self.tok_emb.backward(self.pos_emb.backward(dx))


@mistake("17.6", "blocks visited in forward order in backward")
def backward_wrong_order(self, dlogits):
    C, V = self.head_weight().shape
    dW_head = self.x_f.reshape(-1, C).T @ dlogits.reshape(-1, V)
    if self.W_head is None:
        self.tok_emb.W.grad = self.tok_emb.W.grad + dW_head.T
    else:
        self.W_head.grad = self.W_head.grad + dW_head
    dx = self.ln_f.backward(dlogits @ self.head_weight().T)
    for block in self.blocks:
        dx = block.backward(dx)
    self.tok_emb.backward(self.pos_emb.backward(dx))


@mistake("17.6", "head gradient uses only the last sequence of the batch")
def backward_last_row(self, dlogits):
    C, V = self.head_weight().shape
    dW_head = self.x_f[-1].T @ dlogits[-1]
    if self.W_head is None:
        self.tok_emb.W.grad = self.tok_emb.W.grad + dW_head.T
    else:
        self.W_head.grad = self.W_head.grad + dW_head
    dx = self.ln_f.backward(dlogits @ self.head_weight().T)
    for block in reversed(self.blocks):
        dx = block.backward(dx)
    self.tok_emb.backward(self.pos_emb.backward(dx))


# ---------------------------------------------------------------- 17.7 sampling
def _draw(z, rng):
    cdf = np.cumsum(np.exp(z - z.max(axis=-1, keepdims=True)), axis=-1)
    return (cdf <= rng.random((z.shape[0], 1)) * cdf[:, -1:]).sum(axis=-1)


@mistake("17.7", "top-k off by one: keeps the k + 1 largest")
def sample_next(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k - 1][:, None], -np.inf, z)
    return _draw(z, rng)


@mistake("17.7", "temperature applied to the probabilities (renormalized: no effect at all)")
def sample_next_probs(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits.copy()
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    p = np.exp(z - z.max(-1, keepdims=True)) / temperature
    return _draw(np.log(p), rng)


@mistake("17.7", "multiplies the logits by the temperature")
def sample_next_multiplied(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits * temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    return _draw(z, rng)


@mistake("17.7", "draws from np.random's global generator")
def sample_next_global(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    return _draw(z, np.random)


# ---------------------------------------------------------------- 17.8 / 17.9 KV cache
@mistake("17.8", "cache not extended: the new query sees only its own key")
def block_step(block, x, k_past, v_past):
    out, k, v = reference_block_step(block, x, None, None)
    if k_past is not None:
        k, v = np.concatenate([k_past, k], axis=2), np.concatenate([v_past, v], axis=2)
    return out, k, v


@mistake("17.8", "keys and values computed from x instead of ln1(x)")
def block_step_unnormalized(block, x, k_past, v_past):
    a, H = block.attn, block.n_heads
    h = layernorm_forward(x, block.ln1.gamma.data, block.ln1.beta.data)[0]
    q = split_heads(h @ a.Wq.data + a.bq.data, H)
    k, v = split_heads(x @ a.Wk.data + a.bk.data, H), split_heads(x @ a.Wv.data + a.bv.data, H)
    if k_past is not None:
        k, v = np.concatenate([k_past, k], axis=2), np.concatenate([v_past, v], axis=2)
    x = x + merge_heads(attention_forward(q, k, v)[0]) @ a.Wo.data + a.bo.data
    h = layernorm_forward(x, block.ln2.gamma.data, block.ln2.beta.data)[0]
    f = block.ffn
    return x + ffn_forward(h, f.W1.data, f.b1.data, f.W2.data, f.b2.data)[0], k, v


@mistake("17.9", "KV cache re-adds positions from 0 (every new token gets position 0)")
def decode_step(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[0])[:, None, :]
    keys, values = [], []
    for i, block in enumerate(self.blocks):
        past = (None, None) if cache is None else (cache["k"][i], cache["v"][i])
        x, k, v = reference_block_step(block, x, *past)
        keys.append(k)
        values.append(v)
    x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data)[0]
    return x_f @ self.head_weight(), {"pos": pos + 1, "k": keys, "v": values}


@mistake("17.9", "every block reads block 0's cache")
def decode_step_shared_cache(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[pos])[:, None, :]
    keys, values = [], []
    for block in self.blocks:
        past = (None, None) if cache is None else (cache["k"][0], cache["v"][0])
        x, k, v = reference_block_step(block, x, *past)
        keys.append(k)
        values.append(v)
    x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data)[0]
    return x_f @ self.head_weight(), {"pos": pos + 1, "k": keys, "v": values}


# ---------------------------------------------------------------- 17.10 generate
@mistake("17.10", "the prompt's last token is skipped: generation starts from the wrong logits")
def generate(model, ids, n_new, rng, temperature=1.0, top_k=None):
    from solutions.ch17_gpt import sample_next as reference_sample
    logits, cache = model.decode_step(ids[:, 0])
    out = [ids]
    for _ in range(n_new):
        token = reference_sample(logits, rng, temperature, top_k)
        out.append(token[:, None])
        if cache["pos"] < model.block_size:
            logits, cache = model.decode_step(token, cache)
    return np.concatenate(out, axis=1)


# --- adversarial review (chapters 13-17) ---
@mistake("17.1", "log of the softmax probabilities: a tiny probability underflows to 0 and log(0) = -inf")
def sequence_ce_forward_log_of_probs(logits, targets, ignore_index=-100):
    counted = targets != ignore_index
    n = max(int(counted.sum()), 1)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    safe = np.where(counted, targets, 0)
    picked = np.log(np.take_along_axis(probs, safe[..., None], axis=-1)[..., 0])
    return -float(np.where(counted, picked, 0.0).sum()) / n, (probs, safe, counted, n)


@mistake("17.1", "ignored positions found as targets < 0: a non-negative ignore_index still counts")
def sequence_ce_forward_negative_only(logits, targets, ignore_index=-100):
    return reference_ce_forward(logits, np.where(targets < 0, -100, targets))


@mistake("17.2", "dloss ignored (as if it were always 1)")
def sequence_ce_backward_no_dloss(dloss, cache):
    probs, safe, counted, n = cache
    d = probs.copy()
    np.put_along_axis(d, safe[..., None], np.take_along_axis(probs, safe[..., None], -1) - 1.0, -1)
    return d * counted[..., None] / n


@mistake("17.3", "returns the norm AFTER clipping")
def clip_grad_norm_after(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], total * scale


@mistake("17.3", "scale kept as a NumPy float64: float32 gradients come back as float64")
def clip_grad_norm_float64_scale(grads, max_norm):
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    scale = np.minimum(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], float(total)


@mistake("17.3", "clips in place (g *= scale): the caller's gradients change")
def clip_grad_norm_in_place(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= scale
    return grads, total


@mistake("17.4", "cosine progress counted from step 0 (step / total_steps), not from the end of warmup")
def lr_schedule_progress_from_zero(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    p = min(1.0, step / total_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * p))


@mistake("17.5", "causal mask built for block_size, not for the T of this batch")
def forward_block_size_mask(self, ids):
    x = self.pos_emb.forward(self.tok_emb.forward(ids))
    for block in self.blocks:
        x = block.forward(x, causal_mask(self.block_size))
    self.x_f = self.ln_f.forward(x)
    return self.x_f @ self.head_weight()


def _backward(self, dlogits):
    C, V = self.head_weight().shape
    dW_head = self.x_f.reshape(-1, C).T @ dlogits.reshape(-1, V)
    dx = self.ln_f.backward(dlogits @ self.head_weight().T)
    for block in reversed(self.blocks):
        dx = block.backward(dx)
    if self.W_head is None:
        self.tok_emb.W.grad = dW_head.T  # replaces whatever .grad held
    else:
        self.W_head.grad = dW_head
    self.tok_emb.backward(self.pos_emb.backward(dx))


@mistake("17.6", "head gradient assigned (W_head.grad = dW_head, tok_emb.W.grad = dW_head.T), not accumulated")
def backward_head_assigned(self, dlogits):
    _backward(self, dlogits)


def _top_k_argsort(logits, rng, temperature, top_k):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        keep = np.argsort(z, axis=-1)[:, -top_k:]                     # exactly k indices: ties cut
        kept = np.full_like(z, -np.inf)
        np.put_along_axis(kept, keep, np.take_along_axis(z, keep, -1), -1)
        z = kept
    return _draw(z, rng)


@mistake("17.7", "top-k by argsort keeps exactly k tokens: logits tied with the k-th largest are cut")
def sample_next_argsort_ties(logits, rng, temperature=1.0, top_k=None):
    return _top_k_argsort(logits, rng, temperature, top_k)


@mistake("17.7", "one uniform number shared by every row")
def sample_next_one_u(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    cdf = np.cumsum(np.exp(z - z.max(axis=-1, keepdims=True)), axis=-1)
    return (cdf <= rng.random() * cdf[:, -1:]).sum(axis=-1)


@mistake("17.7", "softmax without max-subtraction: a small temperature overflows exp")
def sample_next_overflow(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    cdf = np.cumsum(np.exp(z), axis=-1)
    return (cdf <= rng.random((z.shape[0], 1)) * cdf[:, -1:]).sum(axis=-1)


@mistake("17.8", "the new key and value are put BEFORE the cached ones")
def block_step_prepended(block, x, k_past, v_past):
    out, k, v = reference_block_step(block, x, k_past, v_past)
    if k_past is not None:
        k, v = np.concatenate([k[:, :, -1:], k_past], axis=2), np.concatenate([v[:, :, -1:], v_past], axis=2)
    return out, k, v


@mistake("17.9", "no KV cache: the cache keeps the ids and every step reruns the full forward")
def decode_step_recompute(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    ids = ids_t[:, None].copy() if cache is None else np.concatenate([cache["ids"], ids_t[:, None]], axis=1)
    return self.forward(ids)[:, -1], {"pos": pos + 1, "ids": ids, "k": [], "v": []}


@mistake("17.9", "ln_f applied with the module (self.ln_f.forward): overwrites the cache its backward needs")
def decode_step_module_ln(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[pos])[:, None, :]
    keys, values = [], []
    for i, block in enumerate(self.blocks):
        past = (None, None) if cache is None else (cache["k"][i], cache["v"][i])
        x, k, v = reference_block_step(block, x, *past)
        keys.append(k)
        values.append(v)
    return self.ln_f.forward(x[:, 0]) @ self.head_weight(), {"pos": pos + 1, "k": keys, "v": values}


def _generate(model, ids, n_new, rng, temperature, top_k, feed_last=False):
    from solutions.ch17_gpt import sample_next as reference_sample
    cache = None
    for t in range(ids.shape[1]):
        logits, cache = model.decode_step(ids[:, t], cache)
    out = [ids]
    for i in range(n_new):
        token = reference_sample(logits, rng, temperature, top_k)
        out.append(token[:, None])
        if feed_last or i + 1 < n_new:
            logits, cache = model.decode_step(token, cache)
    return np.concatenate(out, axis=1)


@mistake("17.10", "top_k not passed on to sample_next")
def generate_drops_top_k(model, ids, n_new, rng, temperature=1.0, top_k=None):
    return _generate(model, ids, n_new, rng, temperature, None)


@mistake("17.10", "the last sampled token is fed back too: fails when the output fills the block")
def generate_feeds_last(model, ids, n_new, rng, temperature=1.0, top_k=None):
    return _generate(model, ids, n_new, rng, temperature, top_k, feed_last=True)


@mistake("17.2", "gradient divided by B * T, ignored positions included")
def sequence_ce_backward_all_positions(dloss, cache):
    probs, safe, counted, n = cache
    d = probs.copy()
    np.put_along_axis(d, safe[..., None], np.take_along_axis(probs, safe[..., None], -1) - 1.0, -1)
    return d * counted[..., None] * (dloss / counted.size)


@mistake("17.3", "no epsilon: all-zero gradients divide by zero")
def clip_grad_norm_no_eps(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    scale = min(1.0, max_norm / total)
    return [g * scale for g in grads], total


@mistake("17.7", "top-k threshold at the (k+1)-th largest, keeping what is strictly above it")
def sample_next_k_plus_one_strict(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z > np.sort(z, axis=-1)[:, -top_k - 1][:, None], z, -np.inf)
    return _draw(z, rng)


@mistake("17.8", "only the keys are appended to the cache; values keep the new position alone")
def block_step_values_not_appended(block, x, k_past, v_past):
    out, k, v = reference_block_step(block, x, k_past, v_past)
    return out, k, v[:, :, -1:]


@mistake("17.9", "the token embedding looked up with the module (self.tok_emb.forward)")
def decode_step_module_embedding(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    x = self.tok_emb.forward(ids_t[:, None]) + self.pos_emb.P.data[pos]
    keys, values = [], []
    for i, block in enumerate(self.blocks):
        past = (None, None) if cache is None else (cache["k"][i], cache["v"][i])
        x, k, v = reference_block_step(block, x, *past)
        keys.append(k)
        values.append(v)
    x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data)[0]
    return x_f @ self.head_weight(), {"pos": pos + 1, "k": keys, "v": values}


def _layernorm_eps_outside(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mean) / (x.std(axis=-1, keepdims=True) + eps) + beta


@mistake("17.8", "own LayerNorm with eps added to the standard deviation, not to the variance")
def block_step_eps_outside(block, x, k_past, v_past):
    a, H = block.attn, block.n_heads
    h = _layernorm_eps_outside(x, block.ln1.gamma.data, block.ln1.beta.data)
    q = split_heads(h @ a.Wq.data + a.bq.data, H)
    k, v = split_heads(h @ a.Wk.data + a.bk.data, H), split_heads(h @ a.Wv.data + a.bv.data, H)
    if k_past is not None:
        k, v = np.concatenate([k_past, k], axis=2), np.concatenate([v_past, v], axis=2)
    x = x + merge_heads(attention_forward(q, k, v)[0]) @ a.Wo.data + a.bo.data
    h = _layernorm_eps_outside(x, block.ln2.gamma.data, block.ln2.beta.data)
    f = block.ffn
    return x + ffn_forward(h, f.W1.data, f.b1.data, f.W2.data, f.b2.data)[0], k, v


@mistake("17.9", "ln_f applied with a different eps (1e-6) than the module's LayerNorm")
def decode_step_ln_eps(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[pos])[:, None, :]
    keys, values = [], []
    for i, block in enumerate(self.blocks):
        past = (None, None) if cache is None else (cache["k"][i], cache["v"][i])
        x, k, v = reference_block_step(block, x, *past)
        keys.append(k)
        values.append(v)
    x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data, eps=1e-6)[0]
    return x_f @ self.head_weight(), {"pos": pos + 1, "k": keys, "v": values}


@mistake("17.6", "tied weights: the embedding's own gradient path is dropped (only the head's reaches tok_emb.W)")
def backward_tied_no_embedding_path(self, dlogits):
    C, V = self.head_weight().shape
    dW_head = self.x_f.reshape(-1, C).T @ dlogits.reshape(-1, V)
    if self.W_head is None:
        self.tok_emb.W.grad = self.tok_emb.W.grad + dW_head.T
    else:
        self.W_head.grad = self.W_head.grad + dW_head
    dx = self.ln_f.backward(dlogits @ self.head_weight().T)
    for block in reversed(self.blocks):
        dx = block.backward(dx)
    dx = self.pos_emb.backward(dx)
    if self.W_head is not None:
        self.tok_emb.backward(dx)


@mistake("17.4", "the warmup fraction computed before the branch: warmup_steps = 0 divides by zero")
def lr_schedule_warmup_first(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    warm = max_lr * (step + 1) / warmup_steps
    if step < warmup_steps:
        return warm
    p = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * p))


@mistake("17.9", "the caller's cache is updated in place and returned (no new cache)")
def decode_step_in_place(self, ids_t, cache=None):
    pos = 0 if cache is None else cache["pos"]
    cache = {"pos": 0, "k": [None] * len(self.blocks), "v": [None] * len(self.blocks)} if cache is None else cache
    x = (self.tok_emb.W.data[ids_t] + self.pos_emb.P.data[pos])[:, None, :]
    for i, block in enumerate(self.blocks):
        x, cache["k"][i], cache["v"][i] = reference_block_step(block, x, cache["k"][i], cache["v"][i])
    cache["pos"] = pos + 1
    x_f = layernorm_forward(x[:, 0], self.ln_f.gamma.data, self.ln_f.beta.data)[0]
    return x_f @ self.head_weight(), cache


@mistake("17.10", "the prompt goes through model.forward; decoding then starts from an empty cache")
def generate_prompt_by_forward(model, ids, n_new, rng, temperature=1.0, top_k=None):
    from solutions.ch17_gpt import sample_next as reference_sample
    logits, cache = model.forward(ids)[:, -1], None
    out = [ids]
    for i in range(n_new):
        token = reference_sample(logits, rng, temperature, top_k)
        out.append(token[:, None])
        if i + 1 < n_new:
            logits, cache = model.decode_step(token, cache)
    return np.concatenate(out, axis=1)


@mistake("17.7", "top-k threshold taken from the first row and applied to every row")
def sample_next_first_row_threshold(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z[0])[-top_k], -np.inf, z)
    return _draw(z, rng)


@mistake("17.7", "exp shifted by the max over ALL rows: a row far below it underflows to zeros")
def sample_next_global_shift(logits, rng, temperature=1.0, top_k=None):
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z, axis=-1)[:, -top_k][:, None], -np.inf, z)
    cdf = np.cumsum(np.exp(z - z.max()), axis=-1)
    return (cdf <= rng.random((z.shape[0], 1)) * cdf[:, -1:]).sum(axis=-1)
