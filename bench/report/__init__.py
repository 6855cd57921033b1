"""Leaderboard reports: runs of a results store turned into what a ranking team reviews.

:func:`build_report` reads a store and returns a :class:`Report` (cells of comparable runs; a
row per model configuration with mean ± sd over seeds, CIs, Δ vs the baseline with paired tests
and Holm correction, effect sizes, costs, segments and a reproduce command). Render it with
``to_markdown()``, ``to_html()``, ``to_frame()`` (CSV), ``to_dict()`` (JSON), write all with
``write(out_dir)``, or log it to W&B with :func:`log_to_wandb`. CLI: ``python -m bench.report``.

Example:
    >>> import tempfile
    >>> from bench.report import build_report
    >>> build_report(tempfile.mkdtemp(), allow_empty=True).to_markdown().splitlines()[0]
    '## RankBench leaderboard'
"""

from typing import Any

from bench.report.cells import CellKey, cell_key
from bench.report.pairing import NotComparableError, SeedPairing, SeedRun, seed_paired

# The builder and renderers import torch-heavy modules: loaded on first use, so that
# ``bench.report.pairing`` (used by the regression gate) starts fast.
_LAZY = {
    "ReportError": "bench.report.build",
    "build_report": "bench.report.build",
    "Cell": "bench.report.model",
    "Cost": "bench.report.model",
    "Delta": "bench.report.model",
    "Failure": "bench.report.model",
    "MetricStat": "bench.report.model",
    "Report": "bench.report.model",
    "Row": "bench.report.model",
    "Settings": "bench.report.model",
    "log_to_wandb": "bench.report.wandb_table",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bench.report' has no attribute {name!r}")


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
