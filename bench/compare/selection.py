"""Which runs the gate compares: open a results directory or bundle, pick one configuration.

A side is named ``<model>`` or ``<model>@<variant_hash prefix>``. Its runs are the completed
runs of that model (optionally of one ``group`` and with one ``tag``); they must all belong to
one configuration (one ``variant_hash``: the config without the seed), else the selection is
refused with the hashes to choose from. Of each seed the latest run (by start time) is used.

Reading never modifies a store: an invalid record is skipped with a warning naming its file
(the other runs are still used), and a bundle is verified before use.

Example:
    >>> import tempfile
    >>> import pandas as pd
    >>> from bench.results import ResultStore, RunRecord
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> for seed in (0, 1):
    ...     rec = RunRecord(run_id=f"pop-{seed}", status="completed", model="pop", seed=seed,
    ...                     config={"model": {"name": "pop"}, "seed": seed},
    ...                     started_at="2024-01-01T00:00:00+00:00",
    ...                     ended_at="2024-01-01T00:00:01+00:00")
    ...     _ = store.write(rec, {"test": pd.DataFrame({"user": [1, 2], "ndcg@10": [0.5, 0.0]})})
    >>> chosen = select(open_source(store.root), Spec.parse("pop"))
    >>> chosen.model, chosen.seeds, [r.run_id for r in chosen.runs.values()]
    ('pop', (0, 1), ['pop-0', 'pop-1'])
    >>> select(open_source(store.root), Spec.parse("ease"))
    Traceback (most recent call last):
    bench.compare.errors.GateError: unknown candidate model 'ease' in ...: available models: pop
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.compare.errors import GateError
from bench.report.pairing import SeedRun
from bench.results.bundle import BundleError, BundleStore, is_archive, is_bundle, open_bundle
from bench.results.jsonable import result_config
from bench.results.load import flatten, load_per_user, metric_columns
from bench.results.record import RunRecord
from bench.results.store import ResultStore, per_user_file

HASH_SHOWN = 8  # characters of a variant hash in labels


@dataclass(frozen=True)
class Source:
    """An opened results directory or verified bundle, and its readable records."""

    store: ResultStore
    path: Path
    records: tuple[RunRecord, ...]
    warnings: tuple[str, ...] = ()
    bundle: bool = False


@dataclass(frozen=True)
class Spec:
    """``model[@variant_hash prefix]``; ``model=None`` takes the only model of a bundle.

    Example:
        >>> Spec.parse("ease@3f2a"), str(Spec.parse("pop"))
        (Spec(model='ease', variant='3f2a'), 'pop')
    """

    model: str | None
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Spec:
        model, sep, variant = text.partition("@")
        if not model or (sep and not variant):
            raise GateError(f"{text!r} is not <model> or <model>@<variant hash prefix>")
        return cls(model, variant or None)

    def __str__(self) -> str:
        name = self.model or "*"
        return f"{name}@{self.variant}" if self.variant else name


@dataclass(frozen=True)
class Selection:
    """One configuration's runs: seed -> its latest completed run."""

    model: str
    variant_hash: str
    runs: dict[int, RunRecord]
    source: Source

    @property
    def label(self) -> str:
        """``model@<hash prefix>``, what to pass to select exactly this configuration."""
        return f"{self.model}@{self.variant_hash[:HASH_SHOWN]}"

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(sorted(self.runs))

    @property
    def records(self) -> list[RunRecord]:
        return [self.runs[seed] for seed in self.seeds]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def looks_like_bundle(text: str) -> bool:
    """Whether a ``--baseline`` value names a bundle (a path) rather than a model.

    Example:
        >>> looks_like_bundle("baseline.tar.gz"), looks_like_bundle("ease@3f2a")
        (True, False)
    """
    return is_archive(text) or os.sep in text or "/" in text or is_bundle(text)


def open_source(path: str | os.PathLike[str] | ResultStore) -> Source:
    """Open a results directory (records read, invalid ones skipped with a warning) or a bundle.

    Raises:
        GateError: A missing or empty directory, one without a readable or completed run, or
            a corrupt bundle.
    """
    if isinstance(path, BundleStore):  # already verified
        return Source(path, path.source, tuple(path.records()), bundle=True)
    if isinstance(path, ResultStore):
        store, where = path, path.root
    elif is_archive(path) or is_bundle(path):
        try:
            store = open_bundle(path)
        except BundleError as exc:
            raise GateError(str(exc)) from None
        return Source(store, Path(path), tuple(store.records()), bundle=True)
    else:
        store, where = ResultStore(path), Path(path)
    if not where.is_dir():
        raise GateError(f"results directory {where} does not exist (pass --root DIR)")
    if not store.run_ids():
        raise GateError(f"results directory {where} holds no runs")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = tuple(store.records(on_error="warn"))
    notes = tuple(_one_line(str(w.message)) for w in caught)
    if not records:
        raise GateError(f"no readable run in {where}: every record is invalid ({notes[0]})")
    completed = [r for r in records if r.status == "completed"]
    if not completed:
        first = records[0]
        error = f"{first.error.type}: {first.error.message}" if first.error else "?"
        raise GateError(
            f"no completed run in {where}: all {len(records)} runs failed "
            f"(e.g. {first.run_id}: {_one_line(error)[:200]})"
        )
    return Source(store, where, records, notes)


def _filters(group: str | None, tag: str | None) -> str:
    parts = [f"group={group}"] if group is not None else []
    parts += [f"tag={tag}"] if tag is not None else []
    return f" with {' '.join(parts)}" if parts else ""


def _start(record: RunRecord) -> tuple[datetime, str]:
    started = datetime.fromisoformat(record.started_at)
    return (started if started.tzinfo else started.replace(tzinfo=UTC)), record.run_id


def _config_differences(records: Sequence[RunRecord]) -> list[str]:
    """For each record, ``key=value`` of the config leaves that differ between them."""
    leaves = [flatten(result_config(r.config, with_seed=False), "") for r in records]
    keys = sorted({k for leaf in leaves for k in leaf})
    differing = [k for k in keys if len({repr(leaf.get(k)) for leaf in leaves}) > 1]
    return [" ".join(f"{k.lstrip('.')}={leaf.get(k)}" for k in differing[:3]) for leaf in leaves]


def _describe(variants: Mapping[tuple[str, str], list[RunRecord]]) -> str:
    keys = sorted(variants)
    diffs = _config_differences([variants[k][0] for k in keys])
    out = []
    for (model, digest), diff in zip(keys, diffs, strict=True):
        seeds = sorted({r.seed for r in variants[(model, digest)]}, key=str)
        detail = f"seeds {','.join(map(str, seeds))}" + (f": {diff}" if diff else "")
        out.append(f"{model}@{digest[:HASH_SHOWN]} ({detail})")
    return "; ".join(out)


def select(
    source: Source,
    spec: Spec,
    *,
    group: str | None = None,
    tag: str | None = None,
    role: str = "candidate",
) -> Selection:
    """The runs of one configuration: seed -> latest completed run (see the module docstring).

    Args:
        source: Where to look (:func:`open_source`).
        spec: ``model[@hash prefix]``; ``Spec(None)`` accepts any model if only one is there.
        group: Keep runs of this group only.
        tag: Keep runs carrying this tag only.
        role: How the side is called in error messages (``"candidate"``, ``"baseline"``).

    Raises:
        GateError: No such model (the available ones are listed), no configuration matching
            the hash prefix, several configurations (listed with their hashes), or a run
            without a seed.
    """
    where = source.path
    completed = [r for r in source.records if r.status == "completed"]
    kept = [
        r
        for r in completed
        if (group is None or r.group == group) and (tag is None or tag in r.tags)
    ]
    filters = _filters(group, tag)
    if not kept:
        raise GateError(f"no completed run in {where}{filters}")
    models = sorted({str(r.model) for r in kept})
    chosen = kept if spec.model is None else [r for r in kept if r.model == spec.model]
    if not chosen:
        failed = [r for r in source.records if r.model == spec.model and r.status == "failed"]
        why = f" (its {len(failed)} run(s) failed)" if failed else ""
        raise GateError(
            f"unknown {role} model {spec.model!r} in {where}{filters}{why}: available models: "
            f"{', '.join(models)}"
        )
    variants: dict[tuple[str, str], list[RunRecord]] = {}
    for record in chosen:
        variants.setdefault((str(record.model), str(record.variant_hash)), []).append(record)
    if spec.variant is not None:
        matching = {k: v for k, v in variants.items() if k[1].startswith(spec.variant)}
        if not matching:
            raise GateError(
                f"{role} {spec} matches no configuration in {where}{filters}; there are: "
                f"{_describe(variants)}"
            )
        variants = matching
    if len(variants) > 1:
        what = "the bundle" if spec.model is None else f"{role} {spec}"
        raise GateError(
            f"{what} matches {len(variants)} configurations in {where}{filters}; pick one with "
            f"<model>@<hash prefix>: {_describe(variants)}"
        )
    ((model, digest), records) = next(iter(variants.items()))
    runs: dict[int, RunRecord] = {}
    for record in sorted(records, key=_start):
        if record.seed is None:
            raise GateError(f"{role} run {record.run_id} in {where} has no seed; re-run it")
        runs[record.seed] = record  # later starts replace earlier runs of the seed
    return Selection(model, digest, dict(sorted(runs.items())), source)


def seed_runs(selection: Selection, split: str, role: str = "candidate") -> dict[int, SeedRun]:
    """Each seed's run with its per-user metric values of ``split`` (index ``user``).

    Raises:
        GateError: A run without values for ``split`` or whose per-user file is missing or
            unreadable.
    """
    store = selection.source.store
    out: dict[int, SeedRun] = {}
    for seed, record in selection.runs.items():
        if split not in record.per_user_splits:
            raise GateError(
                f"{role} run {record.run_id} has no per-user values for split {split!r} "
                f"(it has: {', '.join(record.per_user_splits) or 'none'}); pass --split"
            )
        path = store.run_dir(record.run_id) / per_user_file(split)
        if not path.is_file():
            raise GateError(
                f"{role} run {record.run_id}: per-user file {path} is missing (its record "
                f"lists split {split!r}); re-run seed {seed} or delete that run"
            )
        try:
            frame = load_per_user(store, record.run_id, split)
        except Exception as exc:  # a damaged parquet file: pyarrow's errors vary
            raise GateError(
                f"{role} run {record.run_id}: cannot read per-user file {path} ({exc})"
            ) from None
        out[seed] = SeedRun(record, frame)
    return out


def check_metric(metric: str, sides: Mapping[str, Mapping[int, SeedRun]]) -> None:
    """Refuse a metric that some run lacks, listing the metrics the runs have.

    Example:
        >>> import pandas as pd
        >>> from types import SimpleNamespace as NS
        >>> run = NS(per_user=pd.DataFrame(columns=["ndcg@10"]), record=NS(run_id="r"))
        >>> check_metric("ndcg@10", {"candidate": {0: run}})
        >>> check_metric("ndgc@10", {"candidate": {0: run}})
        Traceback (most recent call last):
        bench.compare.errors.GateError: unknown metric 'ndgc@10': the runs have ndcg@10
    """
    frames = [(role, run) for role, runs in sides.items() for run in runs.values()]
    have = [set(metric_columns(run.per_user)) for _, run in frames]
    if all(metric not in columns for columns in have):
        common = set.intersection(*have) if have else set()
        listed = ", ".join(sorted(common or set.union(*have)))
        raise GateError(f"unknown metric {metric!r}: the runs have {listed}")
    for (role, run), columns in zip(frames, have, strict=True):
        if metric not in columns:
            raise GateError(
                f"{role} run {run.record.run_id} has no per-user values of {metric!r} (it has "
                f"{', '.join(sorted(columns))}); evaluate both sides on the same metrics"
            )


def metric_direction(metric: str, records: Iterable[RunRecord]) -> bool:
    """Whether higher is better for ``metric``: from the records, else the metric registry.

    Example:
        >>> metric_direction("ndcg@10", [])
        True
        >>> metric_direction("x", [])
        Traceback (most recent call last):
        bench.compare.errors.GateError: the direction of metric 'x' is unknown: ...
    """
    from bench.stats.compare import direction_of

    stated = {r.higher_is_better[metric] for r in records if metric in r.higher_is_better}
    if len(stated) > 1:
        raise GateError(f"the runs disagree on whether higher {metric} is better; re-run them")
    if stated:
        return stated.pop()
    try:
        return direction_of(metric)
    except ValueError:
        raise GateError(
            f"the direction of metric {metric!r} is unknown: its records do not state it and "
            "the metric registry does not know it"
        ) from None


def runs_table(selection: Selection) -> list[dict[str, Any]]:
    """One dict per seed: seed, run id and start time (for reports and JSON).

    Example:
        >>> runs_table(Selection("pop", "ab", {}, None))
        []
    """
    return [
        {"seed": seed, "run_id": r.run_id, "started_at": r.started_at}
        for seed, r in selection.runs.items()
    ]
