"""iALS: this repository's torch engine (exact solves) against the ``implicit`` package.

Both fit the same model (Hu et al. 2008: confidence ``1 + alpha * r`` on the binary training
matrix, L2 weight ``reg`` on both factor matrices, ``factors`` dimensions, ``iterations`` ALS
sweeps) on the same split, through the same Lightning flow and evaluator
(:func:`bench.rankers.testing.fit_ranker`). ``implicit`` is given ``alpha' = 1 + alpha`` because
its confidence is ``alpha' * r``; it solves with 3 conjugate-gradient steps per row (its
default) in float32 and initialises its own way, so its factors differ; our solves are exact in
float64. Printed side by side: fit seconds (the ``fit`` call alone), test NDCG@10 / Recall@10,
and Hu et al.'s objective at the end of the fit (computed the same way for both).

Usage:
    python scripts/bench_ials.py                          # ML-100K, random 8:1:1, seed 0
    python scripts/bench_ials.py --dataset ml-1m --factors 64 --reg 1 --alpha 10 --iterations 15
"""

from __future__ import annotations

import argparse
import time

import torch

from baselines.ials import IALS
from bench.rankers.testing import fit_ranker


def _split(dataset: str, seed: int):
    from bench.data import load
    from bench.split import RandomHoldout

    return RandomHoldout(ratios=(0.8, 0.1, 0.1))(load(dataset), seed=seed)


def run(engine: str, split, args: argparse.Namespace) -> dict[str, float]:
    ranker = IALS(
        n_users=split.n_users, n_items=split.n_items, factors=args.factors, reg=args.reg,
        alpha=args.alpha, iterations=args.iterations, seed=args.seed, engine=engine,
    )  # fmt: skip
    fit_seconds: list[float] = []
    fit = ranker.fit

    def timed_fit(train) -> None:
        start = time.perf_counter()
        fit(train)
        fit_seconds.append(time.perf_counter() - start)

    ranker.fit = timed_fit  # type: ignore[method-assign]
    fitted = fit_ranker(ranker, split, seed=args.seed, metrics=("ndcg@10", "recall@10"))
    return {
        "fit_s": fit_seconds[0],
        "ndcg@10": fitted.test["ndcg@10"],
        "recall@10": fitted.test["recall@10"],
        "loss": ranker.losses[-1],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--reg", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=10.0)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    split = _split(args.dataset, args.seed)
    print(
        f"{args.dataset} (random 8:1:1, seed {args.seed}): {split.n_users} users, "
        f"{split.n_items} items, {len(split.train)} training interactions; factors "
        f"{args.factors}, reg {args.reg}, alpha {args.alpha}, iterations {args.iterations}, "
        f"torch threads {torch.get_num_threads()}"
    )
    rows = {engine: run(engine, split, args) for engine in ("torch", "implicit")}
    print("| engine | fit s | NDCG@10 | Recall@10 | final loss |")
    print("|---|---|---|---|---|")
    for engine, r in rows.items():
        print(
            f"| {engine} | {r['fit_s']:.2f} | {r['ndcg@10']:.4f} | {r['recall@10']:.4f} "
            f"| {r['loss']:.1f} |"
        )


if __name__ == "__main__":
    main()
