"""Coverage, Gini, novelty, average recommendation popularity and intra-list diversity,
against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from bench.metrics import RankedLists, get_metric


def lists_of(items: list[list[int]], **context: object) -> RankedLists:
    top = torch.tensor(items)
    zeros = torch.zeros(top.shape, dtype=torch.float64)
    return RankedLists(zeros, zeros + 1, torch.ones(top.shape[0]), items=top, **context)


def test_coverage_counts_items_shown_to_anyone() -> None:
    coverage = get_metric("coverage").catalogue
    assert coverage(torch.tensor([0.0, 2.0, 0.0, 1.0, 0.0])) == pytest.approx(2 / 5)
    assert coverage(torch.zeros(3)) == 0.0


@pytest.mark.parametrize(
    ("exposure", "expected"),
    [([1.0, 1.0, 1.0, 1.0], 0.0), ([0.0, 0.0, 0.0, 8.0], 0.75), ([1.0, 2.0, 3.0], 2 / 9),
     ([0.0, 0.0], 0.0)],
)  # fmt: skip
def test_gini(exposure: list[float], expected: float) -> None:
    # [1, 2, 3]: sum_i (2i - n - 1) x_i = -2*1 + 0*2 + 2*3 = 4; / (n * sum) = 4 / 18
    assert get_metric("gini").catalogue(torch.tensor(exposure)) == pytest.approx(expected)


def test_gini_does_not_depend_on_item_order() -> None:
    gini = get_metric("gini").catalogue
    assert gini(torch.tensor([5.0, 0.0, 1.0])) == pytest.approx(gini(torch.tensor([0.0, 1.0, 5.0])))


def test_novelty_is_mean_self_information() -> None:
    popularity = torch.tensor([8.0, 2.0, 1.0, 0.0])  # of 8 training users
    lists = lists_of([[0, 1, 2], [3, -1, -1]], item_popularity=popularity, n_train_users=8)
    novelty = get_metric("novelty").per_user(lists, 3)
    # -log2(8/8) = 0, -log2(2/8) = 2, -log2(1/8) = 3; unseen item 3 counts as seen once
    assert novelty.tolist() == pytest.approx([(0 + 2 + 3) / 3, 3.0])
    assert get_metric("novelty").per_user(lists, 1).tolist() == pytest.approx([0.0, 3.0])


def test_arp_is_mean_popularity_of_retrieved_items() -> None:
    lists = lists_of([[0, 1, 2], [-1, -1, -1]], item_popularity=torch.tensor([9.0, 3.0, 0.0]))
    assert get_metric("arp").per_user(lists, 3).tolist() == pytest.approx([4.0, 0.0])
    assert get_metric("arp").per_user(lists, 2).tolist() == pytest.approx([6.0, 0.0])


def test_intra_list_diversity() -> None:
    features = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [1.0, 1.0], [0.0, 0.0]])
    lists = lists_of([[0, 1, 2], [0, 3, -1], [2, -1, -1], [0, 4, -1]], item_features=features)
    ild = get_metric("ild").per_user(lists, 3).tolist()
    # row 0: pairs (0,1) d=0, (0,2) d=1, (1,2) d=1 -> 2/3; row 1: one pair d = 1 - 1/sqrt(2)
    # row 2: a single item -> 0; row 3: a zero vector is at distance 1 from everything
    assert ild == pytest.approx([2 / 3, 1 - 1 / math.sqrt(2), 0.0, 1.0])
    assert get_metric("ild").per_user(lists, 2).tolist() == pytest.approx(
        [0.0, 1 - 1 / math.sqrt(2), 0.0, 1.0]
    )
