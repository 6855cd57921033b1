"""Helpers for the runner's tests: compose the real configs, run the CLI, test callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytorch_lightning as pl
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
HERE = Path(__file__).resolve().parent


def compose_train(overrides: list[str], root: Path) -> DictConfig:
    """``conf/train.yaml`` composed with ``overrides``, paths under ``root``, Hydra set."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=["logger=none", *overrides], return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.root_dir = str(root)
        cfg.paths.output_dir = str(root / "run")
        del cfg.hydra
    return cfg


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, wait: bool = True
) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run ``python -m bench.train *args`` in ``cwd`` (callbacks here are importable)."""
    full_env = {**os.environ, "WANDB_MODE": "disabled", "WANDB_SILENT": "true", **(env or {})}
    full_env.setdefault("OMP_NUM_THREADS", "1")  # parallel test processes share 2 cores
    full_env["PYTHONPATH"] = os.pathsep.join([str(HERE), full_env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "bench.train", *args]
    if not wait:
        return subprocess.Popen(
            command, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
    return subprocess.run(
        command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300
    )


class KillAfterEpoch(pl.Callback):
    """SIGKILL this process at the end of training epoch ``epoch`` (after its checkpoint)."""

    def __init__(self, epoch: int = 0) -> None:
        self.epoch = epoch

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


class Rendezvous(pl.Callback):
    """Wait at the start of fitting until ``parties`` processes have reached it.

    Each process leaves a file named by its pid in ``directory`` and waits for the others', so
    runs started together are certain to overlap (each already holds its checkpoint lock).
    """

    def __init__(self, directory: str, parties: int = 2, timeout_s: float = 120.0) -> None:
        self.directory = Path(directory)
        self.parties = parties
        self.timeout_s = timeout_s

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / str(os.getpid())).touch()
        deadline = time.monotonic() + self.timeout_s
        while len(list(self.directory.iterdir())) < self.parties:
            if time.monotonic() > deadline:
                raise TimeoutError(f"rendezvous: fewer than {self.parties} runs arrived")
            time.sleep(0.05)


class FailAfterEpoch(pl.Callback):
    """Raise at the end of training epoch ``epoch`` (a crash inside the run)."""

    def __init__(self, epoch: int = 0) -> None:
        self.epoch = epoch

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            raise RuntimeError(f"injected failure after epoch {self.epoch}")
