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


class SASRec(Ranker):
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

    train_input = "sequences"
    capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)

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
        _check_int("batch_size", batch_size)
        _check_int("max_len", max_len)
        super().__init__(n_users, n_items, batch_size=batch_size, sequence_length=max_len)
        _check_int("hidden_dim", hidden_dim)
        _check_int("n_layers", n_layers)
        _check_int("n_heads", n_heads)
        if hidden_dim % n_heads:
            raise ValueError(f"model.n_heads={n_heads!r} must divide model.hidden_dim={hidden_dim}")
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
        self.apply(self._init_weights)
        self.sampler: NegativeSampler | None = None

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """Normal(0, 0.02) weights and zero biases (SASRec+ and RecBole), zero padding row."""
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.MultiheadAttention):
            nn.init.normal_(module.in_proj_weight, std=0.02)
            nn.init.zeros_(module.in_proj_bias)

    def prepare(self, data: TrainingData) -> None:
        if self.hparams.loss != "ce":
            self.sampler = NEGATIVE_SAMPLERS[self.hparams.negatives].from_data(data)

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
        width, max_len = inputs.shape[1], int(self.hparams.max_len)
        if width > max_len:
            raise ValueError(f"sequences of {width} items are longer than model.max_len={max_len}")
        padding = inputs == self.n_items
        positions = torch.arange(max_len - width, max_len, device=inputs.device)
        scale = math.sqrt(int(self.hparams.hidden_dim))
        x = self.item_embedding(inputs) * scale + self.position_embedding(positions)
        x = self.dropout(x)
        x = self.encoder(x, mask=self._attention_mask(padding))
        return self.final_norm(x)

    @property
    def _items(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]

    # -- training -------------------------------------------------------------------------------
    def _negatives(self, users: Tensor, batch_idx: int) -> Tensor:
        k = int(self.hparams.n_negatives)
        return step_negatives(self.sampler, self, users, batch_idx, n=k).reshape(-1, k)

    def training_loss(self, batch: SequenceBatch, batch_idx: int = 0) -> Tensor:
        """The training loss of a batch (mean over the positions with a target)."""
        hidden = self.encode(batch.inputs)
        keep = batch.has_target
        states, targets = hidden[keep], batch.targets[keep]
        items = self._items
        if self.hparams.loss == "ce":
            return full_cross_entropy(states @ items.T, targets)
        users = batch.users.repeat_interleave(keep.sum(1))
        negatives = self._negatives(users, batch_idx)
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
            raise ValueError("SASRec scores from UserBatch.sequence; the batch has none")
        return self.encode(batch.sequence)[:, -1] @ self._items.T
