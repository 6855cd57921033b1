"""Start-up validation of a composed ``train`` config into typed settings.

Everything the runner owns is checked before any data is touched, and each problem raises a
:class:`~bench.train.errors.RunConfigError` with one line naming the key:

- top-level keys (``seed``, ``tags``, ``resume``, ``threads``, ``max_memory_gb``,
  ``early_stopping``, ``callbacks``) against
  :class:`RunSchema`, and no unknown top-level key;
- ``eval`` against :class:`EvalSchema` (unknown keys, types), then its metric names;
- ``dataset`` / ``preprocess`` with the dataset layer's validators;
- ``split`` by building the splitter;
- ``model`` and ``trainer``: the ``_target_`` resolves (a :class:`~bench.rankers.Ranker` for
  ``model``) and every key is a parameter of it, of the annotated type.

Example:
    >>> from omegaconf import OmegaConf
    >>> try:
    ...     check_schema(OmegaConf.create({"batch_size": "many"}), EvalSchema, "eval")
    ... except RunConfigError as err:
    ...     print(str(err)[:39])
    eval.batch_size='many': Value 'many' of
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass, field, fields
from typing import Any

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.rankers import Evaluation, Ranker
from bench.rankers.history import GAINS, TEST_HISTORIES
from bench.train.errors import RunConfigError, one_line_error

GROUPS = ("dataset", "preprocess", "split", "model", "eval", "trainer", "logger", "paths")


@dataclass
class EvalSchema:
    """``conf/eval/*.yaml``: protocol, metrics, selection metric, batching, test history."""

    protocol: Any = field(default_factory=lambda: {"_target_": "bench.eval.FullRanking"})
    metrics: list[str] = field(default_factory=lambda: ["ndcg@10"])
    select: str | None = None
    batch_size: int = 1024
    test_history: str = "train_valid"
    exclude_valid: bool = True
    gains: str = "binary"
    head_share: float = 0.2


@dataclass
class EarlyStoppingSchema:
    """Stop after ``patience`` validation epochs without an improvement above ``min_delta``."""

    patience: int = 10
    min_delta: float = 0.0


@dataclass
class RunSchema:
    """Top-level keys of ``conf/train.yaml`` owned by the runner."""

    seed: int = 0
    tags: list[str] = field(default_factory=list)
    resume: bool = True
    threads: int | None = None
    max_memory_gb: float | None = None
    allow_leakage: bool = False
    early_stopping: EarlyStoppingSchema | None = field(default_factory=EarlyStoppingSchema)
    callbacks: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSettings:
    """The validated, typed view of a ``train`` config."""

    run: RunSchema
    eval: EvalSchema
    evaluation: Evaluation
    splitter: Any
    #: dataset inputs the metrics read (``"item_features"`` for ild@K): the runner loads
    #: the dataset's feature tables only when this is not empty
    features: tuple[str, ...] = ()


def check_schema(node: Any, schema: type, where: str) -> Any:
    """Merge ``node`` into the structured ``schema``; return the typed object."""
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), node)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        key = f"{where}.{err.full_key}" if getattr(err, "full_key", None) else where
        value = OmegaConf.select(node, str(err.full_key)) if err.full_key else None
        shown = f"{key}={value!r}" if value is not None else key
        raise RunConfigError(f"{shown}: {one_line_error(err).split(' full_key:')[0]}") from None


_SIMPLE = (int, float, bool, str)


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits ``hint``: plain ``int``/``float``/``bool``/``str``, ``Literal``
    values, and unions (``Optional[int]``...) made only of those; anything richer (containers,
    classes) is left to the class itself.

    Example:
        >>> from typing import Literal, Optional, Union
        >>> _type_ok("abc", Optional[int]), _type_ok(3, Optional[int]), _type_ok(2, float)
        (False, True, True)
        >>> _type_ok("warn", Union[bool, Literal["warn"], None]), _type_ok("x", Literal["a"])
        (True, False)
        >>> _type_ok("cpu", Union[str, object])
        True
    """
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (bool, str):
        return isinstance(value, hint)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        flat = []
        for option in options:  # nested unions and literals
            if typing.get_origin(option) in (typing.Union, types.UnionType):
                flat += [a for a in typing.get_args(option) if a is not type(None)]
            else:
                flat.append(option)
        simple = all(a in _SIMPLE or typing.get_origin(a) is typing.Literal for a in flat)
        return not simple or any(_type_ok(value, a) for a in flat)
    return True


def _hint_name(hint: Any) -> str:
    """``Optional[int]`` -> ``'int'``; ``Literal['a', 'b']`` -> ``"one of 'a', 'b'"``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    names = []
    for arg in args:
        if typing.get_origin(arg) is typing.Literal:
            names.append("one of " + ", ".join(repr(v) for v in typing.get_args(arg)))
        else:
            names.append(getattr(arg, "__name__", str(arg)))
    return " or ".join(names) or str(hint)


def check_target(node: Any, where: str, base: type | None = None, **given: Any) -> type:
    """Check ``node._target_`` resolves and every other key is a parameter of the right type."""
    if not isinstance(node, DictConfig) or "_target_" not in node:
        raise RunConfigError(f"{where} needs a _target_ (the class to build), e.g. {where}=<name>")
    try:
        target = get_class(str(node._target_))
    except Exception as err:
        raise RunConfigError(f"{where}._target_={node._target_!r}: {one_line_error(err)}") from None
    if base is not None and not issubclass(target, base):
        raise RunConfigError(
            f"{where}._target_={node._target_!r} is not a {base.__module__}.{base.__name__}"
        )
    kwargs = {k: v for k, v in OmegaConf.to_container(node, resolve=True).items()}
    kwargs.pop("_target_")
    for key in [k for k in kwargs if k.startswith("_") and k.endswith("_")]:
        kwargs.pop(key)
    signature = inspect.signature(target)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = [k for k in kwargs if k not in signature.parameters and not accepts_any]
    if unknown:
        names = [n for n in signature.parameters if n not in given and n != "self"]
        raise RunConfigError(
            f"{where}.{unknown[0]}: {target.__name__} has no parameter {unknown[0]!r}; "
            f"valid: {', '.join(names)}"
        )
    try:
        hints = typing.get_type_hints(target.__init__)
    except Exception:
        hints = {}
    for key, value in kwargs.items():
        if key in hints and value is not None and not _type_ok(value, hints[key]):
            hint = hints[key]
            kind = _hint_name(hint) if typing.get_origin(hint) else hint.__name__
            raise RunConfigError(f"{where}.{key}={value!r} must be {kind} ({target.__name__})")
    return target


def _build(node: Any, where: str) -> Any:
    try:
        return instantiate(node)
    except Exception as err:
        cause = err.__cause__ or err
        raise RunConfigError(f"{where}: {one_line_error(cause)}") from None


#: What the runner gives the evaluator: a metric requiring anything else cannot be computed.
RUNNER_PROVIDES = ("item_popularity", "n_train_users")


def check_metric_inputs(metrics: Any, declared: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Refuse, before any training, a metric whose inputs the run cannot provide: what the
    runner always gives (:data:`RUNNER_PROVIDES`) plus what the dataset ``declared``
    (:func:`bench.data.features.declared_inputs`: ``ild@K`` needs ``item_features``).
    Returns the declared inputs the metrics read.

    Example:
        >>> check_metric_inputs(["ndcg@10", "novelty@10"], declared=("item_features",))
        ()
        >>> check_metric_inputs(["ild@10"], declared=("item_features",))
        ('item_features',)
        >>> try:
        ...     check_metric_inputs(["ild@10"])
        ... except RunConfigError as err:
        ...     print(str(err)[:52])
        eval.metrics: ild@10 needs item_features, which this
    """
    from bench.metrics import parse_metric

    provided, used = (*RUNNER_PROVIDES, *declared), set()
    for metric in metrics:
        requires = parse_metric(str(metric)).spec.requires
        used.update(r for r in requires if r in declared)
        missing = [r for r in requires if r not in provided]
        if missing:
            raise RunConfigError(
                f"eval.metrics: {metric} needs {', '.join(missing)}, which this run cannot "
                "provide (the dataset declares no item features); declare them in the dataset "
                "config (dataset.item_features, see conf/dataset/custom.yaml) or remove "
                f"{metric} from eval.metrics"
            )
    return tuple(sorted(used))


def check_validation(splitter: Any, run: RunSchema) -> None:
    """Refuse early stopping with a splitter that makes no validation data (``has_validation``
    False: ``split=predefined`` with ``valid: none``): there would be nothing to monitor.

    Example:
        >>> from bench.split import Predefined
        >>> try:
        ...     check_validation(Predefined(valid="none"), RunSchema())
        ... except RunConfigError as err:
        ...     print(str(err)[:52])
        early_stopping is on but split.valid=none makes no v
    """
    if run.early_stopping is not None and not getattr(splitter, "has_validation", True):
        raise RunConfigError(
            "early_stopping is on but split.valid=none makes no validation data to monitor - "
            "set early_stopping=null (train for trainer.max_epochs), or carve validation from "
            "train: split.valid=random_holdout or split.valid=leave_last_out"
        )


def load_settings(cfg: DictConfig) -> RunSettings:
    """Validate ``cfg`` (see the module docstring) and return typed settings."""
    from bench.data.features import declared_inputs
    from bench.data.preprocess import preprocess_config
    from bench.data.registry import dataset_config

    allowed = set(GROUPS) | {f.name for f in fields(RunSchema)}
    unknown = sorted(str(k) for k in cfg if k not in allowed)
    if unknown:
        raise RunConfigError(
            f"unknown top-level key {unknown[0]!r}; valid: {', '.join(sorted(allowed))}"
        )
    missing = [g for g in GROUPS if g not in ("logger",) and cfg.get(g) is None]
    if missing:
        raise RunConfigError(f"no {missing[0]} config; choose one, e.g. {missing[0]}=<name>")
    top = OmegaConf.create({k: cfg[k] for k in cfg if k not in GROUPS})
    run = check_schema(top, RunSchema, "train")
    eval_schema = check_schema(cfg.eval, EvalSchema, "eval")
    declared = declared_inputs(dataset_config(cfg.dataset))
    preprocess_config(cfg.preprocess)
    if run.threads is not None and run.threads < 1:
        raise RunConfigError(f"threads={run.threads} must be >= 1 (or null for torch's default)")
    if run.max_memory_gb is not None and not run.max_memory_gb > 0:
        raise RunConfigError(f"max_memory_gb={run.max_memory_gb} must be > 0 (or null: no cap)")
    if eval_schema.test_history not in TEST_HISTORIES:
        raise RunConfigError(
            f"eval.test_history={eval_schema.test_history!r} is not one of {TEST_HISTORIES}"
        )
    if eval_schema.gains not in GAINS:
        raise RunConfigError(
            f"eval.gains={eval_schema.gains!r} is not one of {GAINS}: binary (every target "
            "counts 1) or rating (the target's rating is its gain, graded NDCG)"
        )
    if not 0.0 < eval_schema.head_share < 1.0:
        raise RunConfigError(
            f"eval.head_share={eval_schema.head_share} must be in (0, 1): the share of the "
            "catalogue (most popular items first) that reports call head items"
        )
    if eval_schema.batch_size < 1:
        raise RunConfigError(f"eval.batch_size={eval_schema.batch_size} must be >= 1")
    protocol = _build(cfg.eval.protocol, "eval.protocol")
    try:
        evaluation = Evaluation(eval_schema.metrics, eval_schema.select, protocol)
    except ValueError as err:
        raise RunConfigError(f"eval: {one_line_error(err)}") from None
    features = check_metric_inputs(evaluation.metrics, declared)
    check_target(cfg.model, "model", Ranker, n_users=1, n_items=1)
    check_target(cfg.trainer, "trainer")
    splitter = _build(cfg.split, "split")
    check_validation(splitter, run)
    for name, node in (cfg.get("callbacks") or {}).items():
        if node is not None:
            check_target(node, f"callbacks.{name}")
    return RunSettings(
        run=run, eval=eval_schema, evaluation=evaluation, splitter=splitter, features=features
    )
