"""``conf/train.yaml`` composed outside the Hydra app, and the ``config_hash`` a run of it records.

The suite plans its jobs with it (a job is done when the store holds its hash), the leaderboard
checks with it that a row's reproduce command still composes the row's configuration, and
``scripts/bench_train.py`` builds its run with it. One rule for all three: compose
``conf/train.yaml`` (:func:`bench.paths.conf_dir`) with the overrides, point ``paths`` at
absolute folders as the runner does (:func:`set_paths`), hash with
:func:`bench.results.result_hash` (paths, loggers and tags left out).

Example:
    >>> with train_configs():
    ...     cfg = compose_train(["model=ease", "model.l2=50", "seed=3"])
    >>> set_paths(cfg, Path("/tmp/x"), Path("/tmp/x/results"), Path("/tmp/x/out"))
    >>> len(composed_hash(cfg)), composed_hash(cfg) == composed_hash(cfg, with_seed=True)
    (64, False)
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf, open_dict

from bench.paths import conf_dir
from bench.results import result_hash


class ComposeError(ValueError):
    """The overrides do not compose ``conf/train.yaml``; the message is one line naming why."""


@contextmanager
def train_configs() -> Iterator[None]:
    """Hydra pointed at ``conf/`` for :func:`compose_train` calls (re-entrant)."""
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        yield


def compose_train(overrides: Iterable[str]) -> DictConfig:
    """``conf/train.yaml`` composed with ``overrides``, Hydra's own config included.

    Inside :func:`train_configs`. A bad override raises :class:`ComposeError` naming it.
    """
    overrides = list(overrides)
    try:
        return compose("train", overrides=overrides, return_hydra_config=True)
    except Exception as err:
        text = " ".join(str(err).split()).split(" Config search path:")[0]
        raise ComposeError(f"{text} (bench.train {shlex.join(overrides)})") from None


def set_paths(cfg: DictConfig, root_dir: Path, results_dir: Path, output_dir: Path) -> None:
    """Point a composed config's ``paths`` at these directories (absolute, as the runner
    makes them) and drop its ``hydra`` node."""
    with open_dict(cfg):
        cfg.paths.root_dir = str(root_dir)
        cfg.paths.results_dir = str(results_dir)
        cfg.paths.output_dir = str(output_dir)
        cfg.pop("hydra", None)
    absolute = {
        key: os.path.abspath(os.path.expanduser(value))
        for key, value in OmegaConf.to_container(cfg.paths, resolve=True).items()
        if isinstance(value, str)
    }
    with open_dict(cfg):
        cfg.paths.update(absolute)


def composed_hash(cfg: DictConfig, *, with_seed: bool = False) -> str:
    """The hash the runner records for ``cfg`` (paths set by :func:`set_paths`): its
    ``variant_hash`` (the default, every seed alike) or, ``with_seed``, its ``config_hash``."""
    return result_hash(OmegaConf.to_container(cfg, resolve=True), with_seed=with_seed)
