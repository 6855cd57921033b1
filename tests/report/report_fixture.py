"""A hand-built :class:`Report` for the renderer tests and the screenshot.

Two cells (MovieLens-1M full ranking with three metric families and two segments; a sampled
MovieLens-100k cell with one segment), a failed run, warnings, and per-user distributions as
numpy arrays. Per-user values are drawn once with a fixed seed; every mean, CI and delta is
computed from them, so the numbers agree with each other like a real report's.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import stats as st

from bench.report.cells import CellKey
from bench.report.model import (
    Cell,
    Cost,
    Delta,
    Failure,
    MetricStat,
    Report,
    Row,
    SegmentRow,
    SegmentTable,
    Settings,
)

SEEDS = (0, 1, 2)


def _stat(values: np.ndarray, seed_sd: float) -> MetricStat:
    low, high = st.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=st.sem(values))
    return MetricStat(
        mean=float(values.mean()),
        std=seed_sd,
        ci_low=float(low),
        ci_high=float(high),
        n_seeds=len(SEEDS),
    )


def _catalogue_stat(mean: float, seed_sd: float) -> MetricStat:
    """A catalogue metric (coverage): no per-user values, so no CI over users."""
    return MetricStat(mean=mean, std=seed_sd, ci_low=None, ci_high=None, n_seeds=len(SEEDS))


def _delta(cand: np.ndarray, base: np.ndarray, n_comparisons: int, higher: bool = True) -> Delta:
    diff = cand - base
    low, high = st.t.interval(0.95, len(diff) - 1, loc=diff.mean(), scale=st.sem(diff))
    p = float(st.ttest_rel(cand, base).pvalue)
    p_adj = min(1.0, p * n_comparisons)
    improvement = float(diff.mean()) * (1 if higher else -1)
    verdict = "n.s." if p_adj >= 0.05 else ("better" if improvement > 0 else "worse")
    return Delta(
        diff=float(diff.mean()),
        improvement=improvement,
        ci_low=float(low),
        ci_high=float(high),
        rel_diff=float(100 * diff.mean() / base.mean()),
        effect_size=float(diff.mean() / diff.std(ddof=1)),
        p_value=p,
        p_adjusted=p_adj,
        verdict=verdict,
    )


def _users(rng: np.random.Generator, ease: np.ndarray, level: float) -> np.ndarray:
    """Zero-inflated per-user values with mean ``level``; users share ``ease`` (so pairs match).

    A user scores (hits) when their noisy ease is among the ``hit`` easiest; the value of a hit
    is Beta-distributed with the mean that makes the overall mean ``level``.
    """
    hit = min(0.9, 0.2 + 1.5 * level)
    score = 0.85 * ease + 0.15 * rng.random(ease.size)
    hits = score >= np.quantile(score, 1.0 - hit)
    mean = level / hits.mean()
    return np.where(hits, rng.beta(2.0, 2.0 * (1.0 - mean) / mean, ease.size), 0.0)


def _cell(
    key: CellKey,
    levels: dict[str, dict[str, float]],
    costs: dict[str, Cost],
    catalogue: dict[str, dict[str, float]],
    segments: dict[str, tuple[str, float]],
    n_users: int,
    seed: int,
    warnings: tuple[str, ...] = (),
) -> Cell:
    rng = np.random.default_rng(seed)
    labels = list(levels)
    baseline = labels[0]
    user_metrics = list(next(iter(levels.values())))
    metrics = (*user_metrics, *next(iter(catalogue.values())))
    ease = rng.random(n_users)
    values = {
        label: {m: _users(rng, ease, levels[label][m]) for m in user_metrics} for label in labels
    }
    base_values = values[baseline]
    n_comparisons = (len(labels) - 1) * len(metrics)
    rows = []
    for i, label in enumerate(labels):
        model = label.split(" ")[0].lower()
        variant = hashlib.sha256(f"{key.dataset}/{label}".encode()).hexdigest()[:10]
        row_stats = {m: _stat(values[label][m], 0.002 + 0.001 * i) for m in user_metrics}
        row_stats |= {m: _catalogue_stat(v, 0.004) for m, v in catalogue[label].items()}
        deltas = (
            {}
            if label == baseline
            else {m: _delta(values[label][m], base_values[m], n_comparisons) for m in user_metrics}
        )
        rows.append(
            Row(
                label=label,
                model=model,
                variant_hash=variant,
                is_baseline=label == baseline,
                seeds=SEEDS,
                n_users=n_users,
                stats=row_stats,
                deltas=deltas,
                cost=costs[label],
                reproduce=(
                    f"python -m bench.cli.train model={model} data={key.dataset} "
                    f"split={key.split} eval.protocol={key.protocol} seed=0,1,2 -m"
                ),
                run_ids=tuple(f"{model}-{key.dataset}-s{s}" for s in SEEDS),
                git_commits=("3f9c2ab",),
            )
        )
    tables = []
    for name, (description, share) in segments.items():
        mask = rng.random(n_users) < share
        seg_metrics = tuple(user_metrics[:2])
        seg_rows = tuple(
            SegmentRow(
                label=label,
                is_baseline=label == baseline,
                means={m: float(values[label][m][mask].mean()) for m in seg_metrics},
                deltas={}
                if label == baseline
                else {
                    m: _delta(values[label][m][mask], base_values[m][mask], n_comparisons)
                    for m in seg_metrics
                },
            )
            for label in labels
        )
        tables.append(
            SegmentTable(
                name=name,
                description=description,
                n_users=int(mask.sum()),
                metrics=seg_metrics,
                rows=seg_rows,
            )
        )
    return Cell(
        key=key,
        metrics=metrics,
        higher_is_better=dict.fromkeys(metrics, True),
        baseline=baseline,
        rows=tuple(rows),
        segments=tuple(tables),
        seeds=SEEDS,
        split_depends_on_seed=key.split == "random_holdout",
        n_comparisons=n_comparisons,
        distributions={label: dict(values[label]) for label in labels},
        warnings=warnings,
    )


def ml1m_cell() -> Cell:
    """MovieLens-1M, full ranking: 4 rows (baseline iALS), ndcg/recall at several K, 2 segments."""
    key = CellKey(
        dataset="ml-1m",
        dataset_fingerprint="sha256:9f2c41d07be3",
        preprocess="none",
        split="random_holdout",
        split_params='{"ratios":[0.8,0.1,0.1]}',
        protocol="full",
        test_history="train",
    )
    levels = {
        "iALS d=128": {"ndcg@10": 0.318, "ndcg@5": 0.301, "ndcg@20": 0.346,
                       "recall@10": 0.249, "recall@20": 0.355},
        "EASE λ=500": {"ndcg@10": 0.334, "ndcg@5": 0.318, "ndcg@20": 0.361,
                       "recall@10": 0.262, "recall@20": 0.371},
        "BPR d=64": {"ndcg@10": 0.281, "ndcg@5": 0.266, "ndcg@20": 0.305, "recall@10": 0.219,
                     "recall@20": 0.318},
        "Pop": {"ndcg@10": 0.152, "ndcg@5": 0.141, "ndcg@20": 0.171, "recall@10": 0.121,
                "recall@20": 0.192},
    }  # fmt: skip
    catalogue = {
        "iALS d=128": {"coverage@10": 0.314},
        "EASE λ=500": {"coverage@10": 0.291},
        "BPR d=64": {"coverage@10": 0.337},
        "Pop": {"coverage@10": 0.012},
    }
    costs = {
        "iALS d=128": Cost(63.5, 5.4, 2.05, 1_246_848, 0.15, 0.38),
        "EASE λ=500": Cost(18.7, 6.9, 3.92, 13_359_025, 0.81, 1.93),
        "BPR d=64": Cost(142.0, 5.1, 1.47, 623_424, 0.12, 0.31),
        "Pop": Cost(0.41, 3.2, 0.61, 0, 0.02, 0.05),
    }
    segments = {
        "cold users": ("users with at most 5 training interactions", 0.18),
        "heavy users": ("users above the 90th percentile of training interactions", 0.1),
    }
    return _cell(key, levels, costs, catalogue, segments, n_users=6040, seed=7)


def sampled_cell() -> Cell:
    """MovieLens-100k, leave-last-out, sampled protocol (100 negatives): 4 rows, 1 segment."""
    key = CellKey(
        dataset="ml-100k",
        dataset_fingerprint="sha256:4be07a19c2d5",
        preprocess="min_count user=5 item=5",
        split="leave_last_out",
        split_params="{}",
        protocol="sampled-100",
        test_history="train+val",
    )
    levels = {
        "Pop": {"hr@10": 0.402, "ndcg@10": 0.228, "mrr": 0.187},
        "ItemKNN k=20": {"hr@10": 0.405, "ndcg@10": 0.231, "mrr": 0.186},
        "BPR d=32": {"hr@10": 0.611, "ndcg@10": 0.352, "mrr": 0.291},
        "SASRec d=64": {"hr@10": 0.616, "ndcg@10": 0.358, "mrr": 0.296},
    }
    catalogue = {label: {} for label in levels}
    costs = {
        "Pop": Cost(0.05, 0.4, 0.22, 0, 0.01, 0.02),
        "ItemKNN k=20": Cost(1.9, 1.1, 0.31, 0, 0.07, 0.16),
        "BPR d=32": Cost(21.3, 0.9, 0.58, 84_352, 0.04, 0.09),
        "SASRec d=64": Cost(388.0, 2.7, 2.81, 211_904, 0.62, 1.7),
    }
    segments = {"cold users": ("users with at most 5 training interactions", 0.12)}
    return _cell(
        key,
        levels,
        costs,
        catalogue,
        segments,
        n_users=943,
        seed=11,
        warnings=("SASRec d=64: seed 2 ran on a dirty tree (git 3f9c2ab+dirty)",),
    )


def make_report() -> Report:
    """The fixture report (see the module docstring)."""
    return Report(
        title="RankBench leaderboard",
        created_at="2026-05-12T09:41:00+00:00",
        results_dir="outputs/results",
        cells=(ml1m_cell(), sampled_cell()),
        failures=(
            Failure(
                run_id="sasrec-ml-1m-s1",
                model="sasrec",
                dataset="ml-1m",
                seed=1,
                error="torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            ),
        ),
        git_commits=("3f9c2ab", "8d01e7c"),
        dirty=True,
        packages={
            "rankbench": "0.1.0",
            "torch": "2.13.0",
            "numpy": "2.4.6",
            "scipy": "1.17.1",
            "implicit": None,
        },
        settings=Settings(),
        warnings=(
            "rows come from 2 git commits: 3f9c2ab, 8d01e7c",
            "1 run was made from a dirty working tree",
        ),
        filters={"dataset": ["ml-1m", "ml-100k"]},
    )
