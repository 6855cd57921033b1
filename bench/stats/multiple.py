"""Multiple-comparison corrections over a family of p-values (Holm; Benjamini-Hochberg).

Comparing several candidates on several metrics multiplies the chances of a false "win".
:func:`holm` controls the family-wise error rate (probability of any false rejection) without
assumptions on dependence and is uniformly more powerful than Bonferroni;
:func:`benjamini_hochberg` controls the false discovery rate instead (valid under independence
or positive dependence). Both return adjusted p-values: reject ``H_i`` at level ``alpha`` iff
``p_adjusted[i] <= alpha``.

Example:
    >>> r = holm([0.01, 0.04, 0.03, 0.005])
    >>> r.p_adjusted.round(3).tolist(), r.reject.tolist()
    ([0.03, 0.06, 0.06, 0.02], [True, False, False, True])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Adjusted:
    """Adjusted p-values (same order as the input) and the decisions at ``alpha``."""

    method: str
    alpha: float
    p_adjusted: np.ndarray
    reject: np.ndarray


def _check(p_values: Any, alpha: float) -> np.ndarray:
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha={alpha!r} is not in (0, 1); pass e.g. alpha=0.05")
    try:
        p = np.asarray(p_values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"p-values are not numbers ({err})") from None
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"pass a non-empty 1-D list of p-values, got shape {p.shape}")
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))  # also catches NaN
    if bad.size:
        raise ValueError(
            f"p-values must lie in [0, 1]; got {float(p[bad[0]])!r} at position {bad[0]} "
            f"({bad.size} bad value(s)); drop failed tests before correcting"
        )
    return p


def holm(p_values: Any, alpha: float = 0.05) -> Adjusted:
    """Holm's step-down adjustment (Holm 1979).

    With ``p_(1) <= ... <= p_(m)``, the adjusted value of the k-th smallest is
    ``max_{j <= k} min(1, (m - j + 1) p_(j))``.

    Args:
        p_values: One p-value per hypothesis in the family.
        alpha: Family-wise error rate at which ``reject`` is decided.

    Returns:
        Adjusted with ``p_adjusted`` and ``reject`` in the input order.

    Example:
        >>> holm([0.2]).p_adjusted.tolist()
        [0.2]
    """
    p = _check(p_values, alpha)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return Adjusted("holm", float(alpha), adjusted, adjusted <= alpha)


def benjamini_hochberg(p_values: Any, alpha: float = 0.05) -> Adjusted:
    """Benjamini-Hochberg step-up adjustment (false discovery rate).

    The adjusted value of the k-th smallest is ``min_{j >= k} min(1, m p_(j) / j)``.

    Example:
        >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).p_adjusted.round(3).tolist()
        [0.02, 0.04, 0.04, 0.02]
    """
    p = _check(p_values, alpha)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, p[order] * m / np.arange(1, m + 1))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum.accumulate(stepped[::-1])[::-1]
    return Adjusted("bh", float(alpha), adjusted, adjusted <= alpha)


CORRECTIONS: dict[str, Callable[..., Adjusted]] = {"holm": holm, "bh": benjamini_hochberg}
