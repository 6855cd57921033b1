"""GRU4Rec (Hidasi et al., ICLR 2016; Hidasi & Karatzoglou, CIKM 2018): a GRU over the user's
item sequence that predicts the next item.

A sequence of item ids is embedded (dropout on the embeddings), read left to right by an
``n_layers`` ``nn.GRU`` (dropout on its outputs, and between layers), and the hidden state at a
position scores every item by a dot product with the same item embeddings (tied weights, as in
Klenitskiy & Vasilev's GRU4Rec baseline, RecSys 2023).

Padding: the sequences come left-padded (``pad = n_items``). The GRU runs on each row shifted to
the left (its real items first, padding after), so it starts every row from the zero state at the
first real item; the outputs are shifted back and padding positions get a zero state. No amount
of padding changes a score, and position ``j`` depends only on the items at ``<= j``.

Training (``train_input = "sequences"``, :mod:`bench.rankers.sequences`): one row per training
user, the last ``max_len + 1`` training items, every real position predicting the next item
(for a recurrent network the same as training on every prefix, i.e. on all sliding windows),
with one of three losses (:mod:`bench.rankers.losses`): ``ce`` (softmax cross-entropy over the
whole catalogue, the default; GRU4Rec's cross-entropy loss without sampling), ``bce`` or
``gbce`` against ``n_negatives`` negatives per position, drawn outside the user's training
items by the shared samplers, seeded by (run seed, epoch, step, process).

Scoring reads the state after the last item of ``UserBatch.sequence`` (the user's history in
time order: train for validation, train + valid for test), so the ranker folds in users. A user
with an empty history (a cold user) gets the zero state: every item scores 0.

Example:
    >>> model = GRU4Rec(n_users=3, n_items=10, hidden_dim=8, max_len=5)
    >>> model.capabilities.time_order, model.train_input, model.batching.sequence_length
    (True, 'sequences', 5)
    >>> states = model.eval().encode(torch.tensor([[10, 10, 3, 4, 5]]))
    >>> states.shape, bool(states[0, :2].eq(0).all())  # padding positions: zero state
    (torch.Size([1, 5, 8]), True)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bench.rankers import Capabilities, Ranker, SequenceBatch, TrainingData, UserBatch
from bench.rankers.losses import full_cross_entropy, gbce, gbce_beta, sampled_bce
from bench.rankers.samplers import (
    NEGATIVE_SAMPLERS,
    NegativeSampler,
    check_negatives,
    step_negatives,
)

LOSSES = ("ce", "bce", "gbce")


def _check_int(name: str, value: object, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"model.{name}={value!r} must be an integer >= {low}")
    return value


def left_aligned_index(padding: Tensor) -> Tensor:
    """``[batch, width]`` gather index that moves each left-padded row's real positions to the
    front (``shifted[b, j] = row[b, (j + n_pad_b) % width]``); padding ends up at the back.

    Example:
        >>> left_aligned_index(torch.tensor([[True, False, False]])).tolist()
        [[1, 2, 0]]
    """
    width = padding.shape[1]
    shift = padding.sum(1, keepdim=True)
    return (torch.arange(width, device=padding.device) + shift) % width


class GRU4Rec(Ranker):
    """GRU4Rec with a choice of loss (see the module docstring).

    Args:
        n_users, n_items: sizes of the split.
        hidden_dim: width of the item embeddings and the GRU state (64).
        n_layers: stacked GRU layers (1).
        dropout: dropout of the embeddings, the GRU outputs and between layers, in ``[0, 1)``.
        max_len: the most recent items a sequence keeps (200 on ML-1M).
        lr: Adam learning rate.
        batch_size: training users (sequences) per step.
        loss: ``"ce"`` (full softmax), ``"bce"`` or ``"gbce"`` (sampled negatives).
        n_negatives: negatives per position for ``bce`` / ``gbce``.
        gbce_t: gSASRec's calibration parameter in ``[0, 1]`` (``gbce`` only).
        negatives: ``"uniform"`` or ``"popularity"`` negative sampling.
    """

    train_input = "sequences"
    capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden_dim: int = 64,
        n_layers: int = 1,
        dropout: float = 0.1,
        max_len: int = 200,
        lr: float = 1e-3,
        batch_size: int = 128,
        loss: str = "ce",
        n_negatives: int = 1,
        gbce_t: float = 0.75,
        negatives: str = "uniform",
    ) -> None:
        _check_int("batch_size", batch_size)
        _check_int("max_len", max_len)
        super().__init__(n_users, n_items, batch_size=batch_size, sequence_length=max_len)
        _check_int("hidden_dim", hidden_dim)
        _check_int("n_layers", n_layers)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"model.dropout={dropout!r} must be in [0, 1)")
        if not float(lr) > 0.0:
            raise ValueError(f"model.lr={lr!r} must be > 0 (Adam learning rate)")
        if loss not in LOSSES:
            raise ValueError(f"model.loss={loss!r} is not one of {LOSSES}")
        _check_int("n_negatives", n_negatives)
        if not 0.0 <= float(gbce_t) <= 1.0:
            raise ValueError(f"model.gbce_t={gbce_t!r} must be in [0, 1]")
        check_negatives(negatives)
        if loss != "ce" and n_negatives > n_items - 1:
            raise ValueError(f"model.n_negatives={n_negatives} must be <= n_items - 1")
        self.save_hyperparameters()
        self.beta = gbce_beta(n_negatives, n_items, float(gbce_t)) if loss == "gbce" else 1.0
        self.item_embedding = nn.Embedding(n_items + 1, hidden_dim, padding_idx=n_items)
        nn.init.normal_(self.item_embedding.weight, std=0.02)
        with torch.no_grad():
            self.item_embedding.weight[n_items].zero_()
        self.dropout = nn.Dropout(float(dropout))
        self.gru = nn.GRU(
            hidden_dim,
            hidden_dim,
            num_layers=n_layers,
            batch_first=True,
            dropout=float(dropout) if n_layers > 1 else 0.0,
        )
        self.sampler: NegativeSampler | None = None

    def prepare(self, data: TrainingData) -> None:
        if self.hparams.loss != "ce":
            self.sampler = NEGATIVE_SAMPLERS[self.hparams.negatives].from_data(data)

    # -- the network ----------------------------------------------------------------------------
    def encode(self, inputs: Tensor) -> Tensor:
        """``[batch, width, hidden_dim]`` GRU states of left-padded item sequences (``width <=
        max_len``); position ``j`` depends only on the items at ``<= j``, padding positions
        hold zeros."""
        width, max_len = inputs.shape[1], int(self.hparams.max_len)
        if width > max_len:
            raise ValueError(f"sequences of {width} items are longer than model.max_len={max_len}")
        padding = inputs == self.n_items
        x = self.dropout(self.item_embedding(inputs.gather(1, left_aligned_index(padding))))
        states, _ = self.gru(x)
        # back to the left-padded layout: position j reads shifted position (j - n_pad) % width
        n_pad = padding.sum(1, keepdim=True)
        back = (torch.arange(width, device=inputs.device) - n_pad) % width
        states = states.gather(1, back[..., None].expand(-1, -1, states.shape[-1]))
        return self.dropout(states) * (~padding)[..., None]

    @property
    def _items(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]

    # -- training -------------------------------------------------------------------------------
    def training_loss(self, batch: SequenceBatch, batch_idx: int = 0) -> Tensor:
        """The training loss of a batch (mean over the positions with a target)."""
        hidden = self.encode(batch.inputs)
        keep = batch.has_target
        states, targets = hidden[keep], batch.targets[keep]
        items = self._items
        if self.hparams.loss == "ce":
            return full_cross_entropy(states @ items.T, targets)
        users = batch.users.repeat_interleave(keep.sum(1))
        k = int(self.hparams.n_negatives)
        negatives = step_negatives(self.sampler, self, users, batch_idx, n=k).reshape(-1, k)
        positive = (states * items[targets]).sum(-1)
        negative = torch.einsum("nd,nkd->nk", states, items[negatives])
        if self.hparams.loss == "bce":
            return sampled_bce(positive, negative)
        return gbce(positive, negative, self.beta)

    def training_step(self, batch: SequenceBatch, batch_idx: int) -> Tensor:
        loss = self.training_loss(batch, batch_idx)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=float(self.hparams.lr))

    # -- scoring --------------------------------------------------------------------------------
    def score(self, batch: UserBatch) -> Tensor:
        if batch.sequence is None:
            raise ValueError("GRU4Rec scores from UserBatch.sequence; the batch has none")
        return self.encode(batch.sequence)[:, -1] @ self._items.T
