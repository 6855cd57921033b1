"""``python -m bench.train [overrides]``: train, evaluate and record one ranker (Hydra app).

Examples (see ``conf/train.yaml``)::

    python -m bench.train                                  # EASE on ML-100K, about a minute on CPU
    python -m bench.train model=bpr dataset=ml-1m trainer.max_epochs=50
    python -m bench.train experiment=recbole_ml1m_ease     # a published protocol
    python -m bench.train -m model=ease,pop seed=0,1,2     # a grid (one W&B group)
    python -m bench.train -m hparams_search=ease_optuna    # Optuna, same budget for all models

A bad key or value exits with status 2 and one line on stderr naming it (set
``RANKBENCH_TRACEBACK=1`` for the traceback). The task returns the validation value of
``eval.select``, which Hydra's Optuna sweeper maximises.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig

CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")

# Lightning's noise on CPU runs; real warnings still show.
for _pattern in (
    r".*does not have many workers.*",
    r".*GPU available but not used.*",
    r".*isinstance\(treespec, LeafSpec\).*",
    r".*Checkpoint directory .* exists and is not empty.*",
):
    warnings.filterwarnings("ignore", message=_pattern)


def _traceback_wanted() -> bool:
    return os.environ.get("RANKBENCH_TRACEBACK", "") not in ("", "0")


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def train(cfg: DictConfig) -> float:
    """The Hydra task: run one job, return its validation selection metric."""
    from bench.train.errors import is_user_error, one_line_error
    from bench.train.hydra_context import in_multirun
    from bench.train.runner import run

    try:
        outcome = run(cfg)
    except Exception as err:
        # A single run reports a user error as one line; a multirun lets Hydra go on.
        if in_multirun() or _traceback_wanted() or not is_user_error(err):
            raise
        print(f"error: {one_line_error(err)}", file=sys.stderr)
        sys.exit(2)
    if outcome.record_path is not None:
        test = ", ".join(f"{k}={v:.4f}" for k, v in outcome.test.metrics.items())
        print(f"run {outcome.run_id}: test {test}; record {outcome.record_path}")
    return outcome.selected


def main() -> None:
    """Run the app; user errors become one line on stderr and exit status 2."""
    from bench.train.errors import is_user_error, one_line_error

    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    try:
        train()
    except Exception as err:
        if _traceback_wanted() or not is_user_error(err):
            raise
        print(f"error: {one_line_error(err)}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
