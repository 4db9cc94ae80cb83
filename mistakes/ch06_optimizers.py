"""Chapter 06 mistakes: optimizer updates as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch06_optimizers import decayed_lr as _decayed_lr

_SHARED_STATE: dict[int, np.ndarray] = {}  # used by the "state outside the optimizer" mistakes


@mistake("06.1", "exponential decay lr * (1 / (1 + decay))^iterations instead of 1/t decay")
def decayed_lr(lr, decay, iterations):
    return lr * (1.0 / (1.0 + decay)) ** iterations


@mistake("06.1", "linear decay lr * (1 - decay * iterations)")
def decayed_lr_linear(lr, decay, iterations):
    return lr * (1.0 - decay * iterations)


@mistake("06.1", "counts the step being taken: 1 + decay * (iterations + 1)")
def decayed_lr_off_by_one(lr, decay, iterations):
    return lr / (1.0 + decay * (iterations + 1))


@mistake("06.2", "momentum sign error: v = momentum * v + lr * g, p += v (climbs uphill)", cause="sign")
def step(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.velocities[i] = self.momentum * self.velocities[i] + lr_t * p.grad
        p.data = p.data + self.velocities[i]
    self.iterations += 1


@mistake("06.2", "velocity not kept between steps: momentum has no effect")
def sgd_step_no_memory(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for p in self.params:
        velocity = self.momentum * np.zeros_like(p.data) - lr_t * p.grad
        p.data = p.data + velocity
    self.iterations += 1


@mistake("06.2", "velocities kept in a module-level dict keyed by index: optimizers share state")
def sgd_step_shared_state(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        v = _SHARED_STATE.get(i, np.zeros_like(p.data))
        v = self.momentum * v - lr_t * p.grad
        _SHARED_STATE[i] = v
        p.data = p.data + v
    self.iterations += 1


@mistake("06.2", "decays self.lr itself every step, so the decay compounds")
def sgd_step_compounding_decay(self):
    self.lr = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.velocities[i] = self.momentum * self.velocities[i] - self.lr * p.grad
        p.data = p.data + self.velocities[i]
    self.iterations += 1


@mistake("06.2", "increments iterations before computing the rate: the first step is already decayed")
def sgd_step_early_count(self):
    self.iterations += 1
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.velocities[i] = self.momentum * self.velocities[i] - lr_t * p.grad
        p.data = p.data + self.velocities[i]


@mistake("06.2", "updates only the first parameter (returns inside the loop)")
def sgd_step_first_only(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    self.iterations += 1
    for i, p in enumerate(self.params):
        self.velocities[i] = self.momentum * self.velocities[i] - lr_t * p.grad
        p.data = p.data + self.velocities[i]
        return


@mistake("06.3", "replaces the cache with g^2 instead of accumulating it")
def step(self):  # noqa: F811 - each mistake replaces AdaGrad.step on its own
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.3", "epsilon inside the square root: sqrt(cache + eps)", cause="eps-sqrt")
def adagrad_step_eps_inside(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - lr_t * p.grad / np.sqrt(self.caches[i] + self.eps)
    self.iterations += 1


@mistake("06.3", "divides by the cache, not its square root")
def adagrad_step_no_sqrt(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - lr_t * p.grad / (self.caches[i] + self.eps)
    self.iterations += 1


@mistake("06.3", "ignores decay: always steps with self.lr")
def adagrad_step_no_decay(self):
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - self.lr * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.4", "cache without rho: cache + (1 - rho) * g^2 never forgets", cause="moving-average")
def step(self):  # noqa: F811
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + (1.0 - self.rho) * p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.4", "rho and 1 - rho swapped: rho * g^2 + (1 - rho) * cache", cause="moving-average")
def rmsprop_step_swapped_rho(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = (1.0 - self.rho) * self.caches[i] + self.rho * p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.4", "epsilon inside the square root: sqrt(cache + eps)", cause="eps-sqrt")
def rmsprop_step_eps_inside(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.rho * self.caches[i] + (1.0 - self.rho) * p.grad ** 2
        p.data = p.data - lr_t * p.grad / np.sqrt(self.caches[i] + self.eps)
    self.iterations += 1


@mistake("06.4", "cache kept in a module-level dict keyed by index: optimizers share state")
def rmsprop_step_shared_state(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        cache = self.rho * _SHARED_STATE.get(i, np.zeros_like(p.data)) + (1.0 - self.rho) * p.grad ** 2
        _SHARED_STATE[i] = cache
        p.data = p.data - lr_t * p.grad / (np.sqrt(cache) + self.eps)
    self.iterations += 1


def _adam(self, t, correct=True, eps_inside=False, store_hat=False):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.m[i] = self.beta_1 * self.m[i] + (1.0 - self.beta_1) * p.grad
        self.v[i] = self.beta_2 * self.v[i] + (1.0 - self.beta_2) * p.grad ** 2
        m_hat, v_hat = self.m[i], self.v[i]
        if correct:
            with np.errstate(divide="ignore", invalid="ignore"):
                m_hat = self.m[i] / (1.0 - self.beta_1 ** t)
                v_hat = self.v[i] / (1.0 - self.beta_2 ** t)
        if store_hat:
            self.m[i], self.v[i] = m_hat, v_hat
        denom = np.sqrt(v_hat + self.eps) if eps_inside else np.sqrt(v_hat) + self.eps
        with np.errstate(divide="ignore", invalid="ignore"):
            p.data = p.data - lr_t * m_hat / denom
    self.iterations += 1


@mistake("06.5", "no bias correction: the first steps are about 3x too large (0.1 / sqrt(0.001))", cause="bias-correction")
def step(self):  # noqa: F811
    _adam(self, self.iterations + 1, correct=False)


@mistake("06.5", "t counted from 0: the first bias correction divides by 1 - beta^0 = 0", cause="bias-correction")
def adam_step_t_from_zero(self):
    _adam(self, self.iterations)


@mistake("06.5", "t off by one the other way: t = iterations + 2", cause="bias-correction")
def adam_step_t_plus_two(self):
    _adam(self, self.iterations + 2)


@mistake("06.5", "epsilon inside the square root: sqrt(v_hat + eps)", cause="eps-sqrt")
def adam_step_eps_inside(self):
    _adam(self, self.iterations + 1, eps_inside=True)


@mistake("06.5", "stores the bias-corrected m_hat and v_hat back into m and v", cause="bias-correction")
def adam_step_stores_hat(self):
    _adam(self, self.iterations + 1, store_hat=True)


@mistake("06.2", "counts iterations inside the loop: with decay, each later parameter gets a smaller rate", cause="step-count")
def sgd_step_count_per_param(self):
    for i, p in enumerate(self.params):
        lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
        self.velocities[i] = self.momentum * self.velocities[i] - lr_t * p.grad
        p.data = p.data + self.velocities[i]
        self.iterations += 1


@mistake("06.3", "updates only the first parameter (returns inside the loop)")
def adagrad_step_first_only(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    self.iterations += 1
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
        return


@mistake("06.4", "updates only the first parameter (returns inside the loop)")
def rmsprop_step_first_only(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    self.iterations += 1
    for i, p in enumerate(self.params):
        self.caches[i] = self.rho * self.caches[i] + (1.0 - self.rho) * p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
        return


@mistake("06.5", "counts iterations inside the loop: each later parameter gets a later t", cause="step-count")
def adam_step_count_per_param(self):
    for i, p in enumerate(self.params):
        lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
        t = self.iterations + 1
        self.m[i] = self.beta_1 * self.m[i] + (1.0 - self.beta_1) * p.grad
        self.v[i] = self.beta_2 * self.v[i] + (1.0 - self.beta_2) * p.grad ** 2
        m_hat = self.m[i] / (1.0 - self.beta_1 ** t)
        v_hat = self.v[i] / (1.0 - self.beta_2 ** t)
        p.data = p.data - lr_t * m_hat / (np.sqrt(v_hat) + self.eps)
        self.iterations += 1


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402
from solutions.ch06_optimizers import decayed_lr as _decayed_lr  # noqa: E402


@mistake("06.3", "counts the step twice: once before the update and once after",
         cause="step-count")
def adagrad_step_counts_twice(self):
    self.iterations += 1
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations - 1)
    for i, p in enumerate(self.params):
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.4", "never counts the step: decay never takes effect", cause="step-count")
def rmsprop_step_never_counts(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.rho * self.caches[i] + (1.0 - self.rho) * p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("06.2", "updates in place with p.data[:] += v: a 0-d parameter cannot be sliced")
def sgd_step_slice_update(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.velocities[i] = self.momentum * self.velocities[i] - lr_t * p.grad
        p.data[:] += self.velocities[i]
    self.iterations += 1


@mistake("06.3", "caches per row with len(p.data): a 0-d parameter has no length")
def adagrad_step_len(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        if len(p.data) and self.caches[i].shape != p.data.shape:
            self.caches[i] = np.zeros(p.data.shape)
        self.caches[i] = self.caches[i] + p.grad ** 2
        p.data = p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps)
    self.iterations += 1


@mistake("06.4", "flattens each update with ravel(): a 0-d parameter comes back as (1,)")
def rmsprop_step_ravel(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    for i, p in enumerate(self.params):
        self.caches[i] = self.rho * self.caches[i] + (1.0 - self.rho) * p.grad ** 2
        p.data = np.ravel(p.data - lr_t * p.grad / (np.sqrt(self.caches[i]) + self.eps))
    self.iterations += 1


@mistake("06.5", "updates in place with p.data[:] -= ...: a 0-d parameter cannot be sliced")
def adam_step_slice_update(self):
    lr_t = _decayed_lr(self.lr, self.decay, self.iterations)
    t = self.iterations + 1
    for i, p in enumerate(self.params):
        self.m[i] = self.beta_1 * self.m[i] + (1.0 - self.beta_1) * p.grad
        self.v[i] = self.beta_2 * self.v[i] + (1.0 - self.beta_2) * p.grad ** 2
        m_hat = self.m[i] / (1.0 - self.beta_1 ** t)
        v_hat = self.v[i] / (1.0 - self.beta_2 ** t)
        p.data[:] -= lr_t * m_hat / (np.sqrt(v_hat) + self.eps)
    self.iterations += 1
