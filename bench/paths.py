"""Where RankBench's configs live: :func:`conf_dir`, the one rule every user of ``conf/`` goes by.

The repository's top-level ``conf/`` is installed as the package ``bench.conf`` (``setup.py``
maps it; an editable install points it back at the checkout), so a regular install
(``pip install rankbench``) ships the configs and finds them through the import system, never by
counting folders up from a source file. ``RANKBENCH_CONF`` replaces the whole folder;
``RANKBENCH_CONF_PATH`` and ``--config-dir`` add folders searched before it (see
:mod:`bench.data.registry`).

Example:
    >>> (conf_dir() / "train.yaml").is_file()
    True
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

#: Environment variable naming a folder that replaces the shipped configs.
CONF_ENV = "RANKBENCH_CONF"
#: The package the configs are installed as (the repository's ``conf/``).
CONF_PACKAGE = "bench.conf"


class ConfDirError(ValueError):
    """The configs cannot be found (a broken install, or a bad ``RANKBENCH_CONF``)."""


def conf_dir() -> Path:
    """The config root: env ``RANKBENCH_CONF`` if set, else the installed package ``bench.conf``.

    Raises :class:`ConfDirError` (one line) when the folder is missing.
    """
    chosen = os.environ.get(CONF_ENV, "").strip()
    if chosen:
        path = Path(chosen).expanduser().resolve()
        if not path.is_dir():
            raise ConfDirError(f"{CONF_ENV}={chosen!r} is not a folder; unset it or fix the path")
        return path
    return shipped_conf_dir()


def shipped_conf_dir() -> Path:
    """The folder of the package ``bench.conf`` (the configs installed with RankBench).

    Found through the import system without importing it: in a wheel it is ``bench/conf`` in
    site-packages, in an editable install the checkout's ``conf/``.
    """
    try:
        spec = importlib.util.find_spec(CONF_PACKAGE)
    except ImportError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ConfDirError(
            f"RankBench's configs (package {CONF_PACKAGE}) are not installed; reinstall "
            f"(pip install -e . in a checkout) or set {CONF_ENV} to a config folder"
        )
    return Path(locations[0]).resolve()
