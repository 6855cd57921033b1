"""``python -m bench.train [overrides]``: train, evaluate and record one ranker (Hydra app).

Examples (see ``conf/train.yaml``)::

    python -m bench.train                                  # EASE on ML-100K, about a minute on CPU
    python -m bench.train model=bpr dataset=ml-1m trainer.max_epochs=50
    python -m bench.train experiment=recbole_ml1m_ease     # a published protocol
    python -m bench.train -m model=ease,pop seed=0,1,2     # a grid (one W&B group)
    python -m bench.train -m hparams_search=ease_optuna    # Optuna, same budget for all models

A single run prints its progress on stderr (model, data and split; one line per validation
epoch; early stopping) and a summary on stdout (epochs, best epoch, validation and test values,
the record's path); a multirun prints one line per job and ends with the sweep's group, best
trial and leaderboard command (:mod:`bench.train.sweep_summary`). Lightning's tips and INFO
lines stay off the console (:mod:`bench.train.console`).

A bad key or value exits with status 2 and one line on stderr naming it (set
``RANKBENCH_TRACEBACK=1`` for the traceback). The task returns the validation value of
``eval.select``, which Hydra's Optuna sweeper maximises.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from omegaconf import DictConfig

from bench.paths import conf_dir
from bench.train.console import ignore_noise_warnings, no_color_unless_terminal, quiet_console

if TYPE_CHECKING:
    from bench.train.runner import RunOutcome

CONF_DIR = str(conf_dir())

ignore_noise_warnings()  # Lightning's meaningless warnings; real warnings still show


def _traceback_wanted() -> bool:
    return os.environ.get("RANKBENCH_TRACEBACK", "") not in ("", "0")


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def train(cfg: DictConfig) -> float:
    """The Hydra task: run one job, return its validation selection metric."""
    from bench.train.errors import is_user_error, one_line_error
    from bench.train.hydra_context import in_multirun
    from bench.train.runner import run

    quiet_console()  # Hydra has configured this job's logging by now
    try:
        outcome = run(cfg)
    except Exception as err:
        # A single run reports a user error as one line; a multirun lets Hydra go on.
        if in_multirun() or _traceback_wanted() or not is_user_error(err):
            raise
        print(f"error: {one_line_error(err)}", file=sys.stderr)
        sys.exit(2)
    if outcome.record_path is not None:
        print(_summary(cfg, outcome), flush=True)
    return outcome.selected


def _summary(cfg: DictConfig, outcome: RunOutcome) -> str:
    """The run's summary from its record (a multirun job: one line)."""
    from bench.results import ResultStore
    from bench.train.hydra_context import in_multirun
    from bench.train.summary import format_metrics, job_line, model_is_closed_form, run_summary

    path = Path(outcome.record_path)
    try:
        record = ResultStore(path.parent).read(path.name)
    except Exception:  # the run is done and recorded; never fail it over its summary
        return f"run {outcome.run_id}: test {format_metrics(outcome.test.metrics)}; record {path}"
    if in_multirun():
        return job_line(record)
    return run_summary(
        record,
        record_path=path,
        closed_form=model_is_closed_form(cfg.model),
        resumed_from=outcome.resumed_from,
    )


def main() -> None:
    """Run the app; user errors become one line on stderr and exit status 2."""
    from bench.train.errors import is_user_error, one_line_error

    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    no_color_unless_terminal()
    try:
        train()
    except Exception as err:
        if _traceback_wanted() or not is_user_error(err):
            raise
        print(f"error: {one_line_error(err)}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
