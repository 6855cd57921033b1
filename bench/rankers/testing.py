"""``RankerContract``: conformance tests that every ranker's test class inherits.

Subclass it in a pytest module, name the class ``Test...`` and set the class attributes::

    from bench.rankers.testing import RankerContract

    class TestEASE(RankerContract):
        ranker_class = EASE
        params = {"l2": 500.0}
        min_ndcg = 0.30

The contract fits the ranker once per class on a small real dataset (MovieLens-100K, random
8:1:1 holdout, seed 0; leave-last-out for rankers that declare ``Capabilities(time_order=True)``)
inside the Lightning flow, after :func:`~bench.rankers.data.prepare_ranker` (capabilities
checked, ``prepare(data)`` called), then checks that:

- scores have the right shape and are finite, and do not depend on the other users in the batch;
- a batch whose history rows (and sequences) are empty still gets the right shape, no NaN and no
  ``+inf`` (``-inf`` only if the class sets ``empty_history_neg_inf = True``, documenting that
  it refuses to rank some items for such users);
- the declared capabilities hold: a fold-in ranker's scores depend only on the batch's history
  (the same histories under permuted user ids give the same scores); a ranker without fold-in
  is refused on user-holdout splits, one that needs time order on random splits;
- cold users: a ranker that cannot score them is refused, before training, on a split whose
  evaluated users include some without training interactions; one that can is fitted on that
  split and gives them finite scores;
- a learned ranker (``learned = True``, the default) has parameters and fitting changes them;
- seen items are masked by the evaluator, the test NDCG@10 reaches ``min_ndcg``, a second fit
  under the same seed repeats every per-user value, and pickling and a ``state_dict`` round trip
  keep the scores.

It needs the dataset layer to find ML-100K (mirror, URL or wheel).
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from bench.eval import EvalResult, FullRankingEvaluator
from bench.rankers.base import ClosedFormRanker, Ranker
from bench.rankers.batch import UserBatch
from bench.rankers.data import Capabilities, CapabilityError, check_capabilities, prepare_ranker
from bench.rankers.datamodule import TRAIN_INPUTS, RankDataModule
from bench.rankers.ddp import adapt_strategy
from bench.rankers.evaluation import Evaluation
from bench.split import Split

METRICS = ("ndcg@10", "recall@10", "hitrate@10")


@functools.lru_cache(maxsize=4)
def movielens_split(seed: int = 0, protocol: str = "random_holdout") -> Split:
    """MovieLens-100K (all ratings as interactions), cached: random 8:1:1 per user
    (``random_holdout``) or the last two interactions per user (``leave_last_out``)."""
    from bench.data import load
    from bench.split import LeaveLastOut, RandomHoldout

    if protocol == "leave_last_out":
        return LeaveLastOut()(load("ml-100k"), seed=seed)
    return RandomHoldout(ratios=(0.8, 0.1, 0.1))(load("ml-100k"), seed=seed)


def with_cold_users(split: Split, n: int = 5) -> tuple[Split, np.ndarray]:
    """``split`` with the train and valid rows of ``n`` test users removed: they are evaluated
    on test without any training interaction (cold users). Returns the split and their ids."""
    cold = np.sort(split.test["user"].unique())[:n]
    keep = lambda frame: frame[~frame["user"].isin(cold)]  # noqa: E731
    return replace(split, train=keep(split.train), valid=keep(split.valid), audit=None), cold


def walk_split(n_users: int = 20, n_items: int = 30, length: int = 10) -> Split:
    """A leave-last-out split in which user ``u`` walks the items ``u, u + 1, ...`` (mod
    ``n_items``), ``length`` training steps then one validation and one test item: the next item
    is always the current one plus 1, which any sequential ranker can learn.

    Example:
        >>> split = walk_split(n_users=2, n_items=5, length=3)
        >>> split.train[split.train.user == 1].item.tolist(), split.test.item.tolist()
        ([1, 2, 3], [4, 0])
    """
    import pandas as pd

    rows = [(u, (u + j) % n_items, j) for u in range(n_users) for j in range(length + 2)]
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    frame["order"] = np.arange(len(frame))
    last = frame.groupby("user")["timestamp"].transform("max")

    def part(keep: Any) -> Any:
        return frame[keep].reset_index(drop=True)

    return Split(
        "leave_last_out",
        train=part(frame["timestamp"] < last - 1),
        valid=part(frame["timestamp"] == last - 1),
        test=part(frame["timestamp"] == last),
        n_users=n_users,
        n_items=n_items,
    )


def next_item_loss(model: Any, split: Split) -> float:
    """A next-item ranker's training loss over every training row of ``split`` at once, in eval
    mode (no dropout), without gradients; prepares the model's sampler first if needed."""
    rows = RankDataModule(
        split, train_input="sequences", sequence_length=model.batching.sequence_length
    ).train_sequences
    if getattr(model, "sampler", None) is None:
        prepare_ranker(model, split, seed=0)
    mode = model.training
    model.eval()
    with torch.no_grad():
        value = float(model.training_loss(rows(np.arange(len(rows)))))
    model.train(mode)
    return value


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
    prepare_ranker(ranker, split, seed)
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


def score_batch(ranker: Ranker, batch: UserBatch) -> torch.Tensor:
    """The ranker's float64 scores of ``batch`` as evaluation computes them (eval mode, no
    gradients, :meth:`~bench.rankers.Ranker.before_scoring` first)."""
    ranker.eval()
    with torch.no_grad():
        ranker.before_scoring()
        return ranker.score(batch.to(ranker.device)).detach().double().cpu()


def _scores(ranker: Ranker, datamodule: RankDataModule, users: np.ndarray) -> torch.Tensor:
    batch = datamodule.stage("test").batch(users, ranker.batching.sequence_length)
    return score_batch(ranker, batch)


def _empty_histories(batch: UserBatch) -> UserBatch:
    n, n_items = batch.history.shape
    history = torch.sparse_coo_tensor(
        torch.zeros((2, 0), dtype=torch.long), torch.zeros(0), size=(n, n_items)
    ).coalesce()
    sequence = None if batch.sequence is None else torch.full_like(batch.sequence, batch.pad)
    return replace(batch, history=history, sequence=sequence)


class RankerContract:
    """Conformance tests (see the module docstring). Set these in the subclass:

    Attributes:
        ranker_class: the :class:`~bench.rankers.Ranker` subclass under test.
        params: its hyperparameters (besides ``n_users`` / ``n_items``).
        max_epochs: training epochs (closed-form rankers always use one).
        min_ndcg: the test NDCG@10 it must reach on the contract's dataset.
        learned: the ranker learns a state from the data (``False`` e.g. for a random ranker).
        empty_history_neg_inf: scores of users with empty histories may hold ``-inf``
            (document why in the ranker).
    """

    ranker_class: ClassVar[type[Ranker]]
    params: ClassVar[dict[str, Any]] = {}
    max_epochs: ClassVar[int] = 1
    min_ndcg: ClassVar[float] = 0.0
    learned: ClassVar[bool] = True
    empty_history_neg_inf: ClassVar[bool] = False

    @classmethod
    def make(cls, split: Split, seed: int = 0) -> Ranker:
        """A new ranker for ``split``, built after seeding (its initial weights repeat)."""
        pl.seed_everything(seed, workers=True, verbose=False)
        return cls.ranker_class(n_users=split.n_users, n_items=split.n_items, **cls.params)

    @pytest.fixture(scope="class")
    @classmethod
    def split(cls) -> Split:
        time_order = cls.ranker_class.capabilities.time_order
        return movielens_split(0, "leave_last_out" if time_order else "random_holdout")

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, split: Split) -> Fitted:
        return fit_ranker(cls.make(split), split, max_epochs=cls.max_epochs)

    @pytest.fixture(scope="class")
    @classmethod
    def users(cls, fitted: Fitted) -> np.ndarray:
        return fitted.datamodule.stage("test").users[:16]

    def test_declarations_are_well_formed(self, fitted: Fitted) -> None:
        ranker = fitted.ranker
        assert isinstance(type(ranker).capabilities, Capabilities)
        assert ranker.folds_in_users == ranker.capabilities.folds_in_users
        assert ranker.train_input in TRAIN_INPUTS
        assert ranker.batching.user_weighting in ("once", "interactions")
        assert ranker.closed_form == isinstance(ranker, ClosedFormRanker)
        assert fitted.datamodule.batch_size == ranker.batching.batch_size
        assert fitted.datamodule.sequence_length == ranker.batching.sequence_length

    def test_learned_state(self, fitted: Fitted, split: Split) -> None:
        """A learned ranker has parameters (or buffers), and fitting changes them."""
        if not self.learned:
            pytest.skip("the ranker declares no learned state (learned = False)")
        assert fitted.ranker.n_parameters() > 0
        fresh = self.make(split).state_dict()
        trained = fitted.ranker.state_dict()
        assert fresh.keys() == trained.keys()
        assert any(not torch.equal(fresh[k], trained[k].cpu()) for k in fresh)

    def test_fold_in_scores_depend_on_the_history_only(
        self, fitted: Fitted, users: np.ndarray
    ) -> None:
        """Declared fold-in: the same history rows under other user ids score the same;
        declared per-user parameters: refused on user-holdout splits."""
        ranker = fitted.ranker
        if not ranker.capabilities.folds_in_users:
            held_out = replace(fitted.datamodule.split, valid_history=fitted.datamodule.split.valid)
            with pytest.raises(CapabilityError, match="cannot score users unseen"):
                check_capabilities(ranker, held_out)
            return
        batch = fitted.datamodule.stage("test").batch(users, ranker.batching.sequence_length)
        others = np.setdiff1d(np.arange(ranker.n_users), users)[: len(users)]
        moved = replace(batch, users=torch.from_numpy(others))
        torch.testing.assert_close(score_batch(ranker, moved), score_batch(ranker, batch))

    def test_time_order_is_required_where_declared(self, fitted: Fitted) -> None:
        split = fitted.datamodule.split
        if fitted.ranker.capabilities.time_order:
            with pytest.raises(CapabilityError, match="needs time order"):
                check_capabilities(fitted.ranker, replace(split, name="random_holdout"))
        else:
            check_capabilities(fitted.ranker, replace(split, name="random_holdout"))

    def test_cold_users(self, split: Split) -> None:
        """Refused before training if it cannot score cold users; finite scores if it can
        (one epoch: what is checked is the cold users' path, not how well it learned)."""
        cold_split, cold = with_cold_users(split)
        ranker = self.make(cold_split)
        if not ranker.capabilities.scores_cold_users:
            with pytest.raises(CapabilityError, match=rf"{len(cold)} users .* no training"):
                fit_ranker(ranker, cold_split, max_epochs=1)
            return
        fitted = fit_ranker(ranker, cold_split, max_epochs=1)
        stage = fitted.datamodule.stage("test")
        batch = stage.batch(cold, ranker.batching.sequence_length)
        assert batch.history._nnz() == 0
        scores = score_batch(ranker, batch)
        assert scores.shape == (len(cold), ranker.n_items)
        assert bool(torch.isfinite(scores).all())
        assert set(cold.tolist()) <= set(stage.users.tolist())

    def test_empty_histories(self, fitted: Fitted, users: np.ndarray) -> None:
        """A batch whose history rows are empty: right shape, no NaN, no +inf (-inf only where
        the class documents it)."""
        ranker = fitted.ranker
        batch = fitted.datamodule.stage("test").batch(users, ranker.batching.sequence_length)
        scores = score_batch(ranker, _empty_histories(batch))
        assert scores.shape == (len(users), ranker.n_items)
        assert not bool(scores.isnan().any()) and not bool((scores == float("inf")).any())
        if not self.empty_history_neg_inf:
            assert bool(torch.isfinite(scores).all())

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


class NextItemContract(RankerContract):
    """:class:`RankerContract` plus the checks every
    :class:`~bench.rankers.next_item.NextItemRanker` shares (SASRec, GRU4Rec, a new next-item
    candidate), so a model's test file holds only what is its own::

        class TestGRU4Rec(NextItemContract):
            ranker_class = GRU4Rec
            params = {"hidden_dim": 32, "max_len": 20, "lr": 1e-2, "batch_size": 64}
            tiny_params = {"hidden_dim": 16, "max_len": 6, "lr": 1e-2, "batch_size": 4}
            max_epochs, min_ndcg = 8, 0.05

    On top of the contract (fitted on ML-100K leave-last-out) it checks that a changed item at
    position 12 of real test sequences leaves the states before it unchanged and moves the ones
    after; that the model is refused on a random split with one line; that each loss (``ce``,
    ``bce``, ``gbce``) halves the training loss of :func:`walk_split` in 40 epochs and learns its
    walk (test NDCG@10 above ``pattern_min_ndcg[loss]``, HR@10 at least 0.75); that sampled
    negatives avoid the user's training items and repeat by step; gSASRec's beta; and that each
    bad hyperparameter of ``bad_hyperparameters`` is refused with one line naming its key.

    Attributes:
        tiny_params: hyperparameters of the 20-user, 30-item model of the walk tests (``loss``
            and ``n_negatives=3`` are set by the tests).
        pattern_min_ndcg: per loss, the walk's test NDCG@10 the model must pass.
        bad_hyperparameters: ``(key, value)`` pairs the constructor must refuse.
    """

    tiny_params: ClassVar[dict[str, Any]] = {}
    pattern_min_ndcg: ClassVar[dict[str, float]] = {"ce": 0.7, "bce": 0.7, "gbce": 0.35}
    bad_hyperparameters: ClassVar[tuple[tuple[str, object], ...]] = (
        ("hidden_dim", 0),
        ("n_layers", 0),
        ("dropout", 1.0),
        ("dropout", -0.1),
        ("max_len", 0),
        ("max_len", 2.5),
        ("lr", 0.0),
        ("batch_size", 0),
        ("loss", "softmax"),
        ("n_negatives", 0),
        ("gbce_t", 1.5),
        ("negatives", "hard"),
    )

    @classmethod
    def tiny(cls, loss: str = "ce", **kwargs: Any) -> Any:
        """The walk tests' model (20 users, 30 items), built after seeding torch with 0."""
        torch.manual_seed(0)
        params = {**cls.tiny_params, "loss": loss, "n_negatives": 3, **kwargs}
        return cls.ranker_class(n_users=20, n_items=30, **params)

    def test_causal_and_padding_on_the_fitted_model(self, fitted: Fitted) -> None:
        model = fitted.ranker.eval()
        sequence = fitted.datamodule.stage("test").batch(np.array([0, 1]), 20).sequence
        with torch.no_grad():
            base = model.encode(sequence)
            changed = sequence.clone()
            changed[:, 12] = (changed[:, 12] + 1) % model.n_items
            moved = model.encode(changed)
        torch.testing.assert_close(moved[:, :12], base[:, :12])
        assert not torch.allclose(moved[:, 12:], base[:, 12:])

    def test_refused_on_random_holdout_with_one_line(self) -> None:
        split = replace(walk_split(), name="random_holdout")
        with pytest.raises(CapabilityError, match="needs time order") as info:
            fit_ranker(self.tiny(), split)
        assert "\n" not in str(info.value)
        assert "split=random_holdout is not time-ordered" in str(info.value)

    @pytest.mark.parametrize("loss", ["ce", "bce", "gbce"])
    def test_training_lowers_the_loss_and_learns_the_pattern(self, loss: str) -> None:
        split = walk_split()
        model = self.tiny(loss)
        before = next_item_loss(model, split)
        fitted = fit_ranker(model, split, max_epochs=40)
        after = next_item_loss(model, split)
        assert after < 0.5 * before, (before, after)
        # 18 of the 20 test transitions (item u + 10 -> u + 11) occur in other users' training
        assert fitted.test["ndcg@10"] > self.pattern_min_ndcg[loss], fitted.test.metrics
        assert fitted.test["hitrate@10"] >= 0.75, fitted.test.metrics

    def test_sampled_negatives_avoid_training_items_and_repeat_by_step(self) -> None:
        split = walk_split(n_users=4, n_items=30, length=5)
        model = self.ranker_class(
            n_users=4, n_items=30, **{**self.tiny_params, "max_len": 4},
            loss="bce", n_negatives=5,
        )  # fmt: skip
        name = self.ranker_class.__name__
        with pytest.raises(RuntimeError, match=rf"^{name} has no negative sampler: call prepare"):
            model._negatives(torch.arange(4), 0)
        fit_ranker(model, split, max_epochs=1)
        users = torch.arange(4).repeat(20)
        negatives = model._negatives(users, batch_idx=2)
        assert negatives.shape == (80, 5)
        seen = set(zip(split.train["user"], split.train["item"], strict=True))
        pairs = zip(users, negatives, strict=True)
        assert not any((int(u), int(i)) in seen for u, row in pairs for i in row)
        assert torch.equal(negatives, model._negatives(users, batch_idx=2))
        assert not torch.equal(negatives, model._negatives(users, batch_idx=3))

    def test_gbce_beta_from_the_paper(self) -> None:
        model = self.ranker_class(n_users=2, n_items=101, loss="gbce", n_negatives=4, gbce_t=0.75)
        assert model.beta == pytest.approx(0.28)  # alpha = 4 / 100
        assert self.ranker_class(n_users=2, n_items=101, loss="bce").beta == 1.0

    def test_refuses_bad_hyperparameters(self) -> None:
        for key, value in self.bad_hyperparameters:
            with pytest.raises(ValueError, match=rf"^model\.{key}=") as info:
                self.ranker_class(n_users=3, n_items=5, **{key: value})
            assert "\n" not in str(info.value), (key, value)
