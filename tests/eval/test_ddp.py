"""Two CPU processes (gloo) give the same per-user values and means as one process.

torchmetrics gathers the per-user list states on ``compute()``; users are spread unevenly,
one scenario leaves a process without any batch, one repeats a user on both processes (as
DistributedSampler padding does).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from eval_helpers import random_problem

from bench.eval import FullRankingEvaluator

METRICS = ["ndcg@10", "recall@5", "map@20", "mrr@10", "coverage@10", "gini@5"]
N_USERS, N_ITEMS = 41, 90

# users per rank in each scenario
SCENARIOS = {
    "interleaved": ([u for u in range(N_USERS) if u % 3], [u for u in range(N_USERS) if not u % 3]),
    "idle_rank": (list(range(N_USERS)), []),
    "padded": (list(range(0, N_USERS, 2)), [*range(1, N_USERS, 2), 0]),
}


def evaluate_users(users: list[int], batch_size: int) -> FullRankingEvaluator:
    problem = random_problem(7, N_USERS, N_ITEMS, graded=True, no_target=4)
    evaluator = FullRankingEvaluator(METRICS, N_ITEMS)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        evaluator.update(
            batch, torch.from_numpy(problem.scores[batch]), problem.targets[batch],
            problem.seen_csr[batch],
        )  # fmt: skip
    return evaluator


def worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        results = {}
        for name, split in SCENARIOS.items():
            result = evaluate_users(split[rank], batch_size=5 + 3 * rank).compute()
            results[name] = (result.per_user, result.metrics, result.n_users, result.n_skipped)
        with open(Path(out_dir) / f"rank{rank}.pkl", "wb") as handle:
            pickle.dump(results, handle)
    finally:
        dist.destroy_process_group()


def test_two_processes_equal_one(tmp_path: Path) -> None:
    mp.spawn(worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    single = evaluate_users(list(range(N_USERS)), batch_size=N_USERS).compute()
    for rank in range(2):
        with open(tmp_path / f"rank{rank}.pkl", "rb") as handle:
            results = pickle.load(handle)
        for name, (per_user, metrics, n_users, n_skipped) in results.items():
            pd.testing.assert_frame_equal(per_user, single.per_user, check_exact=True, obj=name)
            assert (n_users, n_skipped) == (37, 4), name
            for key, value in single.metrics.items():
                if name == "padded" and key.startswith("gini"):
                    continue  # a repeated user's list counts twice in catalogue exposure
                assert metrics[key] == value, (name, key)
