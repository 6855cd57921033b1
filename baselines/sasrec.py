"""SASRec (Kang & McAuley, ICDM 2018): a causal Transformer over the user's item sequence.

A sequence of item ids (left-padded with ``pad = n_items``) is embedded (item embedding times
``sqrt(hidden_dim)`` plus a learned positional embedding), passed through dropout and
``n_layers`` Transformer blocks of one of two kinds, below (``n_heads`` heads, point-wise
feed-forward of width ``hidden_dim``, ReLU), and a final LayerNorm. The hidden state at a
position scores every item by a dot product with the same item embeddings (tied weights).

Two blocks (``block``):

- ``pre_norm`` (default): ``nn.TransformerEncoderLayer`` with ``norm_first=True``, the textbook
  pre-norm block: ``x + attention(LN(x))``, then ``x + ffn(LN(x))``;
- ``sasrec``: the block of Kang & McAuley's TensorFlow code, kept by the PyTorch port
  (pmixer/SASRec.pytorch) that SASRec+ trains: the queries are ``q = LN(x)``, attention reads
  the normalised queries against the *un-normalised* keys and values, and the residual adds
  ``q``, not ``x``; then ``y = LN(.)`` and ``y + ffn(y)``. As in those implementations, the
  attention input projection keeps ``nn.MultiheadAttention``'s own Xavier-uniform start (their
  Normal(0, 0.02) initialisation does not reach it); every other weight starts as in
  :func:`~bench.rankers.init.init_transformer_weights`.

Attention is causal and never reads padding: position ``q`` attends to the real positions
``k <= q`` (a padding position attends to itself only, so no row of the mask is empty and no
NaN appears; its output is never used). Positions (``positions``) count either from the right
end of the window (``from_end``: the most recent item always has position ``max_len - 1``) or
from the first real item of the window (``from_start``: what a right-padded implementation
such as SASRec+'s gives, the oldest item of the window has position 0). Either way more left
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
from bench.rankers.params import check_choice, check_int, check_rate

#: Transformer blocks of :class:`SASRec` (``model.block``).
BLOCKS: tuple[str, ...] = ("pre_norm", "sasrec")
#: Where position 0 of the positional embedding is (``model.positions``).
POSITIONS: tuple[str, ...] = ("from_end", "from_start")


class SASRecBlock(nn.Module):
    """The original SASRec block (Kang & McAuley's code; see the module docstring).

    ``q = LN(x)``; ``h = q + attention(q, x, x)``; ``y = LN(h)``; output ``y + ffn(y)`` with a
    point-wise ``Linear -> ReLU -> Dropout -> Linear -> Dropout`` of width ``hidden_dim``.

    Example:
        >>> block = SASRecBlock(hidden_dim=8, n_heads=2, dropout=0.0)
        >>> block(torch.zeros(3, 5, 8), torch.zeros(6, 5, 5, dtype=torch.bool)).shape
        torch.Size([3, 5, 8])
    """

    def __init__(self, hidden_dim: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.query_norm = nn.LayerNorm(hidden_dim, eps=1e-8)
        self.attention = nn.MultiheadAttention(
            hidden_dim, n_heads, dropout=dropout, batch_first=True
        )
        self.feed_forward_norm = nn.LayerNorm(hidden_dim, eps=1e-8)
        self.feed_forward = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim),
            nn.Dropout(dropout),
        )

    def reset_attention_projection(self) -> None:
        """Xavier-uniform input projection and zero bias: ``nn.MultiheadAttention``'s own start,
        which the reference implementations keep."""
        nn.init.xavier_uniform_(self.attention.in_proj_weight)
        nn.init.zeros_(self.attention.in_proj_bias)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x``: ``[batch, width, d]``; ``mask``: ``[batch * n_heads, width, width]`` bool,
        ``True`` where attention is not allowed."""
        queries = self.query_norm(x)
        attended, _ = self.attention(queries, x, x, attn_mask=mask, need_weights=False)
        hidden = self.feed_forward_norm(queries + attended)
        return hidden + self.feed_forward(hidden)


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
        block: ``"pre_norm"`` or ``"sasrec"`` (the original SASRec block, see above).
        positions: ``"from_end"`` or ``"from_start"`` (where position 0 is, see above).
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
        block: str = "pre_norm",
        positions: str = "from_end",
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
        check_choice("model.block", block, BLOCKS)
        check_choice("model.positions", positions, POSITIONS)
        self.save_hyperparameters()
        self.item_embedding = nn.Embedding(n_items + 1, hidden_dim, padding_idx=n_items)
        self.position_embedding = nn.Embedding(max_len, hidden_dim)
        self.dropout = nn.Dropout(float(dropout))
        if block == "pre_norm":
            layer = nn.TransformerEncoderLayer(
                d_model=hidden_dim,
                nhead=n_heads,
                dim_feedforward=hidden_dim,
                dropout=float(dropout),
                activation="relu",
                layer_norm_eps=1e-8,
                batch_first=True,
                norm_first=True,
            )
            self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        else:
            self.encoder = nn.ModuleList(
                SASRecBlock(hidden_dim, n_heads, float(dropout)) for _ in range(n_layers)
            )
        self.final_norm = nn.LayerNorm(hidden_dim, eps=1e-8)
        self.apply(init_transformer_weights)
        if block == "sasrec":
            for layer in self.encoder:
                layer.reset_attention_projection()

    def on_fit_start(self) -> None:
        if self.hparams.compile:
            for layer in [self.encoder] if self.hparams.block == "pre_norm" else self.encoder:
                layer.compile()

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
        if self.hparams.positions == "from_end":
            positions = torch.arange(max_len - width, max_len, device=inputs.device)
        else:  # 0 at the first real item; padding (left of it) also reads position 0, unused
            first = padding.sum(1, keepdim=True)
            positions = (torch.arange(width, device=inputs.device) - first).clamp(min=0)
        scale = math.sqrt(int(self.hparams.hidden_dim))
        x = self.item_embedding(inputs) * scale + self.position_embedding(positions)
        x = self.dropout(x)
        mask = self._attention_mask(padding)
        if self.hparams.block == "pre_norm":
            x = self.encoder(x, mask=mask)
        else:
            for layer in self.encoder:
                x = layer(x, mask)
        return self.final_norm(x)

    @property
    def item_vectors(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]
