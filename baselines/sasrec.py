"""SASRec (Kang & McAuley, ICDM 2018): a causal Transformer over the user's item sequence.

A sequence of item ids (left-padded with ``pad = n_items``) is embedded (item embedding times
``sqrt(hidden_dim)`` plus a learned positional embedding), passed through dropout and
``n_layers`` pre-norm ``nn.TransformerEncoderLayer`` blocks (``n_heads`` heads, point-wise
feed-forward of width ``hidden_dim``, ReLU) and a final LayerNorm. The hidden state at a
position scores every item by a dot product with the same item embeddings (tied weights).

Attention is causal and never reads padding: position ``q`` attends to the real positions
``k <= q`` (a padding position attends to itself only, so no row of the mask is empty and no
NaN appears; its output is never used). Positions count from the right end of the window (the
most recent item always has position ``max_len - 1``, as in the original SASRec), so more left
padding changes no score.

Training (``train_input = "sequences"``, :mod:`bench.rankers.sequences`): one row per training
user, the last ``max_len + 1`` training items, every real position predicting the next item,
with one of three losses (:mod:`bench.rankers.losses`):

- ``ce``: softmax cross-entropy over the whole catalogue (SASRec+ of Klenitskiy & Vasilev,
  RecSys 2023, the default);
- ``bce``: BCE against ``n_negatives`` sampled negatives per position (the original SASRec,
  one negative), drawn outside the user's training items by the shared samplers, seeded by (run
  seed, epoch, step, process);
- ``gbce``: gSASRec's generalised BCE (Petrov & Macdonald, RecSys 2023) with calibration
  ``gbce_t`` (``beta = alpha * (t * (1 - 1 / alpha) + 1 / alpha)``, ``alpha = n_negatives /
  (n_items - 1)``).

Scoring reads only ``UserBatch.sequence`` (the user's history before the target in time order:
train for validation, train + valid for test; :mod:`bench.rankers.history`), so the ranker has
no per-user parameters and folds in users. A user with an empty history (a cold user) is
scored from an all-padding sequence: the same finite scores for every such user, which no loss
trains (a defined fallback, not a cold-start model).

On a GPU, ``trainer.precision=bf16-mixed`` (Lightning's mixed precision) and
``model.compile=true`` (``torch.compile`` of the Transformer blocks when training starts) may
help; both are off by default and are not useful on a CPU.

Example:
    >>> model = SASRec(n_users=3, n_items=10, hidden_dim=8, n_layers=1, max_len=5)
    >>> model.capabilities.time_order, model.train_input, model.batching.sequence_length
    (True, 'sequences', 5)
    >>> model.encode(torch.tensor([[10, 10, 3, 4, 5]])).shape
    torch.Size([1, 5, 8])
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from bench.rankers.init import init_transformer_weights
from bench.rankers.next_item import NextItemRanker
from bench.rankers.params import check_int, check_rate


class SASRec(NextItemRanker):
    """SASRec with a choice of loss (see the module docstring).

    Args:
        n_users, n_items: sizes of the split.
        hidden_dim: width of the embeddings and the Transformer (64).
        n_layers: Transformer blocks (2).
        n_heads: attention heads; must divide ``hidden_dim`` (1).
        dropout: dropout rate of the embeddings, attention and feed-forward, in ``[0, 1)``.
        max_len: the most recent items a sequence keeps (200 on ML-1M).
        lr: Adam learning rate.
        batch_size: training users (sequences) per step.
        loss: ``"ce"`` (full softmax), ``"bce"`` or ``"gbce"`` (sampled negatives).
        n_negatives: negatives per position for ``bce`` / ``gbce``.
        gbce_t: gSASRec's calibration parameter in ``[0, 1]`` (``gbce`` only).
        negatives: ``"uniform"`` or ``"popularity"`` negative sampling.
        compile: ``torch.compile`` the Transformer blocks when training starts (GPU).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden_dim: int = 64,
        n_layers: int = 2,
        n_heads: int = 1,
        dropout: float = 0.2,
        max_len: int = 200,
        lr: float = 1e-3,
        batch_size: int = 128,
        loss: str = "ce",
        n_negatives: int = 1,
        gbce_t: float = 0.75,
        negatives: str = "uniform",
        compile: bool = False,
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
        check_int("model.n_heads", n_heads)
        if hidden_dim % n_heads:
            raise ValueError(f"model.n_heads={n_heads!r} must divide model.hidden_dim={hidden_dim}")
        check_rate("model.dropout", dropout)
        self.save_hyperparameters()
        self.item_embedding = nn.Embedding(n_items + 1, hidden_dim, padding_idx=n_items)
        self.position_embedding = nn.Embedding(max_len, hidden_dim)
        self.dropout = nn.Dropout(float(dropout))
        block = nn.TransformerEncoderLayer(
            d_model=hidden_dim,
            nhead=n_heads,
            dim_feedforward=hidden_dim,
            dropout=float(dropout),
            activation="relu",
            layer_norm_eps=1e-8,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(block, n_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(hidden_dim, eps=1e-8)
        self.apply(init_transformer_weights)

    def on_fit_start(self) -> None:
        if self.hparams.compile:
            self.encoder.compile()

    # -- the network ----------------------------------------------------------------------------
    def _attention_mask(self, padding: Tensor) -> Tensor:
        """``[batch * n_heads, width, width]`` bool, ``True`` where attention is not allowed:
        future keys and padding keys (a query may always read itself)."""
        width = padding.shape[1]
        causal = torch.ones(width, width, dtype=torch.bool, device=padding.device).tril()
        allowed = causal & ~padding[:, None, :]
        allowed = allowed | torch.eye(width, dtype=torch.bool, device=padding.device)
        return (~allowed).repeat_interleave(int(self.hparams.n_heads), dim=0)

    def encode(self, inputs: Tensor) -> Tensor:
        """``[batch, width, hidden_dim]`` hidden states of left-padded item sequences
        (``width <= max_len``); position ``j`` depends only on the items at ``<= j``."""
        self.check_width(inputs)
        width, max_len = inputs.shape[1], self.max_len
        padding = inputs == self.n_items
        positions = torch.arange(max_len - width, max_len, device=inputs.device)
        scale = math.sqrt(int(self.hparams.hidden_dim))
        x = self.item_embedding(inputs) * scale + self.position_embedding(positions)
        x = self.dropout(x)
        x = self.encoder(x, mask=self._attention_mask(padding))
        return self.final_norm(x)

    @property
    def item_vectors(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]
