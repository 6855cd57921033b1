"""SASRec training speed on ML-1M: RankBench against RecBole 1.2.1, same data, same machine.

Both sides train SASRec (full softmax cross-entropy) on SASRec's ML-1M (``preprocess=item_min5``:
6,040 users / 3,416 items / 999,611 interactions), leave-last-out, with the same hyperparameters
(read from RankBench's composed ``experiment=sasrec_ml1m`` config), the same number of torch
threads, in the same run: RecBole first, then ours, each in its own process. Each side writes
one JSON line per validation: batches run, training and validation seconds (wall and CPU),
wall and CPU seconds since training started, validation NDCG@10 (full ranking, each user's
training items excluded on both sides). Training stops at the first validation whose NDCG@10
reaches ``--target``, after ``--max-epochs``, or when ``--max-minutes`` of training have
passed. "Not reached" is a result: the time ratio is then a bound.

- Ours: ``python -m bench.train experiment=sasrec_ml1m`` with Lightning's ``EarlyStopping``
  (``stopping_threshold=target``, no patience stop), ``trainer.max_time`` as the budget (checked
  after every batch, once the first epoch is done: Lightning's ``min_epochs=1``) and
  :class:`bench.train.epoch_clock.EpochClock` for the per-epoch lines; it validates after
  every epoch (48 batches of 128 user sequences).
- RecBole: ``scripts/recbole_driver.py`` runs RecBole's ``Trainer._train_epoch`` and
  ``_valid_epoch`` (what ``Trainer.fit`` runs) in chunks of ``--recbole-valid-every`` batches,
  validating after each chunk and at the end of each epoch, so its time to target is not
  rounded up to a whole epoch (about 7,700 batches, hours on 2 CPU cores); the budget is
  checked after every batch. Validation time counts on both sides.
- RecBole runs in its own virtual environment, which this script creates on first use (default
  ``$RANKBENCH_CACHE/recbole-env``, else ``~/.cache/rankbench/recbole-env``): ``torch==2.13.0``
  first (the CPU build on disk; a constraints file keeps every later step from touching it),
  then ``recbole==1.2.1`` with ``numpy<2``, ``pandas<3``, ``scipy<1.12``, ``setuptools<81``.
  RecBole's trainer calls ``torch.load`` twice (resuming, and loading the best model before
  testing); torch >= 2.6 defaults to ``weights_only=True`` there, which refuses RecBole's
  checkpoints, so the installed ``recbole/trainer/trainer.py`` is patched to pass
  ``weights_only=False`` (:func:`patch_torch_load`). The driver never loads a checkpoint; the
  patch keeps the environment usable for RecBole's own ``run_recbole``.
- The data are RankBench's prepared interactions, written as a RecBole atomic file
  (``user_id:token``, ``item_id:token``, ``timestamp:float``; raw ids and seconds) in time order,
  ties by file order (:func:`bench.split.order.chronological`). RecBole sorts by timestamp with a
  stable sort, so its leave-one-out split (``eval_args: {split: {LS: valid_and_test}, order: TO,
  mode: full}``) sees exactly our sequences; the driver checks every user's validation item
  and validation input (its length and last item) against our split and refuses to run on any
  difference.
- Hyperparameters: hidden width, blocks, heads, dropout (hidden and attention), window, Adam
  learning rate and batch size are copied (:data:`MODEL_KEYS`); RecBole's feed-forward width
  and activation are set to ours (the hidden width, ReLU). Left as they differ: RecBole's
  blocks are post-norm (LayerNorm eps 1e-12); ours are the experiment's ``model.block``
  (``sasrec``, Kang & McAuley's block, since 2834b52; ``pre_norm`` before), LayerNorm eps 1e-8,
  with a final LayerNorm.
- RecBole's SASRec trains on every prefix of every sequence (981,491 samples, 7,668 batches of
  128 an epoch), with the loss at the last position only; ours trains each user's sequence once
  per epoch with a target at every position. Compare time to quality, not time per epoch.
- RecBole does not exclude seen items for sequential models; the driver passes each user's
  training items as RecBole's ``history_index`` so both sides compute the same metric
  (``--keep-seen`` evaluates RecBole its own way, without the exclusion).
- Two time-to-quality comparisons: to ``--target`` (a bound when RecBole does not reach it in
  its budget), and to the best validation value RecBole reached within its budget
  (:func:`equal_quality`: both sides reach it, so that ratio is measured, not a bound).

Usage:
    python scripts/bench_train.py --target 0.17 --max-minutes 240 --out bench_train.json
    python scripts/bench_train.py --max-minutes 3 --out /tmp/smoke.json       # smoke run
    python scripts/bench_train.py --setup-only                   # install RecBole's env only
    python scripts/bench_train.py --work-dir W --summarize-only  # re-read a finished run in W
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("recbole_driver.py")
TORCH_PIN = "torch==2.13.0"
RECBOLE_PINS = ("recbole==1.2.1", "numpy<2", "pandas<3", "scipy<1.12", "setuptools<81")
ENV_MARKER = "rankbench-pins.txt"
INTER_COLUMNS = ("user_id:token", "item_id:token", "timestamp:float")
# our SASRec's model keys -> RecBole's SASRec keys (values copied as they are)
MODEL_KEYS = {
    "hidden_dim": ("hidden_size", "inner_size"),  # our feed-forward width is the hidden width
    "n_layers": "n_layers",
    "n_heads": "n_heads",
    "dropout": ("hidden_dropout_prob", "attn_dropout_prob"),
    "max_len": "MAX_ITEM_LIST_LENGTH",
    "lr": "learning_rate",
    "batch_size": "train_batch_size",
}


# ---------------------------------------------------------------- RecBole's environment


def default_env_dir() -> Path:
    """``$RANKBENCH_CACHE/recbole-env``, else ``~/.cache/rankbench/recbole-env``."""
    root = os.environ.get("RANKBENCH_CACHE") or "~/.cache/rankbench"
    return Path(root).expanduser() / "recbole-env"


def patch_torch_load(source: str) -> tuple[str, int]:
    """RecBole's trainer source with ``weights_only=False`` added to its ``torch.load`` calls
    that load to ``self.device``; returns the text and the number of calls changed (0 when
    already patched).

    Example:
        >>> patch_torch_load("c = torch.load(f, map_location=self.device)")
        ('c = torch.load(f, map_location=self.device, weights_only=False)', 1)
    """
    return re.subn(
        r"torch\.load\(([^()]*?map_location=self\.device)\)",
        r"torch.load(\1, weights_only=False)",
        source,
    )


def _pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", *args]
    print(f"+ {shlex.join(command)}", file=sys.stderr)
    subprocess.run(command, check=True)


def ensure_recbole_env(env_dir: Path) -> Path:
    """Create RecBole's environment in ``env_dir`` unless it is there with these pins; returns
    its python. Never lets pip choose torch: torch is installed alone with its pin, and every
    later install gets a constraints file that holds it."""
    python = env_dir / "bin" / "python"
    wanted = "\n".join((TORCH_PIN, *RECBOLE_PINS, "patch: torch.load weights_only=False")) + "\n"
    marker = env_dir / ENV_MARKER
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"creating RecBole's environment in {env_dir} (a few minutes)", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    constraints = env_dir / "constraints.txt"
    constraints.write_text("\n".join((TORCH_PIN, *RECBOLE_PINS[1:])) + "\n")
    _pip(python, TORCH_PIN)
    _pip(python, "-c", str(constraints), *RECBOLE_PINS)
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('recbole').origin)"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    trainer = Path(found.stdout.strip()).parent / "trainer" / "trainer.py"
    text, changed = patch_torch_load(trainer.read_text())
    if changed != 2:
        raise RuntimeError(f"{trainer}: expected 2 torch.load calls to patch, found {changed}")
    trainer.write_text(text)
    marker.write_text(wanted)
    return python


# ---------------------------------------------------------------- data and configuration


def atomic_inter(frame: pd.DataFrame, user_vocab: Sequence[str], item_vocab: Sequence[str]):
    """RankBench interactions as a RecBole ``.inter`` table: raw ids as tokens, timestamps as
    seconds, rows in time order with ties by file order (RecBole's stable sort keeps them).

    Example:
        >>> f = pd.DataFrame({"user": [0, 1, 0], "item": [0, 0, 1], "timestamp": [9, 5, 9],
        ...                   "order": [0, 1, 2]})
        >>> atomic_inter(f, ["u7", "u8"], ["a", "b"]).values.tolist()
        [['u8', 'a', 5], ['u7', 'a', 9], ['u7', 'b', 9]]
    """
    from bench.split.order import chronological

    rows = frame.iloc[chronological(frame)]
    return pd.DataFrame({
        INTER_COLUMNS[0]: np.asarray(user_vocab, dtype=object)[rows["user"].to_numpy()],
        INTER_COLUMNS[1]: np.asarray(item_vocab, dtype=object)[rows["item"].to_numpy()],
        INTER_COLUMNS[2]: rows["timestamp"].to_numpy(np.int64),
    })  # fmt: skip


def split_reference(split: Any, user_vocab: Sequence[str], item_vocab: Sequence[str]) -> dict:
    """Per user (raw ids): the validation item and the training items in time order (seen,
    excluded from the validation ranking; the last one ends RecBole's validation input), as
    the RecBole driver checks and uses them."""
    from bench.split.order import per_user_chronological

    users = np.asarray(user_vocab, dtype=object)
    items = np.asarray(item_vocab, dtype=object)
    valid = dict(zip(users[split.valid["user"]], items[split.valid["item"]], strict=True))
    train = split.train.iloc[per_user_chronological(split.train)]
    seen = {
        str(users[u]): items[group["item"].to_numpy()].tolist()
        for u, group in train.groupby("user", sort=True)
    }
    return {"valid": valid, "seen": seen}


def recbole_config(model: dict, *, data_path: Path, dataset: str, seed: int, work: Path) -> dict:
    """RecBole's config dict: our SASRec hyperparameters (``model``, our keys), leave-one-out in
    time order, full ranking, NDCG@10 / Hit@10, no negative sampling (CE loss)."""
    config: dict[str, Any] = {
        "data_path": str(data_path), "dataset": dataset, "checkpoint_dir": str(work / "saved"),
        "USER_ID_FIELD": "user_id", "ITEM_ID_FIELD": "item_id", "TIME_FIELD": "timestamp",
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "mode": "full",
                      "group_by": "user"},
        "metrics": ["NDCG", "Hit"], "topk": [10], "valid_metric": "NDCG@10",
        "metric_decimal_place": 6, "eval_batch_size": 1024,
        "train_neg_sample_args": None,
        "seed": seed, "reproducibility": True, "use_gpu": False, "device": "cpu",
        "show_progress": False, "log_wandb": False, "worker": 0,
    }  # fmt: skip
    config.update(recbole_model_keys(model))
    return config


def recbole_model_keys(model: dict) -> dict:
    """RecBole's SASRec settings for our ``model`` config (our keys -> theirs): the same
    width, depth, heads, dropout, window, learning rate and batch; our feed-forward width is
    the hidden width and our activation ReLU, so RecBole's are set to match. Refuses a loss
    other than full cross-entropy (RecBole's ``loss_type: CE``)."""
    if str(model.get("loss", "ce")).lower() != "ce":
        raise SystemExit(f"model.loss={model['loss']!r}: this benchmark compares CE training")
    out: dict[str, Any] = {"loss_type": "CE", "hidden_act": "relu", "weight_decay": 0.0}
    for ours, theirs in MODEL_KEYS.items():
        if model.get(ours) is not None:
            for key in (theirs,) if isinstance(theirs, str) else theirs:
                out[key] = model[ours]
    return out


# ---------------------------------------------------------------- results


def read_lines(path: Path) -> list[dict]:
    """The JSON lines a side wrote (a missing file: none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summarize(lines: Sequence[dict], target: float, metric: str = "ndcg@10") -> dict:
    """One side's numbers from its JSON lines: a setup line, then one line per validation
    (``epoch``; ``batches`` run of ``of`` in that epoch; ``train_s`` / ``train_cpu_s`` and
    ``valid_s`` / ``valid_cpu_s`` so far in that epoch over ``validations`` runs; ``wall_s`` /
    ``cpu_s`` since training started; ``metrics``).

    Time to target is the wall (and CPU) time from the start of training to the end of the
    first validation whose ``metric`` is ``>= target`` (all validations before it included).
    Time per epoch is the median over complete epochs; with none complete, the last line's
    rate is projected to a whole epoch (``epoch_projected``).

    Example:
        >>> def line(epoch, batches, train_s, wall_s, ndcg):
        ...     return {"kind": "epoch", "epoch": epoch, "batches": batches, "of": 4,
        ...             "train_s": train_s, "train_cpu_s": 2 * train_s, "valid_s": 1.0,
        ...             "valid_cpu_s": 2.0, "validations": 1, "wall_s": wall_s,
        ...             "cpu_s": 2 * wall_s, "metrics": {"ndcg@10": ndcg}}
        >>> lines = [line(0, 4, 10.0, 11.0, 0.1), line(1, 2, 6.0, 18.0, 0.2)]
        >>> s = summarize(lines, target=0.15)
        >>> s["epoch_train_s"], s["reached"], s["epochs_to_target"], s["wall_to_target"]
        (10.0, True, 1.5, 18.0)
    """
    setup = next((line for line in lines if line.get("kind") == "setup"), {})
    points = [line for line in lines if line.get("kind") == "epoch"]
    complete = [p for p in points if p["of"] < 0 or p["batches"] >= p["of"]]
    values = [p["metrics"].get(metric) for p in points]
    reached = [p for p, v in zip(points, values, strict=True) if v is not None and v >= target]
    hit = reached[0] if reached else None
    per_valid = [p["valid_s"] / max(1, p.get("validations", 1)) for p in points]
    out: dict[str, Any] = {
        "target": target, "metric": metric, "validations": len(points),
        "epochs": len({p["epoch"] for p in points}), "complete_epochs": len(complete),
        "curve": [{"epoch": _epochs(p), "wall_s": p["wall_s"], metric: v}
                  for p, v in zip(points, values, strict=True)],
        "best": max((v for v in values if v is not None), default=None),
        "reached": hit is not None, "epochs_to_target": None if hit is None else _epochs(hit),
        "wall_to_target": None if hit is None else hit["wall_s"],
        "cpu_to_target": None if hit is None else hit["cpu_s"],
        "wall_spent": points[-1]["wall_s"] if points else 0.0,
        "cpu_spent": points[-1]["cpu_s"] if points else 0.0,
        "epoch_train_s": None, "epoch_train_cpu_s": None, "epoch_projected": False,
        "valid_s": float(np.median(per_valid)) if points else None,
        "batches_per_epoch": points[0]["of"] if points else setup.get("batches_per_epoch"),
        "setup": setup,
    }  # fmt: skip
    if complete:
        out["epoch_train_s"] = float(np.median([p["train_s"] for p in complete]))
        out["epoch_train_cpu_s"] = float(np.median([p["train_cpu_s"] for p in complete]))
    elif points and points[-1]["batches"] > 0 and points[-1]["of"] > 0:
        scale = points[-1]["of"] / points[-1]["batches"]
        out["epoch_train_s"] = points[-1]["train_s"] * scale
        out["epoch_train_cpu_s"] = points[-1]["train_cpu_s"] * scale
        out["epoch_projected"] = True
    return out


def _epochs(point: dict) -> float:
    """Epochs of training behind a validation line (``1.5``: half-way through the second)."""
    if point["of"] <= 0:
        return float(point["epoch"] + 1)
    return round(point["epoch"] + point["batches"] / point["of"], 4)


def ratio(ours: dict, theirs: dict, clock: str) -> dict:
    """ours / RecBole time to target on ``clock`` ("wall" or "cpu"), with its kind: ``"="``
    (both reached), ``"<="`` (RecBole did not: its time spent is a lower bound on its time to
    target), ``">="`` (we did not), or no value (neither reached).

    Example:
        >>> ours = {"reached": True, "wall_to_target": 30.0}
        >>> ratio(ours, {"reached": False, "wall_spent": 600.0}, "wall")
        {'value': 0.05, 'bound': '<='}
    """
    key, spent = f"{clock}_to_target", f"{clock}_spent"
    if ours["reached"] and theirs["reached"]:
        return {"value": ours[key] / theirs[key], "bound": "="}
    if ours["reached"] and theirs.get(spent):
        return {"value": ours[key] / theirs[spent], "bound": "<="}
    if theirs["reached"] and not ours["reached"]:
        return {"value": ours[spent] / theirs[key], "bound": ">="}
    return {"value": None, "bound": None}


def equal_quality(ours_lines: Sequence[dict], theirs_lines: Sequence[dict],
                  metric: str = "ndcg@10") -> dict | None:  # fmt: skip
    """Time to the quality RecBole reached: its best validation ``metric`` within its budget,
    and each side's time to first reach it (RecBole's is measured, not a bound, since it did
    reach it). The comparison that stays exact when RecBole does not reach ``--target``.

    Example:
        >>> def line(epoch, cpu_s, ndcg):
        ...     return {"kind": "epoch", "epoch": epoch, "batches": 4, "of": 4, "train_s": 1.0,
        ...             "train_cpu_s": 1.0, "valid_s": 0.1, "valid_cpu_s": 0.1, "validations": 1,
        ...             "wall_s": cpu_s, "cpu_s": cpu_s, "metrics": {"ndcg@10": ndcg}}
        >>> ours = [line(0, 10.0, 0.05), line(1, 20.0, 0.12), line(2, 30.0, 0.15)]
        >>> theirs = [line(0, 100.0, 0.08), line(1, 200.0, 0.11), line(2, 300.0, 0.10)]
        >>> e = equal_quality(ours, theirs)
        >>> e["quality"], e["ours"]["cpu_to_target"], e["theirs"]["cpu_to_target"], e["cpu"]
        (0.11, 20.0, 200.0, {'value': 0.1, 'bound': '='})
    """
    theirs_all = summarize(theirs_lines, float("inf"), metric)
    quality = theirs_all["best"]
    if quality is None:
        return None
    ours = summarize(ours_lines, quality, metric)
    theirs = summarize(theirs_lines, quality, metric)
    return {"quality": quality, "ours": ours, "theirs": theirs,
            **{clock: ratio(ours, theirs, clock) for clock in ("wall", "cpu")}}  # fmt: skip


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _to_target(side: dict, clock: str) -> str:
    if side["reached"]:
        return f"{_num(side[f'{clock}_to_target'])} ({side['epochs_to_target']:g} epochs)"
    return f"> {_num(side[f'{clock}_spent'])} (not reached)"


def _ratio_text(r: dict) -> str:
    if r["value"] is None:
        return "-"
    sign = {"=": "", "<=": "<= ", ">=": ">= "}[r["bound"]]
    inverse = {"=": "", "<=": ">= ", ">=": "<= "}[r["bound"]]
    return f"{sign}{r['value']:.3f} (RecBole {inverse}{1 / r['value']:.1f}x ours)"


def format_table(ours: dict, theirs: dict, target: float, metric: str = "ndcg@10",
                 same_quality: dict | None = None) -> str:  # fmt: skip
    """The side-by-side table printed at the end (see :func:`summarize`, :func:`ratio`,
    :func:`equal_quality`)."""
    names = ("", "RankBench", "RecBole 1.2.1", "ours / RecBole")
    rows = [names]

    def epoch_time(side: dict, key: str) -> str:
        text = _num(side[key])
        return f"{text} (projected)" if side["epoch_projected"] and side[key] else text

    per_epoch = None
    if ours["epoch_train_s"] and theirs["epoch_train_s"]:
        per_epoch = f"{ours['epoch_train_s'] / theirs['epoch_train_s']:.3f}"
    per_epoch_cpu = None
    if ours["epoch_train_cpu_s"] and theirs["epoch_train_cpu_s"]:
        per_epoch_cpu = f"{ours['epoch_train_cpu_s'] / theirs['epoch_train_cpu_s']:.3f}"
    rows += [
        ("train s / epoch", epoch_time(ours, "epoch_train_s"), epoch_time(theirs, "epoch_train_s"),
         per_epoch or "-"),
        ("train CPU s / epoch", epoch_time(ours, "epoch_train_cpu_s"),
         epoch_time(theirs, "epoch_train_cpu_s"), per_epoch_cpu or "-"),
        ("valid s / validation", _num(ours["valid_s"]), _num(theirs["valid_s"]), ""),
        ("batches / epoch", str(ours["batches_per_epoch"]), str(theirs["batches_per_epoch"]), ""),
        ("epochs (complete), validations",
         f"{ours['epochs']} ({ours['complete_epochs']}), {ours['validations']}",
         f"{theirs['epochs']} ({theirs['complete_epochs']}), {theirs['validations']}", ""),
        (f"best valid {metric}", _num(ours["best"], 4), _num(theirs["best"], 4), ""),
        (f"wall s to {target:g}", _to_target(ours, "wall"), _to_target(theirs, "wall"),
         _ratio_text(ratio(ours, theirs, "wall"))),
        (f"CPU s to {target:g}", _to_target(ours, "cpu"), _to_target(theirs, "cpu"),
         _ratio_text(ratio(ours, theirs, "cpu"))),
    ]  # fmt: skip
    if same_quality is not None:
        q, o, t = same_quality["quality"], same_quality["ours"], same_quality["theirs"]
        rows += [
            (f"wall s to RecBole's best ({q:.4f})", _to_target(o, "wall"), _to_target(t, "wall"),
             _ratio_text(same_quality["wall"])),
            (f"CPU s to RecBole's best ({q:.4f})", _to_target(o, "cpu"), _to_target(t, "cpu"),
             _ratio_text(same_quality["cpu"])),
        ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(names))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                  enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows
    )  # fmt: skip


def write_json(path: Path, report: dict) -> None:
    """Write ``report`` to ``path`` atomically (a temporary file in the same folder, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- the two sides


def compose(experiment: str, overrides: Sequence[str]) -> Any:
    """Our run's composed config (``conf/train.yaml`` + ``experiment``, if any, + ``overrides``)."""
    from bench.cli.compose import compose_train, train_configs

    chosen = [f"experiment={experiment}"] if experiment else []
    with train_configs():
        return compose_train([*chosen, *overrides])


def prepared_split(cfg: Any, seed: int) -> tuple[Any, Any]:
    """The prepared dataset and its split, as our run with this config and seed makes them."""
    from hydra.utils import instantiate

    from bench.data import prepare

    data = prepare(
        cfg.dataset, cfg.preprocess, cfg.paths.cache_dir, mirror_dir=cfg.paths.mirror_dir
    )
    return data, instantiate(cfg.split)(data, seed=seed)


def export(cfg: Any, seed: int, folder: Path, name: str) -> tuple[Path, dict]:
    """Prepare and split the data as our run will; write ``folder/name/name.inter`` and the
    split reference (``reference.json``); returns the reference's path and data sizes."""
    data, split = prepared_split(cfg, seed)
    frame = data.table.to_pandas()
    target = folder / name / f"{name}.inter"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_inter(frame, data.user_vocab, data.item_vocab).to_csv(target, sep="\t", index=False)
    reference = folder / "reference.json"
    reference.write_text(json.dumps(split_reference(split, data.user_vocab, data.item_vocab)))
    sizes = {"users": data.n_users, "items": data.n_items, "interactions": data.n_interactions}
    return reference, sizes


def child_env(threads: int) -> dict[str, str]:
    """The environment of both sides: the same thread count for OpenMP, MKL and torch."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    env["WANDB_MODE"] = "disabled"
    return env


def run_side(command: list[str], *, cwd: Path, threads: int, log: Path) -> dict:
    """Run one side to its end (output to ``log``); returns its wall and CPU seconds and the
    time it started (``time.time()``)."""
    import resource

    print(f"+ {shlex.join(command)}", file=sys.stderr)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    with log.open("w") as out:
        code = subprocess.run(command, cwd=cwd, env=child_env(threads), stdout=out,
                              stderr=subprocess.STDOUT).returncode  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if code:
        tail = "".join(log.read_text().splitlines(keepends=True)[-25:])
        print(f"{command[0]} exited with {code}; last lines of {log}:\n{tail}", file=sys.stderr)
    return {"started": started, "process_wall_s": time.time() - started,
            "process_cpu_s": cpu, "returncode": code, "log": str(log)}  # fmt: skip


def run_recbole(args: argparse.Namespace, cfg: Any, work: Path, reference: Path) -> dict:
    python = ensure_recbole_env(args.recbole_env)
    name = "ml-1m-item_min5"
    model = dict(cfg.model)
    config = recbole_config(model, data_path=work / "recbole_data", dataset=name,
                            seed=args.seed, work=work)  # fmt: skip
    lines = work / "recbole.jsonl"
    lines.unlink(missing_ok=True)
    spec = {
        "config": config, "dataset": name, "threads": args.threads, "target": args.target,
        "max_minutes": args.max_minutes, "max_epochs": args.max_epochs,
        "valid_every": args.recbole_valid_every,
        "reference": str(reference), "keep_seen": args.keep_seen, "out": str(lines),
    }  # fmt: skip
    spec_path = work / "recbole_spec.json"
    spec_path.write_text(json.dumps(spec, indent=2))
    process = run_side([str(python), str(DRIVER), str(spec_path)], cwd=work,
                       threads=args.threads, log=work / "recbole.log")  # fmt: skip
    return {"config": config, "process": process, "lines": read_lines(lines)}


def lightning_duration(seconds: float) -> str:
    """Lightning's ``max_time`` string, ``DD:HH:MM:SS`` (whole seconds, at least one).

    Example:
        >>> lightning_duration(3 * 3600 + 90.4)
        '00:03:01:31'
    """
    whole = max(1, int(-(-seconds // 1)))
    return f"{whole // 86400:02d}:{whole // 3600 % 24:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def ours_command(args: argparse.Namespace, lines: Path, work: Path) -> list[str]:
    """``python -m bench.train`` with the benchmark's settings: no early stopping on patience,
    a stop at the target (Lightning's ``EarlyStopping(stopping_threshold=...)``), the time
    budget (``trainer.max_time``), the epoch clock, no logger, no resume, outputs under
    ``work``."""
    monitor = f"valid/{args.metric}"
    return [
        sys.executable, "-m", "bench.train",
        *([f"experiment={args.experiment}"] if args.experiment else []),
        f"seed={args.seed}", f"threads={args.threads}", "logger=none", "resume=false",
        "early_stopping=null", f"trainer.max_epochs={args.max_epochs}",
        f"+trainer.max_time='{lightning_duration(60 * args.max_minutes)}'",
        f"paths.root_dir={work}",
        "+callbacks.target._target_=pytorch_lightning.callbacks.EarlyStopping",
        f"+callbacks.target.monitor='{monitor}'", "+callbacks.target.mode=max",
        f"+callbacks.target.stopping_threshold={args.target}",
        "+callbacks.target.patience=1000000",
        "+callbacks.clock._target_=bench.train.epoch_clock.EpochClock",
        f"+callbacks.clock.path={lines}",
        *args.override,
    ]  # fmt: skip


def run_ours(args: argparse.Namespace, work: Path) -> dict:
    lines = work / "ours.jsonl"
    lines.unlink(missing_ok=True)
    command = ours_command(args, lines, work)
    process = run_side(command, cwd=work, threads=args.threads, log=work / "ours.log")
    return {"command": shlex.join(command), "process": process, "lines": read_lines(lines)}


def _setup_seconds(side: dict) -> float | None:
    if side["process"] is None:
        return None
    fit_start = next((x.get("fit_start") for x in side["lines"] if x.get("kind") == "setup"), None)
    return None if fit_start is None else fit_start - side["process"]["started"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.17, help="validation NDCG@10 to reach")
    parser.add_argument("--max-minutes", type=float, default=60.0,
                        help="training budget of each side (wall minutes)")  # fmt: skip
    parser.add_argument("--max-epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="torch threads, both sides")
    parser.add_argument("--recbole-valid-every", type=int, default=1000,
                        help="RecBole also validates every N batches (0: per epoch)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--experiment", default="sasrec_ml1m", help="our run's experiment")
    parser.add_argument("--override", action="append", default=[],
                        help="extra Hydra override of our run (repeatable)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="write the report as JSON here (atomically)")
    parser.add_argument("--work-dir", type=Path, help="data, logs, outputs (default: cache)")
    parser.add_argument("--recbole-env", type=Path, default=default_env_dir())
    parser.add_argument("--keep-seen", action="store_true",
                        help="RecBole ranks seen items (its sequential protocol)")  # fmt: skip
    parser.add_argument("--skip-recbole", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--setup-only", action="store_true", help="install RecBole's env, exit")
    parser.add_argument("--summarize-only", action="store_true",
                        help="run nothing: summarize the JSON lines a finished run left in "
                        "--work-dir (ours.jsonl, recbole.jsonl)")  # fmt: skip
    args = parser.parse_args(argv)
    args.metric = "ndcg@10"
    if args.setup_only:
        print(ensure_recbole_env(args.recbole_env))
        return 0
    work = (args.work_dir or default_env_dir().parent / "bench_train").expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    sides = {}
    if args.summarize_only:
        for key in ("recbole", "ours"):
            lines = read_lines(work / f"{key}.jsonl")
            if lines:
                sides[key] = {"lines": lines, "process": None}
        if not sides:
            parser.error(f"--summarize-only: no ours.jsonl or recbole.jsonl in {work}")
        print(f"the run left in {work}; target valid {args.metric} >= {args.target}")
    else:
        cfg = compose(args.experiment, args.override)
        reference, sizes = export(cfg, args.seed, work / "recbole_data", "ml-1m-item_min5")
        print(
            f"SASRec, {sizes['users']:,} users / {sizes['items']:,} items / "
            f"{sizes['interactions']:,} interactions, leave-last-out; target valid {args.metric} "
            f">= {args.target}; budget {args.max_minutes:g} min and {args.max_epochs} epochs per "
            f"side; {args.threads} torch threads; {os.cpu_count()} CPUs, load average "
            f"{load[0]:.2f}"
        )
        report["data"], report["model"] = sizes, dict(cfg.model)
        if not args.skip_recbole:
            sides["recbole"] = run_recbole(args, cfg, work, reference)
        if not args.skip_ours:
            sides["ours"] = run_ours(args, work)
    for key, side in sides.items():
        side["summary"] = summarize(side["lines"], args.target, args.metric)
        side["summary"]["setup_s"] = _setup_seconds(side)
        report[key] = side
    empty = summarize([], args.target, args.metric)
    ours = sides.get("ours", {}).get("summary", empty)
    theirs = sides.get("recbole", {}).get("summary", empty)
    report["ratios"] = {clock: ratio(ours, theirs, clock) for clock in ("wall", "cpu")}
    for key in ("epoch_train_s", "epoch_train_cpu_s"):
        if ours[key] and theirs[key]:
            report["ratios"][key] = ours[key] / theirs[key]
    same_quality = None
    if "ours" in sides and "recbole" in sides:
        same_quality = equal_quality(sides["ours"]["lines"], sides["recbole"]["lines"], args.metric)
    if same_quality is not None:
        report["ratios"]["equal_quality"] = {
            "quality": same_quality["quality"],
            **{f"{side}_{clock}_s": same_quality[side][f"{clock}_to_target"]
               for side in ("ours", "theirs") for clock in ("wall", "cpu")},
            "wall": same_quality["wall"], "cpu": same_quality["cpu"],
        }  # fmt: skip
    report["machine"] = {"cpus": os.cpu_count(), "load_start": load, "load_end": os.getloadavg()}
    print(format_table(ours, theirs, args.target, args.metric, same_quality))
    loads = ", ".join(f"{x:.2f}" for x in report["machine"]["load_end"])
    print(f"load average (1, 5, 15 min) at the end: {loads} (shared cores slow both sides)")
    for key, side in sides.items():
        p = side["process"]
        if p is None:  # --summarize-only
            continue
        setup = _num(side["summary"]["setup_s"])
        print(
            f"{key}: process {p['process_wall_s']:.1f} s wall, {p['process_cpu_s']:.1f} s CPU, "
            f"setup (start to training) {setup} s, exit {p['returncode']}; log {p['log']}"
        )
    if args.out:
        write_json(args.out, report)
        print(f"report: {args.out}")
    codes = [side["process"]["returncode"] for side in sides.values() if side["process"]]
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
