"""``NextItemRanker``: the shared half of next-item sequential rankers (SASRec, GRU4Rec).

A subclass builds its network and implements :meth:`NextItemRanker.encode` (left-padded item
sequences to hidden states, position ``j`` reading only items at ``<= j``) and
:attr:`NextItemRanker.item_vectors` (the ``[n_items, d]`` output item embeddings). This class
does the rest, the same way for every such model:

- training input ``"sequences"`` (:mod:`bench.rankers.sequences`: every real position predicts
  the item that follows it), declared capabilities (time order, sequences, fold-in of users);
- the loss (:mod:`bench.rankers.losses`): ``ce``, softmax cross-entropy over the whole
  catalogue; ``bce``, ``n_negatives`` sampled negatives per position; ``gbce``, gSASRec's
  generalised BCE with calibration ``gbce_t``; negatives from the shared samplers seeded by
  (run seed, epoch, step, process) (:func:`~bench.rankers.samplers.step_negatives`);
- Adam with learning rate ``lr``;
- scoring: the hidden state at the last position of ``UserBatch.sequence`` (the user's history
  before the target, in time order) times the item embeddings.

Hyperparameters out of range are refused at construction, one line naming the key.

Example:
    >>> import torch
    >>> from torch import nn
    >>> class Last(NextItemRanker):  # a "model" that only embeds the items
    ...     def __init__(self, n_users, n_items, **kwargs):
    ...         super().__init__(n_users, n_items, **kwargs)
    ...         self.embedding = nn.Embedding(n_items + 1, 4, padding_idx=n_items)
    ...     def encode(self, inputs):
    ...         return self.embedding(inputs)
    ...     @property
    ...     def item_vectors(self):
    ...         return self.embedding.weight[: self.n_items]
    >>> model = Last(n_users=2, n_items=6, max_len=3)
    >>> model.train_input, model.capabilities.time_order, model.batching.sequence_length
    ('sequences', True, 3)
    >>> Last(n_users=2, n_items=6, max_len=3, loss="softmax")
    Traceback (most recent call last):
    ...
    ValueError: model.loss='softmax' is not one of ('ce', 'bce', 'gbce')
"""

from __future__ import annotations

import torch
from torch import Tensor

from bench.rankers.base import Ranker
from bench.rankers.batch import SequenceBatch, UserBatch
from bench.rankers.data import Capabilities, TrainingData
from bench.rankers.losses import gbce, gbce_beta, linear_cross_entropy, sampled_bce
from bench.rankers.params import check_choice, check_int, check_positive
from bench.rankers.samplers import (
    NEGATIVE_SAMPLERS,
    NegativeSampler,
    check_negatives,
    step_negatives,
)

#: Training losses of next-item rankers (``model.loss``).
LOSSES: tuple[str, ...] = ("ce", "bce", "gbce")


class NextItemRanker(Ranker):
    """Base class of next-item rankers (see the module docstring).

    Args:
        n_users, n_items: sizes of the split.
        max_len: the most recent items a sequence keeps (training and scoring).
        lr: Adam learning rate.
        batch_size: training users (sequences) per step.
        loss: ``"ce"`` (full softmax), ``"bce"`` or ``"gbce"`` (sampled negatives).
        n_negatives: negatives per position for ``bce`` / ``gbce`` (at most ``n_items - 1``).
        gbce_t: gSASRec's calibration parameter in ``[0, 1]`` (``gbce`` only).
        negatives: ``"uniform"`` or ``"popularity"`` negative sampling.
    """

    train_input = "sequences"
    capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)

    def __init__(
        self,
        n_users: int,
        n_items: int,
        *,
        max_len: int = 200,
        lr: float = 1e-3,
        batch_size: int = 128,
        loss: str = "ce",
        n_negatives: int = 1,
        gbce_t: float = 0.75,
        negatives: str = "uniform",
    ) -> None:
        check_int("model.batch_size", batch_size)
        check_int("model.max_len", max_len)
        super().__init__(n_users, n_items, batch_size=batch_size, sequence_length=max_len)
        self.max_len = max_len
        self.lr = check_positive("model.lr", lr, "Adam learning rate")
        self.loss_name = check_choice("model.loss", loss, LOSSES)
        self.n_negatives = check_int("model.n_negatives", n_negatives)
        if not 0.0 <= float(gbce_t) <= 1.0:
            raise ValueError(f"model.gbce_t={gbce_t!r} must be in [0, 1]")
        self.negatives = check_negatives(negatives)
        if loss != "ce" and n_negatives > n_items - 1:
            raise ValueError(f"model.n_negatives={n_negatives} must be <= n_items - 1")
        self.beta = gbce_beta(n_negatives, n_items, float(gbce_t)) if loss == "gbce" else 1.0
        self.sampler: NegativeSampler | None = None

    # -- what a subclass implements -------------------------------------------------------------
    def encode(self, inputs: Tensor) -> Tensor:
        """``[batch, width, d]`` hidden states of ``[batch, width]`` left-padded item ids
        (padding ``n_items``); position ``j`` may read only the items at ``<= j``."""
        raise NotImplementedError(f"{type(self).__name__} must implement encode(inputs)")

    @property
    def item_vectors(self) -> Tensor:
        """``[n_items, d]`` output embeddings: an item's score is ``state @ item_vectors[i]``."""
        raise NotImplementedError(f"{type(self).__name__} must define item_vectors")

    def check_width(self, inputs: Tensor) -> None:
        """Refuse sequences longer than ``max_len`` (one line)."""
        if inputs.shape[1] > self.max_len:
            raise ValueError(
                f"sequences of {inputs.shape[1]} items are longer than model.max_len={self.max_len}"
            )

    # -- training -------------------------------------------------------------------------------
    def prepare(self, data: TrainingData) -> None:
        if self.loss_name != "ce":
            self.sampler = NEGATIVE_SAMPLERS[self.negatives].from_data(data)

    def _negatives(self, users: Tensor, batch_idx: int) -> Tensor:
        k = self.n_negatives
        return step_negatives(self.sampler, self, users, batch_idx, n=k).reshape(-1, k)

    def training_loss(self, batch: SequenceBatch, batch_idx: int = 0) -> Tensor:
        """The training loss of a batch (mean over the positions with a target)."""
        hidden = self.encode(batch.inputs)
        keep = batch.has_target
        states, targets = hidden[keep], batch.targets[keep]
        items = self.item_vectors
        if self.loss_name == "ce":
            return linear_cross_entropy(states, items, targets)
        users = batch.users.repeat_interleave(keep.sum(1))
        negatives = self._negatives(users, batch_idx)
        positive = (states * items[targets]).sum(-1)
        negative = torch.einsum("nd,nkd->nk", states, items[negatives])
        if self.loss_name == "bce":
            return sampled_bce(positive, negative)
        return gbce(positive, negative, self.beta)

    def training_step(self, batch: SequenceBatch, batch_idx: int) -> Tensor:
        loss = self.training_loss(batch, batch_idx)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    # -- scoring --------------------------------------------------------------------------------
    def score(self, batch: UserBatch) -> Tensor:
        if batch.sequence is None:
            raise ValueError(
                f"{type(self).__name__} scores from UserBatch.sequence; the batch has none"
            )
        return self.encode(batch.sequence)[:, -1] @ self.item_vectors.T
