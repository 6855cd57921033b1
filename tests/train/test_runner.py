"""The runner in-process on ML-100K: records, determinism, crash records, resume, loggers."""

import warnings

import pandas as pd
import pytest
import torch
from train_helpers import compose_train

from bench.results import ResultStore
from bench.train.checkpoints import run_key
from bench.train.runner import run

BPR = [
    "model=bpr", "trainer.max_epochs=2", "model.lr=0.01", "eval.metrics=[ndcg@10,recall@10]",
    "threads=1",  # steady timing when other processes share the cores
]  # fmt: skip


def test_complete_record_for_a_closed_form_run(tmp_path) -> None:
    outcome = run(compose_train(["model=pop", "tags=[smoke]"], tmp_path))
    store = ResultStore(tmp_path / "results")
    record = store.read(outcome.run_id)
    assert record.status == "completed" and record.error is None
    assert (record.model, record.dataset, record.split, record.seed) == (
        "pop", "ml-100k", "random_holdout", 0,
    )  # fmt: skip
    assert record.tags == ("ml-100k", "pop", "random_holdout", "full", "smoke")
    assert set(record.metrics) == {"valid", "test"}
    assert record.metrics["test"] == outcome.test.metrics
    assert record.metrics["valid"]["ndcg@10"] == outcome.selected
    assert record.dataset_fingerprint and record.split_fingerprint
    assert record.n_params == 1682  # one count per item
    assert record.fit_seconds > 0 and record.eval_seconds > 0 and record.peak_rss_bytes > 0
    assert record.command.startswith("python -m bench.train ")
    per_user = store.read_per_user(outcome.run_id, "test")
    assert len(per_user) == outcome.test.n_users == 943
    assert per_user["ndcg@10"].mean() == pytest.approx(record.metrics["test"]["ndcg@10"])
    assert record.extra["protocol"] == "full" and record.extra["best_epoch"] is None
    assert record.extra["split"]["clean"] is True


def test_same_seed_same_metrics_other_seed_differs(tmp_path) -> None:
    threads_before = torch.get_num_threads()
    first = run(compose_train([*BPR, "seed=1"], tmp_path / "a"))
    again = run(compose_train([*BPR, "seed=1"], tmp_path / "b"))
    other = run(compose_train([*BPR, "seed=2"], tmp_path / "c"))
    assert first.test.metrics == again.test.metrics
    pd.testing.assert_frame_equal(first.test.per_user, again.test.per_user)
    assert first.test.metrics != other.test.metrics
    assert first.resumed_from is None and again.resumed_from is None
    assert torch.get_num_threads() == threads_before  # the run restored the thread count


def test_crash_leaves_failed_record_and_the_rerun_resumes_exactly(tmp_path) -> None:
    crash = [
        *BPR, "trainer.max_epochs=3", "+callbacks.fail._target_=train_helpers.FailAfterEpoch",
        "+callbacks.fail.epoch=1",  # after epoch 0's checkpoint, before epoch 1's
    ]  # fmt: skip
    with pytest.raises(RuntimeError, match="injected failure after epoch 1"):
        run(compose_train(crash, tmp_path))
    store = ResultStore(tmp_path / "results")
    (failed,) = [store.read(r) for r in store.run_ids()]
    assert failed.status == "failed" and failed.error.type == "RuntimeError"
    assert "injected failure" in failed.error.message
    resumed = run(compose_train([*BPR, "trainer.max_epochs=3"], tmp_path))
    assert resumed.resumed_from is not None and resumed.resumed_from.name == "last.ckpt"
    fresh = run(compose_train([*BPR, "trainer.max_epochs=3"], tmp_path))  # finished: anew
    assert fresh.resumed_from is None
    assert resumed.checkpoint_dir == fresh.checkpoint_dir
    assert resumed.test.metrics == fresh.test.metrics
    record = store.read(resumed.run_id)
    assert record.extra["resumed_from"].endswith("last.ckpt") and record.extra["epochs"] == 3


def test_checkpoint_key_ignores_paths_loggers_and_callbacks(tmp_path) -> None:
    key = run_key(compose_train(["model=bpr"], tmp_path / "a"))
    moved = compose_train(["model=bpr", "logger=csv", "tags=[x]", "resume=false"], tmp_path / "b")
    moved.paths.output_dir = str(tmp_path / "elsewhere")  # trainer.default_root_dir follows
    assert run_key(moved) == key
    callback = "+callbacks.c._target_=train_helpers.FailAfterEpoch"
    assert run_key(compose_train(["model=bpr", callback], tmp_path)) == key
    assert run_key(compose_train(["model=bpr", "seed=5"], tmp_path)) != key
    assert run_key(compose_train(["model=bpr", "model.lr=0.1"], tmp_path)) != key


def test_logger_failure_keeps_the_local_record(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    cfg = compose_train(["model=pop", "logger=wandb", "logger.wandb.mode=bogus"], tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = run(cfg)
    assert any("logger 'wandb' disabled" in str(w.message) for w in caught)
    record = ResultStore(tmp_path / "results").read(outcome.run_id)
    assert record.status == "completed"


def test_user_holdout_refuses_rankers_with_per_user_parameters(tmp_path) -> None:
    from bench.train.errors import RunConfigError

    with pytest.raises(RunConfigError, match=r"model BPR .* cannot score users unseen"):
        run(compose_train([*BPR, "split=user_holdout"], tmp_path))
    (record,) = ResultStore(tmp_path / "results").records()
    assert record.status == "failed" and "unseen in training" in record.error.message
    outcome = run(compose_train(["model=ease", "split=user_holdout"], tmp_path / "ease"))
    assert outcome.test.n_users == 94  # the held-out test users, scored from their fold-in


def test_resume_is_exact_for_a_model_that_draws_from_the_global_generator(tmp_path) -> None:
    """Mult-VAE draws dropout masks and sampling noise from torch's global generator: a run
    resumed after a crash must draw what the uninterrupted run drew."""
    vae = [
        "model=multvae", "trainer.max_epochs=3", "model.batch_size=100", "model.hidden_dim=64",
        "model.latent_dim=16", "eval.metrics=[ndcg@10]", "early_stopping=null", "threads=1",
    ]  # fmt: skip
    crash = [
        *vae,
        "+callbacks.fail._target_=train_helpers.FailAfterEpoch",
        "+callbacks.fail.epoch=1",
    ]
    with pytest.raises(RuntimeError, match="injected failure after epoch 1"):
        run(compose_train(crash, tmp_path / "a"))
    resumed = run(compose_train(vae, tmp_path / "a"))
    assert resumed.resumed_from is not None
    uninterrupted = run(compose_train(vae, tmp_path / "b"))
    assert uninterrupted.resumed_from is None
    assert resumed.test.metrics == uninterrupted.test.metrics
    pd.testing.assert_frame_equal(resumed.test.per_user, uninterrupted.test.per_user)
