"""RecBole's side of ``scripts/bench_train.py``: SASRec trained epoch by epoch, timed.

Runs inside RecBole's own environment (``bench_train.py`` creates it and starts this file with
its python; nothing from RankBench is imported here). ``argv[1]`` is a JSON spec:

- ``config``: RecBole's config dict; ``dataset``: the atomic file's name;
- ``threads``: torch threads; ``target``: validation NDCG@10 to stop at; ``max_minutes``: the
  training budget (checked after every batch); ``max_epochs``; ``valid_every``: also validate
  after every this many batches within an epoch (0: at the end of each epoch only), so that
  the time to target is not rounded up to a whole epoch (hours on a CPU);
- ``reference``: a JSON file ``{"valid": {user: item}, "seen": {user: [items]}}`` (raw ids) from
  RankBench's split: every user's validation item must match RecBole's, and the seen items are
  excluded from the validation ranking unless ``keep_seen``;
- ``out``: JSON lines written here: one ``{"kind": "setup", ...}``, then one per validation
  (``"kind": "epoch"``; ``batches`` of ``of`` run so far in that epoch; its training and
  validation seconds so far in that epoch; wall and CPU seconds since training started).

RecBole's own loop (``Trainer.fit``) is not used because it cannot stop at a metric value or a
time budget; this one calls the same ``_train_epoch`` and ``_valid_epoch`` it calls.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Chunk:
    """At most ``size`` batches (0: all) from the shared iterator ``batches`` of one epoch,
    stopping early once ``deadline`` (``time.time()``) has passed; what RecBole's
    ``_train_epoch`` iterates (it reads ``len`` and ``shuffle`` only)."""

    def __init__(self, batches, total: int, size: int, deadline: float) -> None:
        self.batches, self.total, self.size, self.deadline = batches, total, size, deadline
        self.done, self.cut, self.exhausted, self.shuffle = 0, False, False, True

    def __len__(self) -> int:
        return self.total

    def __iter__(self):
        while not self.size or self.done < self.size:
            batch = next(self.batches, None)
            if batch is None:
                self.exhausted = True
                return
            yield batch
            self.done += 1
            if time.time() > self.deadline:
                self.cut = True
                return


def seen_index(reference: dict, dataset, users_field: str, items_field: str):
    """CSR arrays (indptr, indices) of each RecBole user id's seen item ids."""
    n_users = dataset.user_num
    lists: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n_users
    for user, items in reference["seen"].items():
        uid = int(dataset.token2id(users_field, user))
        lists[uid] = np.asarray(dataset.token2id(items_field, items), dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    return indptr, np.concatenate(lists)


def check_split(reference: dict, valid_dataset, dataset, config, max_len: int) -> int:
    """Every user's validation item in RecBole's split is ours, and so is the input it is
    predicted from (length: our training items, at most ``max_len``; last item: our latest
    training item); returns the number of validation users."""
    users_field, items_field = config["USER_ID_FIELD"], config["ITEM_ID_FIELD"]
    feat = valid_dataset.inter_feat
    users = dataset.id2token(users_field, feat[users_field].numpy()).tolist()
    items = dataset.id2token(items_field, feat[items_field].numpy()).tolist()
    lists = feat[items_field + config["LIST_SUFFIX"]].numpy()
    lengths = feat[config["ITEM_LIST_LENGTH_FIELD"]].numpy()
    last = dataset.id2token(items_field, lists[np.arange(len(lists)), lengths - 1]).tolist()
    wrong = [
        user
        for user, item, length, latest in zip(users, items, lengths, last, strict=True)
        if reference["valid"].get(user) != item
        or int(length) != min(max_len, len(reference["seen"].get(user, [])))
        or reference["seen"][user][-1] != latest
    ]
    wrong += sorted(set(reference["valid"]) - set(users))
    if wrong:
        raise SystemExit(
            f"RecBole's validation data differ from our split for {len(wrong)} users (e.g. user "
            f"{wrong[0]}: RecBole's validation item or input sequence); refusing to compare"
        )
    return len(users)


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    import torch

    torch.set_num_threads(int(spec["threads"]))
    import recbole
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.model.sequential_recommender import SASRec
    from recbole.trainer import Trainer
    from recbole.utils import init_seed

    config = Config(model="SASRec", dataset=spec["dataset"], config_dict=spec["config"])
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    n_interactions = len(dataset.inter_feat)
    train_data, valid_data, _ = data_preparation(config, dataset)
    users_field, items_field = config["USER_ID_FIELD"], config["ITEM_ID_FIELD"]
    reference = json.loads(Path(spec["reference"]).read_text())
    max_len = int(config["MAX_ITEM_LIST_LENGTH"])
    n_valid = check_split(reference, valid_data._dataset, dataset, config, max_len)
    indptr, indices = seen_index(reference, dataset, users_field, items_field)
    keep_seen = bool(spec.get("keep_seen"))

    class SeenMaskTrainer(Trainer):
        """Excludes each user's training items from the full ranking, as RankBench does."""

        def _full_sort_batch_eval(self, batched_data):
            interaction, history, positive_u, positive_i = batched_data
            if not keep_seen:
                users = interaction[users_field].numpy()
                counts = indptr[users + 1] - indptr[users]
                rows = np.repeat(np.arange(len(users)), counts)
                cols = np.concatenate([indices[indptr[u] : indptr[u + 1]] for u in users])
                history = (torch.from_numpy(rows), torch.from_numpy(cols))
            return super()._full_sort_batch_eval((interaction, history, positive_u, positive_i))

    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = SASRec(config, train_data._dataset).to(config["device"])
    trainer = SeenMaskTrainer(config, model)
    torch.set_num_threads(int(spec["threads"]))  # after RecBole's setup, whatever it did

    def write(line: dict) -> None:
        with open(spec["out"], "a") as out:
            out.write(json.dumps(line) + "\n")

    start, cpu_start = time.time(), cpu_seconds()
    write({
        "kind": "setup", "fit_start": start, "recbole": recbole.__version__,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "users": dataset.user_num - 1, "items": dataset.item_num - 1,
        "interactions": n_interactions, "valid_users": n_valid,
        "train_samples": len(train_data._dataset), "batches_per_epoch": len(train_data),
        "seen_excluded": not keep_seen, "parameters": sum(p.numel() for p in model.parameters()),
    })  # fmt: skip
    deadline = start + 60.0 * float(spec["max_minutes"])
    every = int(spec.get("valid_every") or 0)
    total = len(train_data)
    for epoch in range(int(spec["max_epochs"])):
        batches = iter(train_data)
        done, train, valid, loss_sum, checks, stop = 0, [0.0, 0.0], [0.0, 0.0], 0.0, 0, False
        while True:  # chunks of ``every`` batches, each followed by a validation
            t0, c0 = time.time(), cpu_seconds()
            chunk = Chunk(batches, total, every, deadline)
            loss = trainer._train_epoch(chunk, epoch, show_progress=False)
            t1, c1 = time.time(), cpu_seconds()
            if chunk.done == 0 and chunk.exhausted:  # the epoch ended on a chunk boundary
                break
            _, result = trainer._valid_epoch(valid_data, show_progress=False)
            t2, c2 = time.time(), cpu_seconds()
            done, checks = done + chunk.done, checks + 1
            loss_sum += 0.0 if loss is None else float(loss)
            train = [train[0] + t1 - t0, train[1] + c1 - c0]
            valid = [valid[0] + t2 - t1, valid[1] + c2 - c1]
            metrics = {key.lower(): float(value) for key, value in result.items()}
            finished = chunk.exhausted or done >= total
            write({
                "kind": "epoch", "epoch": epoch, "batches": done, "of": total,
                "train_s": train[0], "train_cpu_s": train[1], "valid_s": valid[0],
                "valid_cpu_s": valid[1], "validations": checks, "wall_s": t2 - start,
                "cpu_s": c2 - cpu_start, "loss": loss_sum / max(1, done), "metrics": metrics,
            })  # fmt: skip
            stop = metrics.get("ndcg@10", 0.0) >= float(spec["target"]) or chunk.cut
            if stop or finished:
                break
        if stop:
            break


if __name__ == "__main__":
    main()
