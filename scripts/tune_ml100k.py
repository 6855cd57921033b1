"""Tune every model on ML-100K (RecBole's default setup) with Optuna, then run the best
configuration with 3 seeds and build the leaderboard (docs/results_ml100k.md).

For each model, cheapest first:

1. the Optuna study (``conf/hparams_search/<model>_optuna.yaml`` on the shared
   ``optuna.yaml``: 20 TPE trials seeded by ``seed=0``, objective = validation
   ``ndcg_binary@10``), its Hydra sweep directory
   ``outputs/ml100k_tuning/<model>/recbole-ml100k-<model>`` (the trials' group); runs tagged
   ``recbole-ml100k-tuning``. A study whose ``optimization_results.yaml`` exists is not
   rerun (an interrupted study has none and is run again from its first trial: its storage is
   in memory). Pop and Random have no hyperparameters: no study.
2. the best parameters (``best_params`` of that file) as overrides, seeds 0, 1, 2, tagged
   ``recbole-ml100k``. A seed whose completed run (same model, parameters, tag, dataset) is
   already in the results store is skipped: the runner itself would train it again (a finished
   run's checkpoint directory is marked COMPLETE and a new start trains afresh).
3. ``python -m bench.report --tag recbole-ml100k --baseline ease --metric ndcg_binary@10
   --metric recall@10 --out reports/recbole_ml100k``, and a summary table (model, command, best
   parameters, test NDCG@10 / Recall@10 mean ± sd over the seeds, fit s, tuning trials and
   time) in ``outputs/ml100k_tuning/summary.md``.

Every command is printed before it runs. Fixed, untuned settings: iALS runs with
``model.engine=implicit`` (the ``implicit`` package, as the ML-1M table; 15-35x faster than
the exact torch solver, scripts/bench_ials.py).

Usage (the other jobs on the machine keep priority)::

    OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python scripts/tune_ml100k.py
    .venv/bin/python scripts/tune_ml100k.py --models ease itemknn --dry-run
    .venv/bin/python scripts/tune_ml100k.py --summary-only   # table + leaderboard from the store

Example (the override a best parameter becomes):
    >>> override("model.l2", 251.5), override("model.k", 87), override("model.engine", "implicit")
    ('model.l2=251.5', 'model.k=87', 'model.engine=implicit')
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
#: Cheapest first; SLIM (one ElasticNet per item) last.
MODELS: tuple[str, ...] = (
    "pop", "random", "ease", "itemknn", "rp3beta", "ials", "bpr", "multvae", "lightgcn", "slim",
)  # fmt: skip
#: Settings that are not tuned but fixed for a model (also part of the final runs).
FIXED: dict[str, dict[str, Any]] = {"ials": {"model.engine": "implicit"}}
EXPERIMENT = "recbole_ml100k"
TAG = "recbole-ml100k"
TUNING_TAG = "recbole-ml100k-tuning"
SEEDS: tuple[int, ...] = (0, 1, 2)
METRICS: tuple[str, ...] = ("ndcg_binary@10", "recall@10")
BASELINE = "ease"


def has_space(model: str) -> bool:
    """Whether ``conf/hparams_search/<model>_optuna.yaml`` exists (Pop and Random have none)."""
    return (REPO / "conf" / "hparams_search" / f"{model}_optuna.yaml").is_file()


def override(key: str, value: Any) -> str:
    """A Hydra command-line override ``key=value`` (floats at full precision)."""
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    return f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}"


def show(cmd: Sequence[str]) -> str:
    """The command as a shell line, ``python`` for the interpreter."""
    return shlex.join(["python", *cmd[1:]] if cmd[0] == sys.executable else list(cmd))


def run(cmd: Sequence[str], dry_run: bool) -> float:
    """Print and run ``cmd`` in the repository; its wall seconds. A failure stops the script."""
    print(f"$ {show(cmd)}", flush=True)
    if dry_run:
        return 0.0
    start = time.monotonic()
    done = subprocess.run(list(cmd), cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"command failed (exit {done.returncode}): {show(cmd)}")
    return time.monotonic() - start


def study_dir(out: Path, model: str) -> Path:
    """The study's Hydra sweep directory; its name is the trials' recorded ``group``, so it
    names the model (one name per study)."""
    return out / model / f"{TAG}-{model}"


def study_results(out: Path, model: str) -> dict[str, Any] | None:
    """``best_params`` / ``best_value`` of a finished study, or ``None``."""
    path = study_dir(out, model) / "optimization_results.yaml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("best_params"), dict):
        raise SystemExit(f"{path}: no best_params mapping; delete the file to rerun the study")
    return data


def study_command(model: str, out: Path) -> list[str]:
    fixed = [override(k, v) for k, v in FIXED.get(model, {}).items()]
    return [
        sys.executable, "-m", "bench.train", "-m", f"experiment={EXPERIMENT}", f"model={model}",
        f"hparams_search={model}_optuna", *fixed, "seed=0", "logger=none",
        f"tags=[{TUNING_TAG}]", f"hydra.sweep.dir={study_dir(out, model)}",
    ]  # fmt: skip


def final_params(model: str, best: Mapping[str, Any]) -> dict[str, Any]:
    """The final configuration's model overrides: fixed settings, then the tuned ones."""
    return {**FIXED.get(model, {}), **best}


def final_command(model: str, params: Mapping[str, Any], seed: int) -> list[str]:
    return [
        sys.executable, "-m", "bench.train", f"experiment={EXPERIMENT}", f"model={model}",
        *(override(k, v) for k, v in params.items()), f"seed={seed}", "logger=none",
    ]  # fmt: skip


def reproduce(model: str, params: Mapping[str, Any]) -> str:
    """The one-line command that reruns the final configuration's seeds (a Hydra multirun)."""
    seeds = ",".join(str(s) for s in SEEDS)
    return shlex.join([
        "python", "-m", "bench.train", "-m", f"experiment={EXPERIMENT}", f"model={model}",
        *(override(k, v) for k, v in params.items()), f"seed={seeds}", "logger=none",
    ])  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return a == b


def _leaf(config: Mapping[str, Any], key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def matches(record: Any, model: str, params: Mapping[str, Any], tag: str) -> bool:
    """Whether a stored run is a completed run of this setup, model, parameters and tag."""
    config = record.config
    return (
        record.status == "completed" and record.model == model and record.dataset == "ml-100k"
        and tag in record.tags and _leaf(config, "preprocess.name") == "none"
        and _leaf(config, "split.ratios") == [0.8, 0.1, 0.1]
        and _leaf(config, "eval.select") == "ndcg_binary@10"
        and all(_same(_leaf(config, k), v) for k, v in params.items())
    )  # fmt: skip


def stored_runs(root: Path) -> list[SimpleNamespace]:
    """Every readable ``<root>/<run_id>/record.json``, oldest first, as plain attributes.

    The files are read as JSON, not through ``bench.results``: this script runs for an hour
    while ``bench`` may change under it (a process that imported an older config-hash rule
    rejects newer records as invalid, and would retrain runs that are done). Validation is
    the report's job.
    """
    runs = []
    for path in sorted(root.glob("*/record.json")) if root.is_dir() else ():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and {"run_id", "status", "config", "tags"} <= data.keys():
            runs.append(SimpleNamespace(**data))
    return runs


def final_runs(root: Path, model: str, params: Mapping[str, Any]) -> dict[int, Any]:
    """Seed -> the newest completed final run of ``model`` with ``params`` in the store."""
    found: dict[int, Any] = {}
    for record in stored_runs(root):
        if record.seed in SEEDS and matches(record, model, params, TAG):
            found[record.seed] = record
    return found


def tuning_runs(root: Path, model: str) -> list[Any]:
    """The study's trials in the store (all statuses), oldest first."""
    return [
        r for r in stored_runs(root)
        if r.model == model and r.dataset == "ml-100k" and TUNING_TAG in r.tags
    ]  # fmt: skip


def _mean_sd(values: Sequence[float]) -> str:
    if not values:
        return "—"
    sd = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{statistics.fmean(values):.4f} ± {sd:.4f}"


def summary(root: Path, out: Path, models: Sequence[str]) -> str:
    """The Markdown table of the final runs and the tuning budget actually spent."""
    rows = [
        "| model | command | best params (validation ndcg_binary@10, seed 0) | seeds "
        "| test NDCG@10 | test Recall@10 | fit s |",
        "|---|---|---|---:|---|---|---:|",
    ]
    budget = [
        "| model | trials (completed / recorded) | study wall s | best valid ndcg_binary@10 |",
        "|---|---:|---:|---:|",
    ]
    for model in models:
        study = study_results(out, model) if has_space(model) else None
        if has_space(model) and study is None:
            rows.append(f"| {model} | — | study not finished | 0 | — | — | — |")
        else:
            best = dict(study["best_params"]) if study else {}
            params = final_params(model, best)
            runs = final_runs(root, model, params)
            cmd = reproduce(model, params)
            shown = ", ".join(f"{k.removeprefix('model.')}={_fmt(v)}" for k, v in best.items())
            if study:
                shown += f" ({study['best_value']:.4f})"
            cells = [
                _mean_sd([r.metrics["test"][m] for r in runs.values()]) for m in METRICS
            ]  # fmt: skip
            fit = statistics.fmean(r.fit_seconds for r in runs.values()) if runs else float("nan")
            rows.append(
                f"| {model} | `{cmd}` | {shown or 'none (no hyperparameters)'} | {len(runs)} "
                f"| {cells[0]} | {cells[1]} | {fit:.1f} |"
            )
        if has_space(model):
            trials = tuning_runs(root, model)
            done = [t for t in trials if t.status == "completed"]
            wall = sum(t.wall_seconds or 0.0 for t in trials)
            value = f"{study['best_value']:.4f}" if study else "—"
            budget.append(f"| {model} | {len(done)} / {len(trials)} | {wall:.0f} | {value} |")
        else:
            budget.append(f"| {model} | no study (no hyperparameters) | — | — |")
    total = sum(
        r.wall_seconds or 0.0 for r in stored_runs(root)
        if r.dataset == "ml-100k" and r.model in models and {TAG, TUNING_TAG} & set(r.tags)
    )  # fmt: skip
    return (
        "\n".join(rows) + "\n\nTuning budget:\n\n" + "\n".join(budget)
        + f"\n\nRecorded wall seconds of every trial and final run: {total:.0f}\n"
    )  # fmt: skip


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, metavar="MODEL")
    p.add_argument("--root", type=Path, default=REPO / "results", help="results store")
    p.add_argument(
        "--out",
        type=Path,
        default=REPO / "outputs" / "ml100k_tuning",
        help="study sweep directories and summary.md (under outputs/, git-ignored)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.add_argument("--summary-only", action="store_true", help="only the table and leaderboard")
    p.add_argument("--no-report", action="store_true", help="skip the bench.report step")
    args = p.parse_args(argv)
    out: Path = args.out.resolve()
    models = [m for m in MODELS if m in args.models]
    started = time.monotonic()
    for model in models if not args.summary_only else ():
        best: dict[str, Any] = {}
        if has_space(model):
            study = study_results(out, model)
            if study is None:
                print(f"[{model}] Optuna study (20 trials) -> {study_dir(out, model)}", flush=True)
                seconds = run(study_command(model, out), args.dry_run)
                print(f"[{model}] study took {seconds:.0f} s", flush=True)
                study = study_results(out, model)
                if study is None and not args.dry_run:
                    raise SystemExit(f"[{model}] the study wrote no optimization_results.yaml")
            else:
                print(f"[{model}] study finished before: {study_dir(out, model)}", flush=True)
            best = dict(study["best_params"]) if study else {}
            print(f"[{model}] best params {best}", flush=True)
        else:
            print(f"[{model}] no search space (no hyperparameters): not tuned", flush=True)
        params = final_params(model, best)
        done = final_runs(args.root, model, params)
        for seed in SEEDS:
            if seed in done:
                print(f"[{model}] seed {seed}: done before (run {done[seed].run_id})", flush=True)
                continue
            seconds = run(final_command(model, params, seed), args.dry_run)
            print(f"[{model}] seed {seed} took {seconds:.0f} s", flush=True)
    if args.dry_run:
        return 0
    table = summary(args.root, out, models)
    write_atomic(out / "summary.md", table)
    print(table, flush=True)
    if not args.no_report:
        root = args.root.resolve()
        shown = root.relative_to(REPO) if root.is_relative_to(REPO) else root
        run([sys.executable, "-m", "bench.report", "--root", str(shown), "--tag", TAG,
             "--baseline", BASELINE, *(a for m in METRICS for a in ("--metric", m)),
             "--out", str(Path("reports") / "recbole_ml100k")], False)  # fmt: skip
    print(f"total {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
