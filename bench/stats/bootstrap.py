"""Paired bootstrap confidence intervals of the mean difference (and of each side's mean).

Users are resampled with replacement, jointly for both systems (the pairing is kept); each
resample gives the candidate mean, the baseline mean and their difference. Two interval methods:

- ``"percentile"``: quantiles ``(1 - level) / 2`` and ``(1 + level) / 2`` of the bootstrap means;
- ``"bca"``: bias-corrected and accelerated (Efron & Tibshirani 1993, 14.3), acceleration from
  the jackknife, the same construction as ``scipy.stats.bootstrap(method="BCa")``.

Cost is ``n_resamples * n_users`` random draws and look-ups (about 5 s for 10,000 resamples
of 138k users on one core, 7 s with the means; memory O(n_users)); at that scale the t
interval of :func:`paired_t_test` is instant and practically identical. Each resample draws its
``n_users`` indices in one call, so results depend only on the seed, ``n_resamples`` and data.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> b = rng.random(500)
    >>> a = b + 0.05 + 0.1 * rng.standard_normal(500)
    >>> r = paired_bootstrap_ci(a, b, n_resamples=2000, seed=1)
    >>> r.ci[0] < r.mean_diff < r.ci[1], r.ci[0] > 0
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from bench.stats.paired import as_generator, check_level, check_resamples, paired_values


@dataclass(frozen=True)
class BootstrapCI:
    """Bootstrap intervals of one paired comparison (``diff = a - b``).

    Attributes:
        method: ``"percentile"`` or ``"bca"``.
        level: Confidence level of every interval.
        n_resamples: Bootstrap resamples drawn.
        n_users: Paired users.
        mean_diff: Observed mean of ``a - b``; ``ci`` its interval.
        standard_error: Standard deviation of the bootstrap mean differences.
        mean_a, mean_b: Observed means; ``ci_a``, ``ci_b`` their intervals (None when the
            caller asked for the difference only).
    """

    method: str
    level: float
    n_resamples: int
    n_users: int
    mean_diff: float
    ci: tuple[float, float]
    standard_error: float
    mean_a: float
    mean_b: float
    ci_a: tuple[float, float] | None = None
    ci_b: tuple[float, float] | None = None


def _percentile(x: np.ndarray, boot: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(boot, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(lo), float(hi)


def _bca(x: np.ndarray, boot: np.ndarray, level: float) -> tuple[float, float]:
    theta = x.mean()
    z0 = ndtri((np.count_nonzero(boot < theta) + np.count_nonzero(boot <= theta)) / (2 * boot.size))
    dev = x - theta  # jackknife: mean without user i is theta - dev_i / (n - 1)
    accel = (dev**3).sum() / (6.0 * ((dev**2).sum()) ** 1.5)
    z = ndtri(np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = ndtr(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
    if not np.isfinite(probs).all():
        raise ValueError(
            f"BCa interval undefined here (bias correction z0={z0:.3g}, acceleration "
            f"{accel:.3g}: the bootstrap means sit on one side of the observed mean); use "
            "method='percentile' or more users"
        )
    lo, hi = np.quantile(boot, probs)
    return float(lo), float(hi)


_METHODS: dict[str, Callable[[np.ndarray, np.ndarray, float], tuple[float, float]]] = {
    "percentile": _percentile,
    "bca": _bca,
}


def _interval(x: np.ndarray, boot: np.ndarray, level: float, method: str) -> tuple[float, float]:
    if np.ptp(x) == 0.0:  # all users equal: every resample has the same mean
        return float(x[0]), float(x[0])
    return _METHODS[method](x, boot, level)


def _resample_means(
    columns: list[np.ndarray], n_resamples: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Means of each column over ``n_resamples`` joint resamples of the rows (one at a time:
    O(n) memory, and a cache-sized working set that is faster than big vectorised chunks)."""
    n = columns[0].size
    out = np.empty((len(columns), n_resamples))
    for r in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        for k, col in enumerate(columns):
            out[k, r] = np.take(col, idx).sum()
    out /= n
    return list(out)


def paired_bootstrap_ci(
    a: Any,
    b: Any,
    *,
    n_resamples: int = 10_000,
    level: float = 0.95,
    seed: int | np.random.Generator = 0,
    method: str = "percentile",
    with_means: bool = True,
) -> BootstrapCI:
    """Paired bootstrap CI of ``mean(a - b)``, and of ``mean(a)`` and ``mean(b)``.

    Args:
        a: Candidate's per-user values (array, or Series indexed by user id).
        b: Baseline's per-user values, aligned with ``a`` (see :mod:`bench.stats.paired`).
        n_resamples: Bootstrap resamples.
        level: Confidence level of the two-sided intervals.
        seed: Int seed (or a numpy Generator) of the resampling.
        method: ``"percentile"`` or ``"bca"``.
        with_means: Also compute ``ci_a`` and ``ci_b`` (about 40% more work).

    Returns:
        BootstrapCI with the observed means and their intervals.

    Example:
        >>> r = paired_bootstrap_ci([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], n_resamples=100)
        >>> r.mean_diff, r.ci
        (0.0, (0.0, 0.0))
    """
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not one of {sorted(_METHODS)}")
    level = check_level(level)
    n_resamples = check_resamples(n_resamples)
    rng = as_generator(seed)
    x, y = paired_values(a, b)
    d = x - y
    columns = [d, x] if with_means else [d]
    boots = _resample_means(columns, n_resamples, rng)
    ci_a = ci_b = None
    if with_means:
        boot_b = boots[1] - boots[0]  # same resample: mean(b) = mean(a) - mean(a - b)
        ci_a = _interval(x, boots[1], level, method)
        ci_b = _interval(y, boot_b, level, method)
    return BootstrapCI(
        method=method,
        level=level,
        n_resamples=n_resamples,
        n_users=d.size,
        mean_diff=float(d.mean()),
        ci=_interval(d, boots[0], level, method),
        standard_error=float(boots[0].std(ddof=1)) if n_resamples > 1 else 0.0,
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        ci_a=ci_a,
        ci_b=ci_b,
    )
