"""Validation of a merged suite config (plain dicts) into the typed dataclasses of
:mod:`bench.suite.spec`; each problem is a one-line :class:`~bench.suite.spec.SuiteError`.

Example:
    >>> try:
    ...     check_keys({"modls": 1}, ["models", "seeds"])
    ... except SuiteError as err:
    ...     print(err)
    suite.modls: unknown key; valid: models, seeds
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.suite.spec import (
    CONF_DIR,
    FORMATS,
    LAUNCHERS,
    RESERVED,
    CellSpec,
    ModelSpec,
    Options,
    Suite,
    SuiteError,
)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def first_line(err: BaseException) -> str:
    """An exception's first line, whitespace collapsed."""
    return " ".join(str(err).split("\n")[0].split())


def check_keys(node: Mapping[str, Any], valid: Sequence[str], where: str = "suite") -> None:
    """Refuse a key of ``node`` not in ``valid``, naming it and the valid ones."""
    for key in node:
        if key not in valid:
            raise SuiteError(f"{where}.{key}: unknown key; valid: {', '.join(sorted(valid))}")


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise SuiteError(f"{where}: invalid name {value!r}: use letters, digits, '.', '_', '-'")
    return value


def _strings(value: Any, where: str, *, empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SuiteError(f"{where}: expected a list of strings, got {value!r}")
    if not value and not empty:
        raise SuiteError(f"{where}: expected at least one entry")
    return tuple(value)


def _train_overrides(value: Any, where: str) -> tuple[str, ...]:
    """A list of single-valued ``bench.train`` overrides (no sweeps, no reserved keys)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    items = _strings(value, where)
    try:
        parsed = OverridesParser.create().parse_overrides(list(items))
    except Exception as err:
        raise SuiteError(f"{where}: {first_line(err)}") from None
    for text, override in zip(items, parsed, strict=True):
        if override.is_sweep_override():
            raise SuiteError(f"{where}: {text!r} sweeps several values; list one value per run")
        if override.key_or_group in RESERVED:
            raise SuiteError(f"{where}: {text!r}: {override.key_or_group} is set by the suite")
    return items


def _models(value: Any, where: str) -> tuple[ModelSpec, ...]:
    if not isinstance(value, dict) or not value:
        raise SuiteError(f"{where}: expected a mapping name -> [overrides], got {value!r}")
    return tuple(
        ModelSpec(_name(k, f"{where}.{k}"), _train_overrides(v, f"{where}.{k}"))
        for k, v in value.items()
    )


def _cells(value: Any) -> tuple[CellSpec, ...]:
    if not isinstance(value, dict) or not value:
        raise SuiteError(f"suite.cells: expected a mapping name -> {{overrides, models}}, got "
                         f"{value!r}")  # fmt: skip
    cells = []
    for key, node in value.items():
        where = f"suite.cells.{key}"
        node = {"overrides": node} if isinstance(node, list) else node
        if not isinstance(node, dict):
            raise SuiteError(f"{where}: expected {{overrides: [...], models: {{...}}}}")
        check_keys(node, ("overrides", "models"), where)
        models = node.get("models")
        cells.append(
            CellSpec(
                _name(key, where),
                _train_overrides(node.get("overrides", []), f"{where}.overrides"),
                None if models is None else _models(models, f"{where}.models"),
            )
        )
    return tuple(cells)


def suite_from(values: dict[str, Any]) -> Suite:
    """The :class:`Suite` of a merged config."""
    cells = _cells(values.get("cells"))
    models = _models(values["models"], "suite.models") if values.get("models") else ()
    for cell in cells:
        if cell.models is None and not models:
            raise SuiteError(f"suite.cells.{cell.name}: no models (set suite.models or its own)")
    seeds = values.get("seeds")
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise SuiteError(
            f"suite.seeds: expected distinct integers >= 0, e.g. [0, 1, 2]; got {seeds!r}"
        )
    names = list(dict.fromkeys(m.name for c in cells for m in (c.models or models)))
    baseline = values.get("baseline")
    if baseline not in names:
        raise SuiteError(f"suite.baseline: {baseline!r} is not a model of the suite; valid: "
                         f"{', '.join(names)}")  # fmt: skip
    description = values.get("description") or ""
    return Suite(
        name=_name(values.get("name"), "suite.name"),
        description=str(description),
        cells=cells,
        models=models,
        seeds=tuple(seeds),
        baseline=str(baseline),
        metrics=_strings(values.get("metrics"), "suite.metrics", empty=False),
    )


def options_from(values: dict[str, Any], conf_dir: Path = CONF_DIR) -> Options:
    """The :class:`Options` of a merged config (loggers: ``conf_dir/logger/*.yaml``)."""
    launcher = values.get("launcher")
    if launcher not in LAUNCHERS:
        raise SuiteError(f"suite.launcher: {launcher!r}; valid: {', '.join(LAUNCHERS)}")
    for key, allow_none in (("n_jobs", False), ("threads", True)):
        value = values.get(key)
        if value is None and allow_none:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SuiteError(f"suite.{key}: expected an integer >= 1, got {value!r}")
    logger = values.get("logger")
    loggers = sorted(p.stem for p in (conf_dir / "logger").glob("*.yaml"))
    if logger not in loggers:
        raise SuiteError(f"suite.logger: {logger!r}; valid: {', '.join(loggers)}")
    formats = _strings(values.get("formats"), "suite.formats", empty=False)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise SuiteError(f"suite.formats: {unknown[0]!r}; valid: {', '.join(FORMATS)}")
    if not isinstance(values.get("report"), bool):
        raise SuiteError(f"suite.report: expected true or false, got {values.get('report')!r}")
    paths = {}
    for key in ("root_dir", "results_dir", "report_dir"):
        if not isinstance(values.get(key), str) or not values[key]:
            raise SuiteError(f"suite.{key}: expected a path, got {values.get(key)!r}")
        paths[key] = Path(os.path.abspath(os.path.expanduser(values[key])))
    return Options(
        launcher=launcher,
        n_jobs=values["n_jobs"],
        threads=values.get("threads"),
        logger=logger,
        report=values["report"],
        formats=formats,
        **paths,
    )
