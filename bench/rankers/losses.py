"""Training losses of sequential rankers, one value per scored position, averaged.

Each loss takes a model's logits at the positions that have a target and returns the mean over
those positions (a position is left out where ``targets == ignore`` or ``mask`` is ``False``):

- :func:`full_cross_entropy`: softmax cross-entropy over the whole catalogue,
  ``-log softmax(logits)[target]`` (SASRec+ of Klenitskiy & Vasilev, RecSys 2023).
- :func:`linear_cross_entropy`: the same loss on ``logits = states @ items.T``, computed a block
  of rows at a time with its gradient, without ever holding all the logits: what the sequential
  rankers train with (about 3x faster than :func:`full_cross_entropy` on a CPU at ML-1M's and
  Beauty's sizes; ``scripts/bench_losses.py``).
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
    >>> states, items = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    >>> round(float(linear_cross_entropy(states, items, torch.tensor([1]))), 4)  # the same logits
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


#: Logits per block of rows in :func:`linear_cross_entropy` on a CPU (2 MiB of float32: the
#: block's softmax stays in cache; on ML-1M about 150 rows of 3,416 items). Accelerators take
#: :data:`ACCELERATOR_BLOCK_ELEMENTS`, large enough that a typical batch is one block.
CPU_BLOCK_ELEMENTS = 2**19
ACCELERATOR_BLOCK_ELEMENTS = 2**27


class _LinearCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of ``states @ items.T`` with ``targets``; the forward pass also
    computes both gradients block by block (a scalar loss: the backward pass only scales them)."""

    @staticmethod
    def forward(
        ctx, states: Tensor, items: Tensor, targets: Tensor, block_rows: int, needs_grad: bool
    ) -> Tensor:
        with torch.autocast(device_type=states.device.type, enabled=False):
            s, w = states.float(), items.float()
            n = s.shape[0]
            total = s.new_zeros(())
            grad_s = torch.empty_like(s) if needs_grad else None
            grad_w = torch.zeros_like(w) if needs_grad else None
            for start in range(0, n, block_rows):
                rows, block_targets = (
                    s[start : start + block_rows],
                    targets[start : start + block_rows],
                )
                logits = rows @ w.T
                picked = logits.gather(1, block_targets[:, None]).squeeze(1)
                top = logits.amax(1, keepdim=True)
                probs = logits.sub_(top).exp_()  # in place: the block's logits are not kept
                norm = probs.sum(1, keepdim=True)
                total += (norm.log() + top).squeeze(1).sub_(picked).sum()
                if needs_grad:
                    probs.div_(norm)
                    probs[torch.arange(len(block_targets), device=probs.device), block_targets] -= 1
                    grad_s[start : start + block_rows] = probs @ w
                    grad_w.addmm_(probs.T, rows)
        if needs_grad:
            ctx.save_for_backward(grad_s.div_(n), grad_w.div_(n))
            ctx.dtypes = (states.dtype, items.dtype)
        return total / n

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_loss: Tensor) -> tuple[Tensor | None, Tensor | None, None, None, None]:
        grad_s, grad_w = ctx.saved_tensors
        return (
            (grad_s * grad_loss).to(ctx.dtypes[0]) if ctx.needs_input_grad[0] else None,
            (grad_w * grad_loss).to(ctx.dtypes[1]) if ctx.needs_input_grad[1] else None,
            None,
            None,
            None,
        )


def linear_cross_entropy(
    states: Tensor, items: Tensor, targets: Tensor, block_elements: int | None = None
) -> Tensor:
    """Mean softmax cross-entropy over the catalogue of ``logits = states @ items.T``.

    The value and gradients of ``full_cross_entropy(states @ items.T, targets)`` (float32, also
    under autocast), computed ``block_elements`` logits at a time: the ``[n, n_items]`` logits
    are never held at once, and each block's softmax is turned into its gradient while it is in
    cache. Not twice differentiable.

    Args:
        states: ``[n, d]`` hidden states of the positions that have a target.
        items: ``[n_items, d]`` output item embeddings.
        targets: ``[n]`` int64 target item of each position, in ``[0, n_items)``.
        block_elements: logits per block (default: :data:`CPU_BLOCK_ELEMENTS` on a CPU,
            :data:`ACCELERATOR_BLOCK_ELEMENTS` elsewhere).

    Example:
        >>> states, items = torch.zeros(2, 3), torch.zeros(4, 3)  # all logits 0: log 4 each
        >>> round(float(linear_cross_entropy(states, items, torch.tensor([0, 3]))), 4)
        1.3863
    """
    if states.ndim != 2 or items.ndim != 2 or states.shape[1] != items.shape[1]:
        raise ValueError(
            f"linear_cross_entropy needs states [n, d] and items [n_items, d]; got "
            f"{tuple(states.shape)} and {tuple(items.shape)}"
        )
    if targets.shape != states.shape[:1]:
        raise ValueError(
            f"linear_cross_entropy needs one target per state; got {tuple(targets.shape)} "
            f"targets for {states.shape[0]} states"
        )
    if targets.numel() == 0:  # nothing to score: a zero that keeps the graph
        return (states.sum() + items.sum()) * 0.0
    if block_elements is None:
        on_cpu = states.device.type == "cpu"
        block_elements = CPU_BLOCK_ELEMENTS if on_cpu else ACCELERATOR_BLOCK_ELEMENTS
    block_rows = max(1, int(block_elements) // items.shape[0])
    needs_grad = torch.is_grad_enabled() and (states.requires_grad or items.requires_grad)
    return _LinearCrossEntropy.apply(states, items, targets, block_rows, needs_grad)


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
