"""Full-ranking evaluation: deterministic top-k, per-user metrics, DDP-safe accumulation.

Main entry points: :class:`FullRankingEvaluator` (torchmetrics ``Metric``: ``update`` per
batch, ``compute`` -> :class:`EvalResult`) and :func:`evaluate` (score users in batches with a
function). Sampled-candidate evaluation (old papers) is :class:`SampledCandidates`, passed as
``protocol``; its keys always start with ``sampled_``.

Example:
    >>> import torch, scipy.sparse as sp
    >>> from bench.eval import evaluate
    >>> targets = sp.csr_matrix([[0, 1, 0]])
    >>> evaluate(lambda u: torch.tensor([[0.2, 0.9, 0.1]]), targets, metrics=["ndcg@1"]).metrics
    {'ndcg@1': 1.0}
"""

from bench.eval.api import evaluate
from bench.eval.evaluator import FullRankingEvaluator
from bench.eval.negatives import PopularityNegatives, UniformNegatives
from bench.eval.protocol import FullRanking, RankingProtocol, SampledCandidates
from bench.eval.result import EvalResult
from bench.eval.sparse import RowSets, as_row_sets, csr_from_frame
from bench.eval.topk import topk_ranked

__all__ = [
    "EvalResult",
    "FullRanking",
    "FullRankingEvaluator",
    "PopularityNegatives",
    "RankingProtocol",
    "RowSets",
    "SampledCandidates",
    "UniformNegatives",
    "as_row_sets",
    "csr_from_frame",
    "evaluate",
    "topk_ranked",
]
