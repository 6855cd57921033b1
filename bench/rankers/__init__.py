"""Rankers: the Ranker contract, batch types, the data module and evaluation settings.

A new ranker is one module (a :class:`Ranker` or :class:`ClosedFormRanker` subclass) plus one
``conf/model/<name>.yaml`` whose ``_target_`` names it; it may live outside this repository.
"""

from bench.rankers.base import ClosedFormRanker, Ranker
from bench.rankers.batch import InteractionBatch, SequenceBatch, TrainMatrix, UserBatch
from bench.rankers.data import (
    Batching,
    Capabilities,
    CapabilityError,
    TrainingData,
    check_capabilities,
    prepare_ranker,
    training_data,
)
from bench.rankers.datamodule import RankDataModule
from bench.rankers.evaluation import Evaluation, EvaluationConfigError
from bench.rankers.history import StageData, stage_data, train_matrix

__all__ = [
    "Batching",
    "Capabilities",
    "CapabilityError",
    "ClosedFormRanker",
    "Evaluation",
    "EvaluationConfigError",
    "InteractionBatch",
    "RankDataModule",
    "Ranker",
    "SequenceBatch",
    "StageData",
    "TrainMatrix",
    "TrainingData",
    "UserBatch",
    "check_capabilities",
    "prepare_ranker",
    "stage_data",
    "train_matrix",
    "training_data",
]
