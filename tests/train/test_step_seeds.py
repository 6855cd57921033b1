"""StepSeeds: every training step draws from generators keyed by (seed, epoch, step, rank)."""

import random
from types import SimpleNamespace

import numpy as np
import torch

from bench.train.step_seeds import StepSeeds, seed_global_generators, step_seed


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seeding_repeats_every_global_generator() -> None:
    seed_global_generators(123)
    first = _draws()
    seed_global_generators(123)
    assert _draws() == first
    seed_global_generators(124)
    assert all(a != b for a, b in zip(_draws(), first, strict=True))


def test_a_step_draws_the_same_whatever_ran_before() -> None:
    callback = StepSeeds(seed=7)
    trainer = SimpleNamespace(current_epoch=2, global_rank=0)
    callback.on_train_batch_start(trainer, None, None, batch_idx=5)
    clean = _draws()
    torch.rand(1000), np.random.rand(17), random.random()  # other code drew in between
    callback.on_train_batch_start(trainer, None, None, batch_idx=5)
    assert _draws() == clean
    callback.on_train_batch_start(trainer, None, None, batch_idx=6)
    assert _draws() != clean
    other_rank = SimpleNamespace(current_epoch=2, global_rank=1)
    callback.on_train_batch_start(other_rank, None, None, batch_idx=5)
    assert _draws() != clean


def test_step_seed_is_a_32_bit_function_of_its_key() -> None:
    keys = [(s, e, b, r) for s in range(3) for e in range(3) for b in range(3) for r in range(2)]
    seeds = {step_seed(*key) for key in keys}
    assert len(seeds) == 54
    assert all(0 <= s < 2**32 for s in seeds)
    assert step_seed(0, 1, 2, 0) == step_seed(0, 1, 2, 0)
