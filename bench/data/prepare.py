"""``prepare``: dataset config -> verified raw file -> parsed table -> preprocessed Interactions.

The result is cached under a key hashed from (raw file checksum, zip member, parser config,
schema, preprocessing parameters, code version), so a second ``prepare`` of the same
configuration loads the stored table instead of parsing again, without touching any source.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "seq.txt").write_text("1 5 6\\n2 6\\n")
    >>> parser = {"_target_": "bench.data.parsers.SequenceLinesParser"}
    >>> local = {"_target_": "bench.data.sources.LocalSource", "path": str(d / "seq.txt")}
    >>> cfg = {"name": "toy", "parser": parser, "sources": [local]}
    >>> data = prepare(cfg, cache_dir=d / "cache")
    >>> data.n_users, data.n_items, data.n_interactions, data.meta["cache"]
    (2, 2, 3, 'miss')
    >>> prepare(cfg, cache_dir=d / "cache").meta["cache"]
    'hit'
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig

from bench.data import cache
from bench.data.artifact import Artifact
from bench.data.errors import (
    ConfigError,
    DataError,
    EmptyDataError,
    SchemaError,
    SourceUnavailableError,
    one_line,
)
from bench.data.fetch import fetch
from bench.data.interactions import Interactions
from bench.data.parts import check_same_columns, part_paths, stack_parts
from bench.data.preprocess import PreprocessConfig, apply, preprocess_config
from bench.data.registry import SourceSpec, build_sources, dataset_config

LOCAL = "bench.data.sources.LocalSource"
PREPARE_VERSION = 2  # bump when parsing / preprocessing code changes what a config yields


def prepared_key(checksum: str, spec: SourceSpec, schema: Any, pre: PreprocessConfig) -> str:
    """Cache key of one (raw file, parser, preprocessing) combination."""
    payload = {
        "version": PREPARE_VERSION,
        "raw": checksum,
        "extract": spec.source.extract,
        "parser": spec.parser_cfg,
        "schema": schema,
        "preprocess": pre.key(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read(name: str, spec: SourceSpec, artifact: Any, schema: list[str] | None) -> Any:
    """The parsed raw frame of one file (canonical raw columns), checked against ``schema``."""
    try:
        raw = spec.parser(artifact)
    except DataError as err:
        raise type(err)(one_line(f"dataset {name!r} ({artifact.source}): {err}")) from err
    if schema is not None:
        have = sorted(set(raw.columns) - {"order"})
        if have != sorted(schema):
            raise SchemaError(
                f"dataset {name!r} ({artifact.source}): parser yields columns {have}, the "
                f"dataset's schema says {sorted(schema)}; fix the parser's column mapping"
            )
    if len(raw) == 0:
        raise EmptyDataError(f"dataset {name!r} ({artifact.source}): the file has no rows")
    return raw


def _parse(name: str, spec: SourceSpec, artifact: Any, schema: list[str] | None) -> Interactions:
    raw = _read(name, spec, artifact, schema)
    meta = {"source": artifact.source, "raw_checksum": artifact.checksum, "raw_rows": len(raw)}
    return Interactions.from_raw(name, raw, meta)


def prepare(
    dataset_cfg: Mapping | DictConfig,
    preprocess_cfg: Mapping | DictConfig | PreprocessConfig | None = None,
    cache_dir: str | os.PathLike | None = None,
    *,
    mirror_dir: str | os.PathLike | None = None,
) -> Interactions:
    """Fetch, parse, preprocess (or load from the cache) one dataset.

    Args:
        dataset_cfg: a ``conf/dataset/<name>.yaml`` config (DictConfig or plain dict).
        preprocess_cfg: a ``conf/preprocess/<name>.yaml`` config; ``None`` keeps every row.
        cache_dir: cache root (default: env ``RANKBENCH_CACHE``, else ``~/.cache/rankbench``).
        mirror_dir: mirror root for mirror sources (default: env ``RANKBENCH_MIRROR``).

    Returns:
        The canonical Interactions; ``meta`` holds source, checksum, preprocessing, cache
        key, ``cache`` ("hit" / "miss") and ``seconds``.
    """
    started = time.perf_counter()
    cfg = dataset_config(dataset_cfg)
    pre = preprocess_config(preprocess_cfg)
    name, schema = cfg["name"], cfg.get("schema")
    root = cache.cache_root(cache_dir)
    if cfg.get("parts") is not None:
        return _prepare_parts(cfg, pre, root, started)
    specs = build_sources(cfg)

    for spec in specs:  # prepared-cache pass: no source is touched
        if not spec.source.cacheable:
            continue
        key = prepared_key(str(spec.source.checksum), spec, schema, pre)
        hit = cache.load_prepared(root, name, key)
        if hit is not None:
            return _as_hit(hit, pre, started)

    artifact = fetch(name, [s.source for s in specs], root, mirror_dir)
    spec = next(s for s in specs if s.source.describe() == artifact.source)
    key = prepared_key(artifact.checksum, spec, schema, pre)
    if spec.source.cacheable is False:
        hit = cache.load_prepared(root, name, key)
        if hit is not None:
            return _as_hit(hit, pre, started)
    data = _parse(name, spec, artifact, schema)
    data = apply(data, pre)
    data.meta.update(preprocess=_preprocess_meta(pre), prepared_key=key)
    cache.save_prepared(root, key, data)
    data.meta.update(cache="miss", seconds=time.perf_counter() - started)
    return data


def _prepare_parts(cfg: dict, pre: PreprocessConfig, root: Any, started: float) -> Interactions:
    """``dataset.parts``: read every part file with the one parser, map ids over the union,
    mark each row's part (see :mod:`bench.data.parts`), preprocess the union, cache."""
    name, schema = cfg["name"], cfg.get("schema")
    paths = part_paths(name, cfg["parts"])
    parser_cfg = cfg.get("parser")
    if not parser_cfg:
        raise ConfigError(f"dataset {name!r}: no parser; set 'parser' in the dataset config")
    specs = {
        part: build_sources(
            {"name": name, "parser": parser_cfg, "sources": [{"_target_": LOCAL, "path": path}]}
        )[0]
        for part, path in paths.items()
    }
    artifacts = {}
    for part, spec in specs.items():
        try:
            path, digests = spec.source.locate()
        except SourceUnavailableError as err:
            raise SourceUnavailableError(
                f"dataset {name!r}: the {part} part's file is missing ({err}); set "
                f"dataset.parts.{part} to an existing file"
            ) from None
        artifacts[part] = Artifact(path, f"sha256:{digests['sha256']}", spec.source.describe())
    payload = {
        "version": PREPARE_VERSION,
        "parts": {part: art.checksum for part, art in artifacts.items()},
        "parser": parser_cfg,
        "schema": schema,
        "preprocess": pre.key(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    hit = cache.load_prepared(root, name, key)
    if hit is not None:
        return _as_hit(hit, pre, started)
    raws = {}
    for part, art in artifacts.items():
        try:
            raws[part] = _read(name, specs[part], art, schema)
        except EmptyDataError:
            raise EmptyDataError(
                f"dataset {name!r}: the {part} part ({art.path}) has no rows; give a file with "
                f"interactions or set dataset.parts.{part}"
                + ("=null" if part == "valid" else " to another file")
            ) from None
    check_same_columns(name, raws)
    parts_meta = {
        part: {"source": art.source, "raw_checksum": art.checksum, "raw_rows": len(raws[part])}
        for part, art in artifacts.items()
    }
    meta = {"source": "parts", "parts": parts_meta, "raw_rows": sum(map(len, raws.values()))}
    data = Interactions.from_raw(name, stack_parts(raws), meta)
    data = apply(data, pre)
    data.meta.update(preprocess=_preprocess_meta(pre), prepared_key=key)
    cache.save_prepared(root, key, data)
    data.meta.update(cache="miss", seconds=time.perf_counter() - started)
    return data


def _preprocess_meta(pre: PreprocessConfig) -> dict:
    return {"name": pre.name, **pre.key()}


def _as_hit(hit: Interactions, pre: PreprocessConfig, started: float) -> Interactions:
    """A cache hit, labelled with this call's preprocess name (presets with equal parameters
    share one entry, which was stored under whichever name prepared it first)."""
    hit.meta.update(
        preprocess=_preprocess_meta(pre), cache="hit", seconds=time.perf_counter() - started
    )
    return hit
