"""DDP for rankers without trainable parameters (closed-form rankers such as Pop and EASE).

``DistributedDataParallel`` refuses a module with no parameter that requires a gradient, yet a
closed-form ranker under ``strategy=ddp`` still gains from DDP: each process fits the same
state and evaluates a disjoint share of the users, and the evaluator syncs its states. For such
a ranker :func:`adapt_strategy` turns the trainer's DDP strategy into
:class:`ParameterFreeDDPStrategy`, which skips the (pointless) DDP wrapper and keeps the rest:
process group, launcher, collectives.

Example:
    >>> import pytorch_lightning as pl
    >>> from baselines.pop import Pop
    >>> trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False)
    >>> adapt_strategy(trainer, Pop(n_users=2, n_items=3))  # not DDP: unchanged
    False
"""

from __future__ import annotations

from pytorch_lightning import LightningModule, Trainer
from pytorch_lightning.strategies import DDPStrategy
from torch import nn


class ParameterFreeDDPStrategy(DDPStrategy):
    """A :class:`DDPStrategy` that does not wrap the module in ``DistributedDataParallel``."""

    def _setup_model(self, model: nn.Module) -> nn.Module:
        return model


def adapt_strategy(trainer: Trainer, module: LightningModule) -> bool:
    """Use :class:`ParameterFreeDDPStrategy` if DDP meets a module with nothing to train.

    Returns:
        ``True`` if the strategy was changed.
    """
    strategy = trainer.strategy
    trainable = any(p.requires_grad for p in module.parameters())
    if trainable or not isinstance(strategy, DDPStrategy):
        return False
    if not isinstance(strategy, ParameterFreeDDPStrategy):
        # same state, one method overridden: the strategy keeps its launcher and settings
        strategy.__class__ = type(
            f"ParameterFree{type(strategy).__name__}",
            (ParameterFreeDDPStrategy, type(strategy)),
            {},
        )
    return True
