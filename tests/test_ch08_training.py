"""Graded tests for chapter 08 (training).

Datasets are checked by exact geometry (the spiral's radius is noise-free) and by statistics on
thousands of points, with bands many standard errors wide. The training loop is checked against
a loop written out in this file (softmax cross-entropy and SGD on a single Dense layer, in plain
NumPy), and by a seeded "it learns" run on spiral data generated here, not by your spiral_data.
"""

import numpy as np
import pytest


def log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def ce_and_grads(x, y, W, b):
    """Mean softmax cross-entropy of x @ W + b and its gradients (dW, db), written out."""
    logp = log_softmax(x @ W + b)
    onehot = np.eye(W.shape[1])[y]
    dlogits = (np.exp(logp) - onehot) / len(x)
    return -np.mean(logp[np.arange(len(x)), y]), x.T @ dlogits, dlogits.sum(axis=0)


def dense_model(kata, d=2, k=3, seed=0):
    layer = kata.Dense(d, k, np.random.default_rng(seed))
    return layer, np.array(layer.W.data, dtype=float), np.array(layer.b.data, dtype=float)


def toy_classes(rng, n=10, d=2, k=3):
    return rng.normal(size=(n, d)), rng.integers(0, k, size=n)


# ---------------------------------------------------------------- 08.1 spiral
@pytest.mark.exercise("08.1")
def test_spiral_shapes_and_labels(kata, check):
    X, y = kata.spiral_data(np.random.default_rng(0), 50, 4)
    check.shape(X, (200, 2), "X of spiral_data(rng, 50, 4)")
    check.shape(y, (200,), "y of spiral_data(rng, 50, 4)")
    check.true(np.issubdtype(np.asarray(y).dtype, np.integer), f"labels have dtype {np.asarray(y).dtype}",
               "labels are integer class indices")
    check.close(y, np.repeat(np.arange(4), 50), "y of spiral_data(rng, 50, 4): class by class, 50 each")


@pytest.mark.exercise("08.1")
def test_spiral_radius_is_exact(kata, check):
    X, _ = kata.spiral_data(np.random.default_rng(1), 30, 3)
    radius = np.hypot(np.asarray(X)[:, 0], np.asarray(X)[:, 1])
    check.close(radius, np.tile(np.linspace(0, 1, 30), 3),
                "distance of each spiral point from the origin (r = linspace(0, 1, n) per class)", atol=1e-12)


@pytest.mark.exercise("08.1")
def test_spiral_angle_noise(kata, check):
    n = 2000
    X, _ = kata.spiral_data(np.random.default_rng(2), n, 3)
    X = check.shape(X, (3 * n, 2), "X of spiral_data(rng, 2000, 3)")
    t0 = (4.0 * np.arange(3)[:, None] + np.linspace(0, 4, n)[None, :]).ravel()
    residual = (np.arctan2(X[:, 0], X[:, 1]) - 2.5 * t0 + np.pi) % (2 * np.pi) - np.pi
    residual = residual.reshape(3, n)[:, 1:]  # the point at r = 0 has no angle
    means, stds = residual.mean(axis=1), residual.std(axis=1)
    check.true(np.all(np.abs(means) < 0.05),
               f"the spiral angle is off centre by {np.round(means, 3)} radians per class",
               "class k runs along t = linspace(4k, 4k + 4, n); the point is (r sin 2.5t, r cos 2.5t)")
    check.true(np.all(np.abs(stds - 0.5) < 0.05),
               f"the spiral angle noise has std {np.round(stds, 3)}, expected 0.5 (= 2.5 * 0.2)",
               "add 0.2 * standard normal noise to t, not to the radius or the coordinates")


@pytest.mark.exercise("08.1")
def test_spiral_is_determined_by_rng(kata, check):
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        first, _ = kata.spiral_data(np.random.default_rng(7), 20, 3)
        np.random.seed(2)
        second, _ = kata.spiral_data(np.random.default_rng(7), 20, 3)
    finally:
        np.random.set_state(saved)
    check.close(second, first, "spiral_data with the same rng seed after other global draws", rtol=0, atol=0)
    other, _ = kata.spiral_data(np.random.default_rng(8), 20, 3)
    check.true(not np.allclose(other, first), "spiral_data gave the same points for seeds 7 and 8",
               "draw the noise from the `rng` argument")


# ---------------------------------------------------------------- 08.2 vertical
@pytest.mark.exercise("08.2")
def test_vertical_shapes_and_labels(kata, check):
    X, y = kata.vertical_data(np.random.default_rng(0), 40, 3)
    check.shape(X, (120, 2), "X of vertical_data(rng, 40, 3)")
    check.close(y, np.repeat(np.arange(3), 40), "y of vertical_data(rng, 40, 3): class by class")


@pytest.mark.exercise("08.2")
def test_vertical_blob_statistics(kata, check):
    n = 4000  # standard error of a mean: 0.1 / sqrt(4000) ~ 0.0016
    X, _ = kata.vertical_data(np.random.default_rng(3), n, 3)
    X = check.shape(X, (3 * n, 2), "X of vertical_data(rng, 4000, 3)").reshape(3, n, 2)
    check.close(X.mean(axis=1), [[0.0, 0.5], [1 / 3, 0.5], [2 / 3, 0.5]],
                "per-class means of vertical_data: centre (k / 3, 0.5)", atol=0.01)
    check.close(X.std(axis=1), np.full((3, 2), 0.1), "per-class standard deviations of vertical_data",
                atol=0.005)


@pytest.mark.exercise("08.2")
def test_vertical_is_determined_by_rng(kata, check):
    first, _ = kata.vertical_data(np.random.default_rng(5), 10, 2)
    np.random.random(5)
    second, _ = kata.vertical_data(np.random.default_rng(5), 10, 2)
    check.close(second, first, "vertical_data twice with the same seed", rtol=0, atol=0)
    other, _ = kata.vertical_data(np.random.default_rng(6), 10, 2)
    check.true(not np.allclose(other, first), "vertical_data gave the same points for seeds 5 and 6",
               "draw the noise from the `rng` argument")


# ---------------------------------------------------------------- 08.3 sine
@pytest.mark.exercise("08.3")
def test_sine_shapes_and_exact_targets(kata, check):
    X, y = kata.sine_data(np.random.default_rng(0), 50)
    X = check.shape(X, (50, 1), "X of sine_data(rng, 50)")
    check.shape(y, (50, 1), "y of sine_data(rng, 50)")
    check.close(y, np.sin(2 * np.pi * X), "y of sine_data(rng, 50) with noise=0: sin(2 pi x)")


@pytest.mark.exercise("08.3")
def test_sine_inputs_uniform_on_unit_interval(kata, check):
    X, _ = kata.sine_data(np.random.default_rng(1), 20000)
    X = check.shape(X, (20000, 1), "X of sine_data(rng, 20000)")
    check.true(X.min() >= 0.0 and X.max() < 1.0, f"x ranges over [{X.min():.3f}, {X.max():.3f}], expected [0, 1)")
    check.close([X.mean(), X.var()], [0.5, 1 / 12], "mean and variance of x (uniform on [0, 1))", atol=0.01)


@pytest.mark.exercise("08.3")
def test_sine_noise_level(kata, check):
    X, y = kata.sine_data(np.random.default_rng(2), 20000, noise=0.1)
    residual = np.asarray(y) - np.sin(2 * np.pi * np.asarray(X))
    check.close([residual.mean(), residual.std()], [0.0, 0.1],
                "mean and std of y - sin(2 pi x) with noise=0.1", atol=0.005)
    again, _ = kata.sine_data(np.random.default_rng(2), 20000, noise=0.1)
    check.close(again, X, "sine_data twice with the same seed", rtol=0, atol=0)
    other, _ = kata.sine_data(np.random.default_rng(3), 20000, noise=0.1)
    check.true(not np.allclose(other, X), "sine_data gave the same x for seeds 2 and 3",
               "draw x from the `rng` argument (rng.uniform), not from a fixed grid",
               "the book's sine_data (nnfs.datasets, ch. 17) is the evenly spaced grid "
               "np.arange(samples) / samples, the same for every run; this course draws x from a "
               "Generator so that train and validation sets can be independent samples")


# ---------------------------------------------------------------- 08.4 train/validation split
@pytest.mark.exercise("08.4")
def test_split_sizes(kata, check, rng):
    X, y = rng.normal(size=(50, 3)), np.arange(50)
    parts = kata.train_val_split(rng, X, y, 0.3)
    check.true(len(parts) == 4, "train_val_split should return (X_train, y_train, X_val, y_val)")
    check.shape(parts[0], (35, 3), "X_train of train_val_split(50 rows, val_fraction=0.3)")
    check.shape(parts[3], (15,), "y_val of train_val_split(50 rows, val_fraction=0.3)")


@pytest.mark.exercise("08.4")
@pytest.mark.parametrize("n, fraction, n_val", [(9, 0.3, 3), (7, 0.25, 2)])
def test_split_rounds_the_validation_size(kata, check, rng, n, fraction, n_val):
    X, y = rng.normal(size=(n, 2)), np.arange(n)
    parts = kata.train_val_split(rng, X, y, fraction)
    check.shape(parts[3], (n_val,), f"y_val of train_val_split({n} rows, val_fraction={fraction}) "
                f"(round({n} * {fraction}) = {n_val}; int() would truncate)")
    check.shape(parts[1], (n - n_val,), f"y_train of train_val_split({n} rows, val_fraction={fraction})")


@pytest.mark.exercise("08.4")
def test_split_partitions_and_keeps_pairs(kata, check, rng):
    ids = np.arange(40)
    X = np.stack([ids, 2.0 * ids], axis=1)
    Xt, yt, Xv, yv = (np.asarray(a) for a in kata.train_val_split(rng, X, ids, 0.25))
    check.true(np.array_equal(np.sort(np.concatenate([yt, yv])), ids),
               "train and validation together should hold every example exactly once")
    check.close(Xt[:, 0], yt, "X_train rows against their labels (pairs must stay together)")
    check.close(Xv[:, 0], yv, "X_val rows against their labels (pairs must stay together)")


@pytest.mark.exercise("08.4")
def test_split_shuffles_with_rng(kata, check):
    X, y = np.arange(60.0)[:, None], np.repeat(np.arange(3), 20)  # ordered by class, like spiral_data

    def validation_rows(seed):
        return np.asarray(kata.train_val_split(np.random.default_rng(seed), X, y, 0.2)[2])

    _, _, _, yv = kata.train_val_split(np.random.default_rng(0), X, y, 0.2)
    check.true(len(np.unique(yv)) == 3, f"the validation labels are only {np.unique(yv)}",
               "shuffle before splitting: the data are ordered by class")
    check.close(validation_rows(0), validation_rows(0), "X_val for the same seed twice", rtol=0, atol=0)
    check.true(not np.array_equal(validation_rows(0), validation_rows(1)), "seeds 0 and 1 gave the same split",
               "shuffle with the `rng` argument")


# ---------------------------------------------------------------- 08.5 minibatches
@pytest.mark.exercise("08.5")
def test_minibatches_sizes_with_partial_last(kata, check, rng):
    X, y = rng.normal(size=(10, 2)), np.arange(10)
    batches = kata.minibatches(rng, X, y, 4)
    sizes = [len(xb) for xb, _ in batches]
    check.true(sizes == [4, 4, 2], f"minibatches of 10 examples, batch_size 4, have sizes {sizes}",
               "expected [4, 4, 2]: the last, partial batch is kept, not dropped")
    check.shape(batches[0][0], (4, 2), "the first X batch")


@pytest.mark.exercise("08.5")
def test_minibatches_every_example_once_with_its_label(kata, check, rng):
    ids = np.arange(23)
    X = np.stack([ids, -ids], axis=1).astype(float)
    batches = kata.minibatches(rng, X, ids, 5)
    xs = np.concatenate([np.asarray(xb) for xb, _ in batches])
    ys = np.concatenate([np.asarray(yb) for _, yb in batches])
    check.true(np.array_equal(np.sort(ys), ids), "one epoch of minibatches should hold every example exactly once")
    check.close(xs[:, 0], ys, "X rows against their labels in the minibatches (pairs must stay together)")


@pytest.mark.exercise("08.5")
def test_minibatches_shuffle_by_rng(kata, check):
    ids = np.arange(30)
    X = ids[:, None].astype(float)

    def order(seed, shuffle=True):
        return np.concatenate([np.asarray(yb) for _, yb in
                               kata.minibatches(np.random.default_rng(seed), X, ids, 8, shuffle=shuffle)])

    check.close(order(0, shuffle=False), ids, "the order of minibatches with shuffle=False")
    check.close(order(3), np.random.default_rng(3).permutation(30),
                "the order of minibatches with shuffle=True: rng.permutation(n)", rtol=0, atol=0,
                suspects={"the rows stay in order: the book's Model.train slices X[step * batch_size:"
                          "(step + 1) * batch_size] in the same order every epoch; this course "
                          "reshuffles with rng every epoch, so no batch is always the same few "
                          "examples": ids})
    check.true(not np.array_equal(order(3), order(4)), "seeds 3 and 4 gave the same order",
               "shuffle with the `rng` argument")


# ---------------------------------------------------------------- 08.6 train step
@pytest.mark.exercise("08.6")
def test_train_step_returns_loss_before_update(kata, check, rng):
    layer, W, b = dense_model(kata)
    x, y = toy_classes(rng)
    loss = kata.train_step(layer, kata.SGD(layer.parameters(), lr=0.5), x, y)
    check.true(isinstance(loss, float), f"train_step returned {type(loss).__name__}, expected a float")
    check.close(loss, ce_and_grads(x, y, W, b)[0], "the loss train_step returns (before the update)")


@pytest.mark.exercise("08.6")
def test_train_step_applies_one_sgd_step(kata, check, rng):
    layer, W, b = dense_model(kata)
    x, y = toy_classes(rng)
    kata.train_step(layer, kata.SGD(layer.parameters(), lr=0.5), x, y)
    _, dW, db = ce_and_grads(x, y, W, b)
    check.close(layer.W.data, W - 0.5 * dW, "W after one train_step with SGD(lr=0.5)", batch_size=10)
    check.close(layer.b.data, b - 0.5 * db, "b after one train_step with SGD(lr=0.5)", batch_size=10)


@pytest.mark.exercise("08.6")
def test_train_step_zeroes_gradients_first(kata, check, rng):
    layer, W, b = dense_model(kata)
    x, y = toy_classes(rng)
    opt = kata.SGD(layer.parameters(), lr=0.5)
    for _ in range(3):
        _, dW, db = ce_and_grads(x, y, W, b)
        W, b = W - 0.5 * dW, b - 0.5 * db
        kata.train_step(layer, opt, x, y)
    check.close(layer.W.data, W, "W after three train_steps (gradients must not pile up across steps)")


@pytest.mark.exercise("08.6")
def test_train_step_regression(kata, check, rng):
    layer, W, b = dense_model(kata, d=3, k=2)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    loss = kata.train_step(layer, kata.SGD(layer.parameters(), lr=0.1), x, y, task="mse")
    residual = x @ W + b - y
    check.close(loss, np.mean(residual ** 2), "the loss train_step returns for task='mse'")
    check.close(layer.W.data, W - 0.1 * x.T @ (2 * residual / residual.size),
                "W after one train_step with task='mse'")


# ---------------------------------------------------------------- 08.7 evaluate
@pytest.mark.exercise("08.7")
def test_evaluate_classification(kata, check, rng):
    layer, W, b = dense_model(kata)
    x, y = toy_classes(rng, n=12)
    result = kata.evaluate(layer, x, y)
    check.true(len(result) == 2, "evaluate should return a pair (loss, score)")
    expected_acc = np.mean(np.argmax(x @ W + b, axis=1) == y)
    check.close(list(result), [ce_and_grads(x, y, W, b)[0], expected_acc], "(loss, accuracy) from evaluate")


@pytest.mark.exercise("08.7")
def test_evaluate_regression_r2(kata, check, rng):
    layer, W, b = dense_model(kata, d=3, k=1)
    x, y = rng.normal(size=(9, 3)), rng.normal(size=(9, 1))
    pred = x @ W + b
    r2 = 1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2)
    book_accuracy = np.mean(np.abs(pred - y) < np.std(y) / 250)
    check.close(list(kata.evaluate(layer, x, y, task="mse")), [np.mean((pred - y) ** 2), r2],
                "(loss, R^2) from evaluate(..., task='mse')",
                suspects={"you score regression with the book's accuracy, the fraction of predictions "
                          "within std(y) / 250 of the target (ch. 17); this course reports R^2 (the "
                          "provided r2_score), which needs no threshold":
                          [np.mean((pred - y) ** 2), book_accuracy]})


@pytest.mark.exercise("08.7")
def test_evaluate_uses_eval_mode_then_restores_training(kata, check, rng):
    layer, W, b = dense_model(kata)
    model = kata.Sequential([layer, kata.Dropout(0.9, np.random.default_rng(0))])
    x, y = toy_classes(rng, n=12)
    loss, _ = kata.evaluate(model, x, y)
    check.close(loss, ce_and_grads(x, y, W, b)[0],
                "evaluate's loss with a Dropout(0.9) layer (dropout must be off: eval mode)")
    check.true(model.training and model.layers[1].training,
               "after evaluate the model is still in eval mode", "call model.train() before returning")


# ---------------------------------------------------------------- 08.8 fit
def reference_fit(X, y, W, b, seed, epochs, batch_size, lr):
    """The loop of fit, written out: SGD on one Dense layer, reshuffled each epoch."""
    rng, losses = np.random.default_rng(seed), []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            loss, dW, db = ce_and_grads(X[idx], y[idx], W, b)
            W, b, total = W - lr * dW, b - lr * db, total + loss * len(idx)
        losses.append(total / len(X))
    return W, b, losses


@pytest.mark.exercise("08.8")
def test_fit_history_layout(kata, check, rng):
    layer, _, _ = dense_model(kata)
    X, y = toy_classes(rng)
    history = kata.fit(layer, kata.SGD(layer.parameters(), lr=0.1), X, y, rng, 3, 4, X[:4], y[:4])
    check.true(sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"],
               f"fit's history has keys {sorted(history)}", "expected loss, accuracy, val_loss, val_accuracy")
    check.shape(history["val_loss"], (3,), "history['val_loss'] after 3 epochs")
    plain = kata.fit(layer, kata.SGD(layer.parameters(), lr=0.1), X, y, rng, 2, 4)
    check.true(sorted(plain) == ["accuracy", "loss"], f"without validation data the keys are {sorted(plain)}",
               "add val_loss and val_accuracy only when X_val is given")


@pytest.mark.exercise("08.8")
def test_fit_calls_on_epoch_after_each_epoch(kata, check, rng):
    layer, _, _ = dense_model(kata)
    X, y = toy_classes(rng, n=8)
    calls = []

    def on_epoch(epoch, history):  # record what fit passes, as plain numbers
        calls.append((int(epoch), len(history["loss"]), len(history["accuracy"])))

    kata.fit(layer, kata.SGD(layer.parameters(), lr=0.1), X, y, rng, 3, 4, on_epoch=on_epoch)
    check.true(calls == [(0, 1, 1), (1, 2, 2), (2, 3, 3)],
               f"on_epoch was called as (epoch, len(loss), len(accuracy)) = {calls}",
               "expected [(0, 1, 1), (1, 2, 2), (2, 3, 3)]: once per epoch, counted from 0, "
               "after that epoch's loss and score are in the history")


@pytest.mark.exercise("08.8")
def test_fit_matches_the_loop_written_out(kata, check, rng):
    layer, W, b = dense_model(kata)
    X, y = toy_classes(rng, n=10)
    opt = kata.SGD(layer.parameters(), lr=0.3)
    history = kata.fit(layer, opt, X, y, np.random.default_rng(5), 3, 4)
    W_end, b_end, losses = reference_fit(X, y, W, b, 5, 3, 4, 0.3)
    check.true(opt.iterations == 9, f"fit took {opt.iterations} optimizer steps, expected 3 epochs x 3 batches",
               "one train_step per minibatch, including the last partial batch")
    check.close(history["loss"], losses, "history['loss']: per epoch, the example-weighted mean batch loss")
    check.close(layer.W.data, W_end, "W after fit (3 epochs, reshuffled with rng every epoch)")
    check.close(layer.b.data, b_end, "b after fit (3 epochs, reshuffled with rng every epoch)")


@pytest.mark.exercise("08.8")
def test_fit_scores_after_each_epoch(kata, check, rng):
    layer, _, _ = dense_model(kata)
    X, y = toy_classes(rng, n=12)
    Xv, yv = toy_classes(rng, n=7)
    history = kata.fit(layer, kata.SGD(layer.parameters(), lr=0.2), X, y, rng, 2, 5, Xv, yv)
    W, b = np.array(layer.W.data), np.array(layer.b.data)
    check.close(history["accuracy"][-1], np.mean(np.argmax(X @ W + b, axis=1) == y),
                "history['accuracy'][-1]: training accuracy of the final model")
    check.close(history["val_loss"][-1], ce_and_grads(Xv, yv, W, b)[0],
                "history['val_loss'][-1]: validation loss of the final model")
    check.close(history["val_accuracy"][-1], np.mean(np.argmax(Xv @ W + b, axis=1) == yv),
                "history['val_accuracy'][-1]: validation accuracy of the final model")


def own_spiral(rng, n, k=3):
    r = np.tile(np.linspace(0, 1, n), k)
    t = np.repeat(4.0 * np.arange(k), n) + np.tile(np.linspace(0, 4, n), k) + 0.2 * rng.standard_normal(n * k)
    return np.stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)], axis=1), np.repeat(np.arange(k), n)


@pytest.mark.exercise("08.8")
def test_fit_learns_the_spiral(kata, check):
    rng = np.random.default_rng(0)
    X, y = own_spiral(rng, 100)
    model = kata.Sequential([kata.Dense(2, 32, rng), kata.ReLU(), kata.Dense(32, 32, rng), kata.ReLU(),
                             kata.Dense(32, 3, rng)])
    history = kata.fit(model, kata.Adam(model.parameters(), lr=0.02), X, y, rng, 60, 32)
    first, last, acc = history["loss"][0], history["loss"][-1], history["accuracy"][-1]
    check.true(np.all(np.isfinite(history["loss"])), "the training loss became NaN or inf")
    check.true(last < 0.6 * first, f"the training loss went from {first:.3f} to {last:.3f} in 60 epochs",
               "expected it to fall below 60% of its start (the reference reaches about 0.3)")
    check.true(acc >= 0.75, f"training accuracy on the spiral is {acc:.3f} after 60 epochs",
               "the reference reaches 0.85-0.92 here (seeds 0-9); chance is 0.33")


# ---------------------------------------------------------------- 08.9 / 08.10 save and load
def twelve_params(kata, rng):
    return [kata.Parameter(rng.normal(size=(i % 3 + 1, i + 1))) for i in range(12)]


@pytest.mark.exercise("08.9")
def test_save_params_writes_plain_npz(kata, check, rng, tmp_path):
    params = twelve_params(kata, rng)
    path = tmp_path / "model.npz"
    kata.save_params(str(path), params)
    check.true(path.is_file(), f"save_params did not create {path.name}", "use np.savez(path, ...)")
    with np.load(path, allow_pickle=False) as saved:
        keys = sorted(saved.files, key=lambda k: (len(k), k))
        check.true(keys == [f"p{i}" for i in range(12)], f"the file holds keys {keys}",
                   "save p.data of params[i] under the key f'p{i}'")
        for i, p in enumerate(params):
            check.close(saved[f"p{i}"], p.data, f"array p{i} in the saved file", rtol=0, atol=0)


@pytest.mark.exercise("08.9")
def test_save_params_saves_data_not_gradients(kata, check, rng, tmp_path):
    model = kata.MLP(2, 4, 3, np.random.default_rng(1))
    for p in model.parameters():
        p.grad = np.full(p.data.shape, 7.0)
    kata.save_params(str(tmp_path / "mlp.npz"), model.parameters())
    with np.load(tmp_path / "mlp.npz", allow_pickle=False) as saved:
        for i, p in enumerate(model.parameters()):
            check.close(saved[f"p{i}"], p.data, f"p{i} in the saved file (the parameter's data)", rtol=0, atol=0)


@pytest.mark.exercise("08.10")
def test_load_params_round_trip(kata, check, rng, tmp_path):
    arrays = [rng.normal(size=(i % 3 + 1, i + 1)) for i in range(12)]
    path = tmp_path / "model.npz"
    np.savez(path, **{f"p{i}": a for i, a in enumerate(arrays)})
    params = [kata.Parameter(np.zeros_like(a)) for a in arrays]
    kata.load_params(str(path), params)
    for i, (p, a) in enumerate(zip(params, arrays)):
        check.close(p.data, a, f"params[{i}].data after load_params (key p{i})", rtol=0, atol=0)


@pytest.mark.exercise("08.10")
def test_load_params_rejects_wrong_shapes_without_changing_anything(kata, check, tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, p0=np.ones((2, 3)), p1=np.ones(3), p2=np.ones((3, 4)))
    params = [kata.Parameter(np.zeros((2, 3))), kata.Parameter(np.zeros(3)), kata.Parameter(np.zeros((4, 3)))]
    check.raises(ValueError, lambda: kata.load_params(str(path), params),
                 "load_params into a parameter of shape (4, 3) from an array (3, 4)", mentions=("p2",))
    check.close(params[0].data, np.zeros((2, 3)),
                "params[0] after a failed load_params (nothing should change when any shape is wrong)")
    check.raises(ValueError, lambda: kata.load_params(str(path), params[:2]),
                 "load_params of a 3-array file into 2 parameters")


@pytest.mark.exercise("08.10")
def test_load_params_restores_a_trained_model(kata, check, rng, tmp_path):
    path = tmp_path / "mlp.npz"
    np.savez(path, p0=rng.normal(size=(2, 5)), p1=rng.normal(size=5), p2=rng.normal(size=(5, 3)),
             p3=rng.normal(size=3))
    model = kata.MLP(2, 5, 3, np.random.default_rng(0))
    kata.load_params(str(path), model.parameters())
    x = rng.normal(size=(4, 2))
    with np.load(path) as f:
        expected = np.maximum(x @ f["p0"] + f["p1"], 0) @ f["p2"] + f["p3"]
    check.close(model.forward(x), expected, "MLP output after load_params (W1, b1, W2, b2 from the file)")


@pytest.mark.exercise("08.10")
def test_load_params_refuses_pickled_arrays(kata, check, tmp_path):
    # An object array is stored with pickle; unpickling a file can run code, so refuse it.
    path = tmp_path / "pickled.npz"
    np.savez(path, p0=np.array([1.0, 2.0], dtype=object))
    params = [kata.Parameter(np.zeros(2))]
    check.raises(ValueError, lambda: kata.load_params(str(path), params),
                 "load_params of a file holding a pickled (object) array (open it with allow_pickle=False; "
                 "the book saves parameters with pickle (Model.save_parameters, ch. 21), this course "
                 "writes plain .npz arrays because unpickling a file can run arbitrary code)")
    check.close(params[0].data, np.zeros(2), "params[0] after refusing a pickled file (unchanged)")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
def angle_residual(X, k, n):
    """Per-class angle of each point minus the noise-free angle 2.5 * t0 of NNFS's spiral."""
    t0 = (4.0 * np.arange(k)[:, None] + np.linspace(0, 4, n)[None, :]).ravel()
    residual = (np.arctan2(X[:, 0], X[:, 1]) - 2.5 * t0 + np.pi) % (2 * np.pi) - np.pi
    return residual.reshape(k, n)[:, 1:]  # the point at r = 0 has no angle


@pytest.mark.exercise("08.1")
@pytest.mark.parametrize("k", [2, 5])
def test_spiral_with_other_class_counts(kata, check, k):
    n = 600  # standard error of a class's mean angle: 0.5 / sqrt(600) ~ 0.02
    X, y = kata.spiral_data(np.random.default_rng(20 + k), n, k)
    X = check.shape(X, (k * n, 2), f"X of spiral_data(rng, {n}, {k})")
    check.close(y, np.repeat(np.arange(k), n), f"y of spiral_data(rng, {n}, {k}): class by class")
    means = angle_residual(X, k, n).mean(axis=1)
    check.true(np.all(np.abs(means) < 0.1),
               f"with {k} classes the spiral angle is off centre by {np.round(means, 3)} radians per class",
               "class k runs along t = linspace(4k, 4k + 4, n) whatever the number of classes "
               "(do not spread the arms by 2 pi / n_classes or hard-code 3 classes)")


@pytest.mark.exercise("08.2")
@pytest.mark.parametrize("k", [2, 5])
def test_vertical_with_other_class_counts(kata, check, k):
    n = 1000  # standard error of a mean: 0.1 / sqrt(1000) ~ 0.003
    X, y = kata.vertical_data(np.random.default_rng(30 + k), n, k)
    X = check.shape(X, (k * n, 2), f"X of vertical_data(rng, {n}, {k})").reshape(k, n, 2)
    check.close(y, np.repeat(np.arange(k), n), f"y of vertical_data(rng, {n}, {k}): class by class")
    expected = [[j / 3.0, 0.5] for j in range(k)]
    check.close(X.mean(axis=1), expected,
                f"per-class means of vertical_data with {k} classes: centre (k / 3, 0.5) for every k "
                "(the divisor is 3 whatever the number of classes, as in NNFS)", atol=0.015,
                suspects={"you centre class k at k / n_classes": [[j / k, 0.5] for j in range(k)]})


@pytest.mark.exercise("08.4")
@pytest.mark.parametrize("n, fraction, n_val", [(4, 0.1, 0), (10, 0.5, 5), (6, 0.0, 0)],
                         ids=["rounds to 0", "half", "no validation"])
def test_split_edge_fractions(kata, check, rng, n, fraction, n_val):
    ids = np.arange(n)
    X = np.stack([ids, 2.0 * ids], axis=1)
    Xt, yt, Xv, yv = kata.train_val_split(rng, X, ids, fraction)
    where = f"train_val_split({n} rows, val_fraction={fraction}) (round({n} * {fraction}) = {n_val})"
    careful = "careful: order[-0:] is the WHOLE array and order[:-0] is empty; slice from the front"
    check.shape(yv, (n_val,), f"y_val of {where} ({careful}, and hold out no row when it rounds to 0)")
    check.shape(Xv, (n_val, 2), f"X_val of {where}")
    check.shape(yt, (n - n_val,), f"y_train of {where} ({careful})")
    check.true(np.array_equal(np.sort(np.concatenate([np.asarray(yt), np.asarray(yv)])), ids),
               f"{where}: train and validation together should hold every example exactly once")
    check.close(np.asarray(Xt)[:, 0], yt, f"X_train rows against their labels, {where}")


@pytest.mark.exercise("08.5")
@pytest.mark.parametrize("n, batch_size, sizes", [(12, 4, [4, 4, 4]), (5, 8, [5]), (3, 1, [1, 1, 1]),
                                                  (7, 7, [7])],
                         ids=["divides evenly", "batch larger than data", "batch of 1", "one full batch"])
def test_minibatches_edge_sizes(kata, check, rng, n, batch_size, sizes):
    ids = np.arange(n)
    X = np.stack([ids, -ids], axis=1).astype(float)
    batches = kata.minibatches(rng, X, ids, batch_size)
    got = [len(xb) for xb, _ in batches]
    check.true(got == sizes, f"minibatches of {n} examples, batch_size {batch_size}, have sizes {got}",
               f"expected {sizes}: no empty batch when the size divides evenly, and one short batch "
               "only when there is a remainder")
    for xb, yb in batches:
        check.shape(xb, (len(yb), 2), f"an X batch of minibatches({n} examples, batch_size {batch_size})")
    ys = np.concatenate([np.asarray(yb) for _, yb in batches])
    check.true(np.array_equal(np.sort(ys), ids), "one epoch of minibatches should hold every example exactly once")


@pytest.mark.exercise("08.6")
def test_train_step_ignores_stale_gradients(kata, check, rng):
    # Gradients left over from earlier work (another loss, an aborted step) must not leak in.
    layer, W, b = dense_model(kata)
    x, y = toy_classes(rng)
    layer.W.grad = rng.normal(size=W.shape)
    layer.b.grad = rng.normal(size=b.shape)
    kata.train_step(layer, kata.SGD(layer.parameters(), lr=0.5), x, y)
    _, dW, db = ce_and_grads(x, y, W, b)
    check.close(layer.W.data, W - 0.5 * dW, "W after one train_step that started with stale "
                "gradients in W.grad (zero them first, then backward, then step)", batch_size=10)
    check.close(layer.b.data, b - 0.5 * db, "b after one train_step that started with stale gradients",
                batch_size=10)


@pytest.mark.exercise("08.6")
def test_train_step_on_one_example(kata, check, rng):
    layer, W, b = dense_model(kata)
    x, y = rng.normal(size=(1, 2)), np.array([2])
    loss = kata.train_step(layer, kata.SGD(layer.parameters(), lr=0.5), x, y)
    ref_loss, dW, db = ce_and_grads(x, y, W, b)
    check.close(loss, ref_loss, "the loss of train_step on a batch of one example")
    check.close(layer.W.data, W - 0.5 * dW, "W after one train_step on a batch of one example", batch_size=1)


@pytest.mark.exercise("08.8")
@pytest.mark.parametrize("n, batch_size", [(8, 4), (5, 8)], ids=["divides evenly", "batch larger than data"])
def test_fit_edge_batch_sizes_with_stale_gradients(kata, check, rng, n, batch_size):
    layer, W, b = dense_model(kata)
    X, y = toy_classes(rng, n=n)
    layer.W.grad = np.full(W.shape, 3.0)  # stale gradients: fit's steps must not use them
    opt = kata.SGD(layer.parameters(), lr=0.3)
    history = kata.fit(layer, opt, X, y, np.random.default_rng(9), 2, batch_size)
    W_end, _, losses = reference_fit(X, y, W, b, 9, 2, batch_size, 0.3)
    steps = 2 * -(-n // batch_size)
    check.true(opt.iterations == steps, f"fit took {opt.iterations} optimizer steps on {n} examples with "
               f"batch_size {batch_size}, expected {steps} (2 epochs)", "one train_step per non-empty minibatch")
    check.close(history["loss"], losses, f"history['loss'] of fit({n} examples, batch_size {batch_size})")
    check.close(layer.W.data, W_end, f"W after fit({n} examples, batch_size {batch_size}, 2 epochs)")


@pytest.mark.exercise("08.9")
def test_save_params_tiny_shapes(kata, check, rng, tmp_path):
    # A 0-d parameter (Swish's beta, chapter 09) and a (1,) one are saved with their shapes.
    arrays = [np.array(rng.normal()), rng.normal(size=1), rng.normal(size=(1, 3))]
    params = [kata.Parameter(a.copy()) for a in arrays]
    kata.save_params(str(tmp_path / "tiny.npz"), params)
    with np.load(tmp_path / "tiny.npz", allow_pickle=False) as saved:
        for i, a in enumerate(arrays):
            got = check.shape(saved[f"p{i}"], a.shape, f"p{i} in the saved file (keep the shape {a.shape})")
            check.close(got, a, f"p{i} in the saved file", rtol=0, atol=0)


@pytest.mark.exercise("08.10")
def test_load_params_tiny_shapes(kata, check, rng, tmp_path):
    arrays = [np.array(rng.normal()), rng.normal(size=1), rng.normal(size=(1, 3))]
    path = tmp_path / "tiny.npz"
    np.savez(path, **{f"p{i}": a for i, a in enumerate(arrays)})
    params = [kata.Parameter(np.zeros_like(a)) for a in arrays]
    kata.load_params(str(path), params)
    for i, a in enumerate(arrays):
        got = check.shape(params[i].data, a.shape, f"params[{i}].data after load_params (shape {a.shape}, "
                          "also for a 0-d parameter)")
        check.close(got, a, f"params[{i}].data after load_params", rtol=0, atol=0)
    check.raises(ValueError, lambda: kata.load_params(str(path), [kata.Parameter(np.zeros(1)),
                                                                 kata.Parameter(np.zeros(1)),
                                                                 kata.Parameter(np.zeros((1, 3)))]),
                 "load_params of a 0-d array p0 into a parameter of shape (1,)", mentions=("p0",))
