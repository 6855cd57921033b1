"""Mult-VAE (Liang et al., WWW 2018): a variational auto-encoder of users' click histories.

A user's binary history row ``x`` is L2-normalised, passed through dropout (training only) and
encoded by ``n_items -> hidden_dim -> 2 * latent_dim`` (tanh between the layers) into the mean
``mu`` and log-variance of a diagonal Gaussian; ``z = mu + sigma * eps`` is decoded by
``latent_dim -> hidden_dim -> n_items`` (tanh between) into logits. The loss of a batch is

    mean_u( -sum_i x_ui * log_softmax(logits_u)_i  +  beta * KL(q(z | x_u) || N(0, I)) )

(the multinomial log-likelihood and the KL term), with ``beta`` annealed linearly from 0 to
``beta_max`` over ``total_anneal_steps`` optimiser steps (``beta = min(beta_max, step /
total_anneal_steps)``, as in the paper and RecBole), optimised by Adam.

RecBole's MultiVAE differs from the paper in three ways, each a parameter here so that its
benchmark can be reproduced: its ``latent_dimension`` is split into mean and log-variance
(RecBole's 128 is ``latent_dim=64``), its noise has sd 0.01 (``epsilon_std=0.01``), and its
loader yields one user row per training interaction (``user_weighting=interactions``).

Scores come from the mean ``mu`` of the batch's history (no sampling, no dropout), so the ranker
has no per-user parameters: it folds in users unseen in training and scores cold users (an
empty history encodes the zero vector). The dropout masks and ``eps`` draw from torch's global
generator, which the runner and the contract seed from the run seed.

Example:
    >>> model = MultVAE(n_users=4, n_items=6, hidden_dim=5, latent_dim=3)
    >>> model.capabilities.folds_in_users, model.batching.batch_size
    (True, 500)
    >>> model.kl_weight(0), model.kl_weight(20_000), model.kl_weight(10**9)
    (0.0, 0.1, 0.2)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from bench.rankers import Capabilities, Ranker, UserBatch


def _check_dim(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"model.{name}={value!r} must be an integer >= 1")
    return value


class MultVAE(Ranker):
    """Mult-VAE with one hidden layer in the encoder and the decoder.

    Args:
        n_users, n_items: sizes of the split.
        hidden_dim: width of the hidden layer (600 in the paper).
        latent_dim: dimension of the latent Gaussian (200 in the paper; RecBole 128).
        dropout: dropout rate on the normalised input, in ``[0, 1)`` (0.5).
        beta_max: the KL weight's cap (``anneal_cap``; 0.2), ``>= 0``.
        total_anneal_steps: optimiser steps over which the KL weight grows from 0 to 1 (it
            stops at ``beta_max``); 0 uses ``beta_max`` from the first step.
        lr: Adam learning rate.
        batch_size: training users per step.
        epsilon_std: sd of the reparameterisation noise ``eps`` (1: the paper's VAE; RecBole
            draws ``eps ~ N(0, 0.01^2)``, which makes the model nearly a denoising AE).
        l2: weight of the L2 penalty ``l2 * sum(||W||^2)`` on the four weight matrices (not the
            biases), added to the loss; ``>= 0``. The paper's code adds ``2 * lam * sum(||W||^2)
            / 2``, so ``l2`` is its ``lam``; 0 (the default) is RecBole's model, which has none.
        user_weighting: ``"once"`` (each training user once per epoch, the paper) or
            ``"interactions"`` (once per training interaction, RecBole's loader; see
            :class:`~bench.rankers.data.Batching`).
    """

    train_input = "users"
    capabilities = Capabilities(folds_in_users=True, cold_users=True)

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden_dim: int = 600,
        latent_dim: int = 200,
        dropout: float = 0.5,
        beta_max: float = 0.2,
        total_anneal_steps: int = 200_000,
        lr: float = 1e-3,
        batch_size: int = 500,
        epsilon_std: float = 1.0,
        l2: float = 0.0,
        user_weighting: str = "once",
    ) -> None:
        super().__init__(n_users, n_items, batch_size=batch_size, user_weighting=user_weighting)
        _check_dim("hidden_dim", hidden_dim)
        _check_dim("latent_dim", latent_dim)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"model.dropout={dropout!r} must be in [0, 1) (input dropout rate)")
        if not float(beta_max) >= 0.0:
            raise ValueError(f"model.beta_max={beta_max!r} must be >= 0 (the KL weight's cap)")
        if (
            isinstance(total_anneal_steps, bool)
            or not isinstance(total_anneal_steps, int)
            or total_anneal_steps < 0
        ):
            raise ValueError(
                f"model.total_anneal_steps={total_anneal_steps!r} must be an integer >= 0"
            )
        if not float(lr) > 0.0:
            raise ValueError(f"model.lr={lr!r} must be > 0 (Adam learning rate)")
        if not float(epsilon_std) >= 0.0:
            raise ValueError(
                f"model.epsilon_std={epsilon_std!r} must be >= 0 (sd of the sampling noise)"
            )
        if not float(l2) >= 0.0:
            raise ValueError(f"model.l2={l2!r} must be >= 0 (weight of the L2 penalty)")
        self.save_hyperparameters()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Linear(n_items, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 2 * latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, n_items)
        )
        for module in (*self.encoder, *self.decoder):
            if isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                nn.init.normal_(module.bias, std=0.001)

    def kl_weight(self, step: int) -> float:
        """The KL weight ``beta`` at optimiser step ``step`` (linear annealing, capped)."""
        beta_max = float(self.hparams.beta_max)
        total = int(self.hparams.total_anneal_steps)
        if total == 0:
            return beta_max
        return min(beta_max, float(step) / total)

    def weight_penalty(self) -> Tensor:
        """``l2 * sum(||W||^2)`` over the weight matrices of the encoder and decoder.

        >>> MultVAE(n_users=2, n_items=3, l2=0.0).weight_penalty().item()
        0.0
        """
        l2 = float(self.hparams.l2)
        weights = [m.weight for m in (*self.encoder, *self.decoder) if isinstance(m, nn.Linear)]
        if l2 == 0.0:
            return weights[0].new_zeros(())
        return l2 * sum(w.pow(2).sum() for w in weights)

    def encode(self, history: Tensor, *, dropout: bool) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)`` of the normalised history rows (dense ``[batch, n_items]``)."""
        x = F.normalize(history, p=2, dim=1)
        x = F.dropout(x, p=float(self.hparams.dropout), training=dropout)
        h = self.encoder(x)
        return h[:, : self.latent_dim], h[:, self.latent_dim :]

    def forward(self, history: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Logits, ``mu`` and ``logvar``; samples ``z`` (and drops inputs) in training only."""
        mu, logvar = self.encode(history, dropout=self.training)
        z = mu
        if self.training:
            eps = torch.randn_like(mu) * float(self.hparams.epsilon_std)
            z = mu + eps * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar

    def _dense(self, batch: UserBatch) -> Tensor:
        history = batch.history
        history = history.to_dense() if history.is_sparse else history
        return history.to(self.decoder[0].weight.dtype)

    def training_step(self, batch: UserBatch, batch_idx: int) -> Tensor:
        history = self._dense(batch)
        logits, mu, logvar = self(history)
        nll = -(F.log_softmax(logits, dim=1) * history).sum(1).mean()
        kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
        beta = self.kl_weight(self.global_step)
        loss = nll + beta * kl + self.weight_penalty()
        size = len(batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=size)
        self.log("train/kl", kl, on_step=False, on_epoch=True, batch_size=size)
        self.log("train/beta", beta, on_step=False, on_epoch=True, batch_size=size)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=float(self.hparams.lr))

    def score(self, batch: UserBatch) -> Tensor:
        mu, _ = self.encode(self._dense(batch), dropout=False)
        return self.decoder(mu)
