"""scripts/bench_losses.py: the batches it times are the training batches they claim to be, and
both sides of every comparison compute the same loss (no timing asserted)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest
import torch
from script_module import load_script

bench_losses = load_script("bench_losses")


def test_the_loss_problem_compares_equal_losses() -> None:
    result = bench_losses.run(positions=300, n_items=50, repeats=1, seed=0)
    assert result["loss_diff"] < 1e-5
    assert result["grad_diff"] < 1e-6
    assert result["logits_s"] > 0 and result["blocked_s"] > 0


@pytest.mark.parametrize("model_name", ["sasrec", "gru4rec", "bert4rec"])
def test_ml1m_batches_have_the_claimed_shape(model_name: str) -> None:
    batch = bench_losses.ml1m_batch(model_name, seed=0)
    pad = bench_losses.ML1M_ITEMS
    real = batch.inputs != pad
    lengths = real.sum(1)
    assert batch.inputs.shape == (128, 200)
    assert int(lengths.min()) >= 20 and int(lengths.max()) <= 200
    # left padding: once a row's history starts, it does not stop
    assert torch.equal(real, real.cummax(1).values)
    targets = batch.targets != pad
    if model_name == "bert4rec":  # about a fifth of the real positions masked, and only those
        assert torch.equal(targets, batch.inputs == pad + 1)
        assert 0.15 < targets.sum() / real.sum() < 0.25
    else:  # a next-item target at every real position
        assert torch.equal(targets, real)


def test_the_peers_loss_is_patched_in_where_the_models_look_it_up() -> None:
    for site in bench_losses.LOSS_SITES:
        module_name, attribute = site.rsplit(".", 1)
        module = importlib.import_module(module_name)
        assert getattr(module, attribute) is bench_losses.linear_cross_entropy
