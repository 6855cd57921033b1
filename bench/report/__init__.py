"""Leaderboard reports: runs of a results store turned into what a ranking team reviews.

:func:`build_report` reads a store and returns a :class:`Report` (cells of comparable runs; a
row per model configuration with mean ± sd over seeds, CIs, Δ vs the baseline with paired tests
and Holm correction, effect sizes, costs, segments and a reproduce command). Render it with
``to_markdown()``, ``to_html()``, ``to_frame()`` (CSV), ``to_dict()`` (JSON), write all with
``write(out_dir)``, or log it to W&B with :func:`log_to_wandb`. CLI: ``python -m bench.report``.

Example:
    >>> import tempfile
    >>> build_report(tempfile.mkdtemp(), allow_empty=True).to_markdown().splitlines()[0]
    '## RankBench leaderboard'
"""

from bench.report.build import ReportError, build_report
from bench.report.cells import CellKey, cell_key
from bench.report.model import Cell, Cost, Delta, Failure, MetricStat, Report, Row, Settings
from bench.report.pairing import NotComparableError, SeedPairing, SeedRun, seed_paired
from bench.report.wandb_table import log_to_wandb

__all__ = [
    "Cell",
    "CellKey",
    "Cost",
    "Delta",
    "Failure",
    "MetricStat",
    "NotComparableError",
    "Report",
    "ReportError",
    "Row",
    "SeedPairing",
    "SeedRun",
    "Settings",
    "build_report",
    "cell_key",
    "log_to_wandb",
    "seed_paired",
]
