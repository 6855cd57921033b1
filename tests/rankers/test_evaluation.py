"""Evaluation settings: keys, selection metric, direction."""

import pytest

from bench.eval import SampledCandidates
from bench.rankers import Evaluation, EvaluationConfigError


def test_select_defaults_to_the_first_metric() -> None:
    ev = Evaluation(["Recall@20", "ndcg@10"])
    assert ev.metrics == ("recall@20", "ndcg@10")
    assert (ev.select, ev.monitor, ev.mode) == ("recall@20", "valid/recall@20", "max")


def test_sampled_protocol_prefixes_keys() -> None:
    ev = Evaluation(["ndcg@10"], protocol=SampledCandidates())
    assert ev.keys == ["sampled_ndcg@10"] and ev.monitor == "valid/sampled_ndcg@10"


@pytest.mark.parametrize(
    ("metrics", "select", "message"),
    [
        ([], None, "non-empty list"),
        ("ndcg@10", None, "non-empty list"),
        (["ndcg@10"], "recall@10", "not among eval.metrics"),
        (["ndcg@10", "coverage@10"], "coverage@10", "catalogue metric"),
        (["ndcg@ten"], None, "cutoff must be a positive integer"),
    ],
)
def test_bad_settings(metrics, select, message) -> None:
    with pytest.raises(ValueError, match=message):
        Evaluation(metrics, select)
    if message != "cutoff must be a positive integer":
        with pytest.raises(EvaluationConfigError):
            Evaluation(metrics, select)


def test_evaluator_is_fresh_per_call() -> None:
    ev = Evaluation(["ndcg@5"])
    a, b = ev.evaluator(10), ev.evaluator(10)
    assert a is not b and a.keys() == ["ndcg@5"]
