"""Full-ranking evaluation speed: RankBench against pytrec_eval, ranx and torchmetrics.

An ML-1M-sized problem (6,040 users x 3,706 items; relevant and seen items per user drawn
around ``--relevant`` / ``--seen`` with a MovieLens-like long tail): NDCG, Recall, MRR and MAP
at 10, 20 and 50, seen items masked. Every tool is timed end to end, from the score matrix to a
metric table, including building its inputs:

- rankbench: ``FullRankingEvaluator.update`` on the whole matrix + ``compute`` (per-user
  DataFrame); median of ``--repeats`` runs.
- pytrec_eval and ranx get each user's masked top-50 as a run (numpy argpartition, counted in
  their time; values at cutoffs <= 50 need nothing below rank 50) and the targets as qrels;
  pytrec_eval has no MRR cutoff, so it also evaluates runs truncated to 10 and 20.
- torchmetrics gets the flattened scores of every user's unseen items (its retrieval metrics
  rank internally).
- ranx "cold" runs in a fresh process with an empty numba cache (JIT compilation included);
  "warm" is a second evaluation in this process.

Values are checked against ours per user (torchmetrics: means only; its RetrievalMAP divides by
the relevant items retrieved, not by all relevant items, so it differs by definition).
Then an ML-20M-sized problem (138,493 x 26,744) runs through ``bench.eval.evaluate`` with
scores made batch by batch (a random pool shifted per batch; the 14.8 GB matrix never exists);
its time (with and without making the scores) and peak memory (the process's peak resident
set during evaluation, reset just before it) are reported.

``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` here (see the comment at the imports); the torch
thread count stays at its default, and ours is also timed on one thread.

Usage:
    python scripts/bench_eval.py                      # everything
    python scripts/bench_eval.py --skip-ranx-cold --skip-torchmetrics --skip-ml20m
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

# Spinning OpenMP threads (libgomp's default) collapse when another process holds a core: a
# 0.1 s evaluation then takes seconds. Sleeping waits cost nothing measurable on an idle
# machine. Must be set before torch starts OpenMP; an explicit setting is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

CUTOFFS = (10, 20, 50)
NAMES = ("ndcg", "recall", "mrr", "map")
METRICS = [f"{name}@{k}" for name in NAMES for k in CUTOFFS]


@dataclass
class Problem:
    scores: torch.Tensor  # [users, items] float32, unique per row, > 0
    targets: sp.csr_matrix  # [users, items] binary relevance
    seen: sp.csr_matrix  # [users, items] items to mask (disjoint from targets)


def random_sets(rng, n_users: int, n_items: int, mean: float, avoid=None) -> sp.csr_matrix:
    """About ``mean`` distinct items per user (long-tailed sizes), none of them in ``avoid``."""
    sizes = np.clip(rng.lognormal(np.log(mean) - 0.5, 1.0, n_users), 1, n_items // 3).astype(int)
    rows = []
    for user, size in enumerate(sizes):
        excluded = (
            () if avoid is None else avoid.indices[avoid.indptr[user] : avoid.indptr[user + 1]]
        )
        draw = rng.choice(n_items, size=size + len(excluded), replace=False)
        rows.append(np.sort(draw[~np.isin(draw, excluded)][:size]))
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    data = np.ones(indptr[-1])
    return sp.csr_matrix((data, np.concatenate(rows), indptr), shape=(n_users, n_items))


def make_problem(n_users: int, n_items: int, relevant: float, seen: float, seed: int) -> Problem:
    """Scores are distinct per row and favour relevant items (so the metrics are not ~0)."""
    rng = np.random.default_rng(seed)
    targets = random_sets(rng, n_users, n_items, relevant)
    seen_sets = random_sets(rng, n_users, n_items, seen, avoid=targets)
    noise = rng.random((n_users, n_items), dtype=np.float32) + 0.3 * targets.toarray()
    ranks = np.argsort(np.argsort(noise, axis=1), axis=1).astype(np.float32) + 1.0
    return Problem(torch.from_numpy(ranks), targets, seen_sets)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run_ours(problem: Problem) -> pd.DataFrame:
    from bench.eval import FullRankingEvaluator

    n_users, n_items = problem.scores.shape
    evaluator = FullRankingEvaluator(METRICS, n_items)
    evaluator.update(torch.arange(n_users), problem.scores, problem.targets, problem.seen)
    return evaluator.compute().per_user


def masked_top(problem: Problem, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each user's top-k items and scores with seen items removed (numpy)."""
    scores = problem.scores.numpy().copy()
    seen = problem.seen
    scores[np.repeat(np.arange(scores.shape[0]), np.diff(seen.indptr)), seen.indices] = -np.inf
    part = np.argpartition(-scores, k, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, 1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, 1), np.take_along_axis(part_scores, order, 1)


def qrels_dict(targets: sp.csr_matrix, docs: list[str]) -> dict:
    return {
        f"{u:06d}": {docs[i]: 1 for i in targets.indices[targets.indptr[u] : targets.indptr[u + 1]]}
        for u in range(targets.shape[0])
    }


def run_dict(items: np.ndarray, scores: np.ndarray, docs: list[str], depth: int) -> dict:
    return {
        f"{u:06d}": dict(zip([docs[i] for i in row[:depth]], vals[:depth].tolist(), strict=True))
        for u, (row, vals) in enumerate(zip(items, scores, strict=True))
    }


def run_pytrec(problem: Problem) -> pd.DataFrame:
    import pytrec_eval

    docs = [str(i) for i in range(problem.scores.shape[1])]
    items, scores = masked_top(problem, max(CUTOFFS))
    qrels = qrels_dict(problem.targets, docs)
    cut = ",".join(map(str, CUTOFFS))
    measures = {f"ndcg_cut.{cut}", f"recall.{cut}", f"map_cut.{cut}", "recip_rank"}
    full = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(
        run_dict(items, scores, docs, max(CUTOFFS))
    )
    table = pd.DataFrame.from_dict(full, orient="index").sort_index()
    columns = {}
    for k in CUTOFFS:
        columns |= {f"ndcg_cut_{k}": f"ndcg@{k}", f"recall_{k}": f"recall@{k}"}
        columns[f"map_cut_{k}"] = f"map@{k}"
    out = table.rename(columns=columns)
    out[f"mrr@{max(CUTOFFS)}"] = table["recip_rank"]
    for k in CUTOFFS[:-1]:  # recip_rank has no cutoff: evaluate runs truncated to k
        top = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
            run_dict(items, scores, docs, k)
        )
        out[f"mrr@{k}"] = pd.Series({q: v["recip_rank"] for q, v in top.items()})
    return out[METRICS].set_axis(np.arange(len(out)))


def run_ranx(problem: Problem) -> pd.DataFrame:
    import warnings

    import ranx

    warnings.filterwarnings("ignore", module="ranx")  # numba type-safety chatter
    docs = [str(i) for i in range(problem.scores.shape[1])]
    items, scores = masked_top(problem, max(CUTOFFS))
    qrels = ranx.Qrels(qrels_dict(problem.targets, docs))
    run = ranx.Run(run_dict(items, scores, docs, max(CUTOFFS)))
    values = ranx.evaluate(qrels, run, METRICS, return_mean=False)
    return pd.DataFrame(values)[METRICS]


def run_torchmetrics(problem: Problem) -> dict[str, float]:
    from torchmetrics import MetricCollection
    from torchmetrics.retrieval import (
        RetrievalMAP,
        RetrievalMRR,
        RetrievalNormalizedDCG,
        RetrievalRecall,
    )

    kinds = {"ndcg": RetrievalNormalizedDCG, "recall": RetrievalRecall, "mrr": RetrievalMRR}
    kinds["map"] = RetrievalMAP
    metrics = {f"{n}@{k}".replace("@", "_at_"): kinds[n](top_k=k) for n in NAMES for k in CUTOFFS}
    collection = MetricCollection(metrics, compute_groups=True)
    n_users, n_items = problem.scores.shape
    keep = np.ones((n_users, n_items), dtype=bool)
    keep[np.repeat(np.arange(n_users), np.diff(problem.seen.indptr)), problem.seen.indices] = False
    keep = torch.from_numpy(keep)
    target = torch.from_numpy(problem.targets.toarray() > 0)[keep]
    indexes = torch.arange(n_users).unsqueeze(1).expand(n_users, n_items)[keep]
    collection.update(problem.scores[keep], target, indexes=indexes)
    return {key.replace("_at_", "@"): float(v) for key, v in collection.compute().items()}


def compare(ours: pd.DataFrame, theirs: pd.DataFrame | dict) -> str:
    if isinstance(theirs, dict):  # means only
        diffs = {k: abs(ours[k].mean() - v) for k, v in theirs.items()}
        bad = {k: d for k, d in diffs.items() if d > 1e-6}
        if not bad:
            return f"means equal (max diff {max(diffs.values()):.1e})"
        worst = max(bad, key=bad.get)
        return (
            f"{', '.join(sorted(bad))} differ (e.g. {worst}: {theirs[worst]:.4f} vs "
            f"{ours[worst].mean():.4f}); others equal"
        )
    diff = np.abs(ours[METRICS].to_numpy() - theirs[METRICS].to_numpy()).max()
    return f"per-user equal (max diff {diff:.1e})" if diff <= 1e-9 else f"DIFFER ({diff:.2e})"


def child_ranx_cold(args) -> None:
    problem = make_problem(6040, 3706, args.relevant, args.seen, args.seed)
    _, seconds = timed(run_ranx, problem)
    print(json.dumps({"seconds": seconds}))


def child_ml20m(args) -> None:
    from bench.eval import evaluate

    n_users, n_items = 138_493, 26_744
    rng = np.random.default_rng(args.seed)
    targets = random_sets(rng, n_users, n_items, args.relevant)
    seen = random_sets(rng, n_users, n_items, args.seen, avoid=targets)
    scoring = [0.0]
    pool = torch.rand(args.batch_size, n_items, generator=torch.Generator().manual_seed(args.seed))

    def score_fn(users: torch.Tensor) -> torch.Tensor:
        """A fresh [batch, n_items] tensor: the random pool shifted along items per batch
        (drawing 3.7e9 new random numbers would take longer than the evaluation)."""
        start = time.perf_counter()
        scores = torch.roll(pool[: len(users)], shifts=int(users[0]) % n_items, dims=1)
        scoring[0] += time.perf_counter() - start
        return scores

    with open("/proc/self/clear_refs", "w") as handle:  # reset the peak-RSS mark (Linux)
        handle.write("5")
    rss_before = _status_kb("VmRSS")
    result, seconds = timed(
        lambda: evaluate(score_fn, targets, seen, metrics=METRICS, batch_size=args.batch_size)
    )
    print(json.dumps({
        "seconds": seconds, "scoring": scoring[0], "n_users": result.n_users,
        "peak_mb": _status_kb("VmHWM") / 1024, "before_mb": rss_before / 1024,
        "targets": int(targets.nnz), "seen": int(seen.nnz), "ndcg@10": result["ndcg@10"],
    }))  # fmt: skip


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field))
    return int(line.split()[1])


def in_child(flag: str, args, env: dict | None = None) -> dict:
    argv = [sys.executable, __file__, flag, "--relevant", str(args.relevant)]
    argv += ["--seen", str(args.seen), "--seed", str(args.seed)]
    argv += ["--batch-size", str(args.batch_size)]
    out = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if out.returncode:
        raise RuntimeError(f"{flag} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--relevant", type=float, default=165.0, help="mean targets per user")
    parser.add_argument("--seen", type=float, default=132.0, help="mean seen items per user")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of ours (median)")
    parser.add_argument("--batch-size", type=int, default=4096, help="ML-20M users per batch")
    for peer in ("pytrec", "ranx", "ranx-cold", "torchmetrics", "ml20m"):
        parser.add_argument(f"--skip-{peer}", action="store_true")
    parser.add_argument("--ranx-cold-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ml20m-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ranx_cold_child:
        return child_ranx_cold(args)
    if args.ml20m_child:
        return child_ml20m(args)

    problem = make_problem(6040, 3706, args.relevant, args.seen, args.seed)
    print(
        f"ML-1M-sized: {problem.scores.shape[0]} users x {problem.scores.shape[1]} items, "
        f"{problem.targets.nnz / 6040:.1f} relevant and {problem.seen.nnz / 6040:.1f} seen items "
        f"per user (mean); {len(METRICS)} metrics: {', '.join(METRICS)}; "
        f"torch threads: {torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
        f", load average at start: {os.getloadavg()[0]:.2f}"
    )
    run_ours(problem)  # first call allocates the block buffer once, like any first batch
    times = []
    for _ in range(args.repeats):
        ours, seconds = timed(run_ours, problem)
        times.append(seconds)
    ours_s = float(np.median(times))
    rows = [
        (
            "rankbench FullRankingEvaluator",
            ours_s,
            f"median of {args.repeats}, min {min(times):.3f} s",
        )
    ]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    single = [timed(run_ours, problem)[1] for _ in range(args.repeats)]
    torch.set_num_threads(threads)
    rows.append(("rankbench, 1 thread", float(np.median(single)), "same code, same values"))
    if not args.skip_pytrec:
        table, seconds = timed(run_pytrec, problem)
        rows.append(("pytrec_eval (top-50 runs)", seconds, compare(ours, table)))
    if not args.skip_ranx:
        timed(run_ranx, problem)  # first call compiles or loads numba's disk cache
        table, seconds = timed(run_ranx, problem)
        rows.append(("ranx, warm (top-50 runs)", seconds, compare(ours, table)))
        if not args.skip_ranx_cold:
            with tempfile.TemporaryDirectory() as cache:
                cold = in_child("--ranx-cold-child", args, {"NUMBA_CACHE_DIR": cache})
            rows.append(("ranx, cold: fresh process, JIT", cold["seconds"], "(same inputs)"))
    if not args.skip_torchmetrics:
        means, seconds = timed(run_torchmetrics, problem)
        rows.append(("torchmetrics retrieval (full)", seconds, compare(ours, means)))

    print(f"\n{'tool':<34}{'seconds':>10}{'x ours':>9}  values vs ours")
    for name, seconds, note in rows:
        print(f"{name:<34}{seconds:>10.3f}{seconds / ours_s:>8.1f}x  {note}")
    peers = [s for name, s, _ in rows[2:] if "cold" not in name]
    if peers:
        print(f"\nfastest peer / ours: {min(peers) / ours_s:.1f}x (goal: >= 10x)")

    if not args.skip_ml20m:
        big = in_child("--ml20m-child", args)
        print(
            f"\nML-20M-sized: 138,493 users x 26,744 items ({big['targets'] / 138_493:.1f} "
            f"relevant, {big['seen'] / 138_493:.1f} seen per user), batch {args.batch_size}: "
            f"{big['seconds']:.2f} s end to end, of which {big['scoring']:.2f} s generating "
            f"scores -> evaluation {big['seconds'] - big['scoring']:.2f} s; peak RSS "
            f"{big['peak_mb']:.0f} MB (data and process before evaluation: "
            f"{big['before_mb']:.0f} MB); {big['n_users']} users, ndcg@10 {big['ndcg@10']:.4f}"
        )


if __name__ == "__main__":
    main()
