"""The on-disk cache: verified raw files and prepared (parsed + preprocessed) tables.

Layout under the cache root (``cache_dir`` argument, else env ``RANKBENCH_CACHE``, else
``~/.cache/rankbench``)::

    raw/<dataset>/<algorithm>-<hex>/<file>     bytes exactly as the checksum describes
    prepared/<dataset>/<key>/table/            ``datasets`` save_to_disk of the canonical table
    prepared/<dataset>/<key>/meta.json         vocabularies, provenance, fingerprint
    tmp/                                       scratch; entries move into place with os.replace

Nothing is ever visible half-written: everything is built under ``tmp/`` and renamed.

Example:
    >>> import tempfile
    >>> root = cache_root(tempfile.mkdtemp())
    >>> (root / "tmp").is_dir()
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import datasets

from bench.data.interactions import Interactions, fingerprint_frame

CACHE_ENV = "RANKBENCH_CACHE"
DEFAULT_CACHE = "~/.cache/rankbench"


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Resolve and create the cache root: argument, then $RANKBENCH_CACHE, then the default."""
    chosen = cache_dir or os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    root = Path(os.path.expanduser(str(chosen))).resolve()
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def scratch_dir(root: Path, prefix: str) -> Iterator[Path]:
    """A temporary directory on the cache's filesystem, removed on exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root / "tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish(tmp: Path, final: Path) -> Path:
    """Atomically move ``tmp`` (file or directory) to ``final``; keep an existing ``final``."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, final)
    except OSError:
        if not final.exists():  # a concurrent writer may have won the race; else re-raise
            raise
    return final


def raw_path(root: Path, dataset: str, checksum: str, filename: str) -> Path:
    """Where a verified raw file with this checksum (``"sha256:<hex>"``) lives."""
    algorithm, hexdigest = checksum.split(":", 1)
    return root / "raw" / dataset / f"{algorithm}-{hexdigest}" / filename


def prepared_dir(root: Path, dataset: str, key: str) -> Path:
    return root / "prepared" / dataset / key


def content_digest(data: Interactions) -> str:
    """sha256 of everything a cache entry holds: every column of the table (``order``
    included, which the dataset fingerprint leaves out) and both vocabularies.

    A cached table edited in place (even at the same size) no longer matches and is rebuilt.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"user": [0, 1], "item": [1, 0], "order": [0, 1]})
        >>> a = Interactions.from_raw("x", frame)
        >>> b = Interactions.from_raw("x", frame.assign(order=[5, 0]))
        >>> a.fingerprint == b.fingerprint, content_digest(a) == content_digest(b)
        (True, False)
    """
    frame = data.frame
    digest = hashlib.sha256(fingerprint_frame(frame, tuple(frame.columns)).encode())
    vocab = json.dumps([list(data.user_vocab), list(data.item_vocab)], default=str)
    digest.update(vocab.encode())
    return digest.hexdigest()


def save_prepared(root: Path, key: str, data: Interactions) -> Path:
    """Write ``data`` (table, vocabularies, meta, fingerprint) as one cache entry."""
    final = prepared_dir(root, data.name, key)
    with scratch_dir(root, "prepared-") as tmp:
        entry = tmp / "entry"
        entry.mkdir()
        was_disabled = datasets.are_progress_bars_disabled()
        datasets.disable_progress_bars()
        try:
            data.table.save_to_disk(str(entry / "table"))
        finally:
            if not was_disabled:
                datasets.enable_progress_bars()
        meta = {
            "name": data.name,
            "fingerprint": data.fingerprint,
            "content_sha256": content_digest(data),
            "n_interactions": data.n_interactions,
            "user_vocab": list(data.user_vocab),
            "item_vocab": list(data.item_vocab),
            "meta": data.meta,
        }
        (entry / "meta.json").write_text(json.dumps(meta))
        # an existing final entry is a concurrent writer's equal result (load_prepared has
        # already removed bad ones): publish keeps it rather than deleting it under a reader
        return publish(entry, final)


def load_prepared(root: Path, dataset: str, key: str) -> Interactions | None:
    """The cached entry, or ``None`` when absent or unreadable (a bad entry is removed)."""
    entry = prepared_dir(root, dataset, key)
    if not (entry / "meta.json").is_file():
        return None
    try:
        meta = json.loads((entry / "meta.json").read_text())
        table = datasets.load_from_disk(str(entry / "table"))
        data = Interactions(
            meta["name"], table, tuple(meta["user_vocab"]), tuple(meta["item_vocab"]), meta["meta"]
        )
        if data.fingerprint != meta["fingerprint"]:
            raise ValueError("content differs from the fingerprint in meta.json")
        if content_digest(data) != meta["content_sha256"]:  # every column, order included
            raise ValueError("content differs from the checksum in meta.json")
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(entry, ignore_errors=True)
        return None
    return data
