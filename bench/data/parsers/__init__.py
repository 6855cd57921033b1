"""Parsers turn a verified raw file into a frame of canonical raw columns.

A parser is any callable ``parser(artifact) -> pandas.DataFrame`` returning ``user`` and
``item`` (raw ids), optionally ``rating``, ``timestamp`` and ``order``. Dataset configs name one
with ``_target_``; a new file format adds a module here, never a branch elsewhere.
"""

from bench.data.parsers.delimited import DelimitedParser
from bench.data.parsers.sequences import SequenceLinesParser
from bench.data.parsers.table import TableParser

__all__ = ["DelimitedParser", "SequenceLinesParser", "TableParser"]
