"""Parser for a user's own data: CSV, TSV, Parquet, or a Hugging Face ``datasets`` folder.

The format comes from ``format`` or, with ``format: auto``, from the file suffix (a directory is
read as a Hugging Face dataset: ``load_from_disk`` for a ``save_to_disk`` folder, else
``load_dataset`` on the folder). Readers live in the ``READERS`` table: adding a format adds one
function and one entry, never a branch.

Example:
    >>> import tempfile, pathlib
    >>> from bench.data.artifact import Artifact
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = p.write_text("uid,iid,ts\\nu1,a,5\\nu2,a,7\\n")
    >>> parse = TableParser(columns={"user": "uid", "item": "iid", "timestamp": "ts"})
    >>> parse(Artifact(p, "sha256:x", "test"))["timestamp"].tolist()
    [5, 7]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from bench.data.artifact import Artifact
from bench.data.errors import SchemaError, one_line
from bench.data.parsers.columns import canonical, check_mapping
from bench.data.parsers.delimited import DelimitedParser
from bench.data.parsers.sequences import SequenceLinesParser


def _delimited(sep: str) -> Callable[[Artifact, TableParser], pd.DataFrame]:
    def read(artifact: Artifact, parser: TableParser) -> pd.DataFrame:
        reader = DelimitedParser(sep=parser.sep or sep, columns=parser.columns)
        return reader.read(artifact)

    return read


def _parquet(artifact: Artifact, parser: TableParser) -> pd.DataFrame:
    with artifact.open() as handle:
        return pd.read_parquet(handle)


def _huggingface(artifact: Artifact, parser: TableParser) -> pd.DataFrame:
    import datasets

    path = artifact.path
    if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
        loaded = datasets.load_from_disk(str(path))
    else:
        loaded = datasets.load_dataset(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if parser.split not in loaded:
            raise SchemaError(
                f"Hugging Face dataset {path.name} has no split {parser.split!r}; it has "
                f"{list(loaded)} - set parser.split"
            )
        loaded = loaded[parser.split]
    return loaded.to_pandas()


def _sequences(artifact: Artifact, parser: TableParser) -> pd.DataFrame:
    """``user item item ...`` lines (S3-Rec / SASRec style), already canonical."""
    lines = SequenceLinesParser(sep=parser.sep, timestamps=parser.timestamps)
    return lines(artifact)


READERS: dict[str, Callable[[Artifact, TableParser], pd.DataFrame]] = {
    "sequences": _sequences,
    "csv": _delimited(","),
    "tsv": _delimited("\t"),
    "parquet": _parquet,
    "hf": _huggingface,
}
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}


class TableParser:
    """Read a user's table and map its columns.

    Args:
        columns: ``{canonical: file column}``, e.g. ``{user: user_id, item: item_id}``; rating
            and timestamp are optional.
        format: one of ``READERS`` (csv, tsv, parquet, hf, sequences) or ``auto`` (by
            suffix). ``sequences``: ``user item item ...`` lines in time order (the column
            mapping is not used).
        sep: separator override for csv / tsv / sequences.
        split: split to read from a Hugging Face DatasetDict.
        timestamps: ``sequences`` only: item tokens are ``item,timestamp``.
    """

    def __init__(
        self,
        columns: Mapping[str, str | None],
        format: str = "auto",
        sep: str | None = None,
        split: str = "train",
        timestamps: bool = False,
    ) -> None:
        if format != "auto" and format not in READERS:
            raise SchemaError(f"format {format!r} unknown; use auto or one of {sorted(READERS)}")
        self.columns = check_mapping(columns)
        self.format, self.sep, self.split = format, sep, split
        self.timestamps = bool(timestamps)

    def resolve_format(self, path: Path) -> str:
        if self.format != "auto":
            return self.format
        if path.is_dir():
            return "hf"
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise SchemaError(
                f"cannot tell the format of {path.name} from its suffix; set parser.format to "
                f"one of {sorted(READERS)}"
            )
        return fmt

    def __call__(self, artifact: Artifact) -> pd.DataFrame:
        fmt = self.resolve_format(artifact.path)
        reader = READERS[fmt]
        try:
            frame = reader(artifact, self)
        except SchemaError:
            raise
        except (OSError, ValueError, TypeError) as err:
            raise SchemaError(one_line(f"cannot read {artifact.path.name}: {err}")) from err
        if fmt == "sequences":  # the lines define the columns themselves
            return canonical(frame, {c: c for c in frame.columns})
        return canonical(frame, self.columns)
