"""BPR-MF (Rendle et al., UAI 2009): matrix factorisation trained with the pairwise BPR loss.

Each training pair (user, positive item) gets one negative item outside the user's training row
from a shared sampler (:mod:`bench.rankers.samplers`: ``uniform``, as Rendle and RecBole, or
``popularity``), seeded by (run seed, epoch, batch, process), so a resumed run draws the same
negatives. The loss of a batch is

    mean(-log sigmoid(s_ui - s_uj)) + l2 * (||e_u||^2 + ||e_i||^2 + ||e_j||^2) / batch

with ``s = <user embedding, item embedding>``: explicit L2 on the embeddings the batch uses
(Rendle's regularisation; RecBole's ``EmbLoss``), optimised by plain Adam. (Adam's
``weight_decay`` would also shrink rows that get no gradient in the step, and with Adam's
scaling it is not an L2 penalty at all.)

BPR has per-user parameters: it cannot score users unseen in training, and the runner refuses
splits that evaluate users without training interactions (e.g. ``split=temporal`` keeps them
unless ``split.cold_users=drop``).

Example:
    >>> model = BPR(n_users=4, n_items=6, embedding_dim=8)
    >>> model.n_parameters(), model.batching.batch_size
    (80, 2048)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bench.rankers import InteractionBatch, Ranker, TrainingData, UserBatch
from bench.rankers.samplers import (
    NEGATIVE_SAMPLERS,
    NegativeSampler,
    check_negatives,
    step_negatives,
)


class BPR(Ranker):
    """BPR matrix factorisation.

    Args:
        n_users, n_items: sizes of the split.
        embedding_dim: latent factors (64, as in RecBole's benchmark).
        lr: Adam learning rate.
        l2: weight of the L2 penalty on the batch's user, positive and negative embeddings
            (summed squares over the batch size; 0 turns it off).
        batch_size: training pairs per step.
        negatives: ``"uniform"`` or ``"popularity"`` negative sampling.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        embedding_dim: int = 64,
        lr: float = 1e-3,
        l2: float = 0.0,
        batch_size: int = 2048,
        negatives: str = "uniform",
    ) -> None:
        super().__init__(n_users, n_items, batch_size=batch_size)
        if not float(l2) >= 0:
            raise ValueError(f"model.l2={l2!r} must be >= 0 (weight of the embeddings' L2)")
        check_negatives(negatives)
        self.save_hyperparameters()
        self.user_embedding = nn.Embedding(n_users, embedding_dim)
        self.item_embedding = nn.Embedding(n_items, embedding_dim)
        nn.init.xavier_normal_(self.user_embedding.weight)
        nn.init.xavier_normal_(self.item_embedding.weight)
        self.sampler: NegativeSampler | None = None

    def prepare(self, data: TrainingData) -> None:
        self.sampler = NEGATIVE_SAMPLERS[self.hparams.negatives].from_data(data)

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return (self.user_embedding(users) * self.item_embedding(items)).sum(-1)

    def training_step(self, batch: InteractionBatch, batch_idx: int) -> Tensor:
        negatives = step_negatives(self.sampler, self, batch.users, batch_idx)
        u = self.user_embedding(batch.users)
        i, j = self.item_embedding(batch.items), self.item_embedding(negatives)
        diff = (u * i).sum(-1) - (u * j).sum(-1)
        loss = -nn.functional.logsigmoid(diff).mean()
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        if self.hparams.l2:
            penalty = (u.pow(2).sum() + i.pow(2).sum() + j.pow(2).sum()) / len(batch)
            loss = loss + self.hparams.l2 * penalty
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def score(self, batch: UserBatch) -> Tensor:
        return self.user_embedding(batch.users) @ self.item_embedding.weight.T
