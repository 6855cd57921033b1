"""The Ranker contract: a LightningModule that scores every item for a batch of users.

A ranker implements :meth:`Ranker.score` (``[batch, n_items]`` scores, higher is better) and
either ``training_step`` + ``configure_optimizers`` (gradient rankers) or
:meth:`ClosedFormRanker.fit` (closed-form rankers, fitted in the single step of a single
epoch). Its training data comes once through :meth:`Ranker.prepare` (a typed
:class:`~bench.rankers.data.TrainingData`; never through ``self.trainer``), work shared by all
batches of one evaluation goes in :meth:`Ranker.before_scoring`, and what it needs and can do is
declared in ``capabilities`` (checked against the split before training) and ``batching``.
Validation and test are the same for every ranker: the base class scores each
:class:`~bench.rankers.batch.UserBatch`, feeds the evaluator (which removes seen items and
ranks the rest), and at the end of the epoch logs ``valid/<metric>`` / ``test/<metric>`` and
keeps the :class:`~bench.eval.EvalResult` in ``eval_results``. Evaluator states are torchmetrics
states, so under DDP every process computes the metrics over all users.

Example:
    >>> import torch
    >>> class Constant(ClosedFormRanker):
    ...     def fit(self, train):
    ...         pass
    ...     def score(self, batch):
    ...         return torch.ones(len(batch), self.n_items)
    >>> ranker = Constant(n_users=3, n_items=5)
    >>> ranker.closed_form, ranker.train_input, ranker.n_parameters()
    (True, 'matrix', 0)
    >>> ranker.capabilities.scores_cold_users, ranker.batching.batch_size
    (False, 1024)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any, ClassVar

import pandas as pd
import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from bench.eval import EvalResult
from bench.rankers.batch import TrainMatrix, UserBatch
from bench.rankers.data import Batching, Capabilities, TrainingData
from bench.rankers.evaluation import Evaluation
from bench.rankers.segments import HEAD_SHARE, segment_column, segment_masks

# Evaluation results are identical on every process (the evaluator syncs its states), so
# they are logged without another reduction.
warnings.filterwarnings("ignore", message=r".*when logging on epoch level in distributed.*")
warnings.filterwarnings("ignore", message=r".*`configure_optimizers` returned `None`.*")

STAGES = ("valid", "test")


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return value


class Ranker(pl.LightningModule):
    """Base class of every ranker (see the module docstring).

    Class attributes a subclass may set:
        train_input: ``"interactions"`` (default), ``"users"``, ``"matrix"``,
            ``"sequences"`` or ``"masked_sequences"`` (see
            :class:`~bench.rankers.datamodule.RankDataModule`).
        closed_form: fitted in one step; tested with the fitted state, never checkpointed.
        capabilities: a frozen :class:`~bench.rankers.data.Capabilities` (time order,
            training sequences, fold-in of unseen users, cold users), checked against the split
            before training (:func:`~bench.rankers.data.check_capabilities`).
        folds_in_users: shorthand kept in step with ``capabilities.folds_in_users`` (a subclass
            may set either one).

    The data module reads the training batch size and sequence length from
    :attr:`batching` (set with the ``batch_size`` / ``sequence_length`` arguments).

    Args:
        n_users: users in the split (ids ``0..n_users-1``).
        n_items: items in the catalogue (ids ``0..n_items-1``).
        batch_size: training batch size (pairs or users; unused by ``"matrix"`` input).
        sequence_length: ``None``; an int asks for padded item sequences in every user batch.
        user_weighting: ``"once"`` or ``"interactions"``: how often a training user appears per
            epoch with ``"users"`` input (see :class:`~bench.rankers.data.Batching`).
    """

    train_input: ClassVar[str] = "interactions"
    closed_form: ClassVar[bool] = False
    capabilities: ClassVar[Capabilities] = Capabilities()
    folds_in_users: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        caps = cls.__dict__.get("capabilities", cls.capabilities)
        if not isinstance(caps, Capabilities):
            raise TypeError(f"{cls.__name__}.capabilities must be a Capabilities(...)")
        if "folds_in_users" in cls.__dict__ and "capabilities" not in cls.__dict__:
            caps = replace(caps, folds_in_users=bool(cls.__dict__["folds_in_users"]))
        elif "folds_in_users" in cls.__dict__ and cls.folds_in_users != caps.folds_in_users:
            raise TypeError(
                f"{cls.__name__} sets folds_in_users={cls.folds_in_users} and "
                f"capabilities.folds_in_users={caps.folds_in_users}; set only capabilities"
            )
        cls.capabilities = caps
        cls.folds_in_users = caps.folds_in_users

    def __init__(
        self,
        n_users: int,
        n_items: int,
        *,
        batch_size: int = 1024,
        sequence_length: int | None = None,
        user_weighting: str = "once",
    ) -> None:
        super().__init__()
        self.n_users = _check_count("n_users", n_users)
        self.n_items = _check_count("n_items", n_items)
        self.batching = Batching(batch_size, sequence_length, user_weighting)
        self.evaluation: Evaluation | None = None
        self.evaluators: nn.ModuleDict | None = None
        self.eval_results: dict[str, EvalResult] = {}
        self.segment_evaluators: nn.ModuleDict | None = None
        self._segment_masks: dict[str, Tensor] = {}
        self.segment_results: dict[str, dict[str, EvalResult]] = {}
        self._latency: dict[str, list[tuple[Tensor, float]]] = {s: [] for s in STAGES}
        self.score_ms: dict[str, pd.Series] = {}

    @property
    def batch_size(self) -> int:
        """The training batch size (``batching.batch_size``)."""
        return self.batching.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self.batching = replace(self.batching, batch_size=value)

    @property
    def sequence_length(self) -> int | None:
        """The sequence length of user batches (``batching.sequence_length``)."""
        return self.batching.sequence_length

    @sequence_length.setter
    def sequence_length(self, value: int | None) -> None:
        self.batching = replace(self.batching, sequence_length=value)

    # -- the contract ---------------------------------------------------------------------------
    def prepare(self, data: TrainingData) -> None:
        """Receive the training data once, before fitting (default: ignore it).

        Called by the runner (and :func:`~bench.rankers.testing.fit_ranker`) through
        :func:`~bench.rankers.data.prepare_ranker`, on every process and again on a resumed run,
        with the model still on the host and under ``torch.no_grad()``. Keep what training needs
        (e.g. a negative sampler) in plain attributes, not in the ``state_dict``.
        """

    def before_scoring(self) -> None:
        """Work done once per evaluation, before its first :meth:`score` (default: none).

        The base class calls it at the start of every validation and test epoch (in eval mode,
        without gradients), e.g. to propagate a graph's embeddings once rather than per batch.
        Code that calls :meth:`score` outside Lightning calls it first.
        """

    def score(self, batch: UserBatch) -> Tensor:
        """``[len(batch), n_items]`` scores of every item for every user of the batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement score(batch)")

    def n_parameters(self) -> int:
        """Learned numbers: parameters plus persistent buffers (EASE's item-item matrix)."""
        return int(sum(t.numel() for t in self.state_dict().values() if isinstance(t, Tensor)))

    def trainer_overrides(self) -> dict[str, Any]:
        """Trainer arguments this ranker requires (closed-form rankers: one epoch)."""
        return {}

    # -- evaluation -----------------------------------------------------------------------------
    def attach_evaluation(
        self,
        evaluation: Evaluation,
        item_popularity: Tensor | None = None,
        *,
        head_share: float = HEAD_SHARE,
        **kwargs: Any,
    ) -> None:
        """Give the ranker one evaluator per stage (called by the runner before fitting).

        With ``item_popularity``, each stage also evaluates the per-user metrics on head-item
        and tail-item targets (:mod:`bench.rankers.segments`; ``head_share`` of the catalogue).
        """
        self.evaluation = evaluation
        self.evaluators = nn.ModuleDict(
            {
                stage: evaluation.evaluator(self.n_items, item_popularity=item_popularity, **kwargs)
                for stage in STAGES
            }
        )
        self._segment_masks = segment_masks(item_popularity, head_share)
        per_user = evaluation.per_user_metrics
        self.segment_evaluators = nn.ModuleDict(
            {
                f"{stage}_{segment}": evaluation.evaluator(
                    self.n_items, metrics=per_user, item_popularity=item_popularity, **kwargs
                )
                for stage in STAGES
                for segment in self._segment_masks
                if per_user
            }
        )

    def _evaluator(self, stage: str) -> Any:
        if self.evaluators is None:
            raise RuntimeError(
                f"{type(self).__name__} has no evaluation; call attach_evaluation(...) first"
            )
        return self.evaluators[stage]

    def _update(self, stage: str, batch: UserBatch) -> None:
        start = time.perf_counter()
        scores = self.score(batch)
        if scores.is_cuda:
            torch.cuda.synchronize(scores.device)
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        expected = (len(batch), self.n_items)
        if tuple(scores.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}.score returned shape {tuple(scores.shape)}, expected "
                f"{expected} (one row per user, one column per item)"
            )
        if len(batch):
            self._latency[stage].append((batch.users.detach().cpu(), elapsed_ms / len(batch)))
        self._evaluator(stage).update(batch.users, scores, batch.targets, batch.exclude)
        if self.segment_evaluators and batch.targets is not None:
            for segment, keep in self._segment_masks.items():
                self.segment_evaluators[f"{stage}_{segment}"].update(
                    batch.users, scores, batch.targets.restrict(keep), batch.exclude
                )

    def _finish(self, stage: str) -> EvalResult:
        evaluator = self._evaluator(stage)
        result = evaluator.compute()
        evaluator.reset()
        self.eval_results[stage] = result
        self.segment_results[stage] = {}
        for segment in self._segment_masks:
            if self.segment_evaluators and f"{stage}_{segment}" in self.segment_evaluators:
                seg = self.segment_evaluators[f"{stage}_{segment}"]
                self.segment_results[stage][segment] = seg.compute()
                seg.reset()
        self.score_ms[stage] = self._take_latency(stage)
        values = {
            f"{stage}/{key}": torch.tensor(value, dtype=torch.float64)
            for key, value in result.metrics.items()
        }
        self.log_dict(values, sync_dist=False, prog_bar=False)
        return result

    def _take_latency(self, stage: str) -> pd.Series:
        """Scoring time per user (ms): each batch's ``score`` time over its users (this
        process's batches only)."""
        parts = self._latency[stage]
        self._latency[stage] = []
        if not parts:
            return pd.Series([], dtype="float64", index=pd.Index([], name="user"))
        users = torch.cat([u for u, _ in parts]).numpy()
        values = [ms for u, ms in parts for _ in range(u.numel())]
        series = pd.Series(values, index=pd.Index(users, name="user"), dtype="float64")
        return series[~series.index.duplicated(keep="last")].sort_index()

    def per_user_table(self, stage: str) -> pd.DataFrame:
        """The stage's per-user values (index ``user``): every per-user metric, the same
        restricted to head / tail targets (``head:<metric>``), and ``user:score_ms``."""
        result = self.eval_results[stage]
        table = result.per_user.copy()
        for segment, seg_result in self.segment_results.get(stage, {}).items():
            names = {c: segment_column(segment, c) for c in seg_result.per_user.columns}
            renamed = seg_result.per_user.rename(columns=names)
            table = table.join(renamed, how="left")
        latency = self.score_ms.get(stage)
        if latency is not None and len(latency):
            table["user:score_ms"] = latency.reindex(table.index)
        return table

    def on_validation_epoch_start(self) -> None:
        self.before_scoring()

    def on_test_epoch_start(self) -> None:
        self.before_scoring()

    def validation_step(self, batch: UserBatch, batch_idx: int) -> None:
        self._update("valid", batch)

    def test_step(self, batch: UserBatch, batch_idx: int) -> None:
        self._update("test", batch)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            self._evaluator("valid").reset()
            for name, seg in (self.segment_evaluators or {}).items():
                if name.startswith("valid_"):
                    seg.reset()
            self._latency["valid"] = []
            return
        self._finish("valid")

    def on_test_epoch_end(self) -> None:
        self._finish("test")


class ClosedFormRanker(Ranker):
    """A ranker fitted in closed form by :meth:`fit`, inside one Lightning training step.

    The data module hands it one :class:`~bench.rankers.batch.TrainMatrix` batch; the runner
    trains one epoch and tests with the fitted state (no checkpoint).
    """

    train_input: ClassVar[str] = "matrix"
    closed_form: ClassVar[bool] = True

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self.automatic_optimization = False

    def fit(self, train: TrainMatrix) -> None:
        """Set the ranker's state from the training interactions."""
        raise NotImplementedError(f"{type(self).__name__} must implement fit(train)")

    def training_step(self, batch: TrainMatrix, batch_idx: int) -> None:
        with torch.no_grad():
            self.fit(batch)

    def configure_optimizers(self) -> None:
        return None

    def trainer_overrides(self) -> dict[str, Any]:
        return {"max_epochs": 1, "min_epochs": None, "enable_checkpointing": False}
