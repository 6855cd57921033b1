"""Parser for one-line-per-user sequence files (S3-Rec): ``user item1 item2 ...``.

Items are listed in chronological order, so the canonical ``order`` column (the position in the
flattened file) carries the chronology. With ``timestamps=True`` every item token is
``item<ts_sep>timestamp`` (``user 5,1700000000 6,1700000100``) and a ``timestamp`` column is
added (integer seconds).

Example:
    >>> import tempfile, pathlib
    >>> from bench.data.artifact import Artifact
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Beauty.txt"
    >>> _ = p.write_bytes(b"1 5 6\\n2 6\\n")
    >>> SequenceLinesParser()(Artifact(p, "sha256:x", "test")).values.tolist()
    [['1', '5', 0], ['1', '6', 1], ['2', '6', 2]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.data.artifact import Artifact
from bench.data.errors import SchemaError


class SequenceLinesParser:
    """Read ``user item item ...`` lines.

    Args:
        sep: separator between fields (``None``: any whitespace).
        encoding: text encoding.
        timestamps: item tokens carry a timestamp, ``item<ts_sep>seconds``.
        ts_sep: separator between an item and its timestamp.

    Example:
        >>> import tempfile, pathlib
        >>> from bench.data.artifact import Artifact
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "clicks.txt"
        >>> _ = p.write_bytes(b"u1 a,100 b,250\\n")
        >>> parser = SequenceLinesParser(timestamps=True)
        >>> parser(Artifact(p, "sha256:x", "test"))[["item", "timestamp"]].values.tolist()
        [['a', 100], ['b', 250]]
    """

    def __init__(
        self,
        sep: str | None = None,
        encoding: str = "utf-8",
        timestamps: bool = False,
        ts_sep: str = ",",
    ) -> None:
        self.sep, self.encoding = sep, encoding
        self.timestamps, self.ts_sep = bool(timestamps), ts_sep

    def __call__(self, artifact: Artifact) -> pd.DataFrame:
        users: list[str] = []
        items: list[str] = []
        text = artifact.read_bytes().decode(self.encoding)
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split(self.sep)
            if not fields or not line.strip():
                continue
            if len(fields) < 2:
                raise SchemaError(
                    f"{artifact.path.name} line {number}: expected 'user item ...', got {line!r}"
                )
            users.extend([fields[0]] * (len(fields) - 1))
            items.extend(fields[1:])
        frame = pd.DataFrame({"user": users, "item": items}, dtype=object)
        if self.timestamps:
            frame["item"], frame["timestamp"] = self._split_times(artifact, items)
        frame["order"] = np.arange(len(frame), dtype=np.int64)
        return frame

    def _split_times(self, artifact: Artifact, tokens: list[str]) -> tuple[list[str], np.ndarray]:
        items, stamps = [], []
        for position, token in enumerate(tokens):
            item, sep, stamp = token.rpartition(self.ts_sep)
            try:
                if not sep:
                    raise ValueError
                stamps.append(int(float(stamp)))
            except ValueError:
                raise SchemaError(
                    f"{artifact.path.name}: item token {position + 1} is {token!r}, expected "
                    f"'item{self.ts_sep}timestamp' (timestamps=true); fix the file or set "
                    "parser.timestamps=false"
                ) from None
            items.append(item)
        return items, np.asarray(stamps, dtype=np.int64)
