"""Chapter 08 mistakes: data, batching and the training loop as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch08_training import TASKS, evaluate as _evaluate, minibatches as _minibatches
from solutions.ch08_training import train_step as _train_step


@mistake("08.1", "noise added to the radius instead of the angle")
def spiral_data(rng, n_per_class, n_classes=3):
    r = np.linspace(0.0, 1.0, n_per_class) + 0.2 * rng.standard_normal((n_classes, n_per_class))
    t = 4.0 * np.arange(n_classes)[:, None] + np.linspace(0.0, 4.0, n_per_class)[None, :]
    X = np.stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)], axis=-1).reshape(-1, 2)
    return X, np.repeat(np.arange(n_classes), n_per_class)


@mistake("08.1", "every class on the same arm: t = linspace(0, 4, n) for all k")
def spiral_data_no_offset(rng, n_per_class, n_classes=3):
    r = np.linspace(0.0, 1.0, n_per_class)
    t = np.linspace(0.0, 4.0, n_per_class)[None, :] + 0.2 * rng.standard_normal((n_classes, n_per_class))
    X = np.stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)], axis=-1).reshape(-1, 2)
    return X, np.repeat(np.arange(n_classes), n_per_class)


@mistake("08.1", "uses NumPy's global generator and float labels", cause="labels")
def spiral_data_global(rng, n_per_class, n_classes=3):
    r = np.linspace(0.0, 1.0, n_per_class)
    t = (4.0 * np.arange(n_classes)[:, None] + np.linspace(0.0, 4.0, n_per_class)[None, :]
         + 0.2 * np.random.randn(n_classes, n_per_class))
    X = np.stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)], axis=-1).reshape(-1, 2)
    return X, np.repeat(np.arange(n_classes), n_per_class).astype(float)


@mistake("08.2", "centres at k instead of k / 3")
def vertical_data(rng, n_per_class, n_classes=3):
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = np.stack([y * 1.0, np.full(y.shape, 0.5)], axis=1)
    return centres + 0.1 * rng.standard_normal((y.size, 2)), y


@mistake("08.2", "noise std 1 instead of 0.1")
def vertical_data_wide(rng, n_per_class, n_classes=3):
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = np.stack([y / 3.0, np.full(y.shape, 0.5)], axis=1)
    return centres + rng.standard_normal((y.size, 2)), y


@mistake("08.3", "forgets the 2 pi: y = sin(x)")
def sine_data(rng, n, noise=0.0):
    X = rng.uniform(0.0, 1.0, size=(n, 1))
    return X, np.sin(X) + noise * rng.standard_normal((n, 1))


@mistake("08.3", "returns 1-D arrays (n,) instead of columns (n, 1)", cause="shape")
def sine_data_flat(rng, n, noise=0.0):
    X = rng.uniform(0.0, 1.0, size=n)
    return X, np.sin(2.0 * np.pi * X) + noise * rng.standard_normal(n)


@mistake("08.3", "NNFS's evenly spaced x = arange(n) / n, ignoring rng")
def sine_data_grid(rng, n, noise=0.0):
    X = (np.arange(n) / n)[:, None]
    return X, np.sin(2.0 * np.pi * X) + noise * rng.standard_normal((n, 1))


@mistake("08.4", "no shuffle: the last rows (one class) become the validation set")
def train_val_split(rng, X, y, val_fraction=0.2):
    n_val = int(round(len(X) * val_fraction))
    return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]


@mistake("08.4", "separate permutations for X and y: labels no longer match")
def train_val_split_two_perms(rng, X, y, val_fraction=0.2):
    ox, oy = rng.permutation(len(X)), rng.permutation(len(X))
    n_val = int(round(len(X) * val_fraction))
    return X[ox[n_val:]], y[oy[n_val:]], X[ox[:n_val]], y[oy[:n_val]]


@mistake("08.4", "val_fraction read as the training share")
def train_val_split_swapped(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    n_train = int(round(len(X) * val_fraction))
    return X[order[:n_train]], y[order[:n_train]], X[order[n_train:]], y[order[n_train:]]


@mistake("08.5", "drops the last partial batch")
def minibatches(rng, X, y, batch_size, shuffle=True):
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(X) - batch_size + 1, batch_size)]


@mistake("08.5", "shuffles X and y with separate permutations")
def minibatches_two_perms(rng, X, y, batch_size, shuffle=True):
    ox = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    oy = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    return [(X[ox[i:i + batch_size]], y[oy[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


@mistake("08.5", "shuffles with np.random.permutation, ignoring rng")
def minibatches_global(rng, X, y, batch_size, shuffle=True):
    order = np.random.permutation(len(X)) if shuffle else np.arange(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


@mistake("08.6", "never zeroes the gradients: they pile up step after step")
def train_step(model, optimizer, x, y, task="ce"):
    loss_forward, loss_backward, _, _ = TASKS[task]
    loss, cache = loss_forward(model.forward(x), y)
    model.backward(loss_backward(1.0, cache))
    optimizer.step()
    return float(loss)


@mistake("08.6", "starts backward from dloss = loss instead of 1.0")
def train_step_dout_is_loss(model, optimizer, x, y, task="ce"):
    loss_forward, loss_backward, _, _ = TASKS[task]
    optimizer.zero_grad()
    loss, cache = loss_forward(model.forward(x), y)
    model.backward(loss_backward(loss, cache))
    optimizer.step()
    return float(loss)


@mistake("08.6", "zeroes the gradients after backward, so the step does nothing")
def train_step_zero_late(model, optimizer, x, y, task="ce"):
    loss_forward, loss_backward, _, _ = TASKS[task]
    loss, cache = loss_forward(model.forward(x), y)
    model.backward(loss_backward(1.0, cache))
    optimizer.zero_grad()
    optimizer.step()
    return float(loss)


@mistake("08.6", "returns the loss after the update, recomputed on the new weights")
def train_step_loss_after(model, optimizer, x, y, task="ce"):
    loss_forward, loss_backward, _, _ = TASKS[task]
    optimizer.zero_grad()
    loss, cache = loss_forward(model.forward(x), y)
    model.backward(loss_backward(1.0, cache))
    optimizer.step()
    return float(loss_forward(model.forward(x), y)[0])


@mistake("08.7", "forgets eval mode: dropout stays on during evaluation")
def evaluate(model, X, y, task="ce"):
    loss_forward, _, score, _ = TASKS[task]
    out = model.forward(X)
    return float(loss_forward(out, y)[0]), float(score(out, y))


@mistake("08.7", "leaves the model in eval mode")
def evaluate_stays_eval(model, X, y, task="ce"):
    loss_forward, _, score, _ = TASKS[task]
    model.eval()
    out = model.forward(X)
    return float(loss_forward(out, y)[0]), float(score(out, y))


@mistake("08.7", "always scores with accuracy, even for regression")
def evaluate_accuracy_only(model, X, y, task="ce"):
    loss_forward = TASKS[task][0]
    model.eval()
    out = model.forward(X)
    model.train()
    return float(loss_forward(out, y)[0]), float(TASKS["ce"][2](out, y.ravel().astype(int)))


def _fit(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, mode):
    name = TASKS[task][3]
    history = {"loss": [], name: []}
    if X_val is not None:
        history.update({"val_loss": [], "val_" + name: []})
    batches = _minibatches(rng, X, y, batch_size)
    for _ in range(epochs):
        if mode != "shuffle once":
            batches = _minibatches(rng, X, y, batch_size)
        losses = [(_train_step(model, optimizer, xb, yb, task), len(xb)) for xb, yb in batches]
        if mode == "unweighted":
            history["loss"].append(float(np.mean([l for l, _ in losses])))
        elif mode == "last batch":
            history["loss"].append(losses[-1][0])
        else:
            history["loss"].append(sum(l * n for l, n in losses) / len(X))
        history[name].append(_evaluate(model, X, y, task)[1])
        if X_val is not None:
            data = (X, y) if mode == "val on train" else (X_val, y_val)
            val_loss, val_score = _evaluate(model, *data, task)
            history["val_loss"].append(val_loss)
            history["val_" + name].append(val_score)
    return history


@mistake("08.8", "epoch loss is the plain mean of batch losses (the short last batch counts too much)")
def fit(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce", on_epoch=None):
    return _fit(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, "unweighted")


@mistake("08.8", "records only the last batch's loss")
def fit_last_batch(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce",
                   on_epoch=None):
    return _fit(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, "last batch")


@mistake("08.8", "shuffles once before the loop: every epoch sees the same order")
def fit_shuffle_once(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce",
                     on_epoch=None):
    return _fit(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, "shuffle once")


@mistake("08.8", "validation scores computed on the training data")
def fit_val_on_train(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce",
                     on_epoch=None):
    return _fit(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, "val on train")


@mistake("08.9", "np.savez(path, *arrays): keys arr_0, arr_1, ...")
def save_params(path, params):
    np.savez(path, *[p.data for p in params])


@mistake("08.9", "saves the gradients instead of the values")
def save_params_grads(path, params):
    np.savez(path, **{f"p{i}": p.grad for i, p in enumerate(params)})


@mistake("08.10", "takes the keys in the file's sorted order (p0, p1, p10, p11, p2, ...)")
def load_params(path, params):
    with np.load(path, allow_pickle=False) as saved:
        for p, key in zip(params, sorted(saved.files)):
            if saved[key].shape != p.data.shape:
                raise ValueError(f"{key} has shape {saved[key].shape}, the parameter has {p.data.shape}")
            p.data = saved[key].astype(np.float64)


@mistake("08.10", "rebinds a local name: the model never changes")
def load_params_rebind(path, params):
    with np.load(path, allow_pickle=False) as saved:
        for i, p in enumerate(params):
            arr = saved[f"p{i}"]
            if arr.shape != p.data.shape:
                raise ValueError(f"p{i} has shape {arr.shape}, the parameter has {p.data.shape}")
            p = type(p)(arr)  # noqa: F841 - the mistake: the list entry is untouched


@mistake("08.10", "assigns while checking: a bad file leaves the model half loaded")
def load_params_half(path, params):
    with np.load(path, allow_pickle=False) as saved:
        if len(saved.files) != len(params):
            raise ValueError("wrong number of arrays")
        for i, p in enumerate(params):
            arr = saved[f"p{i}"]
            if arr.shape != p.data.shape:
                raise ValueError(f"p{i} has shape {arr.shape}, the parameter has {p.data.shape}")
            p.data = arr.astype(np.float64)


@mistake("08.10", "no checks: any shape is accepted")
def load_params_unchecked(path, params):
    with np.load(path, allow_pickle=False) as saved:
        for i, p in enumerate(params):
            p.data = saved[f"p{i}"].astype(np.float64)


@mistake("08.4", "truncates the validation size: int(n * val_fraction) instead of round")
def train_val_split_floor(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    n_val = int(len(X) * val_fraction)
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


def _fit_with(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, on_epoch, call):
    name = TASKS[task][3]
    history = {"loss": [], name: []}
    if X_val is not None:
        history.update({"val_loss": [], "val_" + name: []})
    for epoch in range(epochs):
        if call == "before":
            on_epoch(epoch, history)
        total = 0.0
        for xb, yb in _minibatches(rng, X, y, batch_size):
            total += _train_step(model, optimizer, xb, yb, task) * len(xb)
        history["loss"].append(total / len(X))
        history[name].append(_evaluate(model, X, y, task)[1])
        if X_val is not None:
            val_loss, val_score = _evaluate(model, X_val, y_val, task)
            history["val_loss"].append(val_loss)
            history["val_" + name].append(val_score)
        if call == "one-based" and on_epoch is not None:
            on_epoch(epoch + 1, history)
    return history


@mistake("08.8", "never calls on_epoch")
def fit_ignores_on_epoch(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None,
                         task="ce", on_epoch=None):
    return _fit_with(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, on_epoch, "never")


@mistake("08.8", "calls on_epoch with 1-based epoch numbers")
def fit_on_epoch_one_based(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None,
                           task="ce", on_epoch=None):
    return _fit_with(model, optimizer, X, y, rng, epochs, batch_size, X_val, y_val, task, on_epoch, "one-based")


@mistake("08.10", "np.load(path, allow_pickle=True): loading a parameter file can run code")
def load_params_allow_pickle(path, params):
    with np.load(path, allow_pickle=True) as saved:
        if len(saved.files) != len(params):
            raise ValueError(f"{path} holds {len(saved.files)} arrays, the model has {len(params)} parameters")
        arrays = [saved[f"p{i}"] for i in range(len(params))]
    for i, (p, arr) in enumerate(zip(params, arrays)):
        if arr.shape != p.data.shape:
            raise ValueError(f"p{i} in {path} has shape {arr.shape}, the parameter has {p.data.shape}")
    for p, arr in zip(params, arrays):
        p.data = arr


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("08.2", "float class labels: np.repeat(np.arange(K, dtype=float), n)", cause="labels")
def vertical_data_float_labels(rng, n_per_class, n_classes=3):
    y = np.repeat(np.arange(n_classes, dtype=float), n_per_class)
    centres = np.stack([y / 3.0, np.full(y.shape, 0.5)], axis=1)
    return centres + 0.1 * rng.standard_normal((y.size, 2)), y


@mistake("08.4", "shuffles the caller's X and y in place (X[:] = X[order])", cause="in-place")
def train_val_split_in_place(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    X[:] = X[order]
    y[:] = y[order]
    n_val = int(round(len(X) * val_fraction))
    return X[n_val:].copy(), y[n_val:].copy(), X[:n_val].copy(), y[:n_val].copy()


@mistake("08.4", "returns the labels as floats (y[train].astype(float))", cause="labels")
def train_val_split_float_labels(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    n_val = int(round(len(X) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train].astype(float), X[val], y[val].astype(float)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("08.1", "spreads the arms evenly: t starts at 12k / n_classes (right only for 3 classes)")
def spiral_data_spread(rng, n_per_class, n_classes=3):
    r = np.linspace(0.0, 1.0, n_per_class)
    start = 12.0 * np.arange(n_classes)[:, None] / n_classes
    t = start + np.linspace(0.0, 4.0, n_per_class)[None, :] + 0.2 * rng.standard_normal((n_classes, n_per_class))
    X = np.stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)], axis=-1).reshape(-1, 2)
    return X, np.repeat(np.arange(n_classes), n_per_class)


@mistake("08.2", "centres class k at k / n_classes instead of k / 3")
def vertical_data_spread(rng, n_per_class, n_classes=3):
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = np.stack([y / n_classes, np.full(y.shape, 0.5)], axis=1)
    return centres + 0.1 * rng.standard_normal((y.size, 2)), y


@mistake("08.4", "takes the validation rows as order[-n_val:]: with n_val = 0 that is every row")
def train_val_split_negative_slice(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    n_val = int(round(len(X) * val_fraction))
    val, train = order[-n_val:], order[:-n_val]
    return X[train], y[train], X[val], y[val]


@mistake("08.4", "at least one validation row: max(1, round(n * val_fraction))")
def train_val_split_at_least_one(rng, X, y, val_fraction=0.2):
    order = rng.permutation(len(X))
    n_val = max(1, int(round(len(X) * val_fraction)))
    return X[order[n_val:]], y[order[n_val:]], X[order[:n_val]], y[order[:n_val]]


@mistake("08.5", "n // batch_size + 1 batches: an empty batch when the size divides evenly")
def minibatches_plus_one(rng, X, y, batch_size, shuffle=True):
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    return [(X[order[i * batch_size:(i + 1) * batch_size]], y[order[i * batch_size:(i + 1) * batch_size]])
            for i in range(len(X) // batch_size + 1)]


@mistake("08.6", "zeroes the gradients after the step: the first step uses whatever was left in .grad")
def train_step_zero_after(model, optimizer, x, y, task="ce"):
    loss_forward, loss_backward, _, _ = TASKS[task]
    loss, cache = loss_forward(model.forward(x), y)
    model.backward(loss_backward(1.0, cache))
    optimizer.step()
    optimizer.zero_grad()
    return float(loss)


@mistake("08.8", "writes the step out with zero_grad after optimizer.step: the first step uses stale gradients")
def fit_zero_once(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce",
                  on_epoch=None):
    name = TASKS[task][3]
    history = {"loss": [], name: []}
    if X_val is not None:
        history.update({"val_loss": [], "val_" + name: []})
    loss_forward, loss_backward, _, _ = TASKS[task]
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in _minibatches(rng, X, y, batch_size):
            loss, cache = loss_forward(model.forward(xb), yb)
            model.backward(loss_backward(1.0, cache))
            optimizer.step()
            optimizer.zero_grad()
            total += float(loss) * len(xb)
        history["loss"].append(total / len(X))
        history[name].append(_evaluate(model, X, y, task)[1])
        if X_val is not None:
            val_loss, val_score = _evaluate(model, X_val, y_val, task)
            history["val_loss"].append(val_loss)
            history["val_" + name].append(val_score)
        if on_epoch is not None:
            on_epoch(epoch, history)
    return history


@mistake("08.8", "counts steps as len(X) // batch_size per epoch: a batch larger than the data trains nothing")
def fit_floor_steps(model, optimizer, X, y, rng, epochs, batch_size, X_val=None, y_val=None, task="ce",
                    on_epoch=None):
    name = TASKS[task][3]
    history = {"loss": [], name: []}
    if X_val is not None:
        history.update({"val_loss": [], "val_" + name: []})
    for epoch in range(epochs):
        batches = _minibatches(rng, X, y, batch_size)
        steps = max(len(X) // batch_size, 0)
        if steps * batch_size < len(X) and steps > 0:
            steps += 1  # the book's rule, but only once there is at least one full batch
        total, seen = 0.0, 0
        for xb, yb in batches[:steps]:
            total += _train_step(model, optimizer, xb, yb, task) * len(xb)
            seen += len(xb)
        history["loss"].append(total / max(seen, 1))
        history[name].append(_evaluate(model, X, y, task)[1])
        if X_val is not None:
            val_loss, val_score = _evaluate(model, X_val, y_val, task)
            history["val_loss"].append(val_loss)
            history["val_" + name].append(val_score)
        if on_epoch is not None:
            on_epoch(epoch, history)
    return history


@mistake("08.5", "ignores shuffle and slices the rows in order, as the book's Model.train does")
def minibatches_in_order(rng, X, y, batch_size, shuffle=True):
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]


@mistake("08.7", "scores regression with the book's accuracy: |pred - y| < std(y) / 250")
def evaluate_book_regression_accuracy(model, X, y, task="ce"):
    loss_forward, _, score, _ = TASKS[task]
    model.eval()
    out = model.forward(X)
    model.train()
    if task == "mse":
        return float(loss_forward(out, y)[0]), float(np.mean(np.abs(out - y) < np.std(y) / 250))
    return float(loss_forward(out, y)[0]), float(score(out, y))


@mistake("08.10", "compares sizes instead of shapes: a 0-d array loads into a (1,) parameter")
def load_params_sizes_only(path, params):
    with np.load(path, allow_pickle=False) as saved:
        if len(saved.files) != len(params):
            raise ValueError(f"{path} holds {len(saved.files)} arrays, the model has {len(params)}")
        arrays = [saved[f"p{i}"] for i in range(len(params))]
    for i, (p, arr) in enumerate(zip(params, arrays)):
        if arr.size != p.data.size:
            raise ValueError(f"p{i} has {arr.size} entries, the parameter has {p.data.size}")
    for p, arr in zip(params, arrays):
        p.data = arr.reshape(p.data.shape).astype(np.float64)


@mistake("08.9", "saves np.atleast_1d(p.data): a 0-d parameter comes back as (1,)")
def save_params_atleast_1d(path, params):
    np.savez(path, **{f"p{i}": np.atleast_1d(p.data) for i, p in enumerate(params)})
