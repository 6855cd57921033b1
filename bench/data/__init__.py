"""RankBench dataset layer: declared datasets, verified fetching, parsing, preprocessing, cache.

Public API:

- :func:`prepare` (dataset config, preprocess config, cache dir) -> :class:`Interactions`
- :func:`load` (dataset name, preprocess name, overrides) -> :class:`Interactions`
- ``python -m bench.data dataset=ml-1m preprocess=implicit_3_10core split=...`` (statistics)

Datasets are declared in ``conf/dataset/<name>.yaml``; preprocessing in ``conf/preprocess/``.
"""

from bench.data.errors import DataError
from bench.data.interactions import Interactions
from bench.data.loader import load
from bench.data.prepare import prepare
from bench.data.preprocess import PreprocessConfig

__all__ = ["DataError", "Interactions", "PreprocessConfig", "load", "prepare"]
