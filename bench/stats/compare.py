"""Tidy comparison tables: candidates against a baseline, every metric, tests, CIs, effect sizes.

Input frames have one row per user and one column per metric, as produced by per-user evaluation
(:func:`bench.results.load_per_user`); users are paired by id: the frames' index, or their
``user`` column where they have one. Frames whose user sets differ are refused. Every
(candidate, metric) pair gets: both means, the difference and its relative size, a confidence
interval of the difference, an effect size, one p-value per test, and the p-value adjusted over
the whole family of pairs (Holm by default).

Comparisons know each metric's direction (from the metric registry, or ``higher_is_better``):
``improvement`` is the difference oriented so that positive is better, and ``verdict`` says
``better``, ``worse`` or ``n.s.``: a candidate that is significantly worse is never reported as
an improvement. ``alternative`` chooses the test: ``"two-sided"`` (any difference),
``"better"`` (one-sided: candidate better) or ``"worse"``; with ``alternative="better"`` and a
``margin`` > 0 the test is a non-inferiority test (H0: the candidate is worse by ``margin`` or
more; verdict ``not worse`` when rejected).

With thousands of users almost every difference is "significant", so a p-value alone says
little: the table always carries the CI and the effect size, read them first (Ihemelandu &
Ekstrand, SIGIR 2023; REFERENCE §3). Every test uses the same ``seed`` for every pair, so a row
does not depend on which other candidates or metrics are in the table (only its adjusted p does).

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> base = pd.DataFrame({"ndcg@10": rng.random(300), "recall@10": rng.random(300)})
    >>> cand = base + [-0.05, 0.0] + 0.1 * rng.standard_normal((300, 2))
    >>> table = compare(cand, base, n_resamples=999)
    >>> table[["metric", "verdict"]].values.tolist()
    [['ndcg@10', 'worse'], ['recall@10', 'n.s.']]
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

#: ``alternative`` values (in the metric's direction) and the test alternative on oriented values.
ALTERNATIVES: dict[str, str] = {"two-sided": "two-sided", "better": "greater", "worse": "less"}


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every pair of one table."""

    level: float
    seed: int
    n_resamples: int
    alternative: str = "two-sided"  # on the oriented values (scipy's names)


@dataclass(frozen=True)
class TestSpec:
    """A significance test usable in a table: its column and how to get its p-value."""

    __test__ = False  # not a pytest test class despite the name

    column: str
    p_value: Callable[[np.ndarray, np.ndarray, Settings], float]


TESTS: dict[str, TestSpec] = {
    "t": TestSpec("p_t", lambda a, b, s: paired_t_test(a, b, alternative=s.alternative).p_value),
    "randomization": TestSpec(
        "p_perm",
        lambda a, b, s: (
            paired_randomization_test(
                a, b, n_resamples=s.n_resamples, seed=s.seed, alternative=s.alternative
            ).p_value
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


def by_user(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` indexed by user id: its ``user`` column becomes the index.

    Example:
        >>> by_user(pd.DataFrame({"user": [5, 2], "ndcg@10": [0.1, 0.2]}), "x").index.tolist()
        [5, 2]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a per-user DataFrame, got {type(frame).__name__}")
    if "user" in frame.columns:
        if frame.index.name is not None:
            raise ValueError(
                f"{name} has both a 'user' column and an index {frame.index.name!r}; keep one "
                "user id (load_per_user returns frames indexed by user)"
            )
        frame = frame.set_index("user")
    return frame


def direction_of(metric: str, higher_is_better: Mapping[str, bool] | None = None) -> bool:
    """Whether higher is better for ``metric``: from ``higher_is_better``, else the registry
    (prefixes such as ``sampled_`` and ``head:`` are understood).

    Example:
        >>> direction_of("ndcg@10"), direction_of("head:arp@10"), direction_of("x", {"x": False})
        (True, False, False)
    """
    from bench.metrics import parse_metric

    if higher_is_better is not None and metric in higher_is_better:
        return bool(higher_is_better[metric])
    name = metric.rsplit(":", 1)[-1].removeprefix("sampled_")
    try:
        return bool(parse_metric(name).spec.higher_is_better)
    except ValueError:
        raise ValueError(
            f"the direction of metric {metric!r} is unknown; pass higher_is_better="
            f"{{{metric!r}: True}} (or False when lower is better)"
        ) from None


def _metrics(baseline: pd.DataFrame, candidates: Mapping[str, pd.DataFrame], metrics: Any) -> list:
    if metrics is None:
        chosen = [
            c for c in baseline.select_dtypes("number").columns if ":" not in str(c)
        ]  # segment (``head:``) and attribute (``user:``) columns are not metrics
    else:
        chosen = list(metrics)
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


def _row(
    a: np.ndarray, b: np.ndarray, higher: bool, margin: float, spec: tuple, s: Settings
) -> dict:
    tests, ci, effect = spec
    low, high = CI_METHODS[ci](a, b, s)
    sign = 1.0 if higher else -1.0
    # tests run on oriented values (higher = better) shifted by the non-inferiority margin
    oriented_a, oriented_b = sign * a + margin, sign * b
    row = {
        "higher_is_better": higher,
        "n_users": a.size,
        "mean_baseline": float(b.mean()),
        "mean_candidate": float(a.mean()),
        "diff": float((a - b).mean()),
        "improvement": sign * float((a - b).mean()),
        "rel_diff": relative_improvement(a, b),
        "ci_low": low,
        "ci_high": high,
        "effect_size": EFFECTS[effect](a, b),
    }
    row.update({TESTS[t].column: TESTS[t].p_value(oriented_a, oriented_b, s) for t in tests})
    return row


def verdicts(
    improvement: np.ndarray, reject: np.ndarray, alternative: str, margin: float
) -> list[str]:
    """The verdict of each comparison from its oriented improvement and rejection flag.

    Example:
        >>> verdicts(np.array([0.1, -0.1, -0.1]), np.array([True, True, False]), "two-sided", 0)
        ['better', 'worse', 'n.s.']
    """
    out = []
    for value, rejected in zip(improvement, reject, strict=True):
        if not rejected:
            out.append("n.s.")
        elif alternative == "worse":
            out.append("worse")
        elif alternative == "better":
            out.append("not worse" if margin > 0 and value <= 0 else "better")
        else:
            out.append("better" if value > 0 else "worse")
    return out


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
    alternative: str = "two-sided",
    margin: float = 0.0,
    higher_is_better: Mapping[str, bool] | None = None,
) -> pd.DataFrame:
    """Compare several candidates with one baseline; correct over all (candidate, metric) pairs.

    Args:
        baseline: Per-user metric values of the baseline (index: user id, or a ``user``
            column; columns: metrics).
        candidates: Name -> frame like ``baseline``, for the same users (paired by id).
        metrics: Columns to compare; default every numeric metric column of ``baseline``
            (``head:``/``user:`` columns are segments and attributes, not metrics).
        tests: Test names from :data:`TESTS`; the first one's p-values are corrected.
        ci: Interval of the difference, from :data:`CI_METHODS` (``"t"`` is instant;
            ``"percentile"`` / ``"bca"`` bootstrap take seconds per pair at 100k users).
        effect: Effect size from :data:`EFFECTS` (``"cohen_dz"`` or ``"hedges_gz"``).
        correction: ``"holm"`` (family-wise error) or ``"bh"`` (false discovery rate).
        alpha: Level for the ``significant`` flag (on the adjusted p-value).
        level: Confidence level of the interval.
        n_resamples: Resamples of the randomization test and bootstrap.
        seed: Seed of every resampling (the same for each pair).
        alternative: ``"two-sided"``, ``"better"`` or ``"worse"`` (in each metric's direction).
        margin: Non-inferiority margin (absolute, in metric units; ``alternative="better"``).
        higher_is_better: Metric -> direction, for metrics the registry does not know.

    Returns:
        One row per (candidate, metric): ``candidate, metric, higher_is_better, n_users,
        mean_baseline, mean_candidate, diff`` (candidate - baseline), ``improvement`` (``diff``
        with the sign that makes better positive), ``rel_diff`` (percent of the baseline mean),
        ``ci_low, ci_high`` (of ``diff``), ``effect_size``, one ``p_*`` column per test,
        ``p_<correction>``, ``better`` / ``worse`` (significant in that direction) and
        ``verdict``. ``attrs`` records the settings.

    Example:
        >>> import pandas as pd
        >>> base = pd.DataFrame({"hitrate@10": [0, 1, 0, 1, 0, 0]})
        >>> runs = {"x": pd.DataFrame({"hitrate@10": [1, 1, 0, 1, 1, 0]})}
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
    scipy_alternative = _pick(ALTERNATIVES, alternative, "alternative")
    margin = float(margin)
    if margin < 0 or (margin > 0 and alternative != "better"):
        raise ValueError(
            f"margin={margin} needs alternative='better' and margin >= 0: a non-inferiority "
            "test asks whether the candidate is worse by less than the margin"
        )
    settings = Settings(
        level=level, seed=seed, n_resamples=n_resamples, alternative=scipy_alternative
    )
    baseline = by_user(baseline, "baseline")
    candidates = {name: by_user(frame, name) for name, frame in candidates.items()}
    rows = []
    for name, frame in candidates.items():
        for metric in _metrics(baseline, {name: frame}, metrics):
            higher = direction_of(metric, higher_is_better)
            # baseline first: users in the baseline's row order, whatever the candidate's order
            b, a = paired_values(
                baseline[metric],
                frame[metric],
                names=(f"baseline[{metric!r}]", f"{name}[{metric!r}]"),
            )
            row = _row(a, b, higher, margin, (tests, ci, effect), settings)
            rows.append({"candidate": name, "metric": metric, **row})
    table = pd.DataFrame(rows)
    adjusted = adjust(table[TESTS[tests[0]].column].to_numpy(), alpha=alpha)
    table[f"p_{correction}"] = adjusted.p_adjusted
    verdict = verdicts(table["improvement"].to_numpy(), adjusted.reject, alternative, margin)
    table["better"] = [v in ("better", "not worse") for v in verdict]
    table["worse"] = [v == "worse" for v in verdict]
    table["verdict"] = verdict
    table.attrs.update(
        tests=tests, ci=ci, effect=effect, correction=correction, alpha=alpha, level=level,
        n_resamples=n_resamples, seed=seed, alternative=alternative, margin=margin,
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
        >>> base = pd.DataFrame({"ndcg@5": [0.1, 0.4, 0.3, 0.2]}, index=[10, 11, 12, 13])
        >>> cand = pd.DataFrame({"ndcg@5": [0.5, 0.3, 0.2, 0.1]}, index=[13, 10, 11, 12])
        >>> compare(cand, base, tests=["t"])[["metric", "diff", "p_t"]].round(3)
           metric   diff    p_t
        0  ndcg@5  0.025  0.861
    """
    return compare_many(baseline, {"candidate": candidate}, metrics, **options).drop(
        columns="candidate"
    )
