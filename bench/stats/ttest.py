"""Paired t-test on per-user values (the same numbers as ``scipy.stats.ttest_rel``).

At recommender scale (thousands of users) the t-test's error rates are well behaved even for
skewed per-user metrics, unlike Wilcoxon and sign tests (Ihemelandu & Ekstrand, SIGIR 2023).

Degenerate data, where every user has the same difference: all zero gives ``t = 0, p = 1``
(scipy returns NaN); a non-zero constant gives ``t = ±inf, p = 0`` (as scipy does).

Example:
    >>> r = paired_t_test([0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6])
    >>> round(r.statistic, 4), round(r.p_value, 4), r.df
    (2.3238, 0.1027, 3.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from bench.stats.paired import check_level, differences
from bench.stats.result import TestResult, check_alternative

_P_VALUE: dict[str, Callable[[float, float], float]] = {
    "two-sided": lambda t, df: 2.0 * stats.t.sf(abs(t), df),
    "greater": lambda t, df: stats.t.sf(t, df),
    "less": lambda t, df: stats.t.cdf(t, df),
}


def paired_t_test(
    a: Any, b: Any, *, level: float = 0.95, alternative: str = "two-sided"
) -> TestResult:
    """Paired t-test of candidate ``a`` against baseline ``b`` over users.

    Args:
        a: Candidate's per-user values (array, or Series indexed by user id).
        b: Baseline's per-user values, aligned with ``a`` (see :mod:`bench.stats.paired`).
        level: Confidence level of the (always two-sided) interval of the mean difference.
        alternative: ``"two-sided"``, ``"greater"`` (``a`` above ``b``) or ``"less"``.

    Returns:
        TestResult with ``statistic`` t, ``p_value``, ``df = n - 1``, ``mean_diff`` and ``ci``.

    Example:
        >>> r = paired_t_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        >>> r.statistic, r.p_value, r.ci
        (0.0, 1.0, (0.0, 0.0))
    """
    check_alternative(alternative)
    level = check_level(level)
    d = differences(a, b)
    n = d.size
    df = float(n - 1)
    mean = float(d.mean())
    if np.ptp(d) == 0.0:  # every user has the same difference: no spread to test against
        mean = float(d[0])
        t = 0.0 if mean == 0.0 else float(np.copysign(np.inf, mean))
        ci = (mean, mean)
    else:
        se = float(d.std(ddof=1)) / np.sqrt(n)
        t = mean / se
        half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
        ci = (mean - half, mean + half)
    p = float(np.clip(_P_VALUE[alternative](t, df), 0.0, 1.0))
    return TestResult(
        test="t",
        statistic=float(t),
        p_value=p,
        mean_diff=mean,
        n_users=n,
        alternative=alternative,
        df=df,
        ci=ci,
        level=level,
    )
