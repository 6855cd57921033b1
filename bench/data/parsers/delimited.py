"""Parser for delimited text: MovieLens ``u.data`` / ``ratings.dat`` / ``ratings.csv``, RecBole
``.inter`` files, ``user item`` lines, and a user's own CSV / TSV.

Example:
    >>> import tempfile, pathlib
    >>> from bench.data.artifact import Artifact
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.dat"
    >>> _ = p.write_bytes(b"1::10::5::97\\n2::10::3::98\\n")
    >>> parse = DelimitedParser(sep="::", header=False, names=["u", "i", "r", "t"],
    ...                         columns={"user": "u", "item": "i", "rating": "r", "timestamp": "t"})
    >>> parse(Artifact(p, "sha256:x", "test"))["item"].tolist()
    ['10', '10']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import pandas as pd

from bench.data.artifact import Artifact
from bench.data.errors import SchemaError, one_line
from bench.data.parsers.columns import canonical, check_mapping


class DelimitedParser:
    """Read a delimited text file and map its columns.

    Args:
        sep: field separator; multi-character separators (``::``) are supported.
        header: whether the first line holds column names.
        names: column names for a file without header.
        columns: ``{canonical: file column}``; canonical names are user, item, rating,
            timestamp (the last two optional). Defaults to the identity on ``names``.
        encoding: text encoding of the file (MovieLens-1M is latin-1).
        quotechar: quote character, or ``None`` for files where quotes are literal text.
    """

    def __init__(
        self,
        sep: str = ",",
        header: bool = True,
        names: Sequence[str] | None = None,
        columns: Mapping[str, str | None] | None = None,
        encoding: str = "utf-8",
        quotechar: str | None = '"',
    ) -> None:
        if not header and not names:
            raise SchemaError("a file without header needs parser.names (its column names)")
        self.sep, self.header, self.encoding, self.quotechar = sep, header, encoding, quotechar
        self.names = list(names) if names else None
        self.columns = check_mapping(columns or {n: n for n in self.names or ["user", "item"]})
        unnamed = sorted(set(self.columns.values()) - set(self.names or self.columns.values()))
        if unnamed:
            raise SchemaError(
                f"missing column {unnamed} in parser.names {self.names}; map columns to names"
            )

    def read(self, artifact: Artifact) -> pd.DataFrame:
        """The file as a frame of strings, with the file's own column names."""
        data, sep = artifact.read_bytes(), self.sep
        if len(sep) > 1 and b"\t" not in data:  # the C engine handles one-char separators only
            data, sep = data.replace(sep.encode(self.encoding), b"\t"), "\t"
        try:
            return pd.read_csv(
                io.BytesIO(data),
                sep=sep,
                header=0 if self.header else None,
                names=None if self.header else self.names,
                usecols=list(self.columns.values()) if not self.header else None,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=self.encoding,
                quoting=csv.QUOTE_MINIMAL if self.quotechar else csv.QUOTE_NONE,
                quotechar=self.quotechar or '"',
                engine="c" if len(sep) == 1 else "python",
            )
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
            raise SchemaError(one_line(f"cannot parse {artifact.path.name}: {err}")) from err

    def __call__(self, artifact: Artifact) -> pd.DataFrame:
        return canonical(self.read(artifact), self.columns)
