"""init_transformer_weights: BERT's initialisation, one function for SASRec and BERT4Rec."""

import torch
from torch import nn

from baselines.bert4rec import BERT4Rec
from baselines.sasrec import SASRec
from bench.rankers.init import INIT_STD, init_transformer_weights


def test_linear_embedding_and_attention_follow_the_scheme() -> None:
    torch.manual_seed(0)
    model = nn.ModuleDict(
        {
            "linear": nn.Linear(200, 300),
            "embedding": nn.Embedding(400, 100, padding_idx=3),
            "attention": nn.MultiheadAttention(64, 2, batch_first=True),
        }
    )
    model.apply(init_transformer_weights)
    linear, embedding, attention = model["linear"], model["embedding"], model["attention"]
    for weight in (linear.weight, embedding.weight, attention.in_proj_weight):
        assert abs(weight.std().item() - INIT_STD) < 0.002
        assert abs(weight.mean().item()) < 0.002
    assert torch.count_nonzero(linear.bias) == 0
    assert torch.count_nonzero(attention.in_proj_bias) == 0
    assert torch.count_nonzero(embedding.weight[3]) == 0
    assert torch.count_nonzero(embedding.weight[2]) == 100


def test_sasrec_and_bert4rec_start_from_the_same_scheme() -> None:
    for model in (
        SASRec(n_users=5, n_items=50, hidden_dim=32, n_layers=1, n_heads=2, max_len=8),
        BERT4Rec(n_users=5, n_items=50, hidden_dim=32, n_layers=1, n_heads=2, max_len=8),
    ):
        embeddings = [m for m in model.modules() if isinstance(m, nn.Embedding)]
        item_embedding = next(m for m in embeddings if m.padding_idx is not None)
        assert torch.count_nonzero(item_embedding.weight[item_embedding.padding_idx]) == 0
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        assert linears and all(
            torch.count_nonzero(m.bias) == 0 for m in linears if m.bias is not None
        )
        assert max(m.weight.std().item() for m in linears) < 0.03
