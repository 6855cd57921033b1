"""Property tests (hypothesis): every ranking metric lies in [0, 1], a perfect ranking scores
1 (where the metric's definition allows it), recall and hit rate never decrease with k."""

from __future__ import annotations

import itertools

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.metrics import RankedLists, parse_metric

RANKING = ["ndcg", "ndcg_binary", "recall", "recall_minK", "precision", "hitrate", "mrr", "map"]
RANKING += ["map_minK"]


@st.composite
def ranked_lists(draw: st.DrawFn) -> RankedLists:
    """Lists of length 1..30 over a catalogue; every user has >= 1 relevant item."""
    n_users = draw(st.integers(1, 6))
    depth = draw(st.integers(1, 30))
    rows, ideal, n_rel = [], [], []
    for _ in range(n_users):
        relevant = draw(st.lists(st.integers(1, 4), min_size=1, max_size=40))  # graded gains
        listed = draw(st.lists(st.booleans(), min_size=depth, max_size=depth))
        pool = list(relevant)
        row = [float(pool.pop()) if hit and pool else 0.0 for hit in listed]
        rows.append(row)
        ideal.append((sorted(relevant, reverse=True) + [0] * depth)[:depth])
        n_rel.append(len(relevant))
    return RankedLists(
        torch.tensor(rows, dtype=torch.float64),
        torch.tensor(ideal, dtype=torch.float64),
        torch.tensor(n_rel, dtype=torch.float64),
    )


def value(lists: RankedLists, name: str, k: int) -> torch.Tensor:
    return parse_metric(f"{name}@{k}").spec.per_user(lists, k)


@settings(max_examples=150, deadline=None)
@given(ranked_lists(), st.data())
def test_values_in_unit_interval(lists: RankedLists, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, lists.gains.shape[1]))
    for name in RANKING:
        v = value(lists, name, k)
        assert bool(((v >= 0) & (v <= 1 + 1e-12)).all()), (name, k, v)


@settings(max_examples=150, deadline=None)
@given(ranked_lists())
def test_recall_and_hitrate_never_decrease_with_k(lists: RankedLists) -> None:
    for name in ["recall", "hitrate"]:
        values = [value(lists, name, k) for k in range(1, lists.gains.shape[1] + 1)]
        for before, after in itertools.pairwise(values):
            assert bool((after >= before).all()), name


def ones_where(values: torch.Tensor, rows: torch.Tensor) -> bool:
    return torch.allclose(values[rows], torch.ones(int(rows.sum()), dtype=torch.float64))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=30), min_size=1, max_size=5),
       st.integers(1, 40))  # fmt: skip
def test_perfect_ranking_scores_one(relevant: list[list[int]], k: int) -> None:
    """Lists that put the relevant items first, best gain first."""
    depth = max(k, max(len(r) for r in relevant))
    ideal = torch.tensor(
        [(sorted(r, reverse=True) + [0] * depth)[:depth] for r in relevant], dtype=torch.float64
    )
    n_rel = torch.tensor([len(r) for r in relevant], dtype=torch.float64)
    lists = RankedLists(ideal, ideal, n_rel)
    everyone = torch.ones(len(relevant), dtype=torch.bool)
    for name in ["ndcg", "ndcg_binary", "recall_minK", "hitrate", "mrr", "map_minK"]:
        assert ones_where(value(lists, name, k), everyone), name
    # trec_eval's recall and map reach 1 only if all relevant items fit in k, P@k only if
    # there are at least k relevant items
    assert ones_where(value(lists, "recall", k), n_rel <= k)
    assert ones_where(value(lists, "map", k), n_rel <= k)
    assert ones_where(value(lists, "precision", k), n_rel >= k)
    assert bool((value(lists, "recall", k)[n_rel > k] < 1).all())
