"""Parser for one-line-per-user sequence files (S3-Rec): ``user item1 item2 ...``.

Items are listed in chronological order and there is no timestamp, so the canonical ``order``
column (the position in the flattened file) carries the chronology.

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
    """

    def __init__(self, sep: str | None = None, encoding: str = "utf-8") -> None:
        self.sep, self.encoding = sep, encoding

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
        frame["order"] = np.arange(len(frame), dtype=np.int64)
        return frame
