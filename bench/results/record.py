"""The run record: one typed, JSON-serialisable, immutable summary of one training run.

Values are normalised on construction, so ``RunRecord.from_dict(r.to_dict()) == r``: numpy
scalars become Python numbers, tuples become lists, and non-finite floats (NaN, inf) become
``None`` (JSON ``null``). ``config_hash`` is the sha256 of the config's result-relevant part
(:func:`~bench.results.jsonable.result_hash`: no paths, loggers or tags, so reruns of one
command share it) and is checked on load, so a hand-edited config is caught; ``variant_hash``
is the same without the seed, shared by every seed of one configuration (a leaderboard row).

Schema 2 states at top level what a report must not guess: each metric's direction
(``higher_is_better``), the evaluation ``protocol`` (``"full"`` or ``"sampled(...)"``), the
``test_history``, whether validation items were removed from the test ranking
(``exclude_valid``), the target ``gains``, the ``preprocess`` name and the ``split_params``.
Schema 1 records (whose ``config_hash`` covered the whole config) are still read.

Example:
    >>> r = RunRecord(run_id="r1", status="completed", config={"model": {"l2": 0.5}},
    ...               started_at="2024-01-01T00:00:00+00:00", ended_at="2024-01-01T00:01:00+00:00",
    ...               metrics={"test": {"ndcg@10": 0.25, "recall@10": float("nan")}})
    >>> r.metrics
    {'test': {'ndcg@10': 0.25, 'recall@10': None}}
    >>> RunRecord.from_dict(r.to_dict()) == r
    True
    >>> r.config_hash == result_hash({"model": {"l2": 0.5}})
    True
"""

from __future__ import annotations

import json
import math
import re
import traceback
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from bench.results.jsonable import RecordError, config_hash, result_hash, to_jsonable
from bench.results.provenance import Hardware

#: Bump when a field is added, removed or changes meaning; ``from_dict`` refuses newer ones.
SCHEMA_VERSION = 2
Status = Literal["completed", "failed"]
STATUSES: tuple[str, ...] = ("completed", "failed")

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_SPLIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_run_id(run_id: object) -> str:
    """Return ``run_id`` if it is a safe directory name, else raise :class:`RecordError`."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise RecordError(
            f"invalid run id {run_id!r}: use letters, digits, '.', '_' or '-' "
            "(not starting with '.' or '-'), e.g. ResultStore.new_run_id()"
        )
    return run_id


def check_split_name(split: object) -> str:
    """Return ``split`` if it is a valid split name (used in file names and column prefixes)."""
    if not isinstance(split, str) or not _SPLIT.fullmatch(split):
        raise RecordError(f"invalid split name {split!r}: use letters, digits, '_' or '-'")
    return split


_SIGNALS = {130: "SIGINT (Ctrl-C)", 137: "SIGKILL", 143: "SIGTERM"}


def _message(exc: BaseException) -> str:
    """The exception's message; for an interruption, what happened (not a bare exit code).

    Example:
        >>> _message(SystemExit(143))
        'interrupted by SIGTERM (exit status 143); run the same command again to resume'
        >>> _message(KeyboardInterrupt())
        'interrupted by SIGINT (Ctrl-C); run the same command again to resume'
    """
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted by {_SIGNALS[130]}; run the same command again to resume"
    if isinstance(exc, SystemExit):
        code = exc.code
        if isinstance(code, int) and code in _SIGNALS:
            return (
                f"interrupted by {_SIGNALS[code]} (exit status {code}); run the same command "
                "again to resume"
            )
        return f"the run called sys.exit({code!r}) before it finished"
    return str(exc)


@dataclass(frozen=True)
class ErrorInfo:
    """Why a run failed: exception type, message and formatted traceback."""

    type: str
    message: str
    traceback: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        """Capture an exception (with its traceback, if it was raised).

        Example:
            >>> ErrorInfo.from_exception(ValueError("bad lr")).type
            'ValueError'
        """
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(type=type(exc).__qualname__, message=_message(exc), traceback=text)


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """Everything known about one run. See the module docstring for an example."""

    run_id: str
    status: Status
    config: dict[str, Any]
    started_at: str
    ended_at: str
    config_hash: str | None = None  # computed from ``config`` when omitted
    variant_hash: str | None = None  # computed: config_hash without the seed
    model: str | None = None
    dataset: str | None = None
    split: str | None = None
    seed: int | None = None
    dataset_fingerprint: str | None = None
    split_fingerprint: str | None = None
    preprocess: str | None = None
    split_params: dict[str, Any] = field(default_factory=dict)
    protocol: str | None = None
    test_history: str | None = None
    exclude_valid: bool | None = None  # validation items removed from the test ranking
    gains: str | None = None  # target gains: "binary" or "rating" (graded)
    higher_is_better: dict[str, bool] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    packages: dict[str, str | None] = field(default_factory=dict)
    python: str | None = None
    hardware: Hardware | None = None
    wall_seconds: float | None = None
    fit_seconds: float | None = None
    eval_seconds: float | None = None
    peak_rss_bytes: int | None = None
    peak_cuda_bytes: int | None = None
    n_params: int | None = None
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    per_user_splits: tuple[str, ...] = ()
    error: ErrorInfo | None = None
    command: str | None = None
    tags: tuple[str, ...] = ()
    group: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        check_run_id(self.run_id)
        if self.status not in STATUSES:
            raise RecordError(f"status {self.status!r} is not one of {STATUSES}")
        if (self.status == "failed") != (self.error is not None):
            raise RecordError("a failed record needs an error and a completed one must not have")
        for name in ("started_at", "ended_at"):
            _check_time(name, getattr(self, name))
        for name, kinds in _SCALAR_TYPES.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, kinds) or _bad_bool(value, kinds)):
                raise RecordError(f"{name} = {value!r} must be {_names(kinds)} or None")
        if not isinstance(self.config, Mapping):
            raise RecordError(f"config must be a dict, got {type(self.config).__name__}")
        config = to_jsonable(self.config, "config")
        digest = config_hash(config) if self.schema_version < 2 else result_hash(config)
        if self.config_hash is not None and self.config_hash != digest:
            raise RecordError(
                f"config_hash {self.config_hash!r} does not match the config (sha256 {digest!r}):"
                " the record was edited; restore it or delete the run"
            )
        variant = result_hash(config, with_seed=False)
        if self.variant_hash is not None and self.variant_hash != variant:
            raise RecordError(
                f"variant_hash {self.variant_hash!r} does not match the config: the record was "
                "edited; restore it or delete the run"
            )
        set_ = object.__setattr__
        set_(self, "config", config)
        set_(self, "config_hash", digest)
        set_(self, "variant_hash", variant)
        set_(self, "split_params", to_jsonable(dict(self.split_params), "split_params"))
        set_(self, "higher_is_better", _directions(self.higher_is_better))
        set_(self, "metrics", _normalise_metrics(self.metrics))
        set_(self, "packages", to_jsonable(dict(self.packages), "packages"))
        set_(self, "extra", to_jsonable(dict(self.extra), "extra"))
        set_(self, "tags", tuple(_str_items("tags", self.tags)))
        splits = tuple(
            check_split_name(s) for s in _str_items("per_user_splits", self.per_user_splits)
        )
        set_(self, "per_user_splits", splits)
        if self.hardware is not None and not isinstance(self.hardware, Hardware):
            raise RecordError(f"hardware must be a Hardware, got {type(self.hardware).__name__}")
        if self.error is not None and not isinstance(self.error, ErrorInfo):
            raise RecordError(f"error must be an ErrorInfo, got {type(self.error).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dict of the record."""
        return to_jsonable(asdict(self))

    def to_json(self) -> str:
        """Pretty JSON text (sorted keys); ``allow_nan=False`` guarantees strict JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> RunRecord:
        """Rebuild a record from :meth:`to_dict` output; raise :class:`RecordError` if invalid."""
        if not isinstance(data, Mapping):
            raise RecordError(f"a record must be a JSON object, got {type(data).__name__}")
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RecordError(f"schema_version {version!r} is missing or invalid")
        if version > SCHEMA_VERSION:
            raise RecordError(
                f"schema_version {version} is newer than this RankBench reads "
                f"({SCHEMA_VERSION}): upgrade rankbench"
            )
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise RecordError(f"unknown field(s) {unknown} for schema_version {version}")
        required = [
            n for n, f in known.items() if f.default is MISSING and f.default_factory is MISSING
        ]
        missing = [n for n in required if n not in data]
        if missing:
            raise RecordError(f"missing field(s) {missing}")
        values = dict(data)
        try:
            if values.get("hardware") is not None:
                values["hardware"] = Hardware(**values["hardware"])
            if values.get("error") is not None:
                values["error"] = ErrorInfo(**values["error"])
        except TypeError as exc:
            raise RecordError(f"malformed hardware or error entry: {exc}") from None
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        """Parse JSON text written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(f"not valid JSON ({exc})") from None
        return cls.from_dict(data)


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("run_id", "status", "started_at", "ended_at"), (str,)),
    **dict.fromkeys(
        ("config_hash", "model", "dataset", "split", "dataset_fingerprint", "split_fingerprint"),
        (str,),
    ),
    **dict.fromkeys(("variant_hash", "preprocess", "protocol", "test_history", "gains"), (str,)),
    **dict.fromkeys(("git_commit", "python", "command", "group"), (str,)),
    **dict.fromkeys(("seed", "peak_rss_bytes", "peak_cuda_bytes", "n_params"), (int,)),
    **dict.fromkeys(("wall_seconds", "fit_seconds", "eval_seconds"), (int, float)),
    "git_dirty": (bool,),
    "exclude_valid": (bool,),
    "schema_version": (int,),
}


def _bad_bool(value: object, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in kinds


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kinds)


def _check_time(name: str, value: object) -> None:
    try:
        datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RecordError(f"{name} = {value!r} is not an ISO 8601 timestamp") from None


def _str_items(name: str, values: object) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise RecordError(f"{name} must be a list of strings, got {values!r}")
    if not all(isinstance(v, str) for v in values):
        raise RecordError(f"{name} must contain only strings, got {values!r}")
    return list(values)


def _normalise_metrics(metrics: object) -> dict[str, dict[str, float | None]]:
    """Check ``{split: {metric: number}}`` and coerce values to float (non-finite -> None)."""
    if not isinstance(metrics, Mapping):
        raise RecordError(f"metrics must be {{split: {{metric: value}}}}, got {metrics!r}")
    out: dict[str, dict[str, float | None]] = {}
    for split, values in metrics.items():
        check_split_name(split)
        if not isinstance(values, Mapping):
            raise RecordError(f"metrics[{split!r}] must be a dict metric -> value")
        out[split] = {
            check_metric_name(name): to_metric_value(value, f"{split}/{name}")
            for name, value in values.items()
        }
    return out


def _directions(value: object) -> dict[str, bool]:
    """Check ``{metric: higher_is_better}``."""
    if not isinstance(value, Mapping):
        raise RecordError(f"higher_is_better must be {{metric: bool}}, got {value!r}")
    for name, flag in value.items():
        check_metric_name(name)
        if not isinstance(flag, bool):
            raise RecordError(f"higher_is_better[{name!r}] = {flag!r} must be true or false")
    return dict(value)


def check_metric_name(name: object) -> str:
    """Return ``name`` if it can name a metric column (a non-empty string without '/')."""
    if not isinstance(name, str) or not name or "/" in name:
        raise RecordError(f"invalid metric name {name!r}: use a non-empty string without '/'")
    return name


def to_metric_value(value: object, where: str) -> float | None:
    """Coerce a metric value (float, int, numpy or 0-d torch scalar) to float; NaN -> None."""
    if value is None:
        return None
    if isinstance(value, str | bytes | bool):
        raise RecordError(f"metric {where} = {value!r} must be a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RecordError(f"metric {where} = {value!r} must be a number (a scalar)") from None
    return number if math.isfinite(number) else None
