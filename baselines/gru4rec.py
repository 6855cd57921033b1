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

from bench.rankers.next_item import NextItemRanker
from bench.rankers.params import check_int, check_rate


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


class GRU4Rec(NextItemRanker):
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
        super().__init__(
            n_users,
            n_items,
            max_len=max_len,
            lr=lr,
            batch_size=batch_size,
            loss=loss,
            n_negatives=n_negatives,
            gbce_t=gbce_t,
            negatives=negatives,
        )
        check_int("model.hidden_dim", hidden_dim)
        check_int("model.n_layers", n_layers)
        check_rate("model.dropout", dropout)
        self.save_hyperparameters()
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

    # -- the network ----------------------------------------------------------------------------
    def encode(self, inputs: Tensor) -> Tensor:
        """``[batch, width, hidden_dim]`` GRU states of left-padded item sequences (``width <=
        max_len``); position ``j`` depends only on the items at ``<= j``, padding positions
        hold zeros."""
        self.check_width(inputs)
        width = inputs.shape[1]
        padding = inputs == self.n_items
        x = self.dropout(self.item_embedding(inputs.gather(1, left_aligned_index(padding))))
        states, _ = self.gru(x)
        # back to the left-padded layout: position j reads shifted position (j - n_pad) % width
        n_pad = padding.sum(1, keepdim=True)
        back = (torch.arange(width, device=inputs.device) - n_pad) % width
        states = states.gather(1, back[..., None].expand(-1, -1, states.shape[-1]))
        return self.dropout(states) * (~padding)[..., None]

    @property
    def item_vectors(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]
