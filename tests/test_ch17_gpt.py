"""Graded tests for chapter 17 (GPT).

The oracle GPT below is written out here (LayerNorm, tanh GELU, attention with a loop over
heads), reading the model's parameters; the KV-cache path is compared with it and, to 1e-12,
with the model's own full forward at every step. Sampling is checked statistically with many
draws in ONE call (rows of the same logits), with bands many standard deviations wide.
"""

import math

import numpy as np
import pytest

V, BLOCK, C, HEADS, HIDDEN = 5, 4, 4, 2, 8
BLOCK_PARAMS = ("ln1.gamma", "ln1.beta", "attn.Wq", "attn.bq", "attn.Wk", "attn.bk", "attn.Wv",
                "attn.bv", "attn.Wo", "attn.bo", "ln2.gamma", "ln2.beta", "ffn.W1", "ffn.b1",
                "ffn.W2", "ffn.b2")


def ln_oracle(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=-1, keepdims=True) + eps) + beta


def gelu_tanh_oracle(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def block_oracle(x, p):
    n, T, D = ln_oracle(x, p["ln1.gamma"], p["ln1.beta"]), x.shape[1], x.shape[2] // HEADS
    q, k, v = (n @ p[f"attn.W{s}"] + p[f"attn.b{s}"] for s in "qkv")
    heads = []
    for h in range(HEADS):
        cols = slice(h * D, (h + 1) * D)
        scores = q[..., cols] @ np.swapaxes(k[..., cols], 1, 2) / np.sqrt(D)
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
        w = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads.append((w / w.sum(axis=-1, keepdims=True)) @ v[..., cols])
    h = x + np.concatenate(heads, axis=-1) @ p["attn.Wo"] + p["attn.bo"]
    f = gelu_tanh_oracle(ln_oracle(h, p["ln2.gamma"], p["ln2.beta"]) @ p["ffn.W1"] + p["ffn.b1"])
    return h + f @ p["ffn.W2"] + p["ffn.b2"], k, v


def get(obj, name):
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def param_names(n_layers, tied):
    names = ["tok_emb.W", "pos_emb.P"] + [f"blocks.{i}.{n}" for i in range(n_layers) for n in BLOCK_PARAMS]
    return names + ["ln_f.gamma", "ln_f.beta"] + ([] if tied else ["W_head"])


def make_gpt(kata, seed=0, n_layers=2, tied=False, vocab=V, **kwargs):
    """A small GPT with random LayerNorm parameters and biases (ones and zeros hide mistakes)."""
    model = kata.GPT(vocab, BLOCK, C, HEADS, n_layers, np.random.default_rng(seed), hidden=HIDDEN,
                     tie_weights=tied, **kwargs)
    rng, p = np.random.default_rng(seed + 100), {}
    for name in param_names(n_layers, tied):
        value = np.array(get(model, name).data, dtype=np.float64)
        if name.endswith(("gamma")):
            value = rng.uniform(0.5, 1.5, size=value.shape)
        elif name.endswith(("beta", "bq", "bk", "bv", "bo", "b1", "b2")):
            value = 0.3 * rng.normal(size=value.shape)
        elif name in ("tok_emb.W", "pos_emb.P", "W_head"):
            value = rng.normal(size=value.shape)
        get(model, name).data = value
        p[name] = value
    return model, p


def gpt_oracle(ids, p, n_layers=2, tied=False):
    """logits (B, T, V) and each block's keys and values, (B, T, C) before splitting heads."""
    x = p["tok_emb.W"][ids] + p["pos_emb.P"][: ids.shape[1]]
    kv = []
    for i in range(n_layers):
        x, k, v = block_oracle(x, {n: p[f"blocks.{i}.{n}"] for n in BLOCK_PARAMS})
        kv.append((k, v))
    head = p["tok_emb.W"].T if tied else p["W_head"]
    return ln_oracle(x, p["ln_f.gamma"], p["ln_f.beta"]) @ head, kv


def ce_oracle(logits, targets, ignore=-100):
    total, count = 0.0, 0
    for b, t in np.ndindex(targets.shape):
        if targets[b, t] != ignore:
            z = logits[b, t]
            total += math.log(np.exp(z - z.max()).sum()) + z.max() - z[targets[b, t]]
            count += 1
    return total / max(count, 1)


# ---------------------------------------------------------------- 17.1 sequence CE forward
@pytest.mark.exercise("17.1")
def test_sequence_ce_uniform_logits_give_log_v(kata, check):
    loss, _ = kata.sequence_ce_forward(np.zeros((2, 3, 7)), np.array([[1, 2, 3], [4, 5, 6]]))
    check.true(isinstance(loss, float),
               f"sequence_ce_forward's loss is {type(loss).__name__}, expected a float")
    check.close(loss, math.log(7), "loss of all-zero logits over V = 7 (every token has probability 1/7)")


@pytest.mark.exercise("17.1")
def test_sequence_ce_matches_loop_and_ignores_padding(kata, check, rng):
    logits, targets = rng.normal(size=(3, 4, 6)) * 2, rng.integers(0, 6, size=(3, 4))
    targets[0, 1:] = -100
    targets[2, 3] = -100
    loss, _ = kata.sequence_ce_forward(logits, targets)
    kept = targets != -100
    z = logits - logits.max(-1, keepdims=True)
    per = np.log(np.exp(z).sum(-1)) - np.take_along_axis(z, np.where(kept, targets, 0)[..., None], -1)[..., 0]
    check.close(loss, ce_oracle(logits, targets), "sequence_ce_forward with 4 of 12 targets = -100",
                suspects={"ignored positions are counted in the mean (divided by B * T)":
                          (per * kept).sum() / kept.size})
    loss_custom, _ = kata.sequence_ce_forward(logits, np.where(kept, targets, 5), ignore_index=5)
    check.close(loss_custom, ce_oracle(logits, np.where(kept, targets, 5), ignore=5),
                "sequence_ce_forward with ignore_index=5")


@pytest.mark.exercise("17.1")
def test_sequence_ce_is_stable_and_handles_all_ignored(kata, check, rng):
    logits = rng.normal(size=(2, 3, 4)) * 1000.0
    targets = rng.integers(0, 4, size=(2, 3))
    check.close(kata.sequence_ce_forward(logits, targets)[0], ce_oracle(logits, targets),
                "sequence_ce_forward at logits of size 1000 (subtract the max)", rtol=1e-9)
    loss = kata.sequence_ce_forward(logits, np.full((2, 3), -100))[0]
    check.close(loss, 0.0, "sequence_ce_forward when every target is ignored (0, not NaN)")


@pytest.mark.exercise("17.1")
def test_sequence_ce_float32_agrees(kata, check, rng):
    logits, targets = rng.normal(size=(2, 5, 9)), rng.integers(0, 9, size=(2, 5))
    loss32 = kata.sequence_ce_forward(logits.astype(np.float32), targets)[0]
    check.close(loss32, ce_oracle(logits, targets), "sequence_ce_forward on float32 logits",
                rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- 17.2 sequence CE backward
@pytest.mark.exercise("17.2")
def test_sequence_ce_backward_gradcheck(kata, check, rng):
    logits, targets = rng.normal(size=(2, 3, 5)), rng.integers(0, 5, size=(2, 3))
    targets[1, 0] = -100
    dloss = rng.normal()
    dlogits = kata.sequence_ce_backward(dloss, kata.sequence_ce_forward(logits, targets)[1])
    check.gradients(lambda logits: np.array(kata.sequence_ce_forward(logits, targets)[0]),
                    {"logits": logits}, {"logits": dlogits}, np.array(dloss),
                    "sequence cross-entropy (mean over the 5 counted positions)")


@pytest.mark.exercise("17.2")
def test_sequence_ce_backward_by_hand_and_zero_on_ignored(kata, check, rng):
    logits, targets = np.zeros((1, 3, 2)), np.array([[1, -100, 0]])
    dlogits = check.shape(kata.sequence_ce_backward(2.0, kata.sequence_ce_forward(logits, targets)[1]),
                          (1, 3, 2), "sequence_ce_backward")
    check.close(dlogits, [[[0.5, -0.5], [0.0, 0.0], [-0.5, 0.5]]],
                "dlogits for zero logits, targets [1, ignored, 0], dloss = 2 (two counted positions)")


@pytest.mark.exercise("17.2")
def test_sequence_ce_backward_keeps_float32(kata, check, rng):
    logits = rng.normal(size=(2, 3, 4)).astype(np.float32)
    d = kata.sequence_ce_backward(1.0, kata.sequence_ce_forward(logits, rng.integers(0, 4, (2, 3)))[1])
    check.true(np.asarray(d).dtype == np.float32,
               f"float32 logits gave dlogits of dtype {np.asarray(d).dtype}")


# ---------------------------------------------------------------- 17.3 clipping
@pytest.mark.exercise("17.3")
def test_clip_by_hand(kata, check):
    clipped, total = kata.clip_grad_norm([np.array([3.0]), np.array([[4.0]])], 1.0)
    check.close(total, 5.0, "total norm of [3] and [[4]]")
    check.close(np.concatenate([np.ravel(g) for g in clipped]), np.array([3.0, 4.0]) / (5.0 + 1e-6),
                "[3] and [[4]] clipped to norm 1 (scale = 1 / (5 + 1e-6))")


@pytest.mark.exercise("17.3")
def test_clip_is_global_not_per_array(kata, check, rng):
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5) * 0.1, rng.normal(size=(2, 2)) * 3.0]
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    clipped, got_total = kata.clip_grad_norm(grads, 0.5 * total)
    check.close(got_total, total, "total norm returned by clip_grad_norm (before clipping)")
    scale = 0.5 * total / (total + 1e-6)
    for i, g in enumerate(grads):
        check.close(clipped[i], g * scale, f"clipped gradient {i} (one scale for all arrays)",
                    suspects={"each array is clipped by its own norm (per-parameter clipping)":
                              g * min(1.0, 0.5 * total / (np.linalg.norm(g) + 1e-6))})
    small, _ = kata.clip_grad_norm(grads, 2.0 * total)
    check.close(small[1], grads[1], "a gradient whose global norm is under max_norm (unchanged)")


@pytest.mark.exercise("17.3")
def test_clip_all_zero_gradients(kata, check):
    clipped, total = kata.clip_grad_norm([np.zeros((2, 3)), np.zeros(4)], 1.0)
    check.close(total, 0.0, "total norm of all-zero gradients")
    check.close(np.concatenate([np.ravel(g) for g in clipped]), np.zeros(10),
                "all-zero gradients clipped (stay 0: the 1e-6 in max_norm / (total + 1e-6) avoids 0 / 0)")


@pytest.mark.exercise("17.3")
def test_clip_keeps_float32(kata, check, rng):
    grads = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=5).astype(np.float32)]
    total = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    clipped, _ = kata.clip_grad_norm(grads, 0.5 * total)
    dtypes = [str(np.asarray(g).dtype) for g in clipped]
    check.true(dtypes == ["float32", "float32"], f"clip_grad_norm turned float32 gradients into {dtypes}",
               "multiply by a Python float (float(...)): a NumPy float64 scale promotes float32 arrays")
    check.close(clipped[0], grads[0] * (0.5 * total / (total + 1e-6)), "float32 gradient 0 clipped to half "
                "its global norm", rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- 17.4 schedule
@pytest.mark.exercise("17.4")
def test_schedule_by_hand(kata, check):
    got = [kata.lr_schedule(s, 1.0, 2, 4) for s in range(6)]
    check.close(got, [0.5, 1.0, 1.0, 0.5, 0.0, 0.0], "lr_schedule(step, 1.0, warmup 2, total 4), steps 0..5",
                suspects={"warmup counts from step / warmup (step 0 gets lr 0: off by one)":
                          [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]})


@pytest.mark.exercise("17.4")
def test_schedule_shape(kata, check):
    lrs = np.array([kata.lr_schedule(s, 3e-3, 10, 110, min_lr=3e-4) for s in range(130)])
    check.close(lrs[:10], 3e-3 * np.arange(1, 11) / 10, "the first 10 (warmup) rates")
    check.close(lrs[60], (3e-3 + 3e-4) / 2, "the rate halfway through the cosine (step 60 of 10..110)")
    check.true(np.all(np.diff(lrs[10:]) <= 1e-15), "lr_schedule rises after warmup",
               "after warmup the cosine only goes down")
    check.close(lrs[110:], np.full(20, 3e-4), "the rate at and after total_steps (min_lr)")


@pytest.mark.exercise("17.4")
def test_schedule_without_warmup(kata, check):
    got = [kata.lr_schedule(s, 2.0, 0, 4, min_lr=0.4) for s in range(6)]
    expected = [0.4 + 0.8 * (1 + math.cos(math.pi * min(s, 4) / 4)) for s in range(6)]
    check.close(got, expected, "lr_schedule(step, 2.0, warmup 0, total 4, min_lr=0.4), steps 0..5 "
                "(no warmup: the cosine starts at step 0 with max_lr)")


# ---------------------------------------------------------------- 17.5 GPT forward
@pytest.mark.exercise("17.5")
@pytest.mark.parametrize("tied", [False, True])
def test_gpt_forward_matches_oracle(kata, check, rng, tied):
    model, p = make_gpt(kata, seed=1, tied=tied)
    ids = rng.integers(0, V, size=(2, 3))
    logits = check.shape(model.forward(ids), (2, 3, V), "GPT.forward(ids: (2, 3)), V = 5")
    check.close(logits, gpt_oracle(ids, p, tied=tied)[0],
                f"GPT.forward logits ({'tied' if tied else 'untied'}"
                " head): tok + pos embeddings, causal blocks, ln_f, head")


@pytest.mark.exercise("17.5")
def test_gpt_is_causal_exactly(kata, check, rng):
    model, _ = make_gpt(kata, seed=2)
    ids = rng.integers(0, V, size=(3, 4))
    changed = ids.copy()
    changed[:, 2:] = (changed[:, 2:] + 1 + rng.integers(0, V - 1, size=(3, 2))) % V
    before = check.array(model.forward(ids), "GPT.forward")
    after = check.array(model.forward(changed), "GPT.forward")
    check.true(np.array_equal(before[:, :2], after[:, :2]), "changing tokens 2 and 3 changed the "
               "logits at positions 0 and 1", "every block needs the causal mask")


@pytest.mark.exercise("17.5")
def test_gpt_initial_loss_is_about_log_v(kata, check, rng):
    model = kata.GPT(40, 16, 32, 4, 2, np.random.default_rng(3))
    ids = rng.integers(0, 40, size=(8, 16))
    loss = ce_oracle(check.array(model.forward(ids), "GPT.forward"), rng.integers(0, 40, size=(8, 16)))
    check.true(abs(loss - math.log(40)) < 0.1, f"the untrained GPT's loss is {loss:.4f}, expected "
               f"within 0.1 of ln(40) = {math.log(40):.4f}", "at the start every token should be "
               "about equally likely: small logits (check the head and ln_f)")


@pytest.mark.exercise("17.5")
def test_gpt_float32_agrees_with_float64(kata, check, rng):
    ids = rng.integers(0, 11, size=(2, 4))
    out64 = kata.GPT(11, 4, 8, 2, 2, np.random.default_rng(4)).forward(ids)
    out32 = kata.GPT(11, 4, 8, 2, 2, np.random.default_rng(4), dtype=np.float32).forward(ids)
    check.true(np.asarray(out32).dtype == np.float32,
               f"a float32 GPT returned {np.asarray(out32).dtype} logits")
    check.close(out32, out64, "GPT.forward in float32 vs float64", rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- 17.6 GPT backward
def gpt_function(model):
    current = {}

    def f(**values):
        ids = values.pop("ids")
        for name, value in values.items():
            if current.get(name) is not value:
                get(model, name).data = value
                current[name] = value
        return model.forward(ids)
    return f


@pytest.mark.exercise("17.6")
@pytest.mark.parametrize("tied", [False, True])
def test_gpt_backward_gradcheck(kata, check, rng, tied):
    model, p = make_gpt(kata, seed=5, n_layers=1, tied=tied)
    ids = np.array([[1, 3, 1], [0, 1, 4]])  # token 1 three times: its rows must accumulate
    dlogits = rng.normal(size=(2, 3, V))
    model.forward(ids)
    model.zero_grad()
    model.backward(dlogits)
    analytic = {name: get(model, name).grad for name in p}
    what = "tied: tok_emb.W gets the head's gradient AND the embedding's" if tied else "untied head"
    forward = gpt_function(model)
    check.gradients(lambda **v: forward(ids=ids, **v), p, analytic, dlogits, f"GPT ({what})")


@pytest.mark.exercise("17.6")
@pytest.mark.parametrize("tied", [False, True])
def test_gpt_backward_accumulates(kata, check, rng, tied):
    model, _ = make_gpt(kata, seed=12, n_layers=1, tied=tied)
    ids, dlogits = rng.integers(0, V, size=(2, 3)), rng.normal(size=(2, 3, V))
    head = "tok_emb.W" if tied else "W_head"
    model.forward(ids)
    model.zero_grad()
    model.backward(dlogits)
    once = np.array(get(model, head).grad, dtype=np.float64)
    model.forward(ids)
    model.backward(dlogits)
    check.close(get(model, head).grad, 2 * once, f"{head}.grad after two identical backward passes "
                f"({'tied' if tied else 'untied'} head: add into .grad, never assign it)",
                suspects={"the head's gradient is assigned (=) instead of added into .grad": once})


@pytest.mark.exercise("17.6")
def test_gpt_backward_through_two_blocks(kata, check, rng):
    model, p = make_gpt(kata, seed=11, n_layers=2)
    ids, dlogits = rng.integers(0, V, size=(2, 3)), rng.normal(size=(2, 3, V))
    model.forward(ids)
    model.zero_grad()
    model.backward(dlogits)
    names = ("tok_emb.W", "blocks.0.attn.Wq", "blocks.0.ffn.W1", "blocks.1.attn.Wv")
    forward = gpt_function(model)
    check.gradients(lambda **v: forward(ids=ids, **v), {n: p[n] for n in names},
                    {n: get(model, n).grad for n in names}, dlogits,
                    "GPT with 2 blocks (backward visits them in reverse order)")


@pytest.mark.exercise("17.6")
def test_gpt_overfits_one_batch(kata, check, rng):
    model = kata.GPT(6, 8, 16, 2, 1, np.random.default_rng(6))
    ids, targets = rng.integers(0, 6, size=(4, 8)), rng.integers(0, 6, size=(4, 8))
    optimizer = kata.Adam(model.parameters(), lr=0.02)
    losses = [kata.train_step(model, optimizer, ids, targets) for _ in range(120)]
    check.true(losses[-1] < 0.2, f"after 120 Adam steps on one batch the loss is {losses[-1]:.3f} "
               f"(started at {losses[0]:.3f}), expected < 0.2", "a correct GPT memorizes 32 tokens easily: "
               "check that backward reaches every parameter")


# ---------------------------------------------------------------- 17.7 sampling
@pytest.mark.exercise("17.7")
def test_greedy_and_small_temperature(kata, check, rng):
    logits = rng.normal(size=(50, 7)) * 2
    best = logits.argmax(axis=1)
    greedy = check.array(kata.sample_next(logits, np.random.default_rng(0), temperature=0.0), "sample_next")
    check.close(greedy, best, "sample_next with temperature 0 (argmax)", rtol=0, atol=0)
    gap = np.sort(logits, 1)[:, -1] - np.sort(logits, 1)[:, -2]
    cold = check.array(kata.sample_next(logits[gap > 0.05], np.random.default_rng(1), temperature=1e-3),
                       "sample_next")
    check.close(cold, best[gap > 0.05], "sample_next with temperature 1e-3 (should equal argmax)",
                rtol=0, atol=0)


@pytest.mark.exercise("17.7")
@pytest.mark.parametrize("k", [1, 3])
def test_top_k_never_samples_outside(kata, check, k):
    logits = np.tile(np.array([0.5, 2.0, -1.0, 1.5, 1.9, 0.0]), (20000, 1))  # top 3: 1, 4, 3
    draws = np.asarray(kata.sample_next(logits, np.random.default_rng(2), temperature=1.0, top_k=k))
    allowed = np.argsort(-logits[0])[:k]
    outside = ~np.isin(draws, allowed)
    check.true(not outside.any(), f"top_k={k} sampled {int(outside.sum())} of 20000 tokens outside the "
               f"top {k} {sorted(allowed.tolist())}", f"it drew {sorted(set(draws[outside].tolist()))}: "
               "keep exactly the k largest logits (is the threshold off by one?)")
    if k == 3:
        counts = np.bincount(draws, minlength=6)[allowed]
        check.true(counts.min() > 3000, f"top_k=3 drew the kept tokens {counts.tolist()} times",
                   "every kept token must keep its (renormalized) probability")


@pytest.mark.exercise("17.7")
def test_top_k_keeps_ties_with_the_kth(kata, check):
    logits = np.tile(np.array([2.0, 1.0, 1.0, 1.0, 0.0]), (20000, 1))  # top 2: token 0, then a 3-way tie
    draws = np.asarray(kata.sample_next(logits, np.random.default_rng(4), temperature=1.0, top_k=2))
    counts = np.bincount(draws, minlength=5)
    check.true(counts[4] == 0 and counts[1:4].min() > 2500,
               f"top_k=2 on logits [2, 1, 1, 1, 0] drew tokens 0..4 {counts.tolist()} times in 20000",
               "every logit tied with the k-th largest stays (each of tokens 1, 2, 3 has probability "
               "1/(e + 3), about 0.175); only logits BELOW the k-th largest become -inf")


@pytest.mark.exercise("17.7")
def test_top_k_equal_to_v_keeps_everything(kata, check):
    logits = np.tile(np.array([0.3, -1.0, 2.0, 0.0, 1.0, -0.5]), (3000, 1))
    every = np.asarray(kata.sample_next(logits, np.random.default_rng(6), temperature=0.7, top_k=6))
    free = np.asarray(kata.sample_next(logits, np.random.default_rng(6), temperature=0.7))
    check.true(np.array_equal(every, free), "sample_next with top_k = V = 6 differs from top_k=None "
               "(same rng seed)", "keeping the k = V largest logits keeps them all: nothing may change")


@pytest.mark.exercise("17.7")
def test_sampling_treats_each_row_on_its_own(kata, check):
    # two kinds of rows 1000 apart: each row's top-k and softmax are its own business
    base = np.array([0.0, 0.5, 2.0, 1.0, 1.5])
    logits = np.tile(np.stack([base, base[::-1] + 1000.0]), (5000, 1))  # rows alternate
    for k, allowed in [(2, ([2, 4], [0, 2])), (None, (range(5), range(5)))]:
        draws = np.asarray(kata.sample_next(logits, np.random.default_rng(7), temperature=1.0, top_k=k))
        for parity, keep in enumerate(allowed):
            row = draws[parity::2]
            inside = np.isin(row, list(keep))
            check.true(inside.all(), f"sample_next(top_k={k}) on rows of two kinds drew tokens outside "
                       f"{sorted(keep)} in rows of kind {parity}: {sorted(set(row[~inside].tolist()))}",
                       "each row needs its own k-th largest logit and its own max before exp()")
        if k is None:
            p = np.exp(base - base.max()) / np.exp(base - base.max()).sum()
            check.close(np.bincount(draws[0::2], minlength=5) / 5000, p, "frequencies in the rows of "
                        "kind 0 (logits about 1000 below the others)", rtol=0, atol=0.03)


@pytest.mark.exercise("17.7")
def test_temperature_frequencies(kata, check):
    logits = np.tile(np.array([0.0, 1.0, 2.0]), (40000, 1))
    for temperature in (0.5, 2.0):
        draws = np.asarray(kata.sample_next(logits, np.random.default_rng(3), temperature=temperature))
        freq = np.bincount(draws, minlength=3) / draws.size
        p = np.exp(logits[0] / temperature) / np.exp(logits[0] / temperature).sum()
        check.close(freq, p, f"frequencies of 40000 draws at temperature {temperature} vs "
                    "softmax(logits / temperature)", rtol=0, atol=0.015,
                    suspects={"the temperature is applied to the probabilities, not the logits":
                              np.exp(logits[0]) / np.exp(logits[0]).sum()})


@pytest.mark.exercise("17.7")
def test_sampling_uses_only_the_given_rng(kata, check):
    logits = np.tile(np.linspace(0, 1, 8), (500, 1))
    np.random.seed(1)  # the global generator must not matter
    a = np.asarray(kata.sample_next(logits, np.random.default_rng(9), top_k=5))
    np.random.seed(2)
    b = np.asarray(kata.sample_next(logits, np.random.default_rng(9), top_k=5))
    check.true(np.array_equal(a, b), "sample_next with two generators of the same seed gave different draws",
               "draw only from the rng argument, never from np.random's global functions")
    check.true(len(set(a.tolist())) == 5,
               f"500 draws at temperature 1 from 5 kept tokens hit {len(set(a.tolist()))}")


# ---------------------------------------------------------------- 17.8 block_step
@pytest.mark.exercise("17.8")
def test_block_step_matches_full_block(kata, check, rng):
    model, p = make_gpt(kata, seed=7, n_layers=1)
    bp = {n: p[f"blocks.0.{n}"] for n in BLOCK_PARAMS}
    x = rng.normal(size=(2, 4, C))
    full, k_all, v_all = block_oracle(x, bp)
    heads = lambda a: a.reshape(2, -1, HEADS, C // HEADS).transpose(0, 2, 1, 3)  # (B, H, T, D)
    block = model.blocks[0]
    for t in (0, 3):
        k_past, v_past = (None, None) if t == 0 else (heads(k_all[:, :t]), heads(v_all[:, :t]))
        out, k, v = kata.block_step(block, x[:, t:t + 1], k_past, v_past)
        check.close(out, full[:, t:t + 1], f"block_step output at position {t} vs the full block's")
        check.close(k, heads(k_all[:, :t + 1]), f"keys after block_step at position {t}: (B, H, {t + 1}, D)")
        check.close(v, heads(v_all[:, :t + 1]), f"values after block_step at position {t}")


# ---------------------------------------------------------------- 17.9 decode_step
@pytest.mark.exercise("17.9")
@pytest.mark.parametrize("tied", [False, True])
def test_decode_step_equals_full_forward_at_every_step(kata, check, rng, tied):
    model, p = make_gpt(kata, seed=8, tied=tied)
    ids = rng.integers(0, V, size=(3, BLOCK))
    full = check.array(model.forward(ids), "GPT.forward")
    oracle = gpt_oracle(ids, p, tied=tied)[0]
    cache = None
    for t in range(BLOCK):
        logits, cache = model.decode_step(ids[:, t], cache)
        check.close(logits, oracle[:, t], f"decode_step logits at position {t} vs the oracle")
        check.close(logits, full[:, t], f"decode_step logits at position {t} vs GPT.forward(ids)[:, {t}]",
                    rtol=0, atol=1e-12, suspects={"every new token gets position 0's vector":
                                                  gpt_oracle(ids[:, t:t + 1], p, tied=tied)[0][:, 0]})
        check.true(cache["pos"] == t + 1, f"cache['pos'] after {t + 1} steps is {cache['pos']}")
    kv = gpt_oracle(ids, p, tied=tied)[1]
    heads = lambda a: a.reshape(3, BLOCK, HEADS, C // HEADS).transpose(0, 2, 1, 3)  # (B, H, T, D)
    check.true(isinstance(cache.get("k"), list) and len(cache["k"]) == 2 and len(cache.get("v", ())) == 2,
               "decode_step's cache should hold one key and one value array per block in cache['k'], cache['v']")
    for i in range(2):
        check.close(cache["k"][i], heads(kv[i][0]), f"cache['k'][{i}] after {BLOCK} steps: block {i}'s keys "
                    f"(B, H, {BLOCK}, Dh) (the cache must keep them, not rerun the whole sequence)")
        check.close(cache["v"][i], heads(kv[i][1]), f"cache['v'][{i}] after {BLOCK} steps: block {i}'s values")


def module_state(obj, path="model"):
    """{path: value} of every attribute of every sub-module that is not a module or a Parameter
    (caches, modes, ...); the values themselves are kept, so `is` can tell if one was replaced."""
    state = {}
    for name, value in vars(obj).items():
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            where = f"{path}.{name}" + ("" if i is None else f"[{i}]")
            if hasattr(item, "parameters") and hasattr(item, "forward"):
                state.update(module_state(item, where))
            elif not (hasattr(item, "data") and hasattr(item, "grad")):
                state[where] = item
    return state


@pytest.mark.exercise("17.9")
def test_decode_step_leaves_the_modules_caches_alone(kata, check, rng):
    model, _ = make_gpt(kata, seed=13)
    ids = rng.integers(0, V, size=(2, 3))
    model.forward(ids)  # every module now holds the cache its backward would need
    before = module_state(model)
    cache = None
    for t in range(3):
        _, cache = model.decode_step(ids[:, t], cache)
    after = module_state(model)
    replaced = sorted(k for k in set(before) | set(after) if before.get(k, None) is not after.get(k, None))
    check.true(not replaced, "decode_step changed the state of the model's modules: "
               f"{', '.join(replaced[:4])}{' ...' if len(replaced) > 4 else ''}",
               "decode_step only reads the model: call the kernels (layernorm_forward, ffn_forward, "
               "attention_forward) with the modules' parameters; a module's forward would overwrite the "
               "cache that its backward needs")


# ---------------------------------------------------------------- 17.10 generate
@pytest.mark.exercise("17.10")
def test_generate_greedy_matches_oracle(kata, check, rng):
    model, p = make_gpt(kata, seed=9)
    prompt = rng.integers(0, V, size=(4, 2))
    out = check.shape(kata.generate(model, prompt, 2, np.random.default_rng(0), temperature=0.0),
                      (4, 4), "generate(model, prompt: (4, 2), 2 new tokens)")
    expected = prompt
    for _ in range(2):
        logits = gpt_oracle(expected, p)[0][:, -1]
        expected = np.concatenate([expected, logits.argmax(-1)[:, None]], axis=1)
    check.close(out, expected, "greedy generate vs argmax of the oracle, one token at a time", rtol=0, atol=0)


@pytest.mark.exercise("17.10")
def test_generate_top_k_one_fills_the_block(kata, check, rng):
    # top_k = 1 leaves only the argmax, so sampling at temperature 1 is greedy; 2 + 3 tokens fill
    # the block (the last new token is never fed back)
    model, p = make_gpt(kata, seed=14)
    prompt = rng.integers(0, V, size=(8, 2))
    out = check.shape(kata.generate(model, prompt, 3, np.random.default_rng(0), temperature=1.0, top_k=1),
                      (8, 5), "generate(model, prompt: (8, 2), 3 new tokens, top_k=1) with block_size 4")
    expected = prompt
    for _ in range(3):
        expected = np.concatenate([expected, gpt_oracle(expected, p)[0][:, -1].argmax(-1)[:, None]], axis=1)
    check.close(out, expected, "generate with top_k=1 (only the argmax is kept: pass top_k on to sample_next)",
                rtol=0, atol=0)


@pytest.mark.exercise("17.10")
def test_generate_samples_with_the_rng(kata, check, rng):
    model, _ = make_gpt(kata, seed=10)
    prompt = rng.integers(0, V, size=(64, 2))
    a = check.array(kata.generate(model, prompt, 2, np.random.default_rng(5), top_k=3), "generate")
    b = check.array(kata.generate(model, prompt, 2, np.random.default_rng(5), top_k=3), "generate")
    check.true(np.array_equal(a, b), "generate with two generators of the same seed differs")
    check.close(a[:, :2], prompt, "the prompt at the start of generate's output", rtol=0, atol=0)
    check.true(len(set(a[:, 2].tolist())) > 1, "64 sampled continuations are all the same token",
               "temperature 1 samples; only temperature 0 is greedy")
