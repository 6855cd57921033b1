"""The regression gate: is the candidate not worse than the baseline, up to a margin?

Both sides must lie in one benchmark cell (:func:`bench.report.cells.cell_key`); their seeds
and users are paired by :func:`bench.report.pairing.seed_paired` (the candidate's seeds must
all exist in the baseline; users are paired within each seed's split and averaged over
seeds). The difference ``d = candidate - baseline`` of the per-user means is then judged
against the margin ``m`` (absolute, or a percentage of the baseline mean) in the metric's
direction. Write ``Δ`` for the improvement (``d`` when higher is better, ``-d`` otherwise).

Decision rule. The gate reads the two-sided ``1 - alpha`` confidence interval of ``d`` (the
paired t interval; 95% at the default ``alpha = 0.05``), which is the same as two one-sided
paired t-tests at ``alpha / 2`` each:

- non-inferiority (:func:`bench.stats.compare`, ``alternative="better"``, ``margin=m``):
  H0 ``Δ <= -m`` against H1 ``Δ > -m``;
- inferiority beyond the margin: H0 ``Δ >= -m`` against H1 ``Δ < -m``.

=================  ====================================================  ===========
verdict            condition                                             exit status
=================  ====================================================  ===========
``better``         non-inferior, and the interval excludes 0 on the      0
                   better side (significantly better)
``not worse``      non-inferior: the interval lies on the better side    0
                   of ``-m`` (a dip smaller than the margin passes)
``worse``          the interval lies beyond ``-m`` on the worse side:    1
                   worse by more than the margin, significantly
``inconclusive``   the interval contains ``-m``: neither shown           1
                   non-inferior nor shown worse
=================  ====================================================  ===========

The margin defaults to 1% of the baseline mean (``--margin``); a margin of 0 turns the
non-inferiority test into a superiority test. An inconclusive result fails (exit 1, verdict
``inconclusive: not shown non-inferior``): a gate passes only what the data show to be within
the margin; more seeds or users, or a wider margin, decide it. The two one-sided tests cannot
both reject, so the four verdicts are exclusive. Usage errors and sides that must not be
compared exit with status 2 (:class:`~bench.compare.errors.GateError`).

Example:
    >>> decide(non_inferior=True, worse=False, superior=False)
    'not worse'
    >>> decide(non_inferior=False, worse=False, superior=False), EXIT_STATUS["inconclusive"]
    ('inconclusive', 1)
    >>> Margin.parse("1%").absolute(0.25), Margin.parse("0.01").absolute(0.25)
    (0.0025, 0.01)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bench.compare.errors import GateError
from bench.compare.selection import (
    Selection,
    check_metric,
    metric_direction,
    runs_table,
    seed_runs,
)
from bench.report.cells import CellKey, cell_key, differences
from bench.report.pairing import NotComparableError, SeedRun, seed_paired
from bench.stats.compare import compare
from bench.stats.ttest import paired_t_test

#: Exit status of each verdict (usage errors and incomparable sides: 2).
EXIT_STATUS: dict[str, int] = {"better": 0, "not worse": 0, "worse": 1, "inconclusive": 1}


@dataclass(frozen=True)
class Margin:
    """A non-inferiority margin: absolute (metric units) or a percentage of the baseline mean.

    Example:
        >>> Margin.parse("2.5%"), str(Margin.parse("0.01"))
        (Margin(value=2.5, relative=True), '0.01')
    """

    value: float
    relative: bool = False

    @classmethod
    def parse(cls, text: str | float) -> Margin:
        raw = str(text).strip()
        relative = raw.endswith("%")
        try:
            value = float(raw.removesuffix("%"))
        except ValueError:
            raise GateError(f"margin {raw!r} is not a number or a percentage (0.01, 1%)") from None
        if not math.isfinite(value) or value < 0:
            raise GateError(f"margin {raw!r} must be a finite number >= 0")
        return cls(value, relative)

    def absolute(self, baseline_mean: float) -> float:
        """The margin in metric units (a percentage is of the baseline's absolute mean)."""
        return abs(baseline_mean) * self.value / 100.0 if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.relative else f"{self.value:g}"


def decide(*, non_inferior: bool, worse: bool, superior: bool) -> str:
    """The verdict from the two one-sided tests (see the module docstring)."""
    if non_inferior:
        return "better" if superior else "not worse"
    return "worse" if worse else "inconclusive"


@dataclass(frozen=True)
class SideSummary:
    """One side as reported: its configuration, source, runs and mean over paired users."""

    label: str
    model: str
    variant_hash: str
    source: str
    bundle: bool
    runs: list[dict[str, Any]]
    mean: float


@dataclass(frozen=True)
class GateResult:
    """Everything the verdict says; :attr:`exit_status` is the CLI's exit status."""

    metric: str
    higher_is_better: bool
    split: str
    candidate: SideSummary
    baseline: SideSummary
    diff: float  # candidate - baseline, mean over paired users
    ci_low: float  # two-sided ``level`` interval of ``diff``
    ci_high: float
    level: float
    margin: float  # absolute, metric units
    margin_spec: str  # as given: "0.01" or "1%"
    alpha: float
    p_non_inferior: float  # one-sided, H1: not worse by the margin or more
    p_worse: float  # one-sided, H1: worse by more than the margin
    p_two_sided: float  # any difference (for information)
    seeds: tuple[int, ...]
    n_users: int
    split_depends_on_seed: bool
    unused_baseline_seeds: tuple[int, ...]
    cell: str
    verdict: str

    @property
    def passed(self) -> bool:
        return EXIT_STATUS[self.verdict] == 0

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.verdict]

    @property
    def bound(self) -> float:
        """The value of ``diff`` at the margin: ``-margin`` (higher is better) or ``+margin``."""
        return -self.margin if self.higher_is_better else self.margin

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dict (what ``--json`` writes)."""
        data = asdict(self)
        data.update(
            passed=self.passed,
            exit_status=self.exit_status,
            bound=self.bound,
            seeds=list(self.seeds),
            unused_baseline_seeds=list(self.unused_baseline_seeds),
        )
        return data


def check_cells(candidate: Selection, baseline: Selection) -> CellKey:
    """The one benchmark cell of both sides; :class:`GateError` listing what differs."""
    for side, role in ((candidate, "candidate"), (baseline, "baseline")):
        cells = sorted({cell_key(r) for r in side.records})
        if len(cells) > 1:
            raise GateError(
                f"not comparable: the {role} {side.label}'s runs lie in different benchmark "
                f"cells ({'; '.join(differences(cells[0], cells[1]))})"
            )
    cand, base = cell_key(candidate.records[0]), cell_key(baseline.records[0])
    if cand != base:
        raise GateError(
            f"not comparable: candidate {candidate.label} and baseline {baseline.label} are in "
            f"different benchmark cells: {'; '.join(differences(cand, base))}"
        )
    return cand


def _summary(side: Selection, mean: float) -> SideSummary:
    return SideSummary(
        label=side.label,
        model=side.model,
        variant_hash=side.variant_hash,
        source=str(side.source.path),
        bundle=side.source.bundle,
        runs=runs_table(side),
        mean=mean,
    )


def run_gate(
    candidate: Selection,
    baseline: Selection,
    *,
    metric: str = "ndcg@10",
    margin: Margin | str | float = "1%",
    split: str = "test",
    alpha: float = 0.05,
) -> GateResult:
    """Compare the candidate's runs with the baseline's (see the module docstring).

    Args:
        candidate: The candidate's runs (:func:`~bench.compare.selection.select`).
        baseline: The baseline's runs.
        metric: Per-user metric column to judge.
        margin: Non-inferiority margin: absolute (``0.01``) or of the baseline mean (``"1%"``).
        split: Split whose per-user values are compared.
        alpha: The interval is ``1 - alpha``; each one-sided test runs at ``alpha / 2``.

    Raises:
        GateError: Different cells, seeds, splits or users, an unknown metric, a missing
            per-user file, or a bad ``alpha`` / ``margin``.
    """
    if not 0.0 < alpha < 1.0:
        raise GateError(f"alpha={alpha} must lie strictly between 0 and 1")
    margin = margin if isinstance(margin, Margin) else Margin.parse(margin)
    cell = check_cells(candidate, baseline)
    cand_ids = {r.run_id for r in candidate.records}
    if candidate.source.path == baseline.source.path and cand_ids & {
        r.run_id for r in baseline.records
    }:
        raise GateError(f"candidate and baseline select the same runs ({candidate.label})")
    sides = {
        "candidate": seed_runs(candidate, split, "candidate"),
        "baseline": seed_runs(baseline, split, "baseline"),
    }
    check_metric(metric, sides)
    higher = metric_direction(metric, [*candidate.records, *baseline.records])
    only = {
        role: {seed: SeedRun(run.record, run.per_user[[metric]]) for seed, run in runs.items()}
        for role, runs in sides.items()
    }
    try:
        pairing = seed_paired(
            only["candidate"],
            only["baseline"],
            missing_seeds="raise",
            names=(f"candidate {candidate.label}", f"baseline {baseline.label}"),
        )
    except NotComparableError as exc:
        raise GateError(f"not comparable: {exc}") from None
    cand, base = pairing.candidate[[metric]], pairing.baseline[[metric]]
    base_mean = float(base[metric].mean())
    absolute = margin.absolute(base_mean)
    try:
        row = compare(
            cand,
            base,
            [metric],
            alternative="better",
            margin=absolute,
            tests=["t"],
            ci="t",
            alpha=alpha / 2,
            level=1.0 - alpha,
            higher_is_better={metric: higher},
        ).iloc[0]
    except ValueError as exc:  # NaN values, fewer than two users
        raise GateError(f"cannot compare {metric}: {exc}") from None
    a, b = cand[metric].to_numpy(np.float64), base[metric].to_numpy(np.float64)
    sign = 1.0 if higher else -1.0
    p_worse = paired_t_test(sign * a + absolute, sign * b, alternative="less").p_value
    low, high = float(row["ci_low"]), float(row["ci_high"])
    verdict = decide(
        non_inferior=bool(row["better"]),
        worse=p_worse <= alpha / 2,
        superior=(low > 0) if higher else (high < 0),
    )
    return GateResult(
        metric=metric,
        higher_is_better=higher,
        split=split,
        candidate=_summary(candidate, float(row["mean_candidate"])),
        baseline=_summary(baseline, float(row["mean_baseline"])),
        diff=float(row["diff"]),
        ci_low=low,
        ci_high=high,
        level=1.0 - alpha,
        margin=absolute,
        margin_spec=str(margin),
        alpha=alpha,
        p_non_inferior=float(row["p_t"]),
        p_worse=float(p_worse),
        p_two_sided=float(paired_t_test(a, b).p_value),
        seeds=pairing.seeds,
        n_users=pairing.n_users,
        split_depends_on_seed=pairing.split_depends_on_seed,
        unused_baseline_seeds=tuple(sorted(set(baseline.runs) - set(pairing.seeds))),
        cell=cell.title,
        verdict=verdict,
    )
