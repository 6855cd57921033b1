"""EpochClock: one JSON line per training epoch of a real (tiny) Lightning fit."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from bench.train import epoch_clock
from bench.train.epoch_clock import EpochClock


class Tiny(pl.LightningModule):
    """A linear model that logs a made-up ``valid/ndcg@10`` rising by 0.1 per validation."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.validations = 0

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch, batch_idx) -> None:
        pass

    def on_validation_epoch_end(self) -> None:
        self.validations += 1
        self.log("valid/ndcg@10", 0.1 * self.validations)
        self.log("train_loss_not_valid", 1.0)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader(n: int) -> DataLoader:
    data = TensorDataset(torch.randn(n, 2), torch.randn(n, 1))
    return DataLoader(data, batch_size=4)


def test_docstring_example_runs() -> None:
    assert doctest.testmod(epoch_clock).failed == 0


def test_one_line_per_epoch_with_times_batches_and_validation_values(tmp_path: Path) -> None:
    path = tmp_path / "clock" / "epochs.jsonl"
    trainer = pl.Trainer(
        max_epochs=3, callbacks=[EpochClock(path)], logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
        accelerator="cpu",
    )  # fmt: skip
    trainer.fit(Tiny(), _loader(12), _loader(4))
    trainer.validate(Tiny(), _loader(4), verbose=False)  # outside fit: no line, no count
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "setup" and lines[0]["fit_start"] > 0
    epochs = lines[1:]
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert all(e["batches"] == e["of"] == 3 and e["validations"] == 1 for e in epochs)
    assert [round(e["metrics"]["ndcg@10"], 6) for e in epochs] == [0.1, 0.2, 0.3]
    assert all(set(e["metrics"]) == {"ndcg@10"} for e in epochs)
    walls = [e["wall_s"] for e in epochs]
    assert walls == sorted(walls) and walls[0] >= epochs[0]["train_s"] + epochs[0]["valid_s"]
    assert all(e["train_s"] > 0 and e["valid_s"] > 0 and e["cpu_s"] >= 0 for e in epochs)
