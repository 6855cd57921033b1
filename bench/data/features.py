"""Item and user feature tables declared by a dataset (``item_features`` / ``user_features``).

A dataset config may declare a feature table for its items and one for its users::

    item_features:
      path: items.csv        # the file (or, for a fetched dataset, see ``source`` below)
      format: auto           # csv | tsv | parquet | auto (by suffix)
      sep: null              # separator override for csv / tsv (multi-character works: "::")
      header: true           # false: the file has no header line
      names: null            # column names (without header: required; with: replace it)
      encoding: utf-8
      quotechar: '"'         # null: quotes are literal text (raw dumps such as MovieLens)
      id: item_id            # the column holding the raw item id (as in the interactions)
      columns: [price]       # numeric feature columns, used as they are
      multi_hot: null        # {column: genres, sep: "|"}: one 0/1 feature per distinct value

``columns`` and ``multi_hot`` may both be given (numeric columns first). A fetched dataset
(MovieLens) names no ``path``: each of its interaction sources carries an ``item_features``
block ``{source: {...}, ...}`` whose ``source`` keys replace the interaction source's
(``extract: ml-1m/movies.dat``, or ``member``/``sha256`` in a wheel) and whose other keys
replace the reading options above, so the features always come from the same release as the
interactions that were used (their raw ids agree).

Rows are mapped through the interactions' id vocabulary: ids the interactions do not hold are
dropped (counted, printed), interaction ids missing from the table get an all-zero row (counted,
warned; a table that matches no id at all is refused). The matrix is cached beside the prepared
interactions (temp folder + rename, content checksum over ids, names and values) and has its own
fingerprint (:attr:`FeatureTable.fingerprint`): the interactions' fingerprint does not change.

Example:
    >>> import tempfile, pathlib, pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "items.csv").write_text("item_id,genres\\na,x|y\\nb,y\\nz,x\\n")
    >>> data = Interactions.from_raw("toy", pd.DataFrame({"user": ["u", "u"], "item": ["b", "a"]}))
    >>> spec = {"path": str(d / "items.csv"), "multi_hot": {"column": "genres", "sep": "|"}}
    >>> table = load_features(FeatureSpec.parse("toy", "item", spec), data, d / "cache")
    >>> table.names, table.values.tolist(), table.meta["dropped"]
    (('genres=x', 'genres=y'), [[0.0, 1.0], [1.0, 1.0]], 1)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import instantiate

from bench.data import cache
from bench.data.artifact import Artifact
from bench.data.errors import ConfigError, SchemaError, SourceUnavailableError, one_line
from bench.data.fetch import fetch
from bench.data.interactions import Interactions
from bench.data.sources import LocalSource

FEATURES_VERSION = 1  # bump when reading / mapping code changes what a declaration yields
KINDS = ("item", "user")
#: The dataset config keys that declare feature tables, by kind.
FEATURE_KEYS = {kind: f"{kind}_features" for kind in KINDS}
SPEC_KEYS = (
    *("path", "format", "sep", "header", "names", "encoding", "quotechar", "id", "columns"),
    "multi_hot",
)
FORMATS = ("auto", "csv", "tsv", "parquet")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def declared_inputs(dataset_cfg: Mapping[str, Any]) -> tuple[str, ...]:
    """The evaluator inputs a dataset config's feature declarations provide
    (``"item_features"``, ``"user_features"``).

    Example:
        >>> declared_inputs({"name": "x", "item_features": {"path": "i.csv"}})
        ('item_features',)
        >>> declared_inputs({"name": "x"})
        ()
    """
    return tuple(key for key in FEATURE_KEYS.values() if dataset_cfg.get(key) is not None)


@dataclass(frozen=True)
class MultiHot:
    """A column of separated labels (``"Action|Comedy"``): one 0/1 feature per distinct label."""

    column: str
    sep: str = "|"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature declaration, checked (see the module docstring for the keys).

    Example:
        >>> FeatureSpec.parse("toy", "item", {"path": "i.csv", "columns": ["year"]}).id
        'item_id'
    """

    dataset: str
    kind: str
    path: str | None = None
    format: str = "auto"
    sep: str | None = None
    header: bool = True
    names: tuple[str, ...] | None = None
    encoding: str = "utf-8"
    quotechar: str | None = '"'
    id: str = "item_id"
    columns: tuple[str, ...] = ()
    multi_hot: MultiHot | None = None
    source: dict | None = field(default=None, compare=False)  # a fetched file (MovieLens)

    @property
    def key(self) -> str:
        return FEATURE_KEYS[self.kind]

    @classmethod
    def parse(
        cls, dataset: str, kind: str, raw: Mapping[str, Any], source: dict | None = None
    ) -> FeatureSpec:
        key = FEATURE_KEYS[kind]
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"dataset {dataset!r}: {key} must be a mapping (path, id, columns...)"
            )
        unknown = [str(k) for k in raw if k not in SPEC_KEYS]
        if unknown:
            raise ConfigError(
                f"dataset {dataset!r}: unknown key {key}.{unknown[0]}; valid: "
                f"{', '.join(SPEC_KEYS)}"
            )
        if raw.get("path") in (None, "") and source is None:
            raise ConfigError(
                f"dataset {dataset!r}: {key}.path is not set (and the source that served the "
                f"interactions carries no {key} block); give the feature file"
            )
        fmt = str(raw.get("format") or "auto")
        if fmt not in FORMATS:
            raise ConfigError(f"dataset {dataset!r}: {key}.format={fmt!r} is not one of {FORMATS}")
        hot = raw.get("multi_hot")
        if hot is not None and (not isinstance(hot, Mapping) or not hot.get("column")):
            raise ConfigError(
                f"dataset {dataset!r}: {key}.multi_hot needs a column, e.g. "
                "{column: genres, sep: '|'}"
            )
        columns = tuple(str(c) for c in raw.get("columns") or ())
        if not columns and hot is None:
            raise ConfigError(
                f"dataset {dataset!r}: {key} declares no feature; set {key}.columns or "
                f"{key}.multi_hot"
            )
        names = raw.get("names")
        quote = str(raw.get("quotechar") or '"')
        return cls(
            dataset=dataset,
            kind=kind,
            path=None if raw.get("path") in (None, "") else str(raw["path"]),
            format=fmt,
            sep=None if raw.get("sep") is None else str(raw["sep"]),
            header=bool(raw.get("header", True)),
            names=None if names is None else tuple(str(n) for n in names),
            encoding=str(raw.get("encoding") or "utf-8"),
            quotechar=None if "quotechar" in raw and raw["quotechar"] is None else quote,
            id=str(raw.get("id") or f"{kind}_id"),
            columns=columns,
            multi_hot=None
            if hot is None
            else MultiHot(str(hot["column"]), str(hot.get("sep", "|"))),
            source=source,
        )

    def reading(self) -> dict[str, Any]:
        """What decides the matrix (cache key and fingerprint input), the file aside."""
        hot = self.multi_hot
        return {
            "kind": self.kind, "format": self.format, "sep": self.sep, "header": self.header,
            "names": self.names, "encoding": self.encoding, "quotechar": self.quotechar,
            "id": self.id,
            "columns": self.columns, "multi_hot": None if hot is None else [hot.column, hot.sep],
        }  # fmt: skip


@dataclass(frozen=True)
class FeatureTable:
    """A ``[n, d]`` float32 feature matrix, row ``i`` for item (or user) index ``i``.

    Attributes:
        kind: ``"item"`` or ``"user"``.
        names: the ``d`` feature names (``genres=Action`` for a multi-hot label).
        values: the matrix (rows in the interactions' index order).
        meta: provenance: source, raw checksum, ``dropped`` and ``missing`` counts, cache.
    """

    kind: str
    names: tuple[str, ...]
    values: np.ndarray
    meta: dict = field(default_factory=dict, compare=False)

    def tensor(self) -> Any:
        """The matrix as a float32 ``torch.Tensor`` (what the evaluator's ``ild`` reads)."""
        import torch

        return torch.from_numpy(np.array(self.values, dtype=np.float32))

    @property
    def fingerprint(self) -> str:
        """sha256 (16 hex) of kind, names and values: changes with any feature value."""
        digest = hashlib.sha256(json.dumps([self.kind, list(self.names)]).encode())
        digest.update(repr(self.values.shape).encode())
        digest.update(np.ascontiguousarray(self.values, dtype="<f4").tobytes())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DatasetFeatures:
    """The feature tables a dataset declares (either may be ``None``).

    Example:
        >>> DatasetFeatures().fingerprint is None
        True
    """

    item: FeatureTable | None = None
    user: FeatureTable | None = None

    @property
    def fingerprint(self) -> str | None:
        """One hash over the declared tables (``None`` when there is none)."""
        tables = [t for t in (self.item, self.user) if t is not None]
        if not tables:
            return None
        joined = ",".join(f"{t.kind}:{t.fingerprint}" for t in tables)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """For the run record: the fingerprint and each table's shape and counts."""
        out: dict[str, Any] = {"fingerprint": self.fingerprint}
        for table in (self.item, self.user):
            if table is not None:
                out[table.kind] = {
                    "fingerprint": table.fingerprint,
                    "shape": list(table.values.shape),
                    **{
                        k: table.meta.get(k)
                        for k in ("source", "raw_checksum", "dropped", "missing")
                    },
                }
        return out


def _feature_specs(cfg: Mapping[str, Any], interactions_source: str | None) -> list[FeatureSpec]:
    """The declared specs, each paired with the interaction source's feature block if any."""
    name = str(cfg["name"])
    specs = []
    for kind, key in FEATURE_KEYS.items():
        raw = cfg.get(key)
        if raw is None:
            continue
        overrides, source = _paired_block(cfg, key, interactions_source)
        merged = {**raw, **{k: v for k, v in overrides.items() if k != "source"}}
        specs.append(FeatureSpec.parse(name, kind, merged, source))
    return specs


def _paired_block(
    cfg: Mapping[str, Any], key: str, interactions_source: str | None
) -> tuple[dict, dict | None]:
    """The ``<kind>_features`` block of the interaction source that was used, and its feature
    source config (the interaction source's keys with the block's ``source`` keys on top)."""
    if cfg.get("parts") is not None or interactions_source is None:
        return {}, None
    for src in cfg.get("sources") or []:
        src = dict(src)
        block = src.pop(key, None)
        for other in FEATURE_KEYS.values():
            src.pop(other, None)
        src.pop("parser", None)
        if block is None or _describe(src) != interactions_source:
            continue
        return dict(block), {**src, **dict(block.get("source") or {})}
    return {}, None


def _describe(src: dict) -> str | None:
    try:
        return instantiate(src).describe()
    except Exception:  # a source that cannot even be built was not the one used
        return None


def _locate(spec: FeatureSpec, root: Path, mirror_dir: Any) -> Artifact:
    if spec.source is not None:
        return fetch(spec.dataset, [instantiate(spec.source)], root, mirror_dir)
    local = LocalSource(str(spec.path))
    try:
        path, digests = local.locate()
    except SourceUnavailableError:
        raise SourceUnavailableError(
            f"dataset {spec.dataset!r}: {spec.key}.path={spec.path!r}: file not found "
            f"({Path(str(spec.path)).expanduser().resolve()}); set {spec.key}.path to an "
            "existing file"
        ) from None
    return Artifact(path, f"sha256:{digests['sha256']}", local.describe())


def _read_frame(spec: FeatureSpec, artifact: Artifact) -> pd.DataFrame:
    path = artifact.path
    fmt = (
        spec.format
        if spec.format != "auto"
        else SUFFIXES.get(Path(str(artifact.extract or path)).suffix.lower(), "csv")
    )
    try:
        if fmt == "parquet":
            with artifact.open() as handle:
                frame = pd.read_parquet(handle)
            return frame.astype({c: str for c in frame.columns if frame[c].dtype == object})
        sep = spec.sep or ("\t" if fmt == "tsv" else ",")
        return pd.read_csv(
            io.BytesIO(artifact.read_bytes()),
            sep=sep,
            header=0 if spec.header else None,
            names=list(spec.names) if spec.names else None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=spec.encoding,
            engine="c" if len(sep) == 1 else "python",
            quoting=csv.QUOTE_MINIMAL if spec.quotechar else csv.QUOTE_NONE,
            quotechar=spec.quotechar or '"',
        )
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise SchemaError(
            one_line(f"dataset {spec.dataset!r}: {spec.key}: cannot read {path.name}: {err}")
        ) from err


def _matrix(
    spec: FeatureSpec, frame: pd.DataFrame, filename: str
) -> tuple[pd.Index, tuple[str, ...], np.ndarray]:
    """Check the columns and ids; return (raw ids, feature names, matrix) of the file's rows."""
    where = f"dataset {spec.dataset!r}: {spec.key}"
    have = [str(c) for c in frame.columns]
    if spec.id not in frame.columns:
        raise SchemaError(
            f"{where}.id={spec.id!r} is not a column of {filename} (it has {have[:12]}); "
            f"set {spec.key}.id to the column holding the {spec.kind} ids"
        )
    wanted = [*spec.columns, *([spec.multi_hot.column] if spec.multi_hot else [])]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        which = (
            "multi_hot.column"
            if spec.multi_hot and absent[0] == spec.multi_hot.column
            else "columns"
        )
        raise SchemaError(
            f"{where}: feature column {absent[0]!r} is not a column of {filename} (it has "
            f"{have[:12]}); fix {spec.key}.{which}"
        )
    ids = frame[spec.id].astype(str).str.strip()
    counts = ids.value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        raise SchemaError(
            f"{where}: id {repeated.index[0]!r} appears {int(repeated.iloc[0])} times in "
            f"{filename} ({len(repeated)} duplicate ids); give one row per {spec.kind}"
        )
    blocks, names = [], []
    for column in spec.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise SchemaError(
                f"{where}: column {column!r} holds a non-numeric value {frame[column].iloc[row]!r}"
                f" at row {row} of {filename}; fix the file or leave the column out"
            )
        blocks.append(values.to_numpy(np.float32)[:, None])
        names.append(column)
    if spec.multi_hot is not None:
        labels = frame[spec.multi_hot.column].fillna("").astype(str)
        split = [[t.strip() for t in v.split(spec.multi_hot.sep) if t.strip()] for v in labels]
        vocab = sorted({t for tokens in split for t in tokens})
        position = {t: j for j, t in enumerate(vocab)}
        hot = np.zeros((len(frame), len(vocab)), dtype=np.float32)
        for row, tokens in enumerate(split):
            hot[row, [position[t] for t in tokens]] = 1.0
        blocks.append(hot)
        names += [f"{spec.multi_hot.column}={t}" for t in vocab]
    values = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0), np.float32)
    return pd.Index(ids), tuple(names), values


def _map(
    spec: FeatureSpec, ids: pd.Index, values: np.ndarray, vocab: tuple[str, ...], filename: str
) -> tuple[np.ndarray, int, int]:
    """Rows in the vocabulary's order; (matrix, rows dropped, vocabulary ids missing)."""
    position = pd.Index(vocab).get_indexer(ids)
    known = position >= 0
    out = np.zeros((len(vocab), values.shape[1]), dtype=np.float32)
    out[position[known]] = values[known]
    dropped, missing = int((~known).sum()), len(vocab) - int(known.sum())
    if missing == len(vocab):
        raise SchemaError(
            f"dataset {spec.dataset!r}: {spec.key}: none of the {len(vocab)} {spec.kind}s of the "
            f"interactions is in {filename} (ids there look like {list(ids[:3])}, the "
            f"interactions' like {list(vocab[:3])}); set {spec.key}.id to the matching column"
        )
    return out, dropped, missing


def _report(spec: FeatureSpec, table: FeatureTable) -> None:
    """Say (on every load, cached or not) how many rows were dropped and ids left without one."""
    what = f"dataset {spec.dataset!r}: {spec.key} ({table.meta.get('file')})"
    dropped, missing, n = table.meta["dropped"], table.meta["missing"], table.values.shape[0]
    if dropped:
        print(
            f"{what}: dropped {dropped} rows whose {spec.kind} is not in the interactions",
            file=sys.stderr,
        )
    if missing:
        warnings.warn(
            f"{what}: {missing} of {n} {spec.kind}s of the interactions have no row; "
            "they get all-zero features",
            stacklevel=3,
        )


def _cache_key(
    spec: FeatureSpec, checksum: str, extract: str | None, vocab: tuple[str, ...]
) -> str:
    payload = {
        "version": FEATURES_VERSION,
        "raw": checksum,
        "extract": extract,
        "reading": spec.reading(),
        "vocab": hashlib.sha256(json.dumps(list(vocab)).encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[
        :24
    ]


def content_digest(table: FeatureTable) -> str:
    """sha256 of everything a cached feature entry holds: kind, names, shape, every value."""
    digest = hashlib.sha256(
        json.dumps([table.kind, list(table.names), list(table.values.shape)]).encode()
    )
    digest.update(np.ascontiguousarray(table.values, dtype="<f4").tobytes())
    return digest.hexdigest()


def _entry(root: Path, spec: FeatureSpec, key: str) -> Path:
    return cache.prepared_dir(root, spec.dataset, f"{spec.kind}-features-{key}")


def _load_cached(entry: Path) -> FeatureTable | None:
    try:
        meta = json.loads((entry / "meta.json").read_text())
        values = np.load(entry / "values.npy", allow_pickle=False)
        table = FeatureTable(meta["kind"], tuple(meta["names"]), values, meta["meta"])
        if content_digest(table) != meta["content_sha256"]:
            raise ValueError("content differs from the checksum in meta.json")
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(entry, ignore_errors=True)
        return None
    return table


def _save(root: Path, entry: Path, table: FeatureTable) -> None:
    with cache.scratch_dir(root, "features-") as tmp:
        staged = tmp / "entry"
        staged.mkdir()
        np.save(staged / "values.npy", table.values, allow_pickle=False)
        meta = {"kind": table.kind, "names": list(table.names), "meta": table.meta,
                "content_sha256": content_digest(table)}  # fmt: skip
        (staged / "meta.json").write_text(json.dumps(meta))
        cache.publish(staged, entry)


def load_features(
    spec: FeatureSpec, data: Interactions, cache_dir: Any = None, mirror_dir: Any = None
) -> FeatureTable:
    """Read, check, map (through ``data``'s vocabulary) and cache one feature table."""
    root = cache.cache_root(cache_dir)
    artifact = _locate(spec, root, mirror_dir)
    vocab = data.item_vocab if spec.kind == "item" else data.user_vocab
    key = _cache_key(spec, artifact.checksum, artifact.extract, vocab)
    entry = _entry(root, spec, key)
    if (entry / "meta.json").is_file():
        hit = _load_cached(entry)
        if hit is not None:
            hit.meta["cache"] = "hit"
            _report(spec, hit)
            return hit
    filename = Path(str(artifact.extract or artifact.path)).name
    ids, names, raw_values = _matrix(spec, _read_frame(spec, artifact), filename)
    values, dropped, missing = _map(spec, ids, raw_values, vocab, filename)
    meta = {"source": artifact.source, "raw_checksum": artifact.checksum, "file": filename,
            "dropped": dropped, "missing": missing}  # fmt: skip
    table = FeatureTable(spec.kind, names, values, meta)
    _save(root, entry, table)
    table.meta["cache"] = "miss"
    _report(spec, table)
    return table


def prepare_features(
    dataset_cfg: Mapping[str, Any],
    data: Interactions,
    cache_dir: Any = None,
    mirror_dir: Any = None,
) -> DatasetFeatures:
    """The feature tables ``dataset_cfg`` (a checked dict, see
    :func:`bench.data.registry.dataset_config`) declares, mapped onto ``data``'s ids."""
    tables = {
        spec.kind: load_features(spec, data, cache_dir, mirror_dir)
        for spec in _feature_specs(dataset_cfg, data.meta.get("source"))
    }
    return DatasetFeatures(item=tables.get("item"), user=tables.get("user"))
