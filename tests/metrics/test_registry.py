"""Metric names resolve through the registry; a new metric plugs in with one decorator."""

from __future__ import annotations

import pytest
import torch

import bench.metrics.registry as registry
from bench.metrics import (
    MetricNameError,
    RankedLists,
    available,
    get_metric,
    parse_metric,
    per_user_metric,
)

RANKING = ["ndcg", "ndcg_binary", "recall", "recall_minK", "precision", "hitrate", "mrr", "map"]
EXPECTED = {*RANKING, "map_minK", "coverage", "gini", "novelty", "arp", "ild"}


def test_every_metric_module_is_registered() -> None:
    assert set(available()) == EXPECTED


@pytest.mark.parametrize(
    ("text", "key"),
    [("ndcg@10", "ndcg@10"), ("NDCG@10", "ndcg@10"), ("recall_mink@20", "recall_minK@20"),
     (" map@50", "map@50"), ("MAP_MINK@5", "map_minK@5")],
)  # fmt: skip
def test_parse_is_case_insensitive_and_canonical(text: str, key: str) -> None:
    assert str(parse_metric(text)) == key


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("ndcg", "no cutoff"), ("ndcg@0", "positive integer"), ("ndcg@x", "positive integer"),
     ("ndgc@10", "unknown metric 'ndgc'"), ("ndcg@-3", "positive integer")],
)  # fmt: skip
def test_bad_names_raise_one_line_errors(text: str, fragment: str) -> None:
    with pytest.raises(MetricNameError, match=fragment):
        parse_metric(text)


def test_directions() -> None:
    lower_is_better = {"gini", "arp"}
    for name in available():
        assert get_metric(name).higher_is_better is (name not in lower_is_better)


def test_scopes() -> None:
    assert {n for n in available() if get_metric(n).catalogue is not None} == {"coverage", "gini"}
    assert get_metric("novelty").requires == ("item_popularity", "n_train_users")
    assert get_metric("ild").requires == ("item_features",)


def test_new_metric_plugs_in_with_a_decorator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @per_user_metric("hits", higher_is_better=True)
    def hits(lists: RankedLists, k: int) -> torch.Tensor:
        """Number of relevant items in the top k."""
        return lists.relevant[:, :k].sum(1).double()

    key = parse_metric("hits@2")
    lists = RankedLists.from_hits(torch.tensor([[1, 1, 0]]), torch.tensor([3]))
    assert key.spec.per_user(lists, key.k).tolist() == [2.0]
    assert key.spec.summary == "Number of relevant items in the top k."


def test_duplicate_names_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    with pytest.raises(ValueError, match="registered twice"):
        per_user_metric("NDCG", higher_is_better=True)(lambda lists, k: lists.gains[:, 0])


def test_cutoff_longer_than_lists_is_an_error() -> None:
    lists = RankedLists.from_hits(torch.tensor([[1, 0]]), torch.tensor([1]))
    with pytest.raises(ValueError, match="cutoff k=5 needs lists of length >= k"):
        get_metric("ndcg").per_user(lists, 5)
