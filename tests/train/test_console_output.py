"""What ``python -m bench.train`` prints: progress, the run summary, the sweep summary, and none
of Lightning's tips, INFO lines or meaningless warnings (real warnings still show)."""

import doctest
import importlib
import io
import logging
import math
import os

import pandas as pd
import pytest
from console_helpers import REAL_WARNING
from train_helpers import cli

from bench.results import ResultStore, RunRecord
from bench.train.console import (
    LIGHTNING_LOGGERS,
    LightningInfoFilter,
    no_color_unless_terminal,
    quiet_lightning,
)
from bench.train.progress import RunProgress
from bench.train.summary import run_summary, training_text
from bench.train.sweep_summary import best_trial, selection, summary_lines

NOISE = (
    "💡", "Tip:", "GPU available", "TPU available", "LOCAL_RANK", "Restoring states from",
    "Loaded model weights", "`Trainer.fit` stopped", "configure_optimizers", "logging interval",
    "anonymous setting", "Run history", "[INFO]", "setup plugin alembic", "A new study created",
)  # fmt: skip
MODULES = [
    "bench.train.console", "bench.train.progress", "bench.train.summary",
    "bench.train.sweep_summary",
]  # fmt: skip


def assert_quiet(text: str) -> None:
    for noise in NOISE:
        assert noise not in text, noise
    assert "\x1b[" not in text  # no ANSI colour codes when the output is not a terminal


def records(root) -> list[RunRecord]:
    store = ResultStore(root / "results")
    return [store.read(run_id) for run_id in store.run_ids()]


def metrics_text(values: dict, names: list[str]) -> str:
    return "  ".join(f"{name} {values[name]:.4f}" for name in names)


# -- units ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_progress_lines_lower_is_better_and_undefined_values() -> None:
    out = io.StringIO()
    progress = RunProgress("valid/arp@10", "min", stream=out)
    for epoch, value in enumerate([0.5, math.nan, 0.4, None, 0.45]):
        progress.epoch_done(epoch, value)
    assert out.getvalue().splitlines() == [
        "epoch 0  valid arp@10 0.5000  best 0.5000 at epoch 0",
        "epoch 1  valid arp@10 nan  best 0.5000 at epoch 0",
        "epoch 2  valid arp@10 0.4000  best 0.4000 at epoch 2",
        "epoch 3  valid arp@10 n/a  best 0.4000 at epoch 2",
        "epoch 4  valid arp@10 0.4500  best 0.4000 at epoch 2",
    ]
    with pytest.raises(ValueError, match="mode='up'"):
        RunProgress("valid/ndcg@10", "up")


def _record(**changes) -> RunRecord:
    fields = {
        "run_id": "r1", "status": "completed", "started_at": "2024-05-01T12:00:00.000+00:00",
        "ended_at": "2024-05-01T12:00:01.000+00:00", "model": "bpr", "dataset": "ml-100k",
        "config": {"trainer": {"max_epochs": 5}, "early_stopping": {"patience": 2}},
        "metrics": {"valid": {"ndcg@10": 0.2}, "test": {"ndcg@10": 0.25}},
        "extra": {"select": "ndcg@10", "epochs": 5, "best_epoch": 4},
    }  # fmt: skip
    return RunRecord(**{**fields, **changes})


def test_training_text_says_whether_early_stopping_fired() -> None:
    assert training_text(_record()) == "5 epochs (max 5), early stopped: no; best epoch 4"
    stopped = _record(extra={"select": "ndcg@10", "epochs": 3, "best_epoch": 0})
    assert training_text(stopped) == (
        "3 epochs (max 5), early stopped: yes, after epoch 2; best epoch 0"
    )
    off = _record(config={"trainer": {"max_epochs": 9}, "early_stopping": None})
    assert training_text(off) == "5 epochs (max 9), early stopped: no; best epoch 4"
    endless = _record(config={"trainer": {"max_epochs": -1}, "early_stopping": {}})
    assert training_text(endless) == "5 epochs, early stopped: unknown; best epoch 4"
    assert training_text(_record(), closed_form=True).startswith("closed-form fit")
    text = run_summary(_record(), closed_form=True, resumed_from="/x/last.ckpt")
    assert text.splitlines()[2:4] == ["  resumed   from /x/last.ckpt", "  valid     ndcg@10 0.2000"]


def _table(select: str, values: list, statuses: list | None = None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "run_id": [f"r{i}" for i in range(n)], "status": statuses or ["completed"] * n,
        "extra.select": [select] * n, "cfg.eval.select": [select] * n,
        f"valid/{select}": values,
    })  # fmt: skip


def test_best_trial_follows_the_metric_direction() -> None:
    assert best_trial(_table("ndcg@10", [0.2, 0.4, 0.3])).run_id == "r1"
    assert selection(_table("arp@10", [0.2])) == ("arp@10", False)
    assert best_trial(_table("arp@10", [0.2, 0.4, 0.1])).run_id == "r2"
    failed_best = _table("ndcg@10", [0.2, None, 0.1], ["completed", "failed", "completed"])
    assert best_trial(failed_best).run_id == "r0"
    mixed = pd.concat([_table("ndcg@10", [0.2]), _table("recall@10", [0.3])])
    assert selection(mixed) is None and best_trial(mixed) is None
    assert summary_lines(_table("ndcg@10", []), "g1", "results") == [
        "sweep g1: no run records with group 'g1' in results",
        "leaderboard: python -m bench.report --group g1",
    ]


def test_lightning_info_stays_off_the_console_but_in_the_log_file(tmp_path, monkeypatch) -> None:
    root = logging.getLogger()
    console, log_file = io.StringIO(), tmp_path / "train.log"
    monkeypatch.setattr("sys.stderr", console)  # the terminal quiet_lightning filters
    handlers = [logging.StreamHandler(console), logging.FileHandler(log_file)]
    level = root.level
    root.setLevel(logging.INFO)
    lightning_levels = {n: logging.getLogger(n).level for n in LIGHTNING_LOGGERS}
    for name in LIGHTNING_LOGGERS:  # an earlier in-process run may have set them to WARNING
        logging.getLogger(name).setLevel(logging.NOTSET)
    for handler in handlers:
        root.addHandler(handler)
    try:
        quiet_lightning()
        quiet_lightning()  # idempotent: one filter per handler
        assert sum(isinstance(f, LightningInfoFilter) for f in handlers[0].filters) == 1
        assert not handlers[1].filters
        lightning = logging.getLogger("pytorch_lightning.utilities.rank_zero")
        lightning.info("GPU available: False, used: False")
        lightning.warning("a Lightning warning")
        logging.getLogger("bench.data.fetch").info("ml-100k: fetching")
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        for name, old_level in lightning_levels.items():
            logging.getLogger(name).setLevel(old_level)
    assert console.getvalue().splitlines() == ["a Lightning warning", "ml-100k: fetching"]
    assert "GPU available" in log_file.read_text()


def test_no_color_unless_both_streams_are_terminals(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())  # not a terminal
    no_color_unless_terminal()
    assert os.environ["NO_COLOR"] == "1"
    monkeypatch.setenv("NO_COLOR", "")  # a value the user set is kept
    no_color_unless_terminal()
    assert os.environ["NO_COLOR"] == ""


# -- the CLI ----------------------------------------------------------------------------------
def test_gradient_run_shows_progress_and_summary(tmp_path) -> None:
    overrides = [
        "model=bpr", "model.lr=0.05", "trainer.max_epochs=30", "early_stopping.patience=2",
        "eval.metrics=[ndcg@10,recall@10]", "logger=none", "threads=1",
        "+callbacks.warn._target_=console_helpers.WarnAtFitStart",
    ]  # fmt: skip
    done = cli(*overrides, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(tmp_path)
    epochs, best = record.extra["epochs"], record.extra["best_epoch"]
    assert 0 <= best < epochs < 30  # this setting stops early
    valid, test = record.metrics["valid"], record.metrics["test"]
    assert done.stdout.splitlines() == [
        f"run {record.run_id}: bpr on ml-100k, split random_holdout, seed 0",
        f"  training  {epochs} epochs (max 30), early stopped: yes, after epoch {epochs - 1}; "
        f"best epoch {best}; fit {record.fit_seconds:.1f} s",
        f"  valid     ndcg@10 {valid['ndcg@10']:.4f} (selects the best epoch)",
        f"  test      {metrics_text(test, ['ndcg@10', 'recall@10'])}",
        f"  record    results/{record.run_id}/record.json",
    ]
    err = done.stderr.splitlines()
    assert REAL_WARNING in done.stderr  # real warnings still show
    (header,) = [line for line in err if line.startswith("bpr on ")]
    assert header == (
        "bpr on ml-100k, split random_holdout (943 users, 1,682 items, 80,808 training "
        "interactions): up to 30 epochs, early stopping on valid ndcg@10 (patience 2)"
    )
    lines = [line for line in err if line.startswith("epoch ")]
    assert [line.split()[1] for line in lines] == [str(e) for e in range(epochs)]
    assert lines[-1].endswith(f"best {valid['ndcg@10']:.4f} at epoch {best}")
    assert err[-1] == (
        f"early stopping after epoch {epochs - 1}: no valid ndcg@10 gain for 2 epochs "
        f"(best {valid['ndcg@10']:.4f} at epoch {best})"
    )
    assert_quiet(done.stdout + done.stderr)


def test_closed_form_run_prints_one_progress_line(tmp_path) -> None:
    done = cli("model=ease", cwd=tmp_path, env={"WANDB_SILENT": "false"})  # W&B disabled
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = records(tmp_path)
    valid, test = record.metrics["valid"], record.metrics["test"]
    assert done.stderr.splitlines() == [
        "ease on ml-100k, split random_holdout (943 users, 1,682 items, 80,808 training "
        f"interactions): fitted in closed form, valid ndcg@10 {valid['ndcg@10']:.4f}"
    ]
    names = ["ndcg@10", "recall@10", "mrr@10", "hitrate@10", "ndcg@20", "recall@20"]
    assert done.stdout.splitlines() == [
        f"run {record.run_id}: ease on ml-100k, split random_holdout, seed 0",
        "  training  closed-form fit (one pass, no epochs to select); "
        f"fit {record.fit_seconds:.1f} s",
        f"  valid     ndcg@10 {valid['ndcg@10']:.4f}",
        f"  test      {metrics_text(test, names)}",  # in the order of eval.metrics
        f"  record    results/{record.run_id}/record.json",
    ]
    assert_quiet(done.stdout + done.stderr)
    (log_file,) = (tmp_path / "outputs" / "runs").glob("*/train.log")
    assert "GPU available" in log_file.read_text()  # Lightning's INFO lines stay in the log file
    assert "💡 Tip" not in log_file.read_text()  # but not its advertisements (litlogger)


@pytest.mark.slow
def test_sweep_ends_with_its_group_best_trial_and_leaderboard_command(tmp_path) -> None:
    done = cli("-m", "model=pop,ease", "seed=0,1", "logger=none", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = records(tmp_path)
    (group,) = {r.group for r in runs}
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    assert group == sweep.name and len(runs) == 4
    best = max(runs, key=lambda r: r.metrics["valid"]["ndcg@10"])
    names = ["ndcg@10", "recall@10", "mrr@10", "hitrate@10", "ndcg@20", "recall@20"]
    out = done.stdout.splitlines()
    assert out[-6:] == [
        f"sweep {group}: 4 runs, 4 completed, 0 failed (records in results)",
        f"best trial by valid ndcg@10 (higher is better): run {best.run_id} "
        f"({best.model}, ml-100k, seed {best.seed})",
        f"  valid    ndcg@10 {best.metrics['valid']['ndcg@10']:.4f}",
        f"  test     {metrics_text(best.metrics['test'], names)}",
        f"  command  {best.command}",
        f"leaderboard: python -m bench.report --group {group}",
    ]
    assert f"model={best.model}" in best.command and f"seed={best.seed}" in best.command
    job_lines = out[:-6]  # one line per job, no progress lines in a multirun
    assert sorted(line.split()[1] for line in job_lines) == sorted(r.run_id for r in runs)
    assert all(line.startswith("[HYDRA] ") for line in done.stderr.splitlines())
    assert_quiet(done.stdout + done.stderr)


@pytest.mark.slow
def test_optuna_sweep_output_is_plain(tmp_path) -> None:
    done = cli(
        "hparams_search=ease_optuna", "hydra.sweeper.n_trials=2", "logger=none", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = records(tmp_path)
    best = max(runs, key=lambda r: r.metrics["valid"]["ndcg@10"])
    out = done.stdout.splitlines()
    assert out[-5].startswith(f"best trial by valid ndcg@10 (higher is better): run {best.run_id}")
    assert out[-1] == f"leaderboard: python -m bench.report --group {best.group}"
    assert "[HYDRA] Best value: " in done.stderr
    assert_quiet(done.stdout + done.stderr)  # Optuna's colorlog handler would add ANSI codes
