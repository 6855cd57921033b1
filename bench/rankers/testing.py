"""``RankerContract``: conformance tests that every ranker's test class inherits.

Subclass it in a pytest module, name the class ``Test...`` and set the class attributes::

    from bench.rankers.testing import RankerContract

    class TestEASE(RankerContract):
        ranker_class = EASE
        params = {"l2": 500.0}
        min_ndcg = 0.30

The contract fits the ranker once per class on a small real dataset (MovieLens-100K, random
8:1:1 holdout, seed 0) inside the Lightning flow, then checks that scores have the right shape
and are finite, that a user's scores do not depend on the other users in the batch, that seen
items are masked by the evaluator, that the test NDCG@10 reaches ``min_ndcg``, that a second fit
under the same seed repeats every per-user value, and that pickling and a ``state_dict`` round
trip keep the scores. It needs the dataset layer to find ML-100K (mirror, URL or wheel).
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from bench.eval import EvalResult, FullRankingEvaluator
from bench.rankers.base import Ranker
from bench.rankers.datamodule import RankDataModule
from bench.rankers.ddp import adapt_strategy
from bench.rankers.evaluation import Evaluation
from bench.split import Split

METRICS = ("ndcg@10", "recall@10", "hitrate@10")


@functools.lru_cache(maxsize=4)
def movielens_split(seed: int = 0) -> Split:
    """MovieLens-100K (all ratings as interactions), random 8:1:1 per user, cached."""
    from bench.data import load
    from bench.split import RandomHoldout

    return RandomHoldout(ratios=(0.8, 0.1, 0.1))(load("ml-100k"), seed=seed)


@dataclass
class Fitted:
    """A ranker fitted and tested by :func:`fit_ranker`."""

    ranker: Ranker
    datamodule: RankDataModule
    test: EvalResult


def fit_ranker(
    ranker: Ranker,
    split: Split,
    *,
    seed: int = 0,
    max_epochs: int = 1,
    metrics: tuple[str, ...] = METRICS,
    **trainer_kwargs: Any,
) -> Fitted:
    """Fit ``ranker`` on ``split`` with a bare Lightning Trainer (no logger, no checkpoint).

    Seed before building the ranker (see :meth:`RankerContract.make`) for repeatable weights.
    """
    pl.seed_everything(seed, workers=True, verbose=False)
    datamodule = RankDataModule.for_ranker(split, ranker, seed=seed)
    popularity = datamodule.train.user_counts
    ranker.attach_evaluation(Evaluation(list(metrics)), item_popularity=popularity)
    kwargs: dict[str, Any] = {
        "accelerator": "cpu", "devices": 1, "max_epochs": max_epochs, "logger": False,
        "enable_checkpointing": False, "enable_progress_bar": False,
        "enable_model_summary": False, "num_sanity_val_steps": 0,
        "use_distributed_sampler": False, "deterministic": "warn",
        **trainer_kwargs, **ranker.trainer_overrides(),
    }  # fmt: skip
    trainer = pl.Trainer(**kwargs)
    adapt_strategy(trainer, ranker)
    trainer.fit(ranker, datamodule=datamodule)
    trainer.test(ranker, datamodule=datamodule, verbose=False)
    return Fitted(ranker, datamodule, ranker.eval_results["test"])


def _scores(ranker: Ranker, datamodule: RankDataModule, users: np.ndarray) -> torch.Tensor:
    ranker.eval()
    with torch.no_grad():
        return ranker.score(datamodule.stage("test").batch(users)).detach().double()


class RankerContract:
    """Conformance tests (see the module docstring). Set these in the subclass:

    Attributes:
        ranker_class: the :class:`~bench.rankers.Ranker` subclass under test.
        params: its hyperparameters (besides ``n_users`` / ``n_items``).
        max_epochs: training epochs (closed-form rankers always use one).
        min_ndcg: the test NDCG@10 it must reach on the contract's dataset.
    """

    ranker_class: ClassVar[type[Ranker]]
    params: ClassVar[dict[str, Any]] = {}
    max_epochs: ClassVar[int] = 1
    min_ndcg: ClassVar[float] = 0.0

    @classmethod
    def make(cls, split: Split, seed: int = 0) -> Ranker:
        """A new ranker for ``split``, built after seeding (its initial weights repeat)."""
        pl.seed_everything(seed, workers=True, verbose=False)
        return cls.ranker_class(n_users=split.n_users, n_items=split.n_items, **cls.params)

    @pytest.fixture(scope="class")
    @classmethod
    def split(cls) -> Split:
        return movielens_split(0)

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, split: Split) -> Fitted:
        return fit_ranker(cls.make(split), split, max_epochs=cls.max_epochs)

    @pytest.fixture(scope="class")
    @classmethod
    def users(cls, fitted: Fitted) -> np.ndarray:
        return fitted.datamodule.stage("test").users[:16]

    def test_is_a_ranker(self, fitted: Fitted) -> None:
        assert isinstance(fitted.ranker, Ranker)
        assert fitted.ranker.train_input in ("matrix", "interactions", "users")
        assert fitted.ranker.n_parameters() > 0

    def test_scores_shape_and_finite(self, fitted: Fitted, users: np.ndarray) -> None:
        scores = _scores(fitted.ranker, fitted.datamodule, users)
        assert scores.shape == (len(users), fitted.ranker.n_items)
        assert bool(torch.isfinite(scores).all())

    def test_scores_do_not_depend_on_the_batch(self, fitted: Fitted, users: np.ndarray) -> None:
        together = _scores(fitted.ranker, fitted.datamodule, users)
        alone = torch.cat(
            [_scores(fitted.ranker, fitted.datamodule, users[i : i + 1]) for i in range(len(users))]
        )
        torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)

    def test_seen_items_are_masked(self, fitted: Fitted) -> None:
        """Scoring the seen items far above everything else changes no metric."""
        stage = fitted.datamodule.stage("test")
        plain = FullRankingEvaluator(list(METRICS), fitted.ranker.n_items)
        boosted = FullRankingEvaluator(list(METRICS), fitted.ranker.n_items)
        for start in range(0, len(stage.users), 256):
            batch = stage.batch(stage.users[start : start + 256])
            scores = _scores(fitted.ranker, fitted.datamodule, batch.users.numpy())
            seen = torch.from_numpy(stage.exclude[batch.users.numpy()].toarray()) > 0
            assert bool(seen.any())
            plain.update(batch.users, scores, batch.targets, batch.exclude)
            boosted.update(batch.users, scores + 1e9 * seen, batch.targets, batch.exclude)
        a, b = plain.compute(), boosted.compute()
        assert a.metrics == b.metrics
        assert a.metrics == pytest.approx(fitted.test.metrics)

    def test_reaches_min_ndcg(self, fitted: Fitted) -> None:
        assert fitted.test.n_users == len(fitted.datamodule.stage("test").users)
        assert fitted.test["ndcg@10"] >= self.min_ndcg, fitted.test.metrics

    def test_repeats_under_a_seed(self, fitted: Fitted, split: Split) -> None:
        again = fit_ranker(self.make(split), split, max_epochs=self.max_epochs)
        assert again.test.metrics == fitted.test.metrics
        assert again.test.per_user.equals(fitted.test.per_user)

    def test_pickle_round_trip(self, fitted: Fitted, users: np.ndarray) -> None:
        copy = pickle.loads(pickle.dumps(fitted.ranker))
        torch.testing.assert_close(
            _scores(copy, fitted.datamodule, users),
            _scores(fitted.ranker, fitted.datamodule, users),
        )

    def test_state_dict_round_trip(self, fitted: Fitted, split: Split, users: np.ndarray) -> None:
        fresh = self.make(split)
        fresh.load_state_dict(fitted.ranker.state_dict())
        torch.testing.assert_close(
            _scores(fresh, fitted.datamodule, users),
            _scores(fitted.ranker, fitted.datamodule, users),
        )
