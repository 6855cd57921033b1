"""Paired randomization (sign-flip permutation) test of the mean per-user difference.

Under the null hypothesis that candidate and baseline are exchangeable for every user, each
user's difference ``a - b`` is as likely to have the opposite sign. The null distribution of the
mean difference is therefore built by flipping the signs of the differences at random.

- With ``2**n <= n_resamples`` all ``2**n`` sign patterns are enumerated and the p-value is
  exact (``count / 2**n``, as ``scipy.stats.permutation_test`` does).
- Otherwise ``n_resamples`` random patterns are drawn and ``p = (count + 1) / (n_resamples + 1)``
  (the observed pattern counts once), so p is never 0.

Two-sided p counts ``|T| >= |t|``; the sign-flip null is symmetric, so this equals scipy's
``2 * min(P(T >= t), P(T <= t))`` for exact enumeration. Values within ``1e-11 * sum|d|`` of the
observed one count as ties (floating-point noise, never a real difference).

Speed: the sign pattern of 8 users is one random byte; for each group of 8 users a 256-entry
table holds the partial sum under every pattern, so one resample costs ``n / 8`` table look-ups
in float64 (exact to rounding). Resamples are processed in chunks (memory ~``chunk * n / 8``
bytes), and the random stream does not depend on the chunk size: the same ``seed`` gives the
same p-value for any ``chunk_size``.

Example:
    >>> r = paired_randomization_test([0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6])
    >>> r.exact, r.n_resamples, r.p_value  # 2**4 patterns enumerated
    (True, 16, 0.25)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bench.stats.paired import as_generator, check_resamples, differences
from bench.stats.result import TestResult, check_alternative

_GROUP = 8  # users per random byte
_BLOCK = 512  # groups looked up together (512 x 256 x 8 B = 1 MiB of table, cache-sized)
_MAX_EXACT_USERS = 30
# _SIGNS[code, k] = -1 if bit k of the byte `code` is set (user k of the group flipped), else +1
_SIGNS = 1.0 - 2.0 * ((np.arange(256)[:, None] >> np.arange(_GROUP)) & 1)
_TIE_RTOL = 1e-11

_EXTREME: dict[str, Callable[[np.ndarray, float, float], np.ndarray]] = {
    "two-sided": lambda null, obs, tol: np.abs(null) >= abs(obs) - tol,
    "greater": lambda null, obs, tol: null >= obs - tol,
    "less": lambda null, obs, tol: null <= obs + tol,
}


class _SignFlipSums:
    """Sums ``sum_i s_i d_i`` for sign patterns given as one byte per group of 8 users."""

    def __init__(self, d: np.ndarray) -> None:
        n_pad = -(-d.size // 64) * 64  # groups a multiple of 8, so a row is whole uint64 words
        padded = np.zeros(n_pad)
        padded[: d.size] = d
        self.n_groups = n_pad // _GROUP
        self.table = np.ascontiguousarray(padded.reshape(-1, _GROUP) @ _SIGNS.T)

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        starts = range(0, self.n_groups, _BLOCK)
        partial = np.empty((codes.shape[0], len(starts)))
        for j, s in enumerate(starts):
            block = self.table[s : s + _BLOCK]
            idx = codes[:, s : s + _BLOCK].astype(np.intp)
            idx += np.arange(0, block.size, 256)
            partial[:, j] = np.take(block.ravel(), idx).sum(axis=1)
        return partial.sum(axis=1)


def _exact_codes(first: int, stop: int, n_groups: int) -> np.ndarray:
    """Bytes of sign patterns ``first..stop-1`` (bit i of the pattern flips user i)."""
    k = np.arange(first, stop, dtype=np.int64)
    codes = np.zeros((k.size, n_groups), dtype=np.uint8)
    for g in range(min(n_groups, 8)):
        codes[:, g] = (k >> (8 * g)) & 0xFF
    return codes


def paired_randomization_test(
    a: Any,
    b: Any,
    *,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator = 0,
    alternative: str = "two-sided",
    exact: bool | None = None,
    chunk_size: int = 1024,
) -> TestResult:
    """Sign-flip randomization test of the mean difference between ``a`` and ``b``.

    Args:
        a: Candidate's per-user values (array, or Series indexed by user id).
        b: Baseline's per-user values, aligned with ``a`` (see :mod:`bench.stats.paired`).
        n_resamples: Random sign patterns to draw (or the enumeration threshold, see ``exact``).
        seed: Int seed (or a numpy Generator) of the random sign patterns.
        alternative: ``"two-sided"``, ``"greater"`` (``a`` above ``b``) or ``"less"``.
        exact: Enumerate all ``2**n`` patterns; ``None`` does so when ``2**n <= n_resamples``.
        chunk_size: Resamples per vectorised chunk (memory only; results do not depend on it).

    Returns:
        TestResult with ``statistic`` = mean difference, ``p_value``, ``n_resamples`` (patterns
        used) and ``exact``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> a, b = rng.random(200) + 0.1, rng.random(200)
        >>> r = paired_randomization_test(a, b, n_resamples=2000, seed=3)
        >>> r.exact, r.p_value < 0.05
        (False, True)
    """
    check_alternative(alternative)
    n_resamples = check_resamples(n_resamples)
    chunk_size = check_resamples(chunk_size)
    d = differences(a, b)
    n = d.size
    if exact is None:
        exact = n <= _MAX_EXACT_USERS and 2**n <= n_resamples
    if exact and n > _MAX_EXACT_USERS:
        raise ValueError(
            f"exact=True enumerates 2**{n} sign patterns, too many (limit {_MAX_EXACT_USERS} "
            "users); pass exact=None to draw random patterns"
        )
    rng = as_generator(seed)
    sums = _SignFlipSums(d)
    observed = float(sums(np.zeros((1, sums.n_groups), dtype=np.uint8))[0])
    tol = _TIE_RTOL * float(np.abs(d).sum())
    extreme = _EXTREME[alternative]
    total = 2**n if exact else n_resamples
    count = 0
    for first in range(0, total, chunk_size):
        stop = min(first + chunk_size, total)
        if exact:
            codes = _exact_codes(first, stop, sums.n_groups)
        else:
            words = rng.bit_generator.random_raw((stop - first) * sums.n_groups // 8)
            codes = words.view(np.uint8).reshape(stop - first, sums.n_groups)
        count += int(np.count_nonzero(extreme(sums(codes), observed, tol)))
    p = count / total if exact else (count + 1) / (n_resamples + 1)
    return TestResult(
        test="randomization",
        statistic=float(d.mean()),
        p_value=float(min(p, 1.0)),
        mean_diff=float(d.mean()),
        n_users=n,
        alternative=alternative,
        n_resamples=total,
        exact=bool(exact),
    )
