"""Read an offline W&B run (``wandb/offline-run-*/run-*.wandb``) without a network.

The ``.wandb`` file is a LevelDB-style log (W&B's transaction log): a 7-byte file header
(``":W&B"``, magic ``0xBEE1``, version 0), then 32 KiB blocks of records, each with a 7-byte
header (crc32, length, type: full / first / middle / last) and a protobuf
``wandb_internal_pb2.Record`` payload. This reader replays history rows and summary updates in
order, the way the server builds a run's summary, so a test (or a user before ``wandb sync``)
can check what an offline run holds.

Example:
    >>> read_offline_run("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: no .wandb file under /nonexistent
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_FILE_HEADER = struct.Struct("<4sHB")
_RECORD_HEADER = struct.Struct("<IHB")
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass
class OfflineRun:
    """What an offline run recorded."""

    run_id: str = ""
    group: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None


def _payloads(data: bytes) -> list[bytes]:
    ident, magic, _version = _FILE_HEADER.unpack_from(data, 0)
    if ident != b":W&B" or magic != 0xBEE1:
        raise ValueError("not a W&B transaction log (bad file header)")
    out: list[bytes] = []
    pending = b""
    offset = _FILE_HEADER.size
    while offset + _RECORD_HEADER.size <= len(data):
        left = _BLOCK - offset % _BLOCK
        if left < _RECORD_HEADER.size:  # block trailer padding
            offset += left
            continue
        _crc, length, kind = _RECORD_HEADER.unpack_from(data, offset)
        start = offset + _RECORD_HEADER.size
        if kind == 0 and length == 0:  # zero padding up to the next block
            offset += left
            continue
        chunk = data[start : start + length]
        offset = start + length
        if kind == _FULL:
            out.append(chunk)
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            out.append(pending + chunk)
            pending = b""
    return out


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def read_offline_run(run_dir: str | Path) -> OfflineRun:
    """Replay the ``.wandb`` file under ``run_dir`` (an ``offline-run-*`` directory)."""
    from wandb.proto import wandb_internal_pb2

    files = sorted(Path(run_dir).glob("*.wandb")) or sorted(Path(run_dir).glob("*/*.wandb"))
    if not files:
        raise FileNotFoundError(f"no .wandb file under {run_dir}")
    run = OfflineRun()
    for payload in _payloads(files[0].read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.run_id, run.group = record.run.run_id, record.run.run_group
            run.tags = list(record.run.tags)
        elif kind == "config":
            run.config.update({_key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "history":
            run.summary.update(
                {_key(i): json.loads(i.value_json) for i in record.history.item if _key(i)}
            )
        elif kind == "summary":
            run.summary.update({_key(i): json.loads(i.value_json) for i in record.summary.update})
            for item in record.summary.remove:
                run.summary.pop(_key(item), None)
        elif kind == "artifact":
            entries = [entry.path for entry in record.artifact.manifest.contents]
            run.artifacts.append(
                {"name": record.artifact.name, "type": record.artifact.type, "files": entries}
            )
        elif kind == "exit":
            run.exit_code = int(record.exit.exit_code)
    return run
