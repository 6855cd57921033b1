"""Flat views of a report: a tidy table (CSV) and a plain dict (JSON).

The CSV has one row per (cell, model configuration, metric) with every number the other
formats show: mean, sd, CI, Δ with its CI, p-values, verdict, effect size, cost, the reproduce
command and the config hash. The JSON holds the whole report, segments and failures included.

Example:
    >>> from bench.report.model import Report, Settings
    >>> empty = Report("t", "now", "results", (), (), (), False, {}, Settings())
    >>> report_frame(empty).empty, report_dict(empty)["cells"]
    (True, [])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from bench.report.model import Report

COLUMNS = (
    "cell", "dataset", "dataset_fingerprint", "preprocess", "split", "split_params", "protocol",
    "test_history", "model", "label", "variant_hash", "is_baseline", "seeds", "n_users", "metric",
    "higher_is_better", "mean", "sd", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high",
    "rel_diff_pct", "effect_size_dz", "p_value", "p_adjusted", "verdict", "fit_seconds",
    "eval_seconds", "peak_rss_gb", "n_params", "latency_p50_ms", "latency_p99_ms", "reproduce",
    "run_ids",
)  # fmt: skip


def report_frame(report: Report) -> pd.DataFrame:
    """One row per (cell, row, metric); columns :data:`COLUMNS`."""
    rows = []
    for cell in report.cells:
        key = cell.key
        for row in cell.rows:
            for metric in cell.metrics:
                stat = row.stats.get(metric)
                delta = row.deltas.get(metric)
                rows.append(
                    {
                        "cell": key.title, "dataset": key.dataset,
                        "dataset_fingerprint": key.dataset_fingerprint,
                        "preprocess": key.preprocess, "split": key.split,
                        "split_params": key.split_params, "protocol": key.protocol,
                        "test_history": key.test_history, "model": row.model,
                        "label": row.label, "variant_hash": row.variant_hash,
                        "is_baseline": row.is_baseline,
                        "seeds": ",".join(map(str, row.seeds)), "n_users": row.n_users,
                        "metric": metric, "higher_is_better": cell.higher_is_better.get(metric),
                        "mean": stat and stat.mean, "sd": stat and stat.std,
                        "ci_low": stat and stat.ci_low, "ci_high": stat and stat.ci_high,
                        "diff": delta and delta.diff, "diff_ci_low": delta and delta.ci_low,
                        "diff_ci_high": delta and delta.ci_high,
                        "rel_diff_pct": delta and delta.rel_diff,
                        "effect_size_dz": delta and delta.effect_size,
                        "p_value": delta and delta.p_value,
                        "p_adjusted": delta and delta.p_adjusted,
                        "verdict": _verdict(delta, row.is_baseline),
                        "fit_seconds": row.cost.fit_seconds, "eval_seconds": row.cost.eval_seconds,
                        "peak_rss_gb": row.cost.peak_rss_gb, "n_params": row.cost.n_params,
                        "latency_p50_ms": row.cost.latency_p50_ms,
                        "latency_p99_ms": row.cost.latency_p99_ms,
                        "reproduce": row.reproduce, "run_ids": " ".join(row.run_ids),
                    }
                )  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _verdict(delta: Any, is_baseline: bool) -> str | None:
    if delta is not None:
        return delta.verdict
    return "baseline" if is_baseline else None


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [None if not np.isfinite(v) else round(float(v), 6) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if hasattr(value, "title") and "key" in out:
            out["title"] = value.title
        return out
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-able data (per-user distributions as lists)."""
    data = _plain(report)
    data["method"] = {cell.key.slug: report.settings.method(cell) for cell in report.cells}
    return data
