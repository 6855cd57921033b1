"""The Ranker base: validation and test through the evaluator, logging, errors, DDP strategy."""

import pytest
import pytorch_lightning as pl
import torch

from bench.rankers import ClosedFormRanker, Evaluation, RankDataModule, Ranker
from bench.rankers.ddp import ParameterFreeDDPStrategy, adapt_strategy


class Oracle(ClosedFormRanker):
    """Scores the user's test targets highest (needs the targets: test-only helper)."""

    def __init__(self, n_users: int, n_items: int, width: int | None = None) -> None:
        super().__init__(n_users, n_items)
        self.width = width or n_items
        self.fitted = False

    def fit(self, train) -> None:
        self.fitted = True

    def score(self, batch):
        scores = torch.zeros(len(batch), self.width)
        rows = batch.targets.row_ids()
        scores[rows, batch.targets.indices] = 1.0
        return scores


def trainer(**kwargs) -> pl.Trainer:
    base = dict(
        accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, use_distributed_sampler=False,
        max_epochs=1,
    )  # fmt: skip
    return pl.Trainer(**{**base, **kwargs})


def test_validation_and_test_run_the_evaluator(toy_split) -> None:
    ranker = Oracle(toy_split.n_users, toy_split.n_items)
    ranker.attach_evaluation(Evaluation(["ndcg@3", "hitrate@1"]))
    dm = RankDataModule(toy_split, train_input="matrix")
    t = trainer()
    t.fit(ranker, datamodule=dm)
    assert ranker.fitted
    assert ranker.eval_results["valid"].metrics == {"ndcg@3": 1.0, "hitrate@1": 1.0}
    assert float(t.callback_metrics["valid/ndcg@3"]) == 1.0
    t.test(ranker, datamodule=dm, verbose=False)
    assert ranker.eval_results["test"].n_users == 4
    assert float(t.callback_metrics["test/hitrate@1"]) == 1.0


def test_sanity_check_batches_are_not_counted(toy_split) -> None:
    ranker = Oracle(toy_split.n_users, toy_split.n_items)
    ranker.attach_evaluation(Evaluation(["hitrate@1"]))
    dm = RankDataModule(toy_split, train_input="matrix", eval_batch_size=1)
    trainer(num_sanity_val_steps=2).fit(ranker, datamodule=dm)
    assert ranker.eval_results["valid"].n_users == 4


def test_wrong_score_shape_is_named(toy_split) -> None:
    ranker = Oracle(toy_split.n_users, toy_split.n_items, width=toy_split.n_items + 1)
    ranker.attach_evaluation(Evaluation(["hitrate@1"]))
    with pytest.raises(ValueError, match=r"returned shape \(4, 7\), expected \(4, 6\)"):
        trainer().validate(ranker, datamodule=RankDataModule(toy_split, train_input="matrix"))


def test_evaluation_must_be_attached(toy_split) -> None:
    ranker = Oracle(toy_split.n_users, toy_split.n_items)
    with pytest.raises(RuntimeError, match="attach_evaluation"):
        trainer().validate(ranker, datamodule=RankDataModule(toy_split, train_input="matrix"))


def test_contract_defaults() -> None:
    class Bare(Ranker):
        pass

    bare = Bare(n_users=2, n_items=3)
    with pytest.raises(NotImplementedError, match="score"):
        bare.score(None)
    assert bare.train_input == "interactions" and not bare.closed_form
    assert Oracle(2, 3).trainer_overrides()["max_epochs"] == 1
    with pytest.raises(ValueError, match="n_users=0"):
        Bare(n_users=0, n_items=3)


def test_ddp_strategy_skips_the_wrapper_only_without_parameters() -> None:
    t = trainer(strategy="ddp", devices=1)
    assert adapt_strategy(t, Oracle(2, 3))
    assert isinstance(t.strategy, ParameterFreeDDPStrategy)
    assert t.strategy._setup_model(torch.nn.Identity()).__class__ is torch.nn.Identity
    t2 = trainer(strategy="ddp", devices=1)
    assert not adapt_strategy(t2, torch.nn.Linear(2, 2))


class CountingScorer(ClosedFormRanker):
    """Scores from a table built in before_scoring; counts both hooks."""

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self.before_calls = 0
        self.score_calls = 0
        self.table = None

    def fit(self, train) -> None:
        pass

    def before_scoring(self) -> None:
        assert not self.training and not torch.is_grad_enabled()
        self.before_calls += 1
        self.table = torch.arange(self.n_items, dtype=torch.float32)

    def score(self, batch):
        self.score_calls += 1
        assert self.table is not None, "before_scoring was not called"
        return self.table.expand(len(batch), -1)


def test_before_scoring_runs_once_per_evaluation(toy_split) -> None:
    ranker = CountingScorer(toy_split.n_users, toy_split.n_items)
    ranker.attach_evaluation(Evaluation(["hitrate@1"]))
    dm = RankDataModule(toy_split, train_input="matrix", eval_batch_size=1)
    t = trainer(num_sanity_val_steps=2)
    # a sanity check of 2 one-user batches, then one validation epoch of 4
    t.fit(ranker, datamodule=dm)
    assert (ranker.before_calls, ranker.score_calls) == (2, 6)
    t.validate(ranker, datamodule=dm, verbose=False)
    t.test(ranker, datamodule=dm, verbose=False)
    assert (ranker.before_calls, ranker.score_calls) == (4, 14)


def test_capabilities_and_batching_are_declared() -> None:
    from bench.rankers import Capabilities

    class FoldIn(Ranker):
        folds_in_users = True  # the shorthand, kept in step with capabilities

    class Sequential(Ranker):
        capabilities = Capabilities(time_order=True, sequences=True, folds_in_users=True)

        def __init__(self, n_users: int, n_items: int) -> None:
            super().__init__(n_users, n_items, batch_size=16, sequence_length=5)

    assert FoldIn.capabilities.folds_in_users and FoldIn.capabilities.scores_cold_users
    assert Sequential.folds_in_users and not Ranker.capabilities.scores_cold_users
    ranker = Sequential(2, 3)
    assert (ranker.batching.batch_size, ranker.sequence_length) == (16, 5)
    dm = RankDataModule.for_ranker(None, ranker)
    assert (dm.batch_size, dm.sequence_length, dm.train_input) == (16, 5, "interactions")
    with pytest.raises(ValueError, match="batch_size=0"):
        Ranker(2, 3, batch_size=0)
    with pytest.raises(TypeError, match="set only capabilities"):

        class Both(Ranker):
            capabilities = Capabilities(folds_in_users=True)
            folds_in_users = False
