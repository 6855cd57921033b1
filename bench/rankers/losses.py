"""Training losses of sequential rankers, one value per scored position, averaged.

Each loss takes a model's logits at the positions that have a target and returns the mean over
those positions (a position is left out where ``targets == ignore`` or ``mask`` is ``False``):

- :func:`full_cross_entropy`: softmax cross-entropy over the whole catalogue,
  ``-log softmax(logits)[target]`` (SASRec+ of Klenitskiy & Vasilev, RecSys 2023).
- :func:`sampled_bce`: binary cross-entropy with sampled negatives,
  ``-log sigmoid(s+) - sum_k log(1 - sigmoid(s-_k))`` (the original SASRec with one negative).
- :func:`gbce`: generalised BCE (gSASRec, Petrov & Macdonald, RecSys 2023),
  ``-log(sigmoid(s+) ** beta) - sum_k log(1 - sigmoid(s-_k))`` with ``beta`` from
  :func:`gbce_beta`; equal to :func:`sampled_bce` on the paper's transformed positive logit
  :func:`gbce_positive_logit`.

Negatives come from the shared samplers (:mod:`bench.rankers.samplers`), which the caller
seeds by (run seed, epoch, step, process).

Example:
    >>> import math, torch
    >>> logits = torch.tensor([[0.0, math.log(3.0)]])
    >>> round(float(full_cross_entropy(logits, torch.tensor([1]))), 4)  # -log(3/4)
    0.2877
    >>> round(float(sampled_bce(torch.tensor([0.0]), torch.tensor([[0.0]]))), 4)  # 2 log 2
    1.3863
    >>> gbce_beta(n_negatives=4, n_items=101, t=0.75)  # alpha = 4/100
    0.28
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F


def _mean(values: Tensor, keep: Tensor | None) -> Tensor:
    if keep is not None:
        values = values[keep]
    if values.numel() == 0:  # nothing to score: a zero that keeps the graph
        return values.sum() * 0.0
    return values.mean()


def full_cross_entropy(logits: Tensor, targets: Tensor, ignore: int | None = None) -> Tensor:
    """Mean softmax cross-entropy over the catalogue.

    Args:
        logits: ``[..., n_items]`` scores of every item at each position.
        targets: ``[...]`` int64 target item of each position.
        ignore: a target id that marks positions without a target (e.g. the padding id).
    """
    n_items = logits.shape[-1]
    flat_logits, flat_targets = logits.reshape(-1, n_items), targets.reshape(-1)
    keep = None if ignore is None else flat_targets != ignore
    if keep is not None:
        flat_logits, flat_targets = flat_logits[keep], flat_targets[keep]
    if flat_targets.numel() == 0:
        return flat_logits.sum() * 0.0
    return F.cross_entropy(flat_logits.float(), flat_targets)


def sampled_bce(positive: Tensor, negatives: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean BCE of each positive logit against its sampled negatives' logits.

    Args:
        positive: ``[...]`` logit of the target item at each position.
        negatives: ``[..., k]`` logits of ``k`` sampled negative items at each position.
        mask: ``[...]`` bool, the positions to score (default: all).
    """
    loss = F.softplus(-positive.float()) + F.softplus(negatives.float()).sum(-1)
    return _mean(loss, mask)


def gbce_beta(n_negatives: int, n_items: int, t: float) -> float:
    """gSASRec's ``beta = alpha * (t * (1 - 1 / alpha) + 1 / alpha)`` with the sampling rate
    ``alpha = n_negatives / (n_items - 1)``: ``t = 0`` gives ``beta = 1`` (plain BCE), ``t = 1``
    gives ``beta = alpha`` (calibrated to the full-softmax probabilities)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"model.gbce_t={t!r} must be in [0, 1]")
    if not 1 <= n_negatives <= n_items - 1:
        raise ValueError(f"model.n_negatives={n_negatives!r} must be in [1, n_items - 1]")
    alpha = n_negatives / (n_items - 1)
    return round(alpha * (t * (1.0 - 1.0 / alpha) + 1.0 / alpha), 12)


def gbce_positive_logit(positive: Tensor, beta: float) -> Tensor:
    """The paper's transformed positive logit ``log(1 / (sigmoid(s) ** -beta - 1))``, whose
    sigmoid is ``sigmoid(s) ** beta`` (computed in float64 without overflow)."""
    x = -beta * F.logsigmoid(positive.double())  # -log(sigmoid(s) ** beta) >= 0
    x = x.clamp_min(1e-300)
    # log(expm1(x)), stable for small x (expm1) and large x (x + log1p(-exp(-x)))
    log_expm1 = torch.where(x > 20.0, x + torch.log1p(-torch.exp(-x)), torch.log(torch.expm1(x)))
    return -log_expm1


def gbce(positive: Tensor, negatives: Tensor, beta: float, mask: Tensor | None = None) -> Tensor:
    """Mean gBCE: :func:`sampled_bce` with the positive term raised to ``beta``
    (``-beta * log sigmoid(s+)``; see :func:`gbce_beta`). Arguments as :func:`sampled_bce`."""
    if not (beta > 0 and math.isfinite(beta)):
        raise ValueError(f"gbce beta={beta!r} must be a positive number")
    loss = -beta * F.logsigmoid(positive.float()) + F.softplus(negatives.float()).sum(-1)
    return _mean(loss, mask)
