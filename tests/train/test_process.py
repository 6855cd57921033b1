"""Process-level guards: unsupported DDP launchers, thread sharing, absolute paths."""

import os

import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf

from bench.train.errors import RunConfigError
from bench.train.process import absolute_paths, refuse_unsupported_ddp, set_threads


def test_ddp_spawn_is_refused_with_the_fix() -> None:
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", logger=False)
    with pytest.raises(RunConfigError, match=r"use trainer\.strategy=ddp"):
        refuse_unsupported_ddp(trainer)
    refuse_unsupported_ddp(pl.Trainer(accelerator="cpu", devices=1, logger=False))


def test_threads_follow_the_setting() -> None:
    before = torch.get_num_threads()
    try:
        set_threads(pl.Trainer(accelerator="cpu", devices=1, logger=False), 1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_paths_become_absolute() -> None:
    cfg = OmegaConf.create({"paths": {"root_dir": ".", "results_dir": "${paths.root_dir}/r"}})
    absolute_paths(cfg)
    assert cfg.paths.results_dir == os.path.join(os.getcwd(), "r")
