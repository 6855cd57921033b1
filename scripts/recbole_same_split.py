"""A general model, ours against RecBole 1.2.1, on the same split: do the test metrics agree?

RecBole's published numbers come from one random split of its own; ours are means over seeds
0-2 of our splits. Where a closed-form model (EASE) misses a published number by less than the
spread over splits, this script says whether the difference is the split or the model: for
each seed it writes our split (train / valid / test, raw ids) as RecBole benchmark files
(``benchmark_filename``), runs RecBole's model on them in RecBole's own environment
(created by :func:`bench_train.ensure_recbole_env`; ``recbole_general_driver.py`` runs
there), runs our experiment with the same seed, and prints both test
metrics side by side. RecBole's ``NDCG@10`` is our ``ndcg_binary@10`` and its ``Recall@10``
our ``recall@10``; on the test set both exclude the user's training and validation items and
score from the training interactions only.

The script refuses to compare when RecBole's dataset is not ours (user, item or row counts
differ).

Usage:
    python scripts/recbole_same_split.py --experiment recbole_ml1m_ease --recbole-model EASE \\
        --recbole-param reg_weight=1000 --seeds 0 1 2 --out results/recbole_same_split_ease.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import (
    compose,
    default_env_dir,
    ensure_recbole_env,
    prepared_split,
    run_side,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("recbole_general_driver.py")
PARTS = ("train", "valid", "test")
#: RecBole's metric name -> ours
METRICS = {"ndcg@10": "ndcg_binary@10", "recall@10": "recall@10"}


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` with ``value`` read as JSON where it parses, else as a string.

    Example:
        >>> parse_param("reg_weight=1000"), parse_param("name=abc")
        (('reg_weight', 1000), ('name', 'abc'))
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--recbole-param {text!r}: expected key=value")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def benchmark_files(split: Any, user_vocab: Sequence[str], item_vocab: Sequence[str],
                    folder: Path, name: str) -> dict[str, int]:  # fmt: skip
    """Write ``folder/name/name.{train,valid,test}.inter`` (raw ids as tokens); returns the
    row count of each part."""
    users = np.asarray(user_vocab, dtype=object)
    items = np.asarray(item_vocab, dtype=object)
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for part in PARTS:
        frame = getattr(split, part)
        table = pd.DataFrame({
            "user_id:token": users[frame["user"].to_numpy()],
            "item_id:token": items[frame["item"].to_numpy()],
        })  # fmt: skip
        path = target / f"{name}.{part}.inter"
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        table.to_csv(tmp, sep="\t", index=False)
        os.replace(tmp, path)
        counts[part] = len(table)
    return counts


def recbole_config(data_path: Path, seed: int, params: dict[str, Any]) -> dict[str, Any]:
    """RecBole's config: our split as benchmark files, full ranking, NDCG@10 and Recall@10."""
    return {
        "data_path": str(data_path),
        "benchmark_filename": list(PARTS),
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "load_col": {"inter": ["user_id", "item_id"]},
        "eval_args": {"mode": "full", "order": "RO", "group_by": "user"},
        "metrics": ["NDCG", "Recall"],
        "topk": [10],
        "valid_metric": "NDCG@10",
        "metric_decimal_place": 12,  # RecBole rounds to 4 places by default
        "eval_batch_size": 4096,
        "seed": seed,
        "reproducibility": True,
        "device": "cpu",
        "use_gpu": False,
        "show_progress": False,
        "log_wandb": False,
        "checkpoint_dir": str(data_path.parent / "saved"),
        **params,
    }


def run_recbole(python: Path, spec: dict, threads: int, log: Path) -> dict:
    """RecBole's test and validation metrics (the driver's JSON output). RecBole writes log/
    and log_tensorboard/ into its working directory, so it runs in the work directory."""
    side = run_side([str(python), str(DRIVER), json.dumps(spec)], cwd=log.parent,
                    threads=threads, log=log)  # fmt: skip
    if side["returncode"]:
        raise RuntimeError(f"RecBole's driver exited with {side['returncode']} (log: {log})")
    return json.loads(Path(spec["out"]).read_text())


def run_ours(experiment: str, seed: int, threads: int, root: Path, log: Path) -> dict:
    """Our run's record (``bench.train`` with its results store under ``root``)."""
    before = set(root.glob("results/*/record.json"))
    command = [sys.executable, "-m", "bench.train", f"experiment={experiment}", f"seed={seed}",
               "logger=none", f"threads={threads}", f"paths.root_dir={root}"]  # fmt: skip
    side = run_side(command, cwd=ROOT, threads=threads, log=log)
    new = sorted(set(root.glob("results/*/record.json")) - before)
    if side["returncode"] or len(new) != 1:
        raise RuntimeError(
            f"our run exited with {side['returncode']} ({len(new)} new records; log: {log})"
        )
    return json.loads(new[0].read_text())


def compare_seed(args: argparse.Namespace, python: Path, seed: int, work: Path) -> dict:
    cfg = compose(args.experiment, [f"seed={seed}"])
    data, split = prepared_split(cfg, seed)
    name = f"{args.experiment}-seed{seed}"
    counts = benchmark_files(split, data.user_vocab, data.item_vocab, work / "data", name)
    spec = {
        "model": args.recbole_model, "dataset": name, "threads": args.threads,
        "config": recbole_config(work / "data", seed, dict(args.recbole_param)),
        "out": str(work / f"{name}.recbole.json"),
    }  # fmt: skip
    theirs = run_recbole(python, spec, args.threads, work / f"{name}.recbole.log")
    expected = {"users": data.n_users, "items": data.n_items, **counts}
    if theirs["sizes"] != expected:
        raise SystemExit(f"seed {seed}: RecBole's data {theirs['sizes']} is not ours {expected}")
    record = run_ours(args.experiment, seed, args.threads, work / "ours", work / f"{name}.log")
    rows = {}
    for recbole_key, our_key in METRICS.items():
        ours, other = record["metrics"]["test"][our_key], theirs["test"][recbole_key]
        rows[our_key] = {"ours": ours, "recbole": other, "diff": ours - other}
    return {"seed": seed, "sizes": expected, "metrics": rows, "recbole_fit_s": theirs["fit_s"],
            "ours_fit_s": record["fit_seconds"], "ours_run": record["run_id"]}  # fmt: skip


def format_table(results: Sequence[dict]) -> str:
    """One line per seed and metric: ours, RecBole's, difference; then the means."""
    lines = ["| seed | metric | ours | RecBole | ours - RecBole |", "|---|---|---:|---:|---:|"]
    for result in results:
        for key, row in result["metrics"].items():
            lines.append(f"| {result['seed']} | {key} | {row['ours']:.4f} | "
                         f"{row['recbole']:.4f} | {row['diff']:+.2e} |")  # fmt: skip
    for key in METRICS.values():
        ours = np.mean([r["metrics"][key]["ours"] for r in results])
        other = np.mean([r["metrics"][key]["recbole"] for r in results])
        lines.append(f"| mean | {key} | {ours:.4f} | {other:.4f} | {ours - other:+.2e} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="recbole_ml1m_ease")
    parser.add_argument("--recbole-model", default="EASE", help="RecBole's model name")
    parser.add_argument("--recbole-param", type=parse_param, action="append", default=[],
                        help="RecBole hyperparameter key=value (repeatable)")  # fmt: skip
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, help="data, logs, outputs (default: cache)")
    parser.add_argument("--recbole-env", type=Path, default=default_env_dir())
    parser.add_argument("--out", type=Path, help="write the results as JSON here (atomically)")
    args = parser.parse_args(argv)
    work = (args.work_dir or default_env_dir().parent / "recbole_same_split").expanduser()
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    python = ensure_recbole_env(args.recbole_env)
    results = [compare_seed(args, python, seed, work) for seed in args.seeds]
    print(f"{args.experiment} against RecBole's {args.recbole_model} "
          f"{dict(args.recbole_param)} on the same splits")  # fmt: skip
    print(format_table(results))
    if args.out:
        write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "seeds": results})
        print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
