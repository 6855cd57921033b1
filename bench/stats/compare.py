"""Tidy comparison tables: candidates against a baseline, every metric, tests, CIs, effect sizes.

Input frames have one row per user (index: user id) and one column per metric, as produced by
per-user evaluation. Every (candidate, metric) pair gets: both means, the difference and its
relative size, a confidence interval of the difference, an effect size, one p-value per test,
and the p-value adjusted over the whole family of pairs (Holm by default), with a flag.

With thousands of users almost every difference is "significant", so a p-value alone says
little: the table always carries the CI and the effect size, read them first (Ihemelandu &
Ekstrand, SIGIR 2023; REFERENCE §3). Every test uses the same ``seed`` for every pair, so a row
does not depend on which other candidates or metrics are in the table (only its adjusted p does).

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> base = pd.DataFrame({"ndcg": rng.random(300), "recall": rng.random(300)})
    >>> cand = base + [0.05, 0.0] + 0.1 * rng.standard_normal((300, 2))
    >>> table = compare(cand, base, n_resamples=999)
    >>> table[["metric", "significant"]].values.tolist()
    [['ndcg', True], ['recall', False]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.stats.bootstrap import paired_bootstrap_ci
from bench.stats.effect import cohens_dz, hedges_gz, relative_improvement
from bench.stats.multiple import CORRECTIONS
from bench.stats.paired import paired_values
from bench.stats.randomization import paired_randomization_test
from bench.stats.ttest import paired_t_test


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every pair of one table."""

    level: float
    seed: int
    n_resamples: int


@dataclass(frozen=True)
class TestSpec:
    """A significance test usable in a table: its column and how to get its p-value."""

    __test__ = False  # not a pytest test class despite the name

    column: str
    p_value: Callable[[np.ndarray, np.ndarray, Settings], float]


TESTS: dict[str, TestSpec] = {
    "t": TestSpec("p_t", lambda a, b, s: paired_t_test(a, b).p_value),
    "randomization": TestSpec(
        "p_perm",
        lambda a, b, s: (
            paired_randomization_test(a, b, n_resamples=s.n_resamples, seed=s.seed).p_value
        ),
    ),
}

CI_METHODS: dict[str, Callable[[np.ndarray, np.ndarray, Settings], tuple[float, float]]] = {
    "t": lambda a, b, s: paired_t_test(a, b, level=s.level).ci,
    "percentile": lambda a, b, s: (
        paired_bootstrap_ci(
            a, b, n_resamples=s.n_resamples, level=s.level, seed=s.seed, with_means=False
        ).ci
    ),
    "bca": lambda a, b, s: (
        paired_bootstrap_ci(
            a,
            b,
            n_resamples=s.n_resamples,
            level=s.level,
            seed=s.seed,
            method="bca",
            with_means=False,
        ).ci
    ),
}

EFFECTS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "cohen_dz": cohens_dz,
    "hedges_gz": hedges_gz,
}


def _pick(registry: Mapping[str, Any], name: str, what: str) -> Any:
    if name not in registry:
        raise ValueError(f"{what}={name!r} is not one of {sorted(registry)}")
    return registry[name]


def _metrics(baseline: pd.DataFrame, candidates: Mapping[str, pd.DataFrame], metrics: Any) -> list:
    chosen = list(baseline.select_dtypes("number").columns) if metrics is None else list(metrics)
    if not chosen:
        raise ValueError("no metric to compare: the baseline frame has no numeric column")
    for name, frame in {"baseline": baseline, **candidates}.items():
        missing = [m for m in chosen if m not in frame.columns]
        if missing:
            raise ValueError(
                f"{name} has no column(s) {missing} (it has {list(frame.columns)}); evaluate it "
                "on the same metrics or pass metrics=[...]"
            )
    return chosen


def _row(a: np.ndarray, b: np.ndarray, tests: list[str], ci: str, effect: str, s: Settings) -> dict:
    low, high = CI_METHODS[ci](a, b, s)
    row = {
        "n_users": a.size,
        "mean_baseline": float(b.mean()),
        "mean_candidate": float(a.mean()),
        "diff": float((a - b).mean()),
        "rel_diff": relative_improvement(a, b),
        "ci_low": low,
        "ci_high": high,
        "effect_size": EFFECTS[effect](a, b),
    }
    row.update({TESTS[t].column: TESTS[t].p_value(a, b, s) for t in tests})
    return row


def compare_many(
    baseline: pd.DataFrame,
    candidates: Mapping[str, pd.DataFrame],
    metrics: Sequence[str] | None = None,
    *,
    tests: Sequence[str] = ("t", "randomization"),
    ci: str = "t",
    effect: str = "cohen_dz",
    correction: str = "holm",
    alpha: float = 0.05,
    level: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare several candidates with one baseline; correct over all (candidate, metric) pairs.

    Args:
        baseline: Per-user metric values of the baseline (index: user id, columns: metrics).
        candidates: Name -> frame like ``baseline``, for the same users.
        metrics: Columns to compare; default every numeric column of ``baseline``.
        tests: Test names from :data:`TESTS`; the first one's p-values are corrected.
        ci: Interval of the difference, from :data:`CI_METHODS` (``"t"`` is instant;
            ``"percentile"`` / ``"bca"`` bootstrap take seconds per pair at 100k users).
        effect: Effect size from :data:`EFFECTS` (``"cohen_dz"`` or ``"hedges_gz"``).
        correction: ``"holm"`` (family-wise error) or ``"bh"`` (false discovery rate).
        alpha: Level for the ``significant`` flag (on the adjusted p-value).
        level: Confidence level of the interval.
        n_resamples: Resamples of the randomization test and bootstrap.
        seed: Seed of every resampling (the same for each pair).

    Returns:
        One row per (candidate, metric): ``candidate, metric, n_users, mean_baseline,
        mean_candidate, diff, rel_diff`` (percent of the baseline mean), ``ci_low, ci_high,
        effect_size``, one ``p_*`` column per test, ``p_<correction>`` and ``significant``.
        ``attrs`` records the settings.

    Example:
        >>> import pandas as pd
        >>> base = pd.DataFrame({"hit": [0, 1, 0, 1, 0, 0]})
        >>> runs = {"x": pd.DataFrame({"hit": [1, 1, 0, 1, 1, 0]})}
        >>> compare_many(base, runs, tests=["t"])[["candidate", "diff", "p_holm"]].round(3)
          candidate   diff  p_holm
        0         x  0.333   0.175
    """
    if not candidates:
        raise ValueError("candidates is empty; pass {name: per-user frame}")
    tests = list(tests)
    if not tests:
        raise ValueError(f"tests is empty; pass one or more of {sorted(TESTS)}")
    for t in tests:
        _pick(TESTS, t, "test")
    _pick(CI_METHODS, ci, "ci")
    _pick(EFFECTS, effect, "effect")
    adjust = _pick(CORRECTIONS, correction, "correction")
    settings = Settings(level=level, seed=seed, n_resamples=n_resamples)
    rows = []
    for name, frame in candidates.items():
        for metric in _metrics(baseline, {name: frame}, metrics):
            # baseline first: users in the baseline's row order, whatever the candidate's order
            b, a = paired_values(
                baseline[metric],
                frame[metric],
                names=(f"baseline[{metric!r}]", f"{name}[{metric!r}]"),
            )
            rows.append(
                {"candidate": name, "metric": metric, **_row(a, b, tests, ci, effect, settings)}
            )
    table = pd.DataFrame(rows)
    adjusted = adjust(table[TESTS[tests[0]].column].to_numpy(), alpha=alpha)
    table[f"p_{correction}"] = adjusted.p_adjusted
    table["significant"] = adjusted.reject
    table.attrs.update(
        tests=tests, ci=ci, effect=effect, correction=correction, alpha=alpha, level=level,
        n_resamples=n_resamples, seed=seed,
    )  # fmt: skip
    return table


def compare(
    candidate: pd.DataFrame,
    baseline: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Compare one candidate with a baseline on every metric (correction over the metrics).

    Same table and options as :func:`compare_many`, without the ``candidate`` column.

    Example:
        >>> import pandas as pd
        >>> base = pd.DataFrame({"ndcg": [0.1, 0.4, 0.3, 0.2]}, index=[10, 11, 12, 13])
        >>> cand = pd.DataFrame({"ndcg": [0.5, 0.3, 0.2, 0.1]}, index=[13, 10, 11, 12])
        >>> compare(cand, base, tests=["t"])[["metric", "diff", "p_t"]].round(3)
          metric   diff    p_t
        0   ndcg  0.025  0.861
    """
    return compare_many(baseline, {"candidate": candidate}, metrics, **options).drop(
        columns="candidate"
    )
