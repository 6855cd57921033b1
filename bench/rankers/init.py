"""Weight initialisation shared by the transformer rankers (SASRec, BERT4Rec).

:func:`init_transformer_weights` is BERT's scheme, which SASRec+ and RecBole use for both
models: Normal(0, 0.02) for linear, embedding and attention input-projection weights, zero
biases, and a zero row at an embedding's ``padding_idx`` (so padding contributes nothing at
start). Apply it to every submodule with ``module.apply(init_transformer_weights)``.

Example:
    >>> import torch
    >>> from torch import nn
    >>> emb = nn.Embedding(5, 3, padding_idx=0)
    >>> _ = torch.manual_seed(0)
    >>> init_transformer_weights(emb)
    >>> emb.weight[0].abs().sum().item(), bool(emb.weight[1:].std() < 0.1)
    (0.0, True)
"""

from __future__ import annotations

import torch
from torch import nn

INIT_STD = 0.02


def init_transformer_weights(module: nn.Module) -> None:
    """Initialise one module in place (no-op for modules without weights of these kinds)."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=INIT_STD)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.MultiheadAttention):
        nn.init.normal_(module.in_proj_weight, std=INIT_STD)
        if module.in_proj_bias is not None:
            nn.init.zeros_(module.in_proj_bias)
