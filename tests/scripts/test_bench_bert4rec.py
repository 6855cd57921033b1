"""scripts/bench_bert4rec.py: its batch is the cloze batch it claims to be, and both sides of
the comparison compute the same loss, gradients and scores (no timing asserted)."""

from __future__ import annotations

import torch
from script_module import load_script

bench_bert4rec = load_script("bench_bert4rec")


def test_the_batch_masks_a_fifth_of_the_real_positions_and_targets_only_those() -> None:
    batch = bench_bert4rec.masked_batch(seed=0)
    pad = bench_bert4rec.ML1M_ITEMS
    real = batch.inputs != pad
    lengths = real.sum(1)
    assert batch.inputs.shape == (128, 200)
    assert int(lengths.min()) >= 20 and int(lengths.max()) <= 200
    assert torch.equal(real, real.cummax(1).values)  # left padding
    masked = batch.inputs == pad + 1
    assert torch.equal(batch.has_target, masked)
    assert bool(masked.any(1).all())
    assert 0.15 < masked.sum() / real.sum() < 0.25


def test_both_sides_compute_the_same_loss_gradients_and_scores() -> None:
    result = bench_bert4rec.compare(seed=0, repeats=1, users=8, score_users=4, width=30)
    assert result["loss_diff"] < 1e-5
    assert result["grad_diff"] < 1e-5
    assert result["score_diff"] < 1e-4
    assert all(result[k] > 0 for k in ("train_every", "train_read", "score_every", "score_read"))
