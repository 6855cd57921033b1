"""``RunRecorder``: the context manager the runner wraps a run in, so every run leaves a record.

On a normal exit it writes a ``completed`` record; if the block raises (any exception, including
``KeyboardInterrupt``) it writes a ``failed`` record carrying the exception's type, message and
traceback, plus whatever metrics were set before the failure, and re-raises. A process killed
by SIGKILL writes nothing (at most a ``.tmp-*`` directory, which readers ignore); SIGTERM kills
Python without an exception unless the runner installs a handler that raises.

Example:
    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> config = {"model": {"_target_": "baselines.pop.Pop"}, "seed": 3}
    >>> with RunRecorder(store, config, dataset="ml-100k", group="sweep-1") as rec:
    ...     with rec.time_fit():
    ...         pass  # trainer.fit(...)
    ...     rec.set_metrics("test", {"ndcg@10": 0.125})
    >>> r = store.read(rec.run_id)
    >>> r.status, r.model, r.seed, r.metrics["test"]["ndcg@10"], r.fit_seconds >= 0
    ('completed', 'Pop', 3, 0.125, True)
"""

from __future__ import annotations

import operator
import os
import platform
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from bench.results.jsonable import RecordError, result_hash, to_jsonable
from bench.results.markers import RunMarker, remove_marker, write_marker
from bench.results.provenance import (
    DEFAULT_PACKAGES,
    Timer,
    command_line,
    count_parameters,
    git_info,
    hardware_info,
    package_versions,
    peak_cuda_bytes,
    peak_rss_bytes,
    reset_cuda_peak,
    reset_peak_rss,
    utc_now,
)
from bench.results.record import (
    ErrorInfo,
    RunRecord,
    check_metric_name,
    check_split_name,
    to_metric_value,
)
from bench.results.store import ResultStore, check_per_user, new_run_id


def name_from_config(config: Mapping[str, Any], group: str) -> str | None:
    """A short name for a config group: its ``name``, else its ``_target_``'s last part.

    Example:
        >>> name_from_config({"model": {"_target_": "baselines.ease.EASE", "l2": 1}}, "model")
        'EASE'
        >>> name_from_config({"dataset": {"name": "ml-1m"}}, "dataset"), name_from_config({}, "x")
        ('ml-1m', None)
    """
    node = config.get(group)
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping):
        if isinstance(node.get("name"), str):
            return node["name"]
        if isinstance(node.get("_target_"), str):
            return node["_target_"].rsplit(".", 1)[-1]
    return None


class RunRecorder:
    """Record one run into a :class:`ResultStore` (see the module docstring).

    Args:
        store: The store, or its root directory.
        config: The resolved config: a plain dict or an OmegaConf config (resolved here).
        run_id: Defaults to :func:`new_run_id`.
        model, dataset, split: Names; default to :func:`name_from_config` of that group.
        seed: Defaults to ``config["seed"]``.
        command: The reproduce command (see ``provenance.reproduce_command``); default:
            this process's ``sys.argv`` as a shell command.
        tags, group: Free labels; ``group`` names the sweep.
        code_dir: Directory whose git commit is recorded (default: RankBench's checkout).
        packages: Distributions whose versions are recorded.
    """

    def __init__(
        self,
        store: ResultStore | str | os.PathLike[str],
        config: Mapping[str, Any] | Any,
        *,
        run_id: str | None = None,
        model: str | None = None,
        dataset: str | None = None,
        split: str | None = None,
        seed: int | None = None,
        command: str | None = None,
        tags: Sequence[str] = (),
        group: str | None = None,
        code_dir: str | os.PathLike[str] | None = None,
        packages: Sequence[str] = DEFAULT_PACKAGES,
    ) -> None:
        self.store = store if isinstance(store, ResultStore) else ResultStore(store)
        if OmegaConf.is_config(config):
            config = OmegaConf.to_container(config, resolve=True)
        if not isinstance(config, Mapping):
            raise RecordError(f"config must be a mapping, got {type(config).__name__}")
        self.config: dict[str, Any] = to_jsonable(config, "config")
        self.run_id = run_id if run_id is not None else new_run_id()
        config_seed = self.config.get("seed")
        if not isinstance(config_seed, int) or isinstance(config_seed, bool):
            config_seed = None
        self._fields: dict[str, Any] = {
            "run_id": self.run_id,
            "model": model if model is not None else name_from_config(self.config, "model"),
            "dataset": dataset if dataset is not None else name_from_config(self.config, "dataset"),
            "split": split if split is not None else name_from_config(self.config, "split"),
            "seed": seed if seed is not None else config_seed,
            "command": command if command is not None else command_line(),
            "tags": tuple(tags),
            "group": group,
        }
        self._code_dir = code_dir
        self._packages = tuple(packages)
        self._metrics: dict[str, dict[str, float | None]] = {}
        self._per_user: dict[str, pd.DataFrame] = {}
        self._extra: dict[str, Any] = {}
        self._started: float | None = None
        self.record: RunRecord | None = None
        self.path: Path | None = None
        self._update()

    def _update(self, **changes: Any) -> None:
        """Set record fields, validated now so that writing the record at exit cannot fail."""
        now = utc_now()
        fields = {"started_at": now, **self._fields, **changes}
        RunRecord(**fields, status="completed", config=self.config, ended_at=now)
        self._fields.update(changes)

    # -- filled in by the runner -------------------------------------------------------------
    def set_fingerprints(self, *, dataset: str | None = None, split: str | None = None) -> None:
        """Record the dataset and split fingerprints (``Interactions``/``Split.fingerprint``)."""
        if dataset is not None:
            self._update(dataset_fingerprint=dataset)
        if split is not None:
            self._update(split_fingerprint=split)

    def set_protocol(
        self,
        *,
        protocol: str,
        test_history: str | None,
        higher_is_better: Mapping[str, bool],
        exclude_valid: bool | None = None,
        gains: str | None = None,
        preprocess: str | None = None,
        split_params: Mapping[str, Any] | None = None,
    ) -> None:
        """Record how the run was evaluated: protocol label (``"full"``, ``"sampled(...)"``),
        test history, whether validation items were removed from the test ranking, the target
        gains (``binary`` / ``rating``), each
        metric's direction, the preprocessing name and split parameters."""
        self._update(
            protocol=protocol,
            test_history=test_history,
            exclude_valid=exclude_valid,
            gains=gains,
            higher_is_better=dict(higher_is_better),
            preprocess=preprocess,
            split_params=dict(split_params or {}),
        )

    def set_params(self, n_params: int) -> None:
        """Record the model's parameter count."""
        try:
            count = operator.index(n_params)
        except TypeError:
            raise RecordError(f"n_params = {n_params!r} must be an integer") from None
        self._update(n_params=count)

    def count_params(self, module: Any) -> int:
        """Count and record a ``torch.nn.Module``'s parameters; returns the count."""
        n_params = count_parameters(module)
        self.set_params(n_params)
        return n_params

    def set_metrics(self, split: str, metrics: Mapping[str, Any]) -> None:
        """Record summary metrics of one split (``"valid"``, ``"test"``); merges with earlier."""
        check_split_name(split)
        values = {
            check_metric_name(k): to_metric_value(v, f"{split}/{k}") for k, v in metrics.items()
        }
        self._metrics.setdefault(split, {}).update(values)

    def set_per_user(self, split: str, frame: pd.DataFrame) -> None:
        """Record one split's per-user values (``user`` + one numeric column per metric)."""
        self._per_user[check_split_name(split)] = check_per_user(frame, split).copy()

    def set_extra(self, key: str, value: Any) -> None:
        """Record a free-form JSON-able value (say ``best_epoch``) under ``extra``."""
        self._extra[key] = to_jsonable(value, f"extra.{key}")

    @contextmanager
    def time_fit(self) -> Iterator[None]:
        """Time a block as fitting (accumulates over several blocks)."""
        yield from self._timed("fit_seconds")

    @contextmanager
    def time_eval(self) -> Iterator[None]:
        """Time a block as evaluation (accumulates over several blocks)."""
        yield from self._timed("eval_seconds")

    def _timed(self, key: str) -> Iterator[None]:
        timer = Timer()
        try:
            with timer:
                yield
        finally:
            self._fields[key] = (self._fields.get(key) or 0.0) + (timer.seconds or 0.0)

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self) -> RunRecorder:
        if self._started is not None:
            raise RuntimeError("a RunRecorder records one run; create a new one for the next")
        git = git_info(self._code_dir)
        self._fields.update(
            started_at=utc_now(),
            git_commit=git.commit,
            git_dirty=git.dirty,
            packages=package_versions(self._packages),
            python=platform.python_version(),
            hardware=hardware_info(),
        )
        reset_cuda_peak()
        reset_peak_rss()
        marker_fields = ("model", "dataset", "split", "seed", "group", "tags", "command")
        marker = RunMarker.now(
            self.run_id,
            config_hash=result_hash(self.config),
            **{k: self._fields.get(k) for k in marker_fields},
        )
        try:
            write_marker(self.store.root, marker)
        except OSError as err:  # a read-only store fails at the record anyway; say it now
            raise RecordError(
                f"cannot write to the results store {self.store.root}: {err}"
            ) from None
        self._started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        wall = time.perf_counter() - (self._started or time.perf_counter())
        try:
            self.record = RunRecord(
                **self._fields,
                status="completed" if exc is None else "failed",
                error=None if exc is None else ErrorInfo.from_exception(exc),
                config=self.config,
                ended_at=utc_now(),
                wall_seconds=wall,
                peak_rss_bytes=peak_rss_bytes(),
                peak_cuda_bytes=peak_cuda_bytes(),
                metrics=self._metrics,
                per_user_splits=tuple(sorted(self._per_user)),
                extra=self._extra,
            )
            self.path = self.store.write(self.record, self._per_user)
            remove_marker(self.store.root, self.run_id)
        except Exception as write_error:
            if exc is None:
                raise
            exc.add_note(
                f"(and the failed-run record {self.run_id} was not written: {write_error})"
            )
        return False  # never swallow the run's exception
