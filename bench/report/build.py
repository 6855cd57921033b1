"""Build a :class:`~bench.report.model.Report` from a results store.

Runs are filtered (group, tags, dataset, models), completed runs are grouped into benchmark
cells (:mod:`bench.report.cells`) and, inside a cell, into model configurations (the
``variant_hash``: the config without the seed). Each configuration keeps its latest completed
run per seed. Rows get means and spreads over seeds, CIs over users, the comparison with the
baseline (seeds and users paired by :mod:`bench.report.pairing`; Holm over the whole table),
costs, and their reproduce command. Failed runs are listed apart.

Example:
    >>> import tempfile
    >>> report = build_report(tempfile.mkdtemp(), allow_empty=True)
    >>> report.cells, report.failures
    ((), ())
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
from scipy import stats as sps

from bench.report.cells import CellKey, cell_key
from bench.report.model import (
    Cell,
    Cost,
    Delta,
    Failure,
    MetricStat,
    Report,
    Row,
    SegmentRow,
    SegmentTable,
    Settings,
)
from bench.report.pairing import NotComparableError, SeedPairing, SeedRun, seed_mean, seed_paired
from bench.report.reproduce import reproduction
from bench.results import ResultStore, RunRecord, result_config
from bench.results.load import flatten
from bench.stats import CORRECTIONS, compare
from bench.stats.compare import direction_of, verdicts


class ReportError(ValueError):
    """A report cannot be built from this input (the message says what to fix)."""


# -- selecting runs ----------------------------------------------------------------------------
def _read_records(store: ResultStore) -> tuple[list[RunRecord], list[str]]:
    if not store.root.exists():
        raise ReportError(
            f"results directory {store.root} does not exist; run `python -m bench.suite` or "
            "`python -m bench.train` first, or pass --root <dir>"
        )
    if not store.root.is_dir():
        raise ReportError(f"{store.root} is not a directory; pass --root <results dir>")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = list(store.records(on_error="warn"))
    notes = [f"skipped {w.message}" for w in caught]
    return records, notes


def _keep(record: RunRecord, group: str | None, tags: Sequence[str], dataset: str | None,
          models: Sequence[str] | None, commit: str | None = None) -> bool:  # fmt: skip
    if group is not None and record.group != group:
        return False
    if commit is not None and not (record.git_commit or "").startswith(commit):
        return False
    if any(tag not in record.tags for tag in tags):
        return False
    if dataset is not None and record.dataset != dataset:
        return False
    return models is None or record.model in models


def latest_variants(records: Sequence[RunRecord]) -> tuple[list[RunRecord], list[str]]:
    """Keep, per (cell, model), only the configuration run most recently; return the kept
    records and one note per model whose older configurations were left out.

    A team that re-tunes a model keeps its earlier runs in the store; this makes the table one
    row per model, its current configuration, and says what it hid.

    Example:
        >>> latest_variants([])
        ([], [])
    """
    groups: dict[tuple[CellKey, str], dict[str, list[RunRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for record in records:
        variant = record.variant_hash or record.run_id
        groups[(cell_key(record), record.model or "?")][variant].append(record)
    kept: list[RunRecord] = []
    notes: list[str] = []
    for (_, model), variants in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        newest = max(variants, key=lambda h: max((r.started_at, r.run_id) for r in variants[h]))
        kept.extend(variants[newest])
        older = sorted(h for h in variants if h != newest)
        if older:
            n_runs = sum(len(variants[h]) for h in older)
            notes.append(
                f"{model}: the latest configuration [{newest[:8]}] only; {len(older)} older "
                f"configuration(s) left out ({', '.join(h[:8] for h in older)}; {n_runs} run(s))"
            )
    return kept, notes


class Attempt(Protocol):
    """What :func:`split_recovered` reads of a run: a record, or an interrupted run's marker."""

    @property
    def run_id(self) -> str: ...
    @property
    def config_hash(self) -> str | None: ...
    @property
    def started_at(self) -> str: ...


AttemptT = TypeVar("AttemptT", bound=Attempt)


def split_recovered(
    failed: Sequence[AttemptT], completed: Sequence[RunRecord]
) -> tuple[list[AttemptT], list[AttemptT]]:
    """(still failed, recovered): a failed or interrupted run is recovered when a completed run
    of the same ``config_hash`` (configuration and seed) started after it (a resume or a
    rerun). A run without a ``config_hash`` (a marker from before markers carried one) is never
    recovered: nothing says which configuration it ran.

    Example:
        >>> from types import SimpleNamespace as Run  # the fields it reads
        >>> crash = Run(run_id="r1", config_hash="a", started_at="2024-01-01T01:00:00+00:00")
        >>> other = Run(run_id="r2", config_hash="b", started_at="2024-01-01T02:00:00+00:00")
        >>> resumed = Run(run_id="r3", config_hash="a", started_at="2024-01-01T03:00:00+00:00")
        >>> [[r.run_id for r in part] for part in split_recovered([crash, other], [resumed])]
        [['r2'], ['r1']]
    """
    finished: dict[str, tuple[str, str]] = {}
    for record in completed:
        key = (record.started_at, record.run_id)
        finished[record.config_hash] = max(finished.get(record.config_hash, key), key)
    still, recovered = [], []
    for record in failed:
        later = None if record.config_hash is None else finished.get(record.config_hash)
        done = later is not None and later > (record.started_at, record.run_id)
        (recovered if done else still).append(record)
    return still, recovered


def _failure(record: RunRecord) -> Failure:
    error = record.error
    line = "" if error is None else (error.message.strip().splitlines() or [""])[0]
    kind = "" if error is None else error.type
    return Failure(record.run_id, record.model, record.dataset, record.seed, f"{kind}: {line}")


# -- rows --------------------------------------------------------------------------------------
def latest_per_seed(records: Sequence[RunRecord]) -> dict[int, RunRecord]:
    """seed -> the latest completed run of that seed (reruns of one command replace older)."""
    chosen: dict[int, RunRecord] = {}
    for record in sorted(records, key=lambda r: (r.started_at, r.run_id)):
        chosen[record.seed if record.seed is not None else 0] = record
    return dict(sorted(chosen.items()))


def _labels(variants: dict[str, list[RunRecord]]) -> dict[str, str]:
    """Model name, plus the hyperparameters that tell apart configurations of one model."""
    by_model: dict[str, list[str]] = defaultdict(list)
    for variant, runs in variants.items():
        by_model[runs[0].model or "?"].append(variant)
    labels = {}
    for model, hashes in by_model.items():
        if len(hashes) == 1:
            labels[hashes[0]] = model
            continue
        flat = {
            h: flatten(result_config(variants[h][0].config, with_seed=False), "") for h in hashes
        }
        keys = sorted({k for f in flat.values() for k in f})
        differing = [k for k in keys if len({repr(f.get(k)) for f in flat.values()}) > 1]
        for h in hashes:
            parts = [f"{k.rsplit('.', 1)[-1]}={flat[h].get(k, '(not set)')}" for k in differing[:3]]
            labels[h] = f"{model} ({', '.join(parts)})" if parts else f"{model} [{h[:8]}]"
    return labels


def _mean_ci(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    values = values[np.isfinite(values)]
    if values.size < 2:
        return None, None
    mean, se = float(values.mean()), float(values.std(ddof=1)) / np.sqrt(values.size)
    half = float(sps.t.ppf(0.5 + level / 2, values.size - 1)) * se
    return mean - half, mean + half


def _stat(runs: dict[int, RunRecord], per_user: pd.DataFrame | None, metric: str,
          split: str, level: float) -> MetricStat | None:  # fmt: skip
    values = [r.metrics.get(split, {}).get(metric) for r in runs.values()]
    values = [v for v in values if v is not None]
    if not values:
        return None
    low = high = None
    if per_user is not None and metric in per_user.columns:
        low, high = _mean_ci(per_user[metric].to_numpy(np.float64), level)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return MetricStat(float(np.mean(values)), std, low, high, len(values))


def _cost(runs: dict[int, RunRecord], per_user: dict[int, pd.DataFrame]) -> Cost:
    def mean(name: str) -> float | None:
        values = [getattr(r, name) for r in runs.values() if getattr(r, name) is not None]
        return float(np.mean(values)) if values else None

    latency = [f["user:score_ms"].to_numpy() for f in per_user.values() if "user:score_ms" in f]
    pooled = np.concatenate(latency) if latency else np.zeros(0)
    pooled = pooled[np.isfinite(pooled)]
    rss = mean("peak_rss_bytes")
    params = [r.n_params for r in runs.values() if r.n_params is not None]
    return Cost(
        fit_seconds=mean("fit_seconds"),
        eval_seconds=mean("eval_seconds"),
        peak_rss_gb=None if rss is None else rss / 2**30,
        n_params=max(params) if params else None,
        latency_p50_ms=float(np.percentile(pooled, 50)) if pooled.size else None,
        latency_p99_ms=float(np.percentile(pooled, 99)) if pooled.size else None,
    )


# -- comparisons -------------------------------------------------------------------------------
def _raw_compare(cand: pd.DataFrame, base: pd.DataFrame, metrics: list[str],
                 directions: dict[str, bool], settings: Settings) -> pd.DataFrame:  # fmt: skip
    """Uncorrected paired t-tests per metric on users with a value on both sides."""
    rows = []
    for metric in metrics:
        pair = pd.concat([cand[metric].rename("a"), base[metric].rename("b")], axis=1).dropna()
        if len(pair) < 2:
            continue
        table = compare(
            pair[["a"]].rename(columns={"a": metric}),
            pair[["b"]].rename(columns={"b": metric}),
            [metric],
            tests=["t"],
            level=settings.level,
            alpha=settings.alpha,
            higher_is_better=directions,
        )
        rows.append(table.iloc[0])
    return pd.DataFrame(rows)


def _deltas(tables: dict[str, pd.DataFrame], settings: Settings) -> dict[str, dict[str, Delta]]:
    """Correct the raw p-values of every (row, metric) of one table together (Holm)."""
    flat = [(label, row) for label, table in tables.items() for _, row in table.iterrows()]
    if not flat:
        return {}
    raw = np.array([row["p_t"] for _, row in flat], dtype=np.float64)
    adjusted = CORRECTIONS[settings.correction](raw, alpha=settings.alpha)
    improvement = np.array([row["improvement"] for _, row in flat], dtype=np.float64)
    verdict = verdicts(improvement, adjusted.reject, "two-sided", 0.0)
    out: dict[str, dict[str, Delta]] = defaultdict(dict)
    for i, (label, row) in enumerate(flat):
        out[label][row["metric"]] = Delta(
            diff=float(row["diff"]),
            improvement=float(row["improvement"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            rel_diff=float(row["rel_diff"]),
            effect_size=float(row["effect_size"]),
            p_value=float(row["p_t"]),
            p_adjusted=float(adjusted.p_adjusted[i]),
            verdict=verdict[i],
        )
    return dict(out)


def _user_segments(base: pd.DataFrame, settings: Settings) -> list[tuple[str, str, pd.Index]]:
    if "user:n_train" not in base.columns:
        return []
    n_train = base["user:n_train"]
    cold = n_train <= settings.cold_max_train
    cut = float(n_train[~cold].quantile(settings.heavy_quantile)) if (~cold).any() else np.inf
    heavy = ~cold & (n_train >= cut)
    light = ~cold & ~heavy
    share = round(100 * (1 - settings.heavy_quantile))
    return [
        ("cold users", f"≤ {settings.cold_max_train} training interactions", n_train.index[cold]),
        ("light users", "the rest", n_train.index[light]),
        ("heavy users", f"top {share}% by training interactions (≥ {cut:.0f})",
         n_train.index[heavy]),
    ]  # fmt: skip


# -- one cell ----------------------------------------------------------------------------------
class _Variant:
    def __init__(self, label: str, records: list[RunRecord], store: ResultStore, split: str):
        self.label = label
        self.model = records[0].model or "?"
        self.hash = records[0].variant_hash or "?"
        self.runs = latest_per_seed(records)
        self.per_user: dict[int, pd.DataFrame] = {}
        self.notes: list[str] = []
        for seed, record in list(self.runs.items()):
            try:
                frame = store.read_per_user(record.run_id, split)
            except (FileNotFoundError, OSError, ValueError) as err:
                self.notes.append(f"seed {seed}: no per-user values ({err}); left out of tests")
                continue
            self.per_user[seed] = frame.set_index("user").sort_index()

    def seed_runs(self) -> dict[int, SeedRun]:
        return {s: SeedRun(self.runs[s], f) for s, f in self.per_user.items()}

    def mean_frame(self) -> pd.DataFrame | None:
        return seed_mean(self.seed_runs()) if self.per_user else None


def metric_order(records: Sequence[RunRecord], split: str = "test") -> list[str]:
    """The runs' metrics in the order of their ``eval.metrics`` config (then by name).

    Example:
        >>> from bench.results import RunRecord
        >>> r = RunRecord(run_id="r", status="completed", started_at="2024-01-01T00:00:00+00:00",
        ...     ended_at="2024-01-01T00:00:00+00:00", config={"eval": {"metrics": ["ndcg@10",
        ...     "recall@10"]}}, metrics={"test": {"recall@10": 0.2, "ndcg@10": 0.1}})
        >>> metric_order([r])
        ['ndcg@10', 'recall@10']
    """
    names = list(dict.fromkeys(m for r in records for m in r.metrics.get(split, {})))
    configured: list[str] = []
    for record in records:
        listed = (record.config.get("eval") or {}).get("metrics") or []
        configured += [str(m) for m in listed if str(m) not in configured]

    def position(name: str) -> tuple[int, str]:
        bare = name.removeprefix("sampled_")
        return (configured.index(bare) if bare in configured else len(configured), name)

    return sorted(names, key=position)


def _pick_baseline(variants: list[_Variant], baseline: str | None) -> _Variant | None:
    if baseline is None:
        return None
    model, _, prefix = baseline.partition("@")
    found = [v for v in variants if v.model == model and v.hash.startswith(prefix)]
    if not found:
        return None
    # several configurations of the baseline model: the one with most seeds, then first hash
    return sorted(found, key=lambda v: (-len(v.runs), v.hash))[0]


def build_cell(key: CellKey, records: list[RunRecord], store: ResultStore, *,
               baseline: str | None, metrics: Sequence[str] | None,
               settings: Settings, check_commands: bool = True) -> Cell:  # fmt: skip
    """One cell of the report from its completed runs (``check_commands``: see
    :func:`bench.report.reproduce.reproduction`)."""
    split = settings.split
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for record in records:
        groups[record.variant_hash or record.run_id].append(record)
    labels = _labels(groups)
    variants = [_Variant(labels[h], rs, store, split) for h, rs in groups.items()]
    available = metric_order(records, split)
    chosen = list(metrics) if metrics else available
    directions: dict[str, bool] = {}
    for record in records:
        directions.update(record.higher_is_better)
    directions = {m: directions[m] if m in directions else direction_of(m) for m in chosen}
    warnings_: list[str] = []
    leaky = sorted(
        {p for r in records for p in ((r.extra.get("leakage") or {}).get("problems") or [])}
    )
    if leaky:
        warnings_.append(
            "runs of this cell used a split that is not clean (allowed with allow_leakage=true): "
            + "; ".join(leaky)
        )
    base = _pick_baseline(variants, baseline)
    if baseline is not None and base is None:
        warnings_.append(f"baseline {baseline!r} has no run in this cell: no Δ columns")
    frames = {v.hash: v.mean_frame() for v in variants}
    per_user_metrics = [
        m for m in chosen if all(f is None or m in f.columns for f in frames.values())
    ]
    per_user_metrics = [m for m in per_user_metrics if any(f is not None for f in frames.values())]

    pairings: dict[str, SeedPairing] = {}
    row_notes: dict[str, list[str]] = {v.hash: list(v.notes) for v in variants}
    if base is not None and base.per_user:
        for v in variants:
            if v is base or not v.per_user:
                continue
            try:
                pairing = seed_paired(
                    v.seed_runs(), base.seed_runs(), missing_seeds="common",
                    names=(v.label, base.label),
                )  # fmt: skip
            except NotComparableError as err:
                row_notes[v.hash].append(f"not compared: {err}")
                continue
            if pairing.left_out_seeds:
                seeds = ",".join(map(str, pairing.left_out_seeds))
                row_notes[v.hash].append(
                    f"seeds {seeds} have no baseline run: compared on seeds "
                    f"{','.join(map(str, pairing.seeds))} only (run {base.label} with seed={seeds})"
                )
            pairings[v.hash] = pairing
    raw = {
        h: _raw_compare(p.candidate, p.baseline, per_user_metrics, directions, settings)
        for h, p in pairings.items()
    }
    deltas = _deltas(raw, settings)

    rows = []
    for v in variants:
        again = reproduction(v.runs, v.hash, check=check_commands)
        if again.note:
            row_notes[v.hash].append(again.note)
        frame = frames[v.hash]
        stats = {}
        for metric in chosen:
            stat = _stat(v.runs, frame, metric, split, settings.level)
            if stat is not None:
                stats[metric] = stat
        rows.append(
            Row(
                label=v.label,
                model=v.model,
                variant_hash=v.hash,
                is_baseline=v is base,
                seeds=tuple(v.runs),
                n_users=0 if frame is None else len(frame),
                stats=stats,
                deltas=deltas.get(v.hash, {}),
                cost=_cost(v.runs, v.per_user),
                reproduce=again.command,
                run_ids=tuple(r.run_id for r in v.runs.values()),
                git_commits=tuple(sorted({r.git_commit or "?" for r in v.runs.values()})),
                notes=tuple(row_notes[v.hash]),
            )
        )
    primary = chosen[0] if chosen else None
    rows.sort(key=lambda r: _row_order(r, primary, directions))
    labels_by_hash = {v.hash: v.label for v in variants}
    segments = _segments(
        base, pairings, labels_by_hash, per_user_metrics[:2], directions, settings, frames
    )
    seeds = tuple(sorted({s for v in variants for s in v.runs}))
    fingerprints = {r.split_fingerprint for r in records}
    distributions = {
        v.label: {m: frames[v.hash][m].to_numpy(np.float32) for m in per_user_metrics[:1]}
        for v in variants
        if frames[v.hash] is not None
    }
    n_comparisons = sum(len(d) for d in deltas.values())
    return Cell(
        key=key,
        metrics=tuple(chosen),
        higher_is_better=directions,
        baseline=None if base is None else base.label,
        rows=tuple(rows),
        segments=tuple(segments),
        seeds=seeds,
        split_depends_on_seed=len(fingerprints) > 1,
        n_comparisons=n_comparisons,
        distributions=distributions,
        warnings=tuple(warnings_),
    )


def _row_order(row: Row, primary: str | None, directions: dict[str, bool]) -> tuple:
    if row.is_baseline:
        return (0, 0.0, row.label)
    stat = row.stats.get(primary) if primary else None
    if stat is None:
        return (2, 0.0, row.label)
    sign = -1.0 if directions.get(primary, True) else 1.0
    return (1, sign * stat.mean, row.label)


def _segments(base: Any, pairings: dict[str, SeedPairing], labels: dict[str, str],
              metrics: list[str],
              directions: dict[str, bool], settings: Settings,
              frames: dict[str, pd.DataFrame | None]) -> list[SegmentTable]:  # fmt: skip
    if base is None or not metrics or frames.get(base.hash) is None:
        return []
    base_frame = frames[base.hash]
    tables = []
    for name, description, users in _user_segments(base_frame, settings):
        table = _segment_table(name, description, base.label, base_frame, pairings, labels,
                               metrics, directions, settings, users, None)  # fmt: skip
        tables.append(table)
    for segment, description in (("head", "targets among the most popular items"),
                                 ("tail", "targets among the other items")):  # fmt: skip
        if not all(f"{segment}:{m}" in base_frame.columns for m in metrics):
            continue
        tables.append(_segment_table(f"{segment} items", description, base.label, base_frame,
                                     pairings, labels, metrics, directions, settings, None,
                                     segment))  # fmt: skip
    return [t for t in tables if t.n_users > 0]


def _segment_table(name: str, description: str, base_label: str, base_frame: pd.DataFrame,
                   pairings: dict[str, SeedPairing], labels: dict[str, str],
                   metrics: list[str], directions: dict[str, bool],
                   settings: Settings, users: pd.Index | None,
                   prefix: str | None) -> SegmentTable:  # fmt: skip
    """The comparison on a user segment (``users``) or an item segment (``prefix``)."""

    def view(frame: pd.DataFrame) -> pd.DataFrame:
        if users is not None:
            frame = frame.loc[frame.index.intersection(users)]
        if prefix is None:
            return frame[metrics]
        columns = {f"{prefix}:{m}": m for m in metrics}
        return frame[list(columns)].rename(columns=columns)

    base_view = view(base_frame)
    n_users = int(base_view.dropna(how="all").shape[0])
    raw = {}
    means = {}
    for variant_hash, pairing in pairings.items():
        cand, ref = view(pairing.candidate), view(pairing.baseline)
        raw[variant_hash] = _raw_compare(cand, ref, metrics, directions, settings)
        means[variant_hash] = {m: float(cand[m].mean()) for m in metrics}
    deltas = _deltas(raw, settings)
    rows = [SegmentRow(base_label, True, {m: float(base_view[m].mean()) for m in metrics}, {})]
    for variant_hash in pairings:
        rows.append(
            SegmentRow(labels[variant_hash], False, means[variant_hash],
                       deltas.get(variant_hash, {}))
        )  # fmt: skip
    return SegmentTable(name, description, n_users, tuple(metrics), tuple(rows))


# -- the report --------------------------------------------------------------------------------
def build_report(
    root: str | os.PathLike[str] | ResultStore = "results",
    *,
    group: str | None = None,
    tags: Sequence[str] = (),
    dataset: str | None = None,
    models: Sequence[str] | None = None,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
    settings: Settings | None = None,
    title: str | None = None,
    allow_empty: bool = False,
    commit: str | None = None,
    latest_variant: bool = False,
    check_commands: bool = True,
) -> Report:
    """Read a results store and build the leaderboard (see the module docstring).

    Args:
        root: The results directory (or store).
        group, tags, dataset, models: Keep only matching runs (``tags``: all of them).
        baseline: Model name (``ease``), or ``model@<variant hash prefix>`` when the store
            holds several configurations of it; the Δ columns compare every row with it.
        metrics: Metrics to show, the first being the primary one (default: every test
            metric of the cell's runs, in the order recorded).
        settings: Significance level, CI level, segment thresholds.
        title: Report title.
        allow_empty: Return an empty report instead of raising when no run matches.
        commit: Keep only runs made at a git commit starting with this prefix (a table from
            one code version; interrupted runs, which record no commit, are then left out).
        latest_variant: One row per model in each cell, its most recently run configuration
            (:func:`latest_variants`); the report's notes name the configurations left out.
        check_commands: Compose each row's reproduce command with the configs in use and,
            where it no longer gives the row's configuration (a default changed since), pin it
            to the runs' commit with a note (:func:`bench.report.reproduce.reproduction`).

    Raises:
        ReportError: missing or empty directory, only failed runs, unknown baseline or metric.
    """
    settings = settings or Settings()
    store = root if isinstance(root, ResultStore) else ResultStore(root)
    if not allow_empty or store.root.exists():
        records, notes = _read_records(store)
    else:
        records, notes = [], []
    filters = {
        "group": group, "tags": list(tags), "dataset": dataset, "models": models, "commit": commit,
        "latest_variant": latest_variant,
    }  # fmt: skip
    chosen = [r for r in records if _keep(r, group, tags, dataset, models, commit)]
    completed = [r for r in chosen if r.status == "completed"]
    failed = [r for r in chosen if r.status == "failed"]
    failed, recovered = split_recovered(failed, completed)
    superseded: list[str] = []
    if latest_variant:
        completed, superseded = latest_variants(completed)
    if not completed and not allow_empty:
        what = ", ".join(f"{k}={v}" for k, v in filters.items() if v)
        where = f"{store.root}" + (f" matching {what}" if what else "")
        if failed:
            first = _failure(failed[0])
            raise ReportError(
                f"{len(failed)} run(s) in {where}, all failed (e.g. {first.run_id}: "
                f"{first.error}); fix and rerun them"
            )
        raise ReportError(f"no runs in {where}; run `python -m bench.suite` first")
    if baseline is not None and completed:
        model = baseline.partition("@")[0]
        known = sorted({r.model or "?" for r in completed})
        if model not in known:
            raise ReportError(f"unknown baseline {baseline!r}; models: {', '.join(known)}")
    if metrics:
        have = {m for r in completed for m in r.metrics.get(settings.split, {})}
        unknown = [m for m in metrics if m not in have]
        if unknown:
            raise ReportError(
                f"unknown metric {unknown[0]!r}; the runs have: {', '.join(sorted(have))}"
            )
    by_cell: dict[CellKey, list[RunRecord]] = defaultdict(list)
    for record in completed:
        by_cell[cell_key(record)].append(record)
    cells = []
    for key in sorted(by_cell):
        cell_records = by_cell[key]
        cell_metrics = metrics
        if metrics:
            present = {m for r in cell_records for m in r.metrics.get(settings.split, {})}
            cell_metrics = [m for m in metrics if m in present]
        cells.append(
            build_cell(
                key,
                cell_records,
                store,
                baseline=baseline,
                metrics=cell_metrics or None,
                settings=settings,
                check_commands=check_commands,
            )
        )
    interrupted: list[Interrupted] = []
    running: list[str] = []
    if commit is None:  # markers name no commit: a one-commit table leaves them out
        interrupted, running = _unfinished(store, records, group, tags, dataset, models)
        interrupted, resumed = split_recovered(interrupted, completed)
        recovered = [*recovered, *resumed]
    used = completed
    commits = tuple(sorted({r.git_commit or "unknown" for r in used}))
    dirty = any(r.git_dirty for r in used)
    report_notes = list(notes) + superseded
    if recovered:
        ids = ", ".join(r.run_id for r in recovered[:3]) + (", ..." if len(recovered) > 3 else "")
        report_notes.append(
            f"{len(recovered)} failed or interrupted run(s) were later run to completion with the "
            f"same configuration and seed (resumed or rerun), so they are not listed as failures "
            f"({ids})"
        )
    if running:
        report_notes.append(
            f"{len(running)} run(s) still running ({', '.join(running[:3])}"
            f"{', ...' if len(running) > 3 else ''}): rebuild the report when they finish"
        )
    if len(commits) > 1:
        report_notes.append(
            f"rows come from {len(commits)} commits ({', '.join(c[:8] for c in commits)}): "
            "differences may be code changes, not models"
        )
    if dirty:
        n_dirty = sum(bool(r.git_dirty) for r in used)
        report_notes.append(
            f"{n_dirty} run(s) come from a dirty tree (uncommitted changes): their code is "
            "not the commit named"
        )
    packages, package_notes = _packages(used)
    report_notes.extend(package_notes)
    return Report(
        title=title or "RankBench leaderboard",
        created_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        results_dir=str(store.root),
        cells=tuple(cells),
        failures=tuple(_failure(r) for r in failed) + tuple(i.failure for i in interrupted),
        git_commits=commits,
        dirty=dirty,
        packages=packages,
        settings=settings,
        warnings=tuple(report_notes),
        filters={k: v for k, v in filters.items() if v},
    )


@dataclass(frozen=True)
class Interrupted:
    """A run that stopped without writing its record (from its "running" marker)."""

    config_hash: str | None
    started_at: str
    failure: Failure

    @property
    def run_id(self) -> str:
        return self.failure.run_id


def _unfinished(store: ResultStore, records: list[RunRecord], group: str | None,
                tags: Sequence[str], dataset: str | None,
                models: Sequence[str] | None) -> tuple[list[Interrupted], list[str]]:  # fmt: skip
    """Runs with a "running" marker but no record: interrupted ones and the ids of those still
    running, filtered like the records."""
    from bench.results.load import marker_rows

    interrupted, running = [], []
    for row in marker_rows(store, {r.run_id for r in records}):
        if group is not None and row["group"] != group:
            continue
        if any(tag not in (row["tags"] or ()) for tag in tags):
            continue
        if (dataset is not None and row["dataset"] != dataset) or (
            models is not None and row["model"] not in models
        ):
            continue
        if row["status"] == "running":
            running.append(row["run_id"])
        else:
            failure = Failure(row["run_id"], row["model"], row["dataset"], row["seed"],
                              row["error_message"])  # fmt: skip
            interrupted.append(Interrupted(row["config_hash"], row["started_at"], failure))
    return interrupted, running


def _packages(records: list[RunRecord]) -> tuple[dict[str, str | None], list[str]]:
    seen: dict[str, set[str | None]] = defaultdict(set)
    for record in records:
        for name, version in record.packages.items():
            seen[name].add(version)
    notes = [
        f"{name} differs across runs: {', '.join(sorted(str(v) for v in versions))}"
        for name, versions in sorted(seen.items())
        if len(versions) > 1
    ]
    latest = max(records, key=lambda r: r.started_at).packages if records else {}
    return dict(sorted(latest.items())), notes
