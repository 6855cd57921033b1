"""A results store as a short, readable list of runs (``python -m bench.results``).

:func:`list_runs` keeps a few columns of :func:`~bench.results.load`'s table: the run id, status,
model, dataset, split, seed, group, a few test metrics (``test/ndcg@10`` and ``test/recall@10``
where present, or those asked for), the fit time, the start time and, for failed runs, the error
(its type and the first line of its message). :func:`render` prints it as an aligned text table
(short run ids), CSV or JSON (full run ids).

Example:
    >>> import tempfile
    >>> from bench.results.recorder import RunRecorder
    >>> root = tempfile.mkdtemp()
    >>> for run_id, model, ndcg in (("r1", "pop", 0.1), ("r2", "ease", 0.3)):
    ...     with RunRecorder(root, {"seed": 0}, run_id=run_id, model=model) as rec:
    ...         rec.set_metrics("test", {"ndcg@10": ndcg, "recall@10": ndcg / 2})
    >>> runs = list_runs(root, model="ease")
    >>> runs[["run_id", "model", "test/ndcg@10", "test/recall@10"]].values.tolist()
    [['r2', 'ease', 0.3, 0.15]]
    >>> print(format_table(runs[["run_id", "status", "model", "seed", "test/ndcg@10"]]))
    run  status     model  seed  test/ndcg@10
    r2   completed  ease      0        0.3000
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.results.load import TABLE_STATUSES as STATUSES
from bench.results.load import load

#: Test metrics shown when none are asked for (those present in the store).
DEFAULT_METRICS: tuple[str, ...] = ("ndcg@10", "recall@10")
#: Output formats of :func:`render`.
FORMATS: tuple[str, ...] = ("table", "csv", "json")
#: Run fields listed before the metrics, in this order.
RUN_COLUMNS: tuple[str, ...] = ("run_id", "status", "model", "dataset", "split", "seed", "group")
#: Longest error text in the table format (CSV and JSON keep the whole first line).
ERROR_WIDTH = 70

_HEADERS = {"run_id": "run", "fit_s": "fit s", "started": "started (UTC)"}
_NEW_RUN_ID = re.compile(r"\d{8}T\d{6}-([0-9a-f]{12})")


class ListingError(ValueError):
    """The store or an option cannot be used; the message is one line for the user."""


def short_run_id(run_id: str) -> str:
    """A run id as the table shows it: the random part of a generated id, else the id.

    Example:
        >>> short_run_id("20240501T120000-3f2a9c0b1d4e"), short_run_id("baseline-1")
        ('3f2a9c0b1d4e', 'baseline-1')
    """
    found = _NEW_RUN_ID.fullmatch(run_id)
    return found.group(1) if found else run_id


def error_text(error_type: Any, message: Any) -> str | None:
    """``"<type>: <first line of the message>"`` for a failed run, else ``None``.

    Example:
        >>> error_text("RuntimeError", "CUDA out of memory.\\nTried to allocate 2 GiB")
        'RuntimeError: CUDA out of memory.'
    """
    if not isinstance(error_type, str):
        return None
    lines = str(message).strip().splitlines() if isinstance(message, str) else []
    return f"{error_type}: {lines[0]}" if lines else error_type


def check_root(root: str | os.PathLike[str]) -> Path:
    """The store's directory; :class:`ListingError` if it is a file or cannot be read."""
    path = Path(root)
    if path.exists() and not path.is_dir():
        raise ListingError(f"{path} is not a directory (give the results store's directory)")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise ListingError(f"cannot read {path}: permission denied")
    return path


def metric_columns(frame: pd.DataFrame, metrics: Sequence[str] | None = None) -> list[str]:
    """The metric columns to show: ``metrics`` (``ndcg@10`` means ``test/ndcg@10``; a name
    with a ``/`` is a column as is), else those of :data:`DEFAULT_METRICS` present, else the
    first two test metrics present.

    Raises:
        ListingError: A metric asked for is in no run of a non-empty table.
    """
    present = [c for c in frame.columns if "/" in c and not frame[c].isna().all()]
    if metrics:
        wanted = [m if "/" in m else f"test/{m}" for m in metrics]
        missing = [c for c in wanted if c not in present]
        if missing and not frame.empty:
            have = ", ".join(c for c in present if c.startswith("test/")) or "none"
            raise ListingError(f"no run listed has {missing[0]}; test metrics here: {have}")
        return [c for c in wanted if c in present]
    defaults = [f"test/{m}" for m in DEFAULT_METRICS if f"test/{m}" in present]
    return defaults or sorted(c for c in present if c.startswith("test/"))[:2]


def list_runs(
    root: str | os.PathLike[str] = "results",
    *,
    status: str | None = None,
    model: str | None = None,
    dataset: str | None = None,
    group: str | None = None,
    tag: str | None = None,
    metrics: Sequence[str] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The runs of the store at ``root``, oldest first, as a short table (module docstring).

    Args:
        root: The results store's directory (missing: no runs).
        status, model, dataset, group: Keep runs with exactly this value.
        tag: Keep runs carrying this tag.
        metrics: Test metrics to show (see :func:`metric_columns`).
        limit: Keep the newest ``limit`` runs.

    Returns:
        Columns ``run_id status model dataset split seed group <metrics...> fit_s started
        error`` (``started``: UTC timestamps; ``error``: ``None`` unless failed).

    Raises:
        ListingError: Unusable ``root``, unknown ``status``, ``limit`` below 1, or a metric
            asked for that no listed run has.

    Invalid records are skipped with a warning naming their file.
    """
    if status is not None and status not in STATUSES:
        raise ListingError(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise ListingError(f"limit must be at least 1, got {limit}")
    filters = {k: v for k, v in (("model", model), ("dataset", dataset), ("group", group)) if v}
    try:
        frame = load(check_root(root), status, on_error="warn", **filters)
    except OSError as err:
        raise ListingError(f"cannot read {root}: {err.strerror or err}") from None
    if tag is not None:
        frame = frame[frame["tags"].map(lambda tags: isinstance(tags, tuple) and tag in tags)]
    if limit is not None:
        frame = frame.tail(limit)
    shown = metric_columns(frame, metrics)
    table = frame.reindex(columns=[*RUN_COLUMNS, *shown]).copy()
    table["fit_s"] = frame["fit_seconds"].astype("float64")
    table["started"] = frame["started_at"]
    table["error"] = [
        error_text(kind, message)
        for kind, message in zip(frame["error_type"], frame["error_message"], strict=True)
    ]
    return table.reset_index(drop=True)


# -- output ------------------------------------------------------------------------------------
def _cell(column: str, value: Any, *, short: bool) -> str:
    if value is None or (not isinstance(value, str | tuple) and pd.isna(value)):
        return "-"
    if column == "run_id" and short:
        return short_run_id(str(value))
    if column == "fit_s":
        return f"{value:.1f}"
    if column == "started":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    if column == "error" and short and len(str(value)) > ERROR_WIDTH:
        return str(value)[: ERROR_WIDTH - 3] + "..."
    if "/" in column and isinstance(value, int | float):
        return f"{value:.4f}"
    return str(value)


def _numeric(column: str) -> bool:
    return column in ("seed", "fit_s") or "/" in column


def format_table(table: pd.DataFrame) -> str:
    """An aligned text table (numbers right-aligned, ``-`` for missing values, short run ids;
    the ``error`` column only when some run failed)."""
    columns = [c for c in table.columns if c != "error" or table[c].notna().any()]
    headers = [_HEADERS.get(c, c) for c in columns]
    rows = [[_cell(c, row[c], short=True) for c in columns] for _, row in table.iterrows()]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    last = len(columns) - 1

    def line(cells: list[str]) -> str:
        parts = []
        for i, (column, cell) in enumerate(zip(columns, cells, strict=True)):
            right = _numeric(column)
            parts.append(cell.rjust(widths[i]) if right else cell.ljust(widths[i]))
        return "  ".join(p if i < last else p.rstrip() for i, p in enumerate(parts)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (full run ids, ISO times, ``None`` for missing values)."""
    return [{c: _plain(row[c]) for c in table.columns} for _, row in table.iterrows()]


def render(table: pd.DataFrame, fmt: str = "table") -> str:
    """``table`` as ``"table"`` (:func:`format_table`), ``"csv"`` or ``"json"``."""
    if fmt == "table":
        return format_table(table)
    if fmt == "csv":
        frame = pd.DataFrame(to_records(table), columns=list(table.columns))
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return json.dumps(to_records(table), indent=2)
    raise ListingError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def count_line(table: pd.DataFrame, total: int | None = None) -> str:
    """``"3 runs: 2 completed, 1 failed"`` (with ``"newest 3 of 10"`` when limited).

    Example:
        >>> count_line(pd.DataFrame({"status": ["completed", "failed", "completed"]}), 10)
        'newest 3 of 10 runs: 2 completed, 1 failed'
    """
    counts = table["status"].value_counts()
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts.get(s, 0))
    shown = len(table)
    head = f"newest {shown} of {total} runs" if total is not None and total > shown else None
    head = head or f"{shown} run{'s' if shown != 1 else ''}"
    return f"{head}: {parts}" if parts else head
