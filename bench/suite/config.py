"""Loading a suite: defaults, suite file and command line merged, then validated.

Three layers are merged, later ones winning: ``conf/suite.yaml`` (run options: launcher, threads,
where results and reports go), the suite file ``conf/suite/<name>.yaml`` (what to run: cells,
models, seeds, baseline, metrics; it may also pin run options) and the command line's
``key=value`` overrides (``seeds=[0]``, ``launcher=joblib``, ``models.bpr=[model=bpr]``).
``suite=<name>`` picks the file (or ``suite=path/to/file.yaml``). Every problem raises a
:class:`SuiteError` whose message is one line naming the key, e.g.
``suite.modls: unknown key; valid: baseline, cells, ...``.

Example:
    >>> config = load_config(["suite=default", "seeds=[0]", "launcher=joblib"])
    >>> config.suite.name, config.suite.seeds, config.options.launcher
    ('default', (0,), 'joblib')
    >>> try:
    ...     load_config(["modls=[pop]"])
    ... except SuiteError as err:
    ...     print(str(err)[:34])
    suite.modls: unknown key; valid: b
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.suite.spec import CONF_DIR, OPTION_KEYS, SUITE_KEYS, SuiteConfig, SuiteError
from bench.suite.validate import check_keys, first_line, options_from, suite_from


def available_suites(conf_dir: Path = CONF_DIR) -> list[str]:
    """Names of the suites in ``conf/suite/``.

    Example:
        >>> "default" in available_suites()
        True
    """
    return sorted(p.stem for p in (conf_dir / "suite").glob("*.yaml"))


def suite_path(ref: str, conf_dir: Path = CONF_DIR) -> Path:
    """The file of ``suite=<ref>``: ``conf/suite/<ref>.yaml``, or ``ref`` itself if it is a path."""
    if ref.endswith((".yaml", ".yml")) or os.sep in ref:
        path = Path(ref).expanduser()
        if not path.is_file():
            raise SuiteError(f"suite={ref}: no such file")
        return path
    path = conf_dir / "suite" / f"{ref}.yaml"
    if not path.is_file():
        raise SuiteError(f"suite={ref}: no such suite; available: {', '.join(available_suites())}")
    return path


def load_config(overrides: Sequence[str] = (), conf_dir: Path = CONF_DIR) -> SuiteConfig:
    """Merge the defaults, the suite file and ``overrides``; validate (see the module docs)."""
    cli = _parse_overrides(overrides)
    defaults = _load_yaml(conf_dir / "suite.yaml")
    ref = str(cli.get("suite", defaults.get("suite") or "default"))
    path = suite_path(ref, conf_dir)
    suite_file = _load_yaml(path)
    check_keys(suite_file, [k for k in (*SUITE_KEYS, *OPTION_KEYS) if k != "suite"])
    check_keys(cli, [*SUITE_KEYS, *OPTION_KEYS])
    if "name" not in suite_file and "name" not in cli:
        suite_file["name"] = path.stem
    try:
        merged = OmegaConf.merge(OmegaConf.create(defaults), suite_file, cli)
        values = OmegaConf.to_container(merged, resolve=True)
    except OmegaConfBaseException as err:
        where = f"suite.{err.full_key}" if getattr(err, "full_key", None) else "suite"
        raise SuiteError(f"{where}: {first_line(err)}") from None
    return SuiteConfig(suite=suite_from(values), options=options_from(values, conf_dir))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        node = OmegaConf.load(path)
    except Exception as err:
        raise SuiteError(f"{path}: not valid YAML ({first_line(err)})") from None
    container = OmegaConf.to_container(node, resolve=False)
    if not isinstance(container, dict):
        raise SuiteError(f"{path}: a suite is a mapping of keys ({', '.join(SUITE_KEYS)})")
    return container


def _parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    bad = [o for o in overrides if "=" not in o or o.startswith(("+", "~", "-"))]
    if bad:
        raise SuiteError(f"{bad[0]}: expected key=value (e.g. seeds=[0] or launcher=joblib)")
    try:
        return OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides)), resolve=False)
    except OmegaConfBaseException as err:
        raise SuiteError(f"bad override: {first_line(err)}") from None
