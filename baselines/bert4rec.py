"""BERT4Rec (Sun et al., CIKM 2019): a bidirectional Transformer trained to fill in masked items.

A sequence of item ids (left-padded with ``pad = n_items``; the mask token is ``n_items + 1``)
is embedded (item embedding plus a learned positional embedding), normalised (LayerNorm) and
passed through dropout, as BERT's embeddings are, then through ``n_layers`` post-norm
``nn.TransformerEncoderLayer`` blocks (``n_heads`` heads, GELU feed-forward of width
``4 * hidden_dim``). The hidden state at a position scores every item by a dot product with the
same item embeddings (tied weights, as in Klenitskiy & Vasilev's BERT4Rec, RecSys 2023).

Attention is bidirectional and never reads padding: every position attends to every real or
masked position of its row (a padding position attends to itself only, so no row of the mask is
empty; its output is never used). Positions count from the right end of the window, so more
left padding changes no score.

Training (``train_input = "masked_sequences"``, :mod:`bench.rankers.sequences`): one row per
training user, the last ``max_len`` training items, each real position masked with
probability ``mask_prob`` (at least one per row), and with probability ``mask_last_prob`` a row
masking only its last item; softmax cross-entropy over the whole catalogue at the masked
positions. The draws are seeded by (run seed, epoch, step, process).

Only the masked positions' states are read in training, and only the last position's in
scoring, so the last block runs its queries, residuals and feed-forward on those positions alone
(``encode(inputs, read=...)``; keys and values still come from every position): the same states
and gradients as running it everywhere, 1.45x faster per ML-1M step
(``scripts/bench_bert4rec.py``).

Scoring appends the mask token to the user's history (the last ``max_len - 1`` items of
``UserBatch.sequence``, time order: train for validation, train + valid for test) and scores
every item from that last position, so the ranker folds in users. A user with an empty history
(a cold user) is scored from the mask token alone: the same finite scores for every such user.

On a GPU, ``trainer.precision=bf16-mixed`` and ``model.compile=true`` (``torch.compile`` of the
Transformer blocks when training starts) may help; both are off by default.

Example:
    >>> model = BERT4Rec(n_users=3, n_items=10, hidden_dim=8, n_layers=1, n_heads=2, max_len=5)
    >>> model.train_input, model.batching.sequence_length, model.mask_token
    ('masked_sequences', 5, 11)
    >>> model.inference_inputs(torch.tensor([[10, 10, 3, 4, 5]])).tolist()
    [[10, 3, 4, 5, 11]]
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor, nn

from bench.rankers import Capabilities, Ranker, SequenceBatch, UserBatch
from bench.rankers.init import init_transformer_weights
from bench.rankers.losses import linear_cross_entropy
from bench.rankers.params import check_int, check_positive, check_probability, check_rate


class BERT4Rec(Ranker):
    """BERT4Rec (see the module docstring).

    Args:
        n_users, n_items: sizes of the split.
        hidden_dim: width of the embeddings and the Transformer (64).
        n_layers: Transformer blocks (2).
        n_heads: attention heads; must divide ``hidden_dim`` (2).
        dropout: dropout of the embeddings, attention and feed-forward, in ``[0, 1)``.
        max_len: positions of a sequence, the appended mask token included (200 on ML-1M).
        mask_prob: probability that a training position is masked, in ``(0, 1]``.
        mask_last_prob: probability that a training row masks only its last item, in
            ``[0, 1]``.
        lr: Adam learning rate.
        weight_decay: Adam's L2 weight decay (``>= 0``).
        batch_size: training users (sequences) per step.
        compile: ``torch.compile`` the Transformer blocks when training starts (GPU).
    """

    train_input = "masked_sequences"
    capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden_dim: int = 64,
        n_layers: int = 2,
        n_heads: int = 2,
        dropout: float = 0.1,
        max_len: int = 200,
        mask_prob: float = 0.2,
        mask_last_prob: float = 0.0,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 128,
        compile: bool = False,
    ) -> None:
        check_int("model.batch_size", batch_size)
        check_int("model.max_len", max_len, low=2)
        super().__init__(n_users, n_items, batch_size=batch_size, sequence_length=max_len)
        check_int("model.hidden_dim", hidden_dim)
        check_int("model.n_layers", n_layers)
        check_int("model.n_heads", n_heads)
        if hidden_dim % n_heads:
            raise ValueError(f"model.n_heads={n_heads!r} must divide model.hidden_dim={hidden_dim}")
        check_rate("model.dropout", dropout)
        mask_prob = check_probability("model.mask_prob", mask_prob, zero=False)
        mask_last_prob = check_probability("model.mask_last_prob", mask_last_prob, zero=True)
        check_positive("model.lr", lr, "Adam learning rate")
        if not float(weight_decay) >= 0.0:
            raise ValueError(f"model.weight_decay={weight_decay!r} must be >= 0")
        self.save_hyperparameters()
        self.batching = replace(self.batching, mask_prob=mask_prob, mask_last_prob=mask_last_prob)
        self.mask_token = n_items + 1
        self.item_embedding = nn.Embedding(n_items + 2, hidden_dim, padding_idx=n_items)
        self.position_embedding = nn.Embedding(max_len, hidden_dim)
        self.embedding_norm = nn.LayerNorm(hidden_dim, eps=1e-12)
        self.dropout = nn.Dropout(float(dropout))
        block = nn.TransformerEncoderLayer(
            d_model=hidden_dim,
            nhead=n_heads,
            dim_feedforward=4 * hidden_dim,
            dropout=float(dropout),
            activation="gelu",
            layer_norm_eps=1e-12,
            batch_first=True,
            norm_first=False,
        )
        self.encoder = nn.TransformerEncoder(block, n_layers, enable_nested_tensor=False)
        self.apply(init_transformer_weights)

    def on_fit_start(self) -> None:
        if self.hparams.compile:
            self.encoder.compile()

    # -- the network ----------------------------------------------------------------------------
    def _attention_mask(self, padding: Tensor) -> Tensor:
        """``[batch * n_heads, width, width]`` bool, ``True`` where attention is not allowed:
        padding keys (a query may always read itself)."""
        width = padding.shape[1]
        allowed = ~padding[:, None, :].expand(-1, width, -1)
        allowed = allowed | torch.eye(width, dtype=torch.bool, device=padding.device)
        return (~allowed).repeat_interleave(int(self.hparams.n_heads), dim=0)

    def encode(self, inputs: Tensor, read: Tensor | None = None) -> Tensor:
        """Hidden states of left-padded item sequences (``width <= max_len``; item ids,
        ``pad = n_items`` and the mask token ``n_items + 1``).

        Without ``read``: ``[batch, width, hidden_dim]``, every position. With ``read``
        (``[batch, width]`` bool): ``[read.sum(), hidden_dim]``, the states at the read positions
        in row-major order, equal to ``encode(inputs)[read]``. The last block then runs its
        queries, residuals and feed-forward on the read positions only (its keys and values still
        come from every position), which is what training (the masked positions, about a fifth)
        and scoring (the last position) need.
        """
        width, max_len = inputs.shape[1], int(self.hparams.max_len)
        if width > max_len:
            raise ValueError(f"sequences of {width} items are longer than model.max_len={max_len}")
        padding = inputs == self.n_items
        positions = torch.arange(max_len - width, max_len, device=inputs.device)
        x = self.item_embedding(inputs) + self.position_embedding(positions)
        x = self.dropout(self.embedding_norm(x))
        mask = self._attention_mask(padding)
        if read is None:
            return self.encoder(x, mask=mask)
        if read.shape != inputs.shape:
            raise ValueError(f"read has shape {tuple(read.shape)}, inputs {tuple(inputs.shape)}")
        *blocks, last = self.encoder.layers
        for block in blocks:
            x = block(x, src_mask=mask)
        return _read_through_block(last, x, mask, read)

    @property
    def _items(self) -> Tensor:
        return self.item_embedding.weight[: self.n_items]

    # -- training -------------------------------------------------------------------------------
    def training_loss(self, batch: SequenceBatch) -> Tensor:
        """Mean softmax cross-entropy over the catalogue at the masked positions."""
        keep = batch.has_target
        hidden = self.encode(batch.inputs, read=keep)
        return linear_cross_entropy(hidden, self._items, batch.targets[keep])

    def training_step(self, batch: SequenceBatch, batch_idx: int) -> Tensor:
        loss = self.training_loss(batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            self.parameters(),
            lr=float(self.hparams.lr),
            weight_decay=float(self.hparams.weight_decay),
        )

    # -- scoring --------------------------------------------------------------------------------
    def inference_inputs(self, sequence: Tensor) -> Tensor:
        """The history's last ``width - 1`` items followed by the mask token."""
        mask = torch.full_like(sequence[:, :1], self.mask_token)
        return torch.cat([sequence[:, 1:], mask], dim=1)

    def score(self, batch: UserBatch) -> Tensor:
        if batch.sequence is None:
            raise ValueError("BERT4Rec scores from UserBatch.sequence; the batch has none")
        inputs = self.inference_inputs(batch.sequence)
        last = torch.zeros_like(inputs, dtype=torch.bool)
        last[:, -1] = True
        return self.encode(inputs, read=last) @ self._items.T


def _read_through_block(
    block: nn.TransformerEncoderLayer, states: Tensor, mask: Tensor, read: Tensor
) -> Tensor:
    """``block(states, src_mask=mask)[read]`` for a post-norm ``block``, computed for the read
    positions only: their queries attend to every position's keys and values, then the residual,
    LayerNorm and feed-forward run on the read rows alone. Each row's read positions are gathered
    to the front (``n = `` the most any row reads) and the surplus slots are dropped at the end.

    Example:
        >>> block = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
        >>> x, mask = torch.randn(2, 5, 8), torch.zeros(4, 5, 5, dtype=torch.bool)
        >>> read = torch.tensor([[0, 1, 0, 0, 1], [0, 0, 0, 1, 0]], dtype=torch.bool)
        >>> torch.allclose(_read_through_block(block, x, mask, read), block(x, src_mask=mask)[read],
        ...                atol=1e-6)
        True
    """
    if block.norm_first:
        raise ValueError("_read_through_block computes post-norm blocks (norm_first=False)")
    batch, width, dim = states.shape
    counts = read.sum(dim=1)
    n = int(counts.max()) if batch else 0
    if n == 0:
        return states.new_zeros(0, dim)
    # the read positions of each row first, in order (a stable sort of "not read")
    slots = torch.sort((~read).to(torch.uint8), dim=1, stable=True).indices[:, :n]
    queries = states.gather(1, slots[..., None].expand(-1, -1, dim))
    heads = mask.shape[0] // batch  # batch >= 1 here (n > 0)
    query_mask = mask.view(batch, heads, width, width).gather(
        2, slots[:, None, :, None].expand(-1, heads, -1, width)
    )
    attended = block.self_attn(
        queries, states, states, attn_mask=query_mask.reshape(batch * heads, n, width),
        need_weights=False,
    )[0]  # fmt: skip
    x = block.norm1(queries + block.dropout1(attended))
    feed_forward = block.linear2(block.dropout(block.activation(block.linear1(x))))
    x = block.norm2(x + block.dropout2(feed_forward))
    return x[torch.arange(n, device=read.device) < counts[:, None]]
