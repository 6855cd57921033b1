"""The dataset registry is the ``conf/`` folder: one YAML file per dataset / preprocessing.

This module finds those files, composes them with Hydra's compose API, and turns a dataset
config into source and parser objects (``_target_``). Adding a dataset adds a YAML file; no code
here names a dataset.

Example:
    >>> "ml-1m" in available("dataset") and "none" in available("preprocess")
    True
    >>> compose_data(["dataset=s3rec-beauty"]).dataset.name
    's3rec-beauty'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from hydra.initialize import get_gh_backup, restore_gh_from_backup
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.data.errors import ConfigError, UnknownChoiceError, one_line
from bench.data.sources import Source
from bench.paths import conf_dir

#: Extra config folders searched before ``conf/`` (``os.pathsep``-separated), like Hydra's
#: ``--config-dir``: ``<dir>/dataset/<name>.yaml`` adds a dataset without copying ``conf/``.
EXTRA_ENV = "RANKBENCH_CONF_PATH"
GROUPS = ("dataset", "preprocess", "split")
DATASET_KEYS = (
    *("name", "description", "homepage", "citation", "terms"),
    *("schema", "parser", "sources", "path", "parts", "item_features", "user_features"),
)
#: Keys of a source entry that are not the source's own: the feature blocks paired with it
#: (read by :mod:`bench.data.features`).
SOURCE_FEATURE_KEYS = ("item_features", "user_features")
NULL_CHOICES = ("null", "none")


def extra_dirs() -> list[Path]:
    """The folders of ``RANKBENCH_CONF_PATH`` (searched before ``conf/``)."""
    value = os.environ.get(EXTRA_ENV, "")
    return [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p.strip()]


def available(group: str) -> list[str]:
    """Option names of a config group (the YAML files in ``<dir>/<group>/`` of every config
    folder: ``RANKBENCH_CONF_PATH``, then ``conf/``)."""
    folders = [*extra_dirs(), conf_dir()]
    return sorted({p.stem for folder in folders for p in (folder / group).glob("*.yaml")})


def check_choice(group: str, choice: str | None) -> None:
    """Raise UnknownChoiceError naming the options when ``conf/<group>/<choice>.yaml`` is absent."""
    if choice is None or choice in available(group):
        return
    options = ", ".join(available(group)) or "(none yet)"
    raise UnknownChoiceError(
        f"unknown {group} {choice!r}; available: {options} (use {group}=<name>)"
    )


def normalize_overrides(overrides: Sequence[str]) -> list[str]:
    """Check group choices (``dataset=foo``); ``split=none`` / ``split=null`` deselect the group."""
    out = []
    for item in overrides:
        key, sep, value = item.partition("=")
        group = key.lstrip("+~")
        if sep and group in GROUPS:
            if value in NULL_CHOICES and value not in available(group):
                out.append(f"~{group}")
                continue
            check_choice(group, value)
        out.append(item)
    return out


def compose_data(overrides: Sequence[str] = (), config_name: str = "data") -> DictConfig:
    """Compose ``conf/<config_name>.yaml`` with Hydra overrides; errors become ConfigError."""
    overrides = normalize_overrides(overrides)
    extra = extra_dirs()
    search = ",".join(f"file://{folder}" for folder in extra)
    hydra_overrides = [f"hydra.searchpath=[{search}]"] if extra else []
    backup = get_gh_backup()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base=None):
            return compose(config_name=config_name, overrides=[*hydra_overrides, *overrides])
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(one_line(f"bad config override {list(overrides)}: {err}")) from err
    finally:
        restore_gh_from_backup(backup)


@dataclass(frozen=True)
class SourceSpec:
    """A built source, its parser object and the parser's config (for cache keys)."""

    source: Source
    parser: Any
    parser_cfg: dict


def _container(cfg: Any, what: str) -> Any:
    try:
        return OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    except OmegaConfBaseException as err:
        raise ConfigError(one_line(f"{what}: {err}")) from err


def dataset_config(cfg: Any) -> dict:
    """The dataset config as a resolved dict, after checking its keys and required values."""
    node = OmegaConf.create(cfg) if isinstance(cfg, dict) else cfg
    if isinstance(node, DictConfig):
        missing = sorted(str(k) for k in node if OmegaConf.is_missing(node, k))
        if missing:
            raise ConfigError(
                f"dataset {node.get('name')!r}: required value {missing[0]!r} is not set; "
                f"set it, e.g. dataset.{missing[0]}=<value>"
            )
    raw = _container(node, "dataset config")
    if not isinstance(raw, dict) or "name" not in raw:
        raise ConfigError("dataset config must be a mapping with a 'name'; see conf/dataset/")
    unknown = [k for k in raw if k not in DATASET_KEYS]
    if unknown:
        raise ConfigError(
            f"dataset {raw['name']!r}: unknown key {unknown[0]!r}; valid: {', '.join(DATASET_KEYS)}"
        )
    return raw


def build_sources(cfg: dict) -> list[SourceSpec]:
    """Instantiate each source and its parser (a source's own ``parser`` overrides the default)."""
    specs = []
    for number, src in enumerate(cfg.get("sources") or [], 1):
        src = {k: v for k, v in dict(src).items() if k not in SOURCE_FEATURE_KEYS}
        parser_cfg = src.pop("parser", None) or cfg.get("parser")
        what = f"dataset {cfg['name']!r} source #{number}"
        if not parser_cfg:
            raise ConfigError(f"{what}: no parser; set 'parser' in the dataset config")
        try:
            source, parser = instantiate(src), instantiate(parser_cfg)
        except (HydraException, TypeError, ValueError) as err:
            cause = err.__cause__ or err
            raise ConfigError(one_line(f"{what}: {cause}")) from err
        specs.append(SourceSpec(source, parser, parser_cfg))
    return specs
