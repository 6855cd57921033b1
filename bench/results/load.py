"""Read a results store as one pandas table (one row per run) and per-user tables.

Columns: the run's scalar fields (``run_id``, ``status``, ``model``, ``dataset``, ``split``,
``seed``, ``config_hash``, fingerprints, ``git_commit``, times, memory, ``n_params``, ...),
``error_type``/``error_message``, metrics as ``<split>/<metric>`` (``test/ndcg@10``),
``hw.*`` (hardware), ``pkg.*`` (package versions), ``cfg.*`` (config leaves with dot keys,
``cfg.model.l2``) and ``extra.*``. Missing values are NaN/NA.

Example:
    >>> import tempfile
    >>> from bench.results.recorder import RunRecorder
    >>> root = tempfile.mkdtemp()
    >>> for l2 in (0.1, 1.0):
    ...     with RunRecorder(root, {"model": {"name": "ease", "l2": l2}, "seed": 0}) as rec:
    ...         rec.set_metrics("test", {"ndcg@10": l2 / 4})
    >>> table = load(root, model="ease", **{"cfg.model.l2": 1.0})
    >>> table[["model", "seed", "cfg.model.l2", "test/ndcg@10"]].values.tolist()
    [['ease', 0, 1.0, 0.25]]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bench.results.jsonable import canonical_json
from bench.results.markers import INTERRUPTED, marker_state, read_markers
from bench.results.record import STATUSES, RunRecord
from bench.results.store import OnError, ResultStore

#: Statuses in the table: a record's, or (from a "running" marker without a record) a run that
#: is still going or one that was interrupted without writing its record.
TABLE_STATUSES: tuple[str, ...] = (*STATUSES, "running", "interrupted")

#: Scalar record fields that become columns, in this order.
BASE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "status",
    "model",
    "dataset",
    "split",
    "seed",
    "group",
    "tags",
    "config_hash",
    "variant_hash",
    "dataset_fingerprint",
    "split_fingerprint",
    "preprocess",
    "split_params",
    "protocol",
    "test_history",
    "git_commit",
    "git_dirty",
    "started_at",
    "ended_at",
    "wall_seconds",
    "fit_seconds",
    "eval_seconds",
    "peak_rss_bytes",
    "peak_cuda_bytes",
    "n_params",
    "python",
    "command",
)
_INT_COLUMNS = ("seed", "peak_rss_bytes", "peak_cuda_bytes", "n_params")
_PREFIX_ORDER = ("hw.", "pkg.", "cfg.", "extra.")


def flatten(value: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Nested dict -> ``{prefix.a.b: leaf}``; lists become tuples (hashable, comparable).

    Example:
        >>> flatten({"model": {"l2": 0.5, "dims": [8, 16]}, "seed": 0}, "cfg")
        {'cfg.model.l2': 0.5, 'cfg.model.dims': (8, 16), 'cfg.seed': 0}
    """
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, Mapping):
            out.update(flatten(item, name))
        else:
            out[name] = tuple(item) if isinstance(item, list) else item
    return out


def record_row(record: RunRecord, config_fields: Sequence[str] | None = None) -> dict[str, Any]:
    """One table row for a record; ``config_fields`` keeps only those config keys (and below)."""
    row: dict[str, Any] = {name: getattr(record, name) for name in BASE_COLUMNS}
    row["split_params"] = canonical_json(record.split_params)
    row["error_type"] = record.error.type if record.error else None
    row["error_message"] = record.error.message if record.error else None
    for split, values in record.metrics.items():
        row.update({f"{split}/{name}": value for name, value in values.items()})
    if record.hardware is not None:
        row.update(flatten(vars(record.hardware), "hw"))
    row.update(flatten(record.packages, "pkg"))
    config = flatten(record.config, "cfg")
    if config_fields is not None:
        exact = {f"cfg.{f}" for f in config_fields}
        below = tuple(f"{name}." for name in exact)
        config = {k: v for k, v in config.items() if k in exact or k.startswith(below)}
    row.update(config)
    row.update(flatten(record.extra, "extra"))
    return row


def marker_rows(store: ResultStore, recorded: set[str]) -> list[dict[str, Any]]:
    """Rows for runs that have a "running" marker but no record (see :mod:`.markers`)."""
    rows = []
    for marker in read_markers(store.root):
        if marker.run_id in recorded or marker.run_id in store:
            continue
        state = marker_state(marker)
        rows.append(
            {
                "run_id": marker.run_id, "status": state, "model": marker.model,
                "dataset": marker.dataset, "split": marker.split, "seed": marker.seed,
                "group": marker.group, "tags": marker.tags, "started_at": marker.started_at,
                "command": marker.command, "config_hash": marker.config_hash,
                "error_type": "Interrupted" if state == "interrupted" else None,
                "error_message": INTERRUPTED if state == "interrupted" else None,
            }
        )  # fmt: skip
    return rows


def _matches(column: pd.Series, wanted: Any) -> pd.Series:
    if wanted is None:
        return column.isna()
    if isinstance(wanted, list | set | frozenset):
        return column.isin(list(wanted))
    if isinstance(wanted, tuple):  # a tuple is one value (list-valued cells), not "any of"
        return column.map(lambda value: value == wanted).astype(bool)
    return (column == wanted).fillna(False).astype(bool)


def load(
    root: str | os.PathLike[str] | ResultStore,
    status: str | None = None,
    *,
    on_error: OnError = "raise",
    config_fields: Sequence[str] | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """All runs of a store as one DataFrame (sorted by start time), optionally filtered.

    Args:
        root: The store or its root directory (a missing directory gives an empty table).
        status: Keep only runs with this status (``"completed"``, ``"failed"``, or, for runs
            without a record, ``"running"`` / ``"interrupted"``).
        on_error: ``"raise"`` (default) on an invalid record, naming its file; ``"warn"`` skips.
        config_fields: Config keys to include as ``cfg.*`` columns (default: all leaves).
        **filters: Column -> value (equality; a tuple matches a list-valued cell such as
            ``tags``), list/set of values (any of), or ``None`` (missing).
            Dotted or slashed columns via ``**{"cfg.model.l2": 0.5}``.

    Raises:
        ValueError: For an unknown status, or a filter naming no column of a non-empty table.
        CorruptRecordError: For an invalid record when ``on_error="raise"``.
    """
    if status is not None and status not in TABLE_STATUSES:
        raise ValueError(f"status={status!r}: use None or one of {TABLE_STATUSES}")
    store = root if isinstance(root, ResultStore) else ResultStore(root)
    records = list(store.records(on_error=on_error))
    rows = [record_row(r, config_fields) for r in records]
    rows += marker_rows(store, {r.run_id for r in records})
    metrics = {f"{split}/{name}" for r in records for split, v in r.metrics.items() for name in v}
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(BASE_COLUMNS))
    frame = _order_columns(frame, metrics)
    for name in _INT_COLUMNS:
        frame[name] = frame[name].astype("Int64")
    frame["git_dirty"] = frame["git_dirty"].astype("boolean")
    for name in ("started_at", "ended_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    for name in metrics:
        frame[name] = frame[name].astype("float64")
    if status is not None:
        filters = {"status": status, **filters}
    mask = pd.Series(True, index=frame.index)
    for key, wanted in filters.items():
        if key not in frame.columns:
            if frame.empty:
                return frame
            raise ValueError(
                f"unknown filter {key!r}: not a column of the results table in {store.root} "
                "(see load(root).columns; pass dotted names as **{'cfg.model.l2': 0.5})"
            )
        mask &= _matches(frame[key], wanted)
    frame = frame[mask].sort_values(["started_at", "run_id"], kind="stable")
    return frame.reset_index(drop=True)


def _order_columns(frame: pd.DataFrame, metrics: set[str]) -> pd.DataFrame:
    base = [*BASE_COLUMNS, "error_type", "error_message"]
    rest = [c for c in frame.columns if c not in base]
    prefixed = [c for p in _PREFIX_ORDER for c in sorted(x for x in rest if x.startswith(p))]
    others = [c for c in rest if c not in metrics and c not in prefixed]
    return frame.reindex(columns=[*base, *sorted(metrics), *prefixed, *others])


#: What :func:`load_per_user` returns.
PER_USER_COLUMNS = ("metrics", "all")


def load_per_user(
    root: str | os.PathLike[str] | ResultStore,
    run_id: str,
    split: str = "test",
    *,
    columns: str = "metrics",
) -> pd.DataFrame:
    """Per-user values of one run, indexed by ``user`` (ascending).

    Args:
        root: The store or its root directory.
        run_id: The run.
        split: ``"test"`` (default) or ``"valid"``.
        columns: ``"metrics"`` (default): one column per metric, ready for
            :func:`bench.stats.compare`; ``"all"``: also the head/tail segment values
            (``head:<metric>``) and user attributes (``user:n_train``, ...).

    Example:
        >>> import tempfile
        >>> from bench.results.recorder import RunRecorder
        >>> root = tempfile.mkdtemp()
        >>> with RunRecorder(root, {}) as rec:
        ...     rec.set_per_user("test", pd.DataFrame(
        ...         {"user": [4, 1], "ndcg@10": [1.0, 0.0], "user:n_train": [3, 9]}))
        >>> frame = load_per_user(root, rec.run_id)
        >>> frame.index.name, frame.index.tolist(), list(frame.columns)
        ('user', [1, 4], ['ndcg@10'])
    """
    if columns not in PER_USER_COLUMNS:
        raise ValueError(f"columns={columns!r} is not one of {PER_USER_COLUMNS}")
    store = root if isinstance(root, ResultStore) else ResultStore(root)
    frame = store.read_per_user(run_id, split).set_index("user").sort_index()
    if columns == "metrics":
        frame = frame[metric_columns(frame)]
    return frame


def metric_columns(frame: pd.DataFrame) -> list[str]:
    """The plain metric columns of a per-user table (no ``user:`` attribute, no segment).

    Example:
        >>> metric_columns(pd.DataFrame(columns=["ndcg@10", "head:ndcg@10", "user:n_train"]))
        ['ndcg@10']
    """
    return [str(c) for c in frame.columns if c != "user" and ":" not in str(c)]
