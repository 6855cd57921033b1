"""Effect sizes of a paired comparison: standardised (Cohen's d_z, Hedges' g_z) and relative.

With thousands of users even a negligible difference is "significant", so report how large it
is: ``d_z`` is the mean difference in units of the standard deviation of the per-user
differences (Cohen 1988; 0.2 / 0.5 / 0.8 are the usual "small / medium / large" marks),
``g_z`` removes its small-sample bias, and :func:`relative_improvement` gives the change of the
mean metric in percent of the baseline.

When every user has the same difference, ``d_z`` is 0 if it is zero and ``±inf`` otherwise.

Example:
    >>> a, b = [0.3, 0.5, 0.4, 0.8], [0.2, 0.5, 0.1, 0.6]
    >>> round(cohens_dz(a, b), 4), round(hedges_gz(a, b), 4), round(relative_improvement(a, b), 2)
    (1.1619, 0.8407, 42.86)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln

from bench.stats.paired import differences, paired_values


def _dz(d: np.ndarray) -> float:
    if np.ptp(d) == 0.0:
        return 0.0 if d[0] == 0.0 else float(np.copysign(np.inf, d[0]))
    return float(d.mean() / d.std(ddof=1))


def cohens_dz(a: Any, b: Any) -> float:
    """Cohen's d for paired samples: ``mean(a - b) / sd(a - b)`` (sd with ``n - 1``).

    Example:
        >>> cohens_dz([2.0, 3.0, 4.0], [1.0, 1.0, 1.0])
        2.0
    """
    return _dz(differences(a, b))


def hedges_correction(df: float) -> float:
    """Exact small-sample factor ``J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2))`` (0 at df=1).

    Example:
        >>> round(hedges_correction(9), 4)
        0.9139
    """
    if df < 1:
        raise ValueError(f"df={df!r} must be >= 1 (at least 2 users)")
    return float(np.exp(gammaln(df / 2.0) - 0.5 * np.log(df / 2.0) - gammaln((df - 1.0) / 2.0)))


def hedges_gz(a: Any, b: Any) -> float:
    """Hedges' g_z: Cohen's d_z times :func:`hedges_correction` with ``df = n - 1``.

    Example:
        >>> round(hedges_gz([2.0, 3.0, 4.0], [1.0, 1.0, 1.0]), 4)
        1.1284
    """
    d = differences(a, b)
    dz = _dz(d)
    if dz == 0.0 or not np.isfinite(dz):  # constant differences: nothing to correct
        return dz
    return dz * hedges_correction(d.size - 1)


def relative_improvement(a: Any, b: Any) -> float:
    """Change of the mean in percent of the baseline: ``100 * (mean a - mean b) / |mean b|``.

    NaN when the baseline mean is 0 (no relative change is defined).

    Example:
        >>> relative_improvement([0.25, 0.5], [0.25, 0.25])
        50.0
    """
    x, y = paired_values(a, b)
    base = float(y.mean())
    if base == 0.0:
        return float("nan")
    return float(100.0 * (x.mean() - base) / abs(base))
