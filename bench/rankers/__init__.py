"""Rankers: the Ranker contract, batch types, the data module and evaluation settings.

A new ranker is one module (a :class:`Ranker` or :class:`ClosedFormRanker` subclass) plus one
``conf/model/<name>.yaml`` whose ``_target_`` names it; it may live outside this repository.
"""

from bench.rankers.base import ClosedFormRanker, Ranker
from bench.rankers.batch import InteractionBatch, TrainMatrix, UserBatch
from bench.rankers.datamodule import RankDataModule
from bench.rankers.evaluation import Evaluation, EvaluationConfigError
from bench.rankers.history import StageData, stage_data, train_matrix

__all__ = [
    "ClosedFormRanker",
    "Evaluation",
    "EvaluationConfigError",
    "InteractionBatch",
    "RankDataModule",
    "Ranker",
    "StageData",
    "TrainMatrix",
    "UserBatch",
    "stage_data",
    "train_matrix",
]
