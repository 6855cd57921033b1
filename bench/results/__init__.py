"""Run results: the record schema, the write-once store, provenance capture and loading.

The runner wraps each run in a :class:`RunRecorder`; reports read the store with :func:`load`.

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> with RunRecorder(root, {"model": {"name": "pop"}, "seed": 1}) as rec:
    ...     rec.set_metrics("test", {"ndcg@10": 0.3})
    >>> load(root, status="completed")[["model", "test/ndcg@10"]].values.tolist()
    [['pop', 0.3]]
"""

from bench.results.bundle import BundleError, BundleStore, export_bundle, open_bundle
from bench.results.jsonable import RecordError, config_hash, result_config, result_hash
from bench.results.load import load, load_per_user, metric_columns
from bench.results.provenance import Hardware, Timer, reproduce_command
from bench.results.record import SCHEMA_VERSION, ErrorInfo, RunRecord
from bench.results.recorder import RunRecorder
from bench.results.store import CorruptRecordError, ResultStore, RunExistsError, new_run_id

__all__ = [
    "SCHEMA_VERSION",
    "BundleError",
    "BundleStore",
    "CorruptRecordError",
    "ErrorInfo",
    "Hardware",
    "RecordError",
    "ResultStore",
    "RunExistsError",
    "RunRecord",
    "RunRecorder",
    "Timer",
    "config_hash",
    "export_bundle",
    "load",
    "load_per_user",
    "metric_columns",
    "new_run_id",
    "open_bundle",
    "reproduce_command",
    "result_config",
    "result_hash",
]
