"""``python -m bench.data [overrides]``: prepare a dataset, optionally split it, print statistics.

Overrides are Hydra's (``dataset=ml-1m preprocess=implicit_3_10core split=leave_last_out
seed=1 json_out=stats.json``) on ``conf/data.yaml``. Bad input exits with status 2 and ONE line on
stderr (set ``RANKBENCH_TRACEBACK=1`` to see the traceback instead).

Example:
    >>> main(["dataset=foo"])  # doctest: +SKIP
    error: unknown dataset 'foo'; available: bert4rec-beauty, custom, ml-100k, ...
    2
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.errors import HydraException
from hydra.utils import instantiate
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from bench.data.cache import publish
from bench.data.errors import ConfigError, one_line
from bench.data.prepare import prepare
from bench.data.registry import GROUPS, available, compose_data
from bench.data.stats import dataset_stats, format_table, split_stats

USAGE = """usage: python -m bench.data [key=value ...]
  dataset=<name>      {dataset}
  preprocess=<name>   {preprocess}
  split=<name|null>   {split}
  seed=<int>  cache_dir=<dir>  mirror_dir=<dir>  json_out=<file>  dataset.<key>=<value> ..."""


def _split(cfg: DictConfig, data: Any) -> Any:
    try:
        splitter = instantiate(cfg.split)
    except HydraException as err:
        raise ConfigError(one_line(f"split config: {err.__cause__ or err}")) from err
    return splitter(data, seed=int(cfg.seed))


def run(overrides: Sequence[str]) -> dict[str, Any]:
    """Compose, prepare, split; return the statistics report (also written to ``json_out``)."""
    cfg = compose_data(overrides)
    data = prepare(cfg.dataset, cfg.preprocess, cfg.cache_dir, mirror_dir=cfg.mirror_dir)
    report: dict[str, Any] = {"dataset": dataset_stats(data)}
    if cfg.get("split"):
        report["split"] = split_stats(_split(cfg, data))
    if cfg.json_out:
        target = Path(str(cfg.json_out)).expanduser()
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
        publish(tmp, target)
    return report


def _take_config_dirs(args: list[str]) -> list[str]:
    """``--config-dir DIR`` / ``-cd DIR`` / ``--config-dir=DIR`` (as for ``bench.train``): DIR
    is searched before ``conf/`` (via ``RANKBENCH_CONF_PATH``); returns the other arguments."""
    rest, dirs = [], []
    items = iter(args)
    for arg in items:
        if arg in ("--config-dir", "-cd"):
            dirs.append(next(items, ""))
        elif arg.startswith("--config-dir="):
            dirs.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    if dirs:
        previous = os.environ.get("RANKBENCH_CONF_PATH", "")
        os.environ["RANKBENCH_CONF_PATH"] = os.pathsep.join([*dirs, previous]).strip(os.pathsep)
    return rest


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    args = _take_config_dirs(args)
    if any(a in ("-h", "--help") for a in args):
        print(USAGE.format(**{g: " | ".join(available(g)) or "-" for g in GROUPS}))
        return 0
    try:
        report = run(args)
    except (ValueError, OSError, HydraException, OmegaConfBaseException) as err:
        if os.environ.get("RANKBENCH_TRACEBACK"):
            raise
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 2
    sections = {"dataset": report["dataset"]}
    if "split" in report:
        sections["split"] = {k: v for k, v in report["split"].items() if k != "audit"}
        sections["audit"] = report["split"]["audit"] or {}
    with contextlib.suppress(BrokenPipeError):  # e.g. piped into head
        print(format_table(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
