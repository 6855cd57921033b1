"""What a sweep prints when it ends: its group, its best trial and the leaderboard command.

:class:`SweepSummary` is a Hydra callback (registered in ``conf/hydra/default.yaml``). At the end
of a multirun (``python -m bench.train -m ...``, an Optuna search) it reads the sweep's runs from
the results store (every run of a sweep records the sweep's ``group``), picks the best completed
trial by the validation value of ``eval.select`` (its direction from the metric's
``higher_is_better``) and prints, to stdout::

    sweep 2024-05-01_12-00-00-000000: 4 runs, 4 completed, 0 failed (records in results)
    best trial by valid ndcg@10 (higher is better): run 20240501T120003-3f2a... (ease, seed 1)
      valid    ndcg@10 0.3512
      test     ndcg@10 0.3296  recall@10 0.2715
      command  python -m bench.train model=ease seed=1
    leaderboard: python -m bench.report --group 2024-05-01_12-00-00-000000

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "run_id": ["a", "b", "c"], "status": ["completed", "completed", "failed"],
    ...     "extra.select": ["ndcg@10"] * 3, "cfg.eval.select": ["ndcg@10"] * 3,
    ...     "valid/ndcg@10": [0.2, 0.3, None]})
    >>> best_trial(table).run_id, selection(table)
    ('b', ('ndcg@10', True))
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from bench.train.errors import one_line_error
from bench.train.hydra_context import sweep_group
from bench.train.summary import display_path, format_metrics, format_value, ordered_test_values

#: The command that builds a sweep's leaderboard (``{group}`` filled in).
LEADERBOARD_COMMAND = "python -m bench.report --group {group}"


def _select_name(row: pd.Series) -> str | None:
    """The configured selection metric (``eval.select``, else the first of ``eval.metrics``)."""
    select = row.get("cfg.eval.select")
    if isinstance(select, str):
        return select
    metrics = row.get("cfg.eval.metrics")
    if isinstance(metrics, tuple | list) and metrics:
        return str(metrics[0])
    return None


def selection(table: pd.DataFrame) -> tuple[str, bool] | None:
    """The sweep's selection key (``extra.select``) and whether higher is better; ``None`` if
    its runs select on different metrics or do not say."""
    from bench.metrics import parse_metric

    completed = table[table["status"] == "completed"]
    if completed.empty or "extra.select" not in completed:
        return None
    keys = set(completed["extra.select"].dropna())
    names = {_select_name(row) for _, row in completed.iterrows()} - {None}
    if len(keys) != 1 or len(names) != 1:
        return None
    (key,), (name,) = keys, names
    return str(key), bool(parse_metric(str(name)).spec.higher_is_better)


def best_trial(table: pd.DataFrame) -> pd.Series | None:
    """The completed run with the best validation value of the selection metric (first of ties,
    by start time), or ``None``."""
    chosen = selection(table)
    if chosen is None:
        return None
    key, higher = chosen
    column = f"valid/{key}"
    if column not in table:
        return None
    candidates = table[(table["status"] == "completed") & table[column].notna()]
    if candidates.empty:
        return None
    values = candidates[column]
    return candidates.loc[values.idxmax() if higher else values.idxmin()]


def summary_lines(table: pd.DataFrame, group: str, results_dir: str | Path) -> list[str]:
    """The lines printed at the end of a sweep (see the module docstring)."""
    from bench.results import ResultStore

    where = display_path(results_dir)
    if table.empty:
        return [
            f"sweep {group}: no run records with group {group!r} in {where}",
            f"leaderboard: {LEADERBOARD_COMMAND.format(group=group)}",
        ]
    counts = table["status"].value_counts()
    lines = [
        f"sweep {group}: {len(table)} runs, {counts.get('completed', 0)} completed, "
        f"{counts.get('failed', 0)} failed (records in {where})"
    ]
    best = best_trial(table)
    if best is None:
        lines.append("best trial: none (no completed run with a validation value to compare)")
    else:
        key, higher = selection(table) or ("?", True)
        record = ResultStore(results_dir).read(str(best["run_id"]))
        names = ", ".join(str(p) for p in (record.model, record.dataset) if p)
        if record.seed is not None:
            names += f", seed {record.seed}"
        direction = "higher" if higher else "lower"
        lines += [
            f"best trial by valid {key} ({direction} is better): run {record.run_id} ({names})",
            f"  valid    {key} {format_value(record.metrics.get('valid', {}).get(key))}",
            f"  test     {format_metrics(ordered_test_values(record)) or 'n/a'}",
        ]
        if record.command:
            lines.append(f"  command  {record.command}")
    lines.append(f"leaderboard: {LEADERBOARD_COMMAND.format(group=group)}")
    return lines


def group_of(config: DictConfig) -> str | None:
    """The sweep's group (:func:`~bench.train.hydra_context.sweep_group`) for the multirun
    ``config`` Hydra hands its callbacks (the same value its jobs recorded)."""
    instance = HydraConfig.instance()
    previous = instance.cfg
    instance.set_config(config)
    try:
        return sweep_group()
    finally:
        instance.cfg = previous


class SweepSummary(Callback):
    """Print the sweep's summary when a multirun ends (see the module docstring).

    Args:
        stream: Where to print (default: ``sys.stdout`` at the time of printing).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Read the sweep's runs and print its summary; a problem here never fails the sweep."""
        from bench.results import load

        stream = self.stream if self.stream is not None else sys.stdout
        try:
            group = group_of(config)
            if group is None:
                return
            results_dir = Path(str(config.paths.results_dir))
            table = load(results_dir, on_error="warn", group=group)
            lines = summary_lines(table, group, results_dir)
        except Exception as err:
            print(f"sweep summary not available: {one_line_error(err)}", file=sys.stderr)
            return
        print("\n".join(lines), file=stream, flush=True)
