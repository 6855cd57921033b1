"""A truncated last.ckpt: detected, set aside, and the run starts afresh (no traceback loop)."""

import pytest
from train_helpers import compose_train

from bench.train.runner import run

BPR = ["model=bpr", "trainer.max_epochs=3", "model.lr=0.01", "eval.metrics=[ndcg@10]", "threads=1"]


def test_a_truncated_checkpoint_is_set_aside_and_the_run_starts_afresh(tmp_path) -> None:
    crash = [
        *BPR,
        "+callbacks.fail._target_=train_helpers.FailAfterEpoch",
        "+callbacks.fail.epoch=1",
    ]
    with pytest.raises(RuntimeError, match="injected failure"):
        run(compose_train(crash, tmp_path))
    (ckpt_dir,) = (tmp_path / "outputs" / "checkpoints").iterdir()
    last = ckpt_dir / "last.ckpt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])  # a write cut short
    with pytest.warns(UserWarning, match=r"last.ckpt is corrupt or truncated .* starting this run"):
        outcome = run(compose_train(BPR, tmp_path))
    assert outcome.resumed_from is None
    aside = [p.name for p in ckpt_dir.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].startswith("last.ckpt.corrupt-")
    again = run(compose_train(BPR, tmp_path))  # the finished command trains anew: same numbers
    assert again.test.metrics == outcome.test.metrics
