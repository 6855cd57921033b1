"""Evaluation speed with scores made on the device: the ML-20M-sized problem on a GPU.

138,493 users x 26,744 items (ML-20M's size); about ``--relevant`` targets and ``--seen``
history items per user (ML-20M has 144 ratings per user on average: a 20 % holdout leaves
about 29 targets and 115 seen items), MovieLens-like long-tailed sizes; NDCG, Recall, MRR and
MAP at 10, 20 and 50. Users go through :func:`bench.eval.evaluate` in batches of
``--batch-size``; each batch's scores are made on the device (``torch.rand`` with a device
generator seeded by the batch). Reported (median of ``--repeats``, after one warm-up batch):

- end to end: ``evaluate`` from the first score to the metric table (device synchronised);
- scoring: the same batches made and dropped, alone;
- evaluation: the difference.

``--policy`` picks the block policy (``auto``: by device, see :mod:`bench.eval.blocks`;
``cache``: the CPU's cache-sized blocks, the blocking used on GPUs before the device policy).
``--check N`` first evaluates the first N users on the device and with the CPU's cache policy
on the same scores and prints the largest per-user difference (0 expected).

Usage:
    python scripts/bench_eval_gpu.py                           # cuda when present, else cpu
    python scripts/bench_eval_gpu.py --policy cache            # the old blocking, to compare
    python scripts/bench_eval_gpu.py --device cpu --users 20000 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# as scripts/bench_eval.py: sleeping OpenMP waits (before torch starts OpenMP)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
from bench_eval import METRICS, random_sets

from bench.eval import evaluate

N_USERS, N_ITEMS = 138_493, 26_744


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def score_maker(n_items: int, device: torch.device, seed: int):
    """``fn(users) -> [batch, n_items]`` scores made on ``device``, the same for the same batch."""
    generator = torch.Generator(device=device)

    def score_fn(users: torch.Tensor) -> torch.Tensor:
        generator.manual_seed(seed * 1_000_003 + int(users[0]))  # users live on the CPU
        return torch.rand(len(users), n_items, device=device, generator=generator)

    return score_fn


def timed(fn, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = "cuda" if torch.cuda.is_available() else "cpu"
    parser.add_argument("--device", default=default)
    parser.add_argument("--users", type=int, default=N_USERS)
    parser.add_argument("--items", type=int, default=N_ITEMS)
    parser.add_argument("--relevant", type=float, default=29.0, help="mean targets per user")
    parser.add_argument("--seen", type=float, default=115.0, help="mean seen items per user")
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--policy", choices=("auto", "cache", "device"), default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--check", type=int, default=2048, help="users compared with the CPU")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = torch.device(args.device)
    policy = None if args.policy == "auto" else args.policy

    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    targets = random_sets(rng, args.users, args.items, args.relevant)
    seen = random_sets(rng, args.users, args.items, args.seen, avoid=targets)
    print(
        f"{args.users:,} users x {args.items:,} items, {targets.nnz / args.users:.1f} targets and "
        f"{seen.nnz / args.users:.1f} seen per user; {len(METRICS)} metrics; batch "
        f"{args.batch_size}; device {device}"
        + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
        + f"; policy {args.policy}; torch {torch.__version__}, {torch.get_num_threads()} threads"
        f"; data made in {time.perf_counter() - start:.1f} s"
    )
    score_fn = score_maker(args.items, device, args.seed)

    def run(users=None, fn=score_fn, **kwargs):
        return evaluate(fn, targets, seen, metrics=METRICS, users=users,
                        batch_size=args.batch_size, block_policy=policy, **kwargs)  # fmt: skip

    if args.check:
        users = torch.arange(min(args.check, args.users))
        on_device = run(users).per_user
        on_cpu = evaluate(
            lambda u: score_fn(u).cpu(), targets, seen, metrics=METRICS, users=users,
            batch_size=args.batch_size, block_policy="cache",
        )  # fmt: skip
        diff = float(np.abs(on_device.to_numpy() - on_cpu.per_user.to_numpy()).max())
        print(f"check: {len(users)} users, {device}/{args.policy} vs cpu/cache: max per-user "
              f"difference {diff:.1e}")  # fmt: skip

    run(torch.arange(min(args.batch_size, args.users)))  # warm-up: kernels, buffers

    def make_all() -> None:
        for first in range(0, args.users, args.batch_size):
            scores = score_fn(torch.arange(first, min(args.users, first + args.batch_size)))
            del scores

    result = None

    def end_to_end() -> None:
        nonlocal result
        result = run()

    totals = [timed(end_to_end, device) for _ in range(args.repeats)]
    scoring = [timed(make_all, device) for _ in range(args.repeats)]
    total, making = float(np.median(totals)), float(np.median(scoring))
    print(
        f"end to end {total:.3f} s (min {min(totals):.3f}), scoring alone {making:.3f} s -> "
        f"evaluation {total - making:.3f} s; {result.n_users:,} users, "
        f"ndcg@10 {result['ndcg@10']:.5f}"
    )
    if device.type == "cuda":
        print(f"peak device memory {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
