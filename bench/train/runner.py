"""``run(cfg)``: prepare data, split, fit a ranker with Lightning, validate, test, record.

The steps, each a few lines below: validate the config into typed settings; seed everything;
pick the run's checkpoint directory (config hash + seed; resume from its ``last.ckpt`` if an
earlier run of the same command was interrupted); open a :class:`~bench.results.RunRecorder`
(a crash leaves a ``failed`` record) and the loggers (W&B; always finished); prepare and split
the dataset; build the ranker (``model._target_``) and the data module; ``trainer.fit`` with
early stopping and best-checkpoint selection on the validation metric; ``trainer.validate`` and
``trainer.test`` with the best checkpoint (closed-form rankers: the fitted state); write the
metrics, per-user values, timings and sizes to the record and to W&B.

Under DDP every process runs this function; only rank 0 records and logs. Lightning's
``ddp`` launcher starts the other processes with the same command line, and they find the
checkpoint directory through ``RANKBENCH_CKPT_DIR``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback, EarlyStopping, ModelCheckpoint
from pytorch_lightning.utilities import rank_zero_only

from bench.eval import EvalResult
from bench.rankers import CapabilityError, RankDataModule, Ranker, prepare_ranker
from bench.rankers.ddp import adapt_strategy
from bench.rankers.memory import MemoryRefusal, check_memory
from bench.results import RunRecorder, new_run_id, reproduce_command
from bench.train.checkpoints import (
    CheckpointDir,
    checkpoint_dir_for,
    decide_resume,
    forget_inherited,
)
from bench.train.console import quiet_run
from bench.train.errors import RunConfigError
from bench.train.hydra_context import choice_names, sweep_group, task_overrides
from bench.train.leakage import check_leakage
from bench.train.loggers import build_loggers, close_loggers, publish_results
from bench.train.per_user import stage_table, user_attributes
from bench.train.process import (
    NoRecord,
    absolute_paths,
    refuse_unsupported_ddp,
    set_threads,
    sigterm_raises,
)
from bench.train.settings import RunSettings, load_settings
from bench.train.step_seeds import StepSeeds


@dataclass
class RunOutcome:
    """What a finished run returns (rank 0 has ``record_path``)."""

    run_id: str
    valid: EvalResult
    test: EvalResult
    selected: float
    checkpoint_dir: Path
    resumed_from: Path | None
    record_path: Path | None = None


def _callbacks(cfg: DictConfig, settings: RunSettings, ranker: Ranker, path: Path) -> list:
    callbacks: list[Callback] = []
    evaluation = settings.evaluation
    if not ranker.closed_form:
        callbacks.append(StepSeeds(settings.run.seed))  # resumed runs draw as uninterrupted ones
        callbacks.append(
            ModelCheckpoint(
                dirpath=path,
                filename="best-{epoch:03d}",
                monitor=evaluation.monitor,
                mode=evaluation.mode,
                save_top_k=1,
                save_last=True,
                auto_insert_metric_name=False,
            )
        )
        stopping = settings.run.early_stopping
        if stopping is not None:
            callbacks.append(
                EarlyStopping(
                    monitor=evaluation.monitor,
                    mode=evaluation.mode,
                    patience=stopping.patience,
                    min_delta=stopping.min_delta,
                )
            )
    for node in (cfg.get("callbacks") or {}).values():
        if node is not None:
            callbacks.append(instantiate(node))
    from bench.train.progress import RunProgress  # console progress (stderr, rank 0)

    callbacks.append(RunProgress.for_run(cfg, settings, ranker))
    return callbacks


def _best_epoch(trainer: pl.Trainer) -> int | None:
    callback = trainer.checkpoint_callback
    path = getattr(callback, "best_model_path", "") if callback is not None else ""
    found = re.search(r"best-(\d+)", Path(path).name) if path else None
    return int(found.group(1)) if found else None


def _fit_and_evaluate(
    cfg: DictConfig, settings: RunSettings, rec: Any, ckpt: CheckpointDir, loggers: list
) -> tuple[EvalResult, EvalResult, Path | None]:
    from bench.data import prepare
    from bench.data.features import DatasetFeatures, prepare_features
    from bench.data.registry import dataset_config

    seed = settings.run.seed
    paths = cfg.paths
    data = prepare(cfg.dataset, cfg.preprocess, paths.cache_dir, mirror_dir=paths.mirror_dir)
    features = DatasetFeatures()  # read only when a metric needs them (ild@K: item features)
    if settings.features:
        dataset = dataset_config(cfg.dataset)
        features = prepare_features(dataset, data, paths.cache_dir, mirror_dir=paths.mirror_dir)
    split = settings.splitter(data, seed=seed)
    rec.set_fingerprints(dataset=data.fingerprint, split=split.fingerprint)
    if features.fingerprint is not None:  # a run without features records nothing new
        rec.set_extra("feature_fingerprint", features.fingerprint)
        rec.set_extra("features", features.summary())
    rec.set_extra("split", split.to_summary())
    leaks = check_leakage(split, allow=settings.run.allow_leakage)  # stops an unclean split
    rec.set_extra("leakage", {"allowed": settings.run.allow_leakage, "problems": leaks})
    ranker = instantiate(cfg.model, n_users=split.n_users, n_items=split.n_items)
    try:  # declared capabilities against the split, the training data, the memory estimate
        training = prepare_ranker(ranker, split, seed)
        check_memory(ranker, training, max_memory_gb=settings.run.max_memory_gb)
    except (CapabilityError, MemoryRefusal) as err:
        raise RunConfigError(str(err)) from None
    datamodule = RankDataModule.for_ranker(
        split,
        ranker,
        seed=seed,
        eval_batch_size=settings.eval.batch_size,
        test_history=settings.eval.test_history,
        exclude_valid=settings.eval.exclude_valid,
        gains=settings.eval.gains,
    )
    ranker.attach_evaluation(
        settings.evaluation,
        item_popularity=datamodule.train.user_counts,
        head_share=settings.eval.head_share,
        n_train_users=int(split.train["user"].nunique()),
        **({} if features.item is None else {"item_features": features.item.tensor()}),
    )
    trainer = instantiate(
        cfg.trainer,
        callbacks=_callbacks(cfg, settings, ranker, ckpt.path),
        logger=loggers or False,
        use_distributed_sampler=False,  # the data module shards batches itself
        **ranker.trainer_overrides(),
    )
    refuse_unsupported_ddp(trainer)
    adapt_strategy(trainer, ranker)
    set_threads(trainer, settings.run.threads)
    resume = decide_resume(ckpt, allowed=settings.run.resume and not ranker.closed_form)
    with rec.time_fit():
        trainer.fit(ranker, datamodule=datamodule, ckpt_path=resume)
    chosen = None if ranker.closed_form else "best"
    with rec.time_eval():
        trainer.validate(ranker, datamodule=datamodule, ckpt_path=chosen, verbose=False)
        trainer.test(ranker, datamodule=datamodule, ckpt_path=chosen, verbose=False)
    valid, test = ranker.eval_results["valid"], ranker.eval_results["test"]
    rec.set_params(ranker.n_parameters())
    rec.set_protocol(
        protocol=test.protocol,
        test_history=settings.eval.test_history,
        exclude_valid=settings.eval.exclude_valid,
        gains=settings.eval.gains,
        higher_is_better=test.higher_is_better,
        preprocess=_preprocess_name(cfg),
        split_params=split.params,
    )
    per_user = {}
    for name, result in (("valid", valid), ("test", test)):
        rec.set_metrics(name, result.metrics)
        stage = datamodule.stage(name)
        attributes = user_attributes(split.train, stage.history, stage.targets, stage.users)
        rec.set_per_user(name, stage_table(ranker.per_user_table(name), attributes))
        per_user[name] = result.per_user.reset_index()
    extra = {
        "protocol": test.protocol,
        "select": settings.evaluation.select_key,
        "best_epoch": _best_epoch(trainer),
        "epochs": int(trainer.current_epoch),
        "resumed_from": None if resume is None else str(resume),
        "checkpoint_dir": str(ckpt.path),
        "users": {"valid": valid.n_users, "test": test.n_users},
        "skipped_users": {"valid": valid.n_skipped, "test": test.n_skipped},
        "world_size": int(trainer.world_size),
    }
    for key, value in extra.items():
        rec.set_extra(key, value)
    summary = {"n_params": ranker.n_parameters(), "best_epoch": extra["best_epoch"]}
    publish_results(
        loggers,
        {"valid": valid.metrics, "test": test.metrics},
        per_user,
        run_id=getattr(rec, "run_id", "rank"),
        extra=summary,
    )
    return valid, test, resume


def _preprocess_name(cfg: DictConfig) -> str | None:
    node = cfg.get("preprocess")
    name = node.get("name") if isinstance(node, DictConfig) else None
    return str(name) if name is not None else None


def _recorder(cfg: DictConfig, resolved: dict, names: dict, **fields: Any) -> Any:
    """The run's RunRecorder on rank 0 (a no-op stand-in on the other ranks)."""
    if rank_zero_only.rank != 0:
        return NoRecord()
    overrides = task_overrides()
    command = None if overrides is None else reproduce_command("bench.train", overrides)
    return RunRecorder(
        cfg.paths.results_dir, resolved, model=names["model"], dataset=names["dataset"],
        split=names["split"], command=command, **fields,
    )  # fmt: skip


def run(cfg: DictConfig) -> RunOutcome:
    """Run one training job described by a composed ``conf/train.yaml`` (see module docs).

    Lightning's meaningless warnings and advertisements stay out of its output
    (:func:`bench.train.console.quiet_run`); real warnings still show.
    """
    with quiet_run():
        return _run(cfg)


def _run(cfg: DictConfig) -> RunOutcome:
    settings = load_settings(cfg)
    absolute_paths(cfg)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    seed = settings.run.seed
    pl.seed_everything(seed, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True, warn_only=True)
    names = choice_names(resolved)
    run_id, group = new_run_id(), sweep_group()
    tags = [t for t in (names["dataset"], names["model"], names["split"], names["eval"]) if t]
    tags += [str(t) for t in settings.run.tags]
    defaults = {"group": group, "tags": tags, "name": f"{names['model']}-{run_id}", "id": run_id}
    ckpt = checkpoint_dir_for(cfg, seed)
    threads = torch.get_num_threads()
    try:
        recorder = _recorder(cfg, resolved, names, run_id=run_id, seed=seed, tags=tags, group=group)
        with sigterm_raises(), recorder as rec:
            loggers = build_loggers(cfg.get("logger"), defaults=defaults, config=resolved)
            failed = True
            try:
                valid, test, resume = _fit_and_evaluate(cfg, settings, rec, ckpt, loggers)
                failed = False
            finally:
                close_loggers(loggers, failed=failed)
        if rank_zero_only.rank == 0:
            ckpt.mark_complete(run_id)
    finally:
        ckpt.release()
        forget_inherited()
        torch.set_num_threads(threads)  # in-process callers (tests, notebooks) keep theirs
    selected = valid.metrics[settings.evaluation.select_key]
    return RunOutcome(run_id, valid, test, selected, ckpt.path, resume, recorder.path)
