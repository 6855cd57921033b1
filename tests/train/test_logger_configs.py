"""Every logger option exists and builds: each ``conf/logger/*.yaml`` composes into Lightning
loggers, and every logger the config comments offer (``logger: wandb  # or none | csv | ...``)
is a file of ``conf/logger``."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from train_helpers import CONF, compose_train

from bench.train.loggers import build_loggers, close_loggers

LOGGERS = sorted(p.stem for p in (CONF / "logger").glob("*.yaml"))
EXPECTED = {"none": [], "csv": ["CSVLogger"], "wandb": ["WandbLogger"],
            "wandb_csv": ["CSVLogger", "WandbLogger"]}  # fmt: skip


def offered(path: Path) -> set[str]:
    """Logger names a config file offers: the default of its ``logger`` key and the
    ``a | b | c`` alternatives in the comment block that describes it."""
    lines = path.read_text().splitlines()
    (at,) = [i for i, line in enumerate(lines) if re.match(r"\s*-?\s*logger:", line)]
    start = at
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    block = "\n".join(lines[start : at + 1])
    names = set(re.findall(r"\|\s*([a-z][a-z0-9_]*)", block))
    names |= set(re.findall(r"([a-z][a-z0-9_]*)\s*\|", block))
    default = re.search(r"logger:\s*([a-z][a-z0-9_]*)", lines[at])
    assert default and names, f"no logger options found in {path.name}"
    return names | {default.group(1)}


@pytest.mark.parametrize("config", ["train.yaml", "suite.yaml"])
def test_every_logger_offered_in_the_configs_exists(config: str) -> None:
    names = offered(CONF / config)
    assert {"wandb", "none", "csv", "wandb_csv"} <= names
    assert names <= set(LOGGERS), f"{config} names missing loggers {names - set(LOGGERS)}"


@pytest.mark.parametrize("name", LOGGERS)
def test_every_logger_option_builds(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    cfg = compose_train([f"logger={name}"], tmp_path)
    defaults = {"group": "g", "tags": ["t"], "name": "n", "id": "run0"}
    with warnings.catch_warnings(record=True) as caught:  # a logger failing to start: a warning
        warnings.simplefilter("always")
        loggers = build_loggers(cfg.logger, defaults=defaults)
    try:
        assert not [str(w.message) for w in caught if "disabled, the run goes on" in str(w.message)]
        assert sorted(type(lg).__name__ for lg in loggers) == EXPECTED[name]
    finally:
        close_loggers(loggers, failed=False)
