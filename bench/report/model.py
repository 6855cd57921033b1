"""The leaderboard as one object: cells of rows, each with uncertainty, comparison and cost.

Every renderer (Markdown, HTML, CSV, JSON, W&B) reads this object and computes nothing of its
own, so the formats cannot disagree. :func:`bench.report.build_report` fills it from a results
store.

Example:
    >>> stat = MetricStat(mean=0.25, std=0.01, ci_low=0.24, ci_high=0.26, n_seeds=3)
    >>> delta = Delta(diff=-0.02, improvement=-0.02, ci_low=-0.03, ci_high=-0.01, rel_diff=-7.4,
    ...               effect_size=-0.3, p_value=1e-5, p_adjusted=3e-5, verdict="worse")
    >>> delta.marker, stat.mean
    ('▼', 0.25)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.report.cells import CellKey

#: Markers of a significant difference to the baseline (after the multiple-test correction).
MARKERS: dict[str, str] = {"better": "▲", "not worse": "▲", "worse": "▼"}


@dataclass(frozen=True)
class MetricStat:
    """One metric of one row: mean over seeds, spread over seeds, 95% CI over users.

    ``std`` is the standard deviation of the per-seed means (``None`` with one seed);
    ``ci_low``/``ci_high`` is the t-interval of the mean over users of each user's value
    averaged over seeds (``None`` for catalogue metrics such as coverage, which have no
    per-user value).
    """

    mean: float
    std: float | None
    ci_low: float | None
    ci_high: float | None
    n_seeds: int


@dataclass(frozen=True)
class Delta:
    """A row's difference to the baseline on one metric (see :func:`bench.stats.compare`)."""

    diff: float
    improvement: float
    ci_low: float
    ci_high: float
    rel_diff: float
    effect_size: float
    p_value: float
    p_adjusted: float
    verdict: str  # "better", "worse" or "n.s."

    @property
    def marker(self) -> str:
        """▲ significantly better, ▼ significantly worse, empty otherwise."""
        return MARKERS.get(self.verdict, "")


@dataclass(frozen=True)
class Cost:
    """Means over seeds of what a row costs; latency from the per-user scoring times."""

    fit_seconds: float | None = None
    eval_seconds: float | None = None
    peak_rss_gb: float | None = None
    n_params: int | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None


@dataclass(frozen=True)
class Row:
    """One model configuration (model + hyperparameters, every seed) in one cell."""

    label: str
    model: str
    variant_hash: str
    is_baseline: bool
    seeds: tuple[int, ...]
    n_users: int
    stats: dict[str, MetricStat]
    deltas: dict[str, Delta]
    cost: Cost
    reproduce: str
    run_ids: tuple[str, ...]
    git_commits: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SegmentRow:
    """One row of a segment table: per-metric means over the segment's users and deltas."""

    label: str
    is_baseline: bool
    means: dict[str, float]
    deltas: dict[str, Delta]


@dataclass(frozen=True)
class SegmentTable:
    """The comparison restricted to one user or item segment."""

    name: str  # "cold users", "head items", ...
    description: str  # how the segment is defined
    n_users: int
    metrics: tuple[str, ...]
    rows: tuple[SegmentRow, ...]


@dataclass(frozen=True)
class Cell:
    """One benchmark cell: rows of comparable runs (see :mod:`bench.report.cells`)."""

    key: CellKey
    metrics: tuple[str, ...]
    higher_is_better: dict[str, bool]
    baseline: str | None
    rows: tuple[Row, ...]
    segments: tuple[SegmentTable, ...]
    seeds: tuple[int, ...]
    split_depends_on_seed: bool
    n_comparisons: int
    distributions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.key.title

    @property
    def primary(self) -> str:
        """The first metric: the one with a full Δ column and the plots."""
        return self.metrics[0]

    def best(self, metric: str) -> float | None:
        """The best mean of ``metric`` over the rows, in the metric's direction."""
        values = [r.stats[metric].mean for r in self.rows if metric in r.stats]
        if not values:
            return None
        return max(values) if self.higher_is_better.get(metric, True) else min(values)


@dataclass(frozen=True)
class Failure:
    """A failed run, listed apart from the tables."""

    run_id: str
    model: str | None
    dataset: str | None
    seed: int | None
    error: str  # "ErrorType: first line of the message"


@dataclass(frozen=True)
class Settings:
    """How the numbers were computed (stated in every rendering)."""

    split: str = "test"
    test: str = "paired t-test over users"
    correction: str = "holm"
    alpha: float = 0.05
    level: float = 0.95
    cold_max_train: int = 5
    heavy_quantile: float = 0.9

    def method(self, cell: Cell) -> str:
        """One paragraph: how seeds and users are combined and what the markers mean."""
        seeds = len(cell.seeds)
        pairing = (
            "the split depends on the seed, so each user is paired with itself within each "
            "seed's split, and the per-user values are then averaged over seeds"
            if cell.split_depends_on_seed
            else "every seed uses the same split; each user's values are averaged over seeds"
        )
        return (
            f"{seeds} seed{'s' if seeds != 1 else ''}: {pairing}. Mean ± sd over seeds; "
            f"{self.level:.0%} CIs are t-intervals over users. Δ is candidate − baseline; "
            f"{self.test} on the per-user values, {self.correction.title()} correction over the "
            f"{cell.n_comparisons} comparisons of the table, α = {self.alpha}; "
            "▲/▼ = significantly better/worse than the baseline in the metric's direction; "
            "d_z = mean paired difference / its sd."
        )


@dataclass(frozen=True)
class Report:
    """A whole leaderboard (see the module docstring); render it with its methods."""

    title: str
    created_at: str
    results_dir: str
    cells: tuple[Cell, ...]
    failures: tuple[Failure, ...]
    git_commits: tuple[str, ...]
    dirty: bool
    packages: dict[str, str | None]
    settings: Settings
    warnings: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """Markdown for a pull-request comment."""
        from bench.report.markdown import render_markdown

        return render_markdown(self)

    def to_frame(self) -> Any:
        """One row per (cell, model configuration, metric) as a pandas DataFrame (CSV)."""
        from bench.report.tables import report_frame

        return report_frame(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of everything in the report."""
        from bench.report.tables import report_dict

        return report_dict(self)

    def to_html(self) -> str:
        """One self-contained HTML page (works offline)."""
        from bench.report.html import render_html

        return render_html(self)

    def write(self, out_dir: Any, formats: tuple[str, ...] = ("md", "html", "csv", "json")) -> Any:
        """Write the chosen formats atomically into ``out_dir``; returns ``{format: path}``."""
        from bench.report.write import write_report

        return write_report(self, out_dir, formats)
