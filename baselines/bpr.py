"""BPR-MF (Rendle et al., UAI 2009): matrix factorisation trained with the pairwise BPR loss.

Each training pair (user, positive item) gets one negative item drawn uniformly from the items
the user has not interacted with in training; the loss is ``-log sigmoid(s_pos - s_neg)`` with
``s = <user embedding, item embedding>``, optimised by Adam with weight decay. Negatives come
from a generator seeded by (seed, epoch, batch), so a resumed run draws the same negatives.

Example:
    >>> model = BPR(n_users=4, n_items=6, embedding_dim=8)
    >>> model.n_parameters()
    80
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from bench.rankers import InteractionBatch, Ranker, UserBatch


class BPR(Ranker):
    """BPR matrix factorisation.

    Args:
        n_users, n_items: sizes of the split.
        embedding_dim: latent factors (64, as in RecBole's benchmark).
        lr: Adam learning rate.
        weight_decay: Adam weight decay (L2 on the embeddings).
        batch_size: training pairs per step.
        seed: negative-sampling seed (the runner passes the run seed).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        embedding_dim: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 2048,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        self.save_hyperparameters()
        self.batch_size = int(batch_size)
        self.user_embedding = nn.Embedding(n_users, embedding_dim)
        self.item_embedding = nn.Embedding(n_items, embedding_dim)
        nn.init.xavier_normal_(self.user_embedding.weight)
        nn.init.xavier_normal_(self.item_embedding.weight)
        self._train_keys: Tensor | None = None

    def on_fit_start(self) -> None:
        matrix = self.trainer.datamodule.train.matrix
        users = torch.repeat_interleave(
            torch.arange(matrix.shape[0]), torch.from_numpy(matrix.indptr).diff()
        )
        keys = users * self.n_items + torch.from_numpy(matrix.indices).long()
        self._train_keys = keys.to(self.device)  # ascending: CSR rows, sorted columns

    def _negatives(self, users: Tensor, batch_idx: int) -> Tensor:
        """One item per user, uniform over the items not in the user's training row."""
        entropy = [int(self.hparams.seed), self.current_epoch, batch_idx, self.global_rank]
        seed = int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)
        generator = torch.Generator().manual_seed(seed)
        items = torch.randint(self.n_items, (users.numel(),), generator=generator)
        items = items.to(users.device)
        keys = self._train_keys
        for _ in range(100):
            query = users * self.n_items + items
            pos = torch.searchsorted(keys, query).clamp_max(keys.numel() - 1)
            clash = keys[pos] == query
            if not bool(clash.any()):
                break
            redraw = torch.randint(self.n_items, (int(clash.sum()),), generator=generator)
            items[clash] = redraw.to(users.device)
        return items

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return (self.user_embedding(users) * self.item_embedding(items)).sum(-1)

    def training_step(self, batch: InteractionBatch, batch_idx: int) -> Tensor:
        negatives = self._negatives(batch.users, batch_idx)
        diff = self(batch.users, batch.items) - self(batch.users, negatives)
        loss = -nn.functional.logsigmoid(diff).mean()
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )

    def score(self, batch: UserBatch) -> Tensor:
        return self.user_embedding(batch.users) @ self.item_embedding.weight.T
