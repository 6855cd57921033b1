"""Result record shared by the paired significance tests."""

from __future__ import annotations

from dataclasses import dataclass

ALTERNATIVES = ("two-sided", "greater", "less")


def check_alternative(alternative: str) -> str:
    """Return ``alternative`` if it is one of :data:`ALTERNATIVES`, else raise ValueError."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative={alternative!r} is not one of {ALTERNATIVES}")
    return alternative


@dataclass(frozen=True)
class TestResult:
    """Outcome of one paired test of candidate ``a`` against baseline ``b``.

    Attributes:
        test: Which test produced it (``"t"``, ``"randomization"``).
        statistic: The test statistic (t for the t-test, the mean difference for randomization).
        p_value: P-value under ``alternative`` (``"greater"`` means ``a`` above ``b``).
        mean_diff: Mean over users of ``a - b``.
        n_users: Number of paired users.
        alternative: ``"two-sided"``, ``"greater"`` or ``"less"``.
        df: Degrees of freedom (t-test only).
        ci: Two-sided confidence interval of the mean difference at ``level`` (t-test only).
        level: Confidence level of ``ci``.
        n_resamples: Resamples drawn, or sign patterns enumerated (randomization only).
        exact: True when every sign pattern was enumerated (randomization only).
    """

    __test__ = False  # not a pytest test class despite the name

    test: str
    statistic: float
    p_value: float
    mean_diff: float
    n_users: int
    alternative: str = "two-sided"
    df: float | None = None
    ci: tuple[float, float] | None = None
    level: float | None = None
    n_resamples: int | None = None
    exact: bool | None = None
