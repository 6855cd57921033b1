"""``load(name)``: compose ``conf/`` with Hydra and prepare the dataset in one call.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "log.csv").write_text("user_id,item_id\\nu1,a\\nu2,a\\nu1,b\\n")
    >>> data = load("custom", **{"dataset.path": str(d / "log.csv"), "cache_dir": str(d)})
    >>> data.n_users, data.n_items, data.n_interactions
    (2, 2, 3)

    With ``RANKBENCH_MIRROR`` set, ``load("s3rec-toys")`` gives 19,412 / 11,924 / 167,597.
"""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.data.errors import ConfigError, one_line
from bench.data.interactions import Interactions
from bench.data.prepare import prepare
from bench.data.registry import compose_data


def load(name: str, preprocess: str = "none", **overrides: Any) -> Interactions:
    """Prepare ``conf/dataset/<name>.yaml`` with ``conf/preprocess/<preprocess>.yaml``.

    Args:
        name: dataset name, e.g. ``"ml-100k"``, ``"ml-1m"``, ``"s3rec-beauty"``.
        preprocess: preprocessing name, e.g. ``"none"``, ``"implicit_3_10core"``.
        **overrides: values for keys of the composed ``conf/data.yaml``, by dotted path:
            ``cache_dir="/tmp/c"``, ``mirror_dir=...``, ``**{"dataset.path": "my.csv"}``.

    Returns:
        The prepared Interactions (from the cache when it was prepared before).
    """
    cfg = compose_data([f"dataset={name}", f"preprocess={preprocess}"])
    for key, value in overrides.items():
        try:
            OmegaConf.update(cfg, key, value, merge=True)
        except OmegaConfBaseException as err:
            raise ConfigError(one_line(f"load({name!r}): cannot set {key}: {err}")) from err
    return prepare(cfg.dataset, cfg.preprocess, cfg.cache_dir, mirror_dir=cfg.mirror_dir)
