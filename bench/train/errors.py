"""User-facing errors of the runner and their one-line rendering for the CLI.

Example:
    >>> from omegaconf.errors import ConfigKeyError
    >>> err = RuntimeError("Could not override 'model.l3'.\\nTo append use +model.l3=5")
    >>> err.__cause__ = ConfigKeyError("Key 'l3' is not in struct\\n    full_key: model.l3")
    >>> print(one_line_error(err))  # doctest: +NORMALIZE_WHITESPACE
    Could not override 'model.l3'. To append use +model.l3=5
    (Key 'l3' is not in struct; full_key: model.l3)
"""

from __future__ import annotations

import re


class RunConfigError(ValueError):
    """The run's configuration is invalid (a wrong key, type or value); one-line message."""


def _flat(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines)


def one_line_error(err: BaseException) -> str:
    """The message of ``err`` (and of the config error that caused it) on one line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    head = " ".join(lines) if lines else type(err).__name__
    cause = err.__cause__
    if cause is not None and str(cause).strip() and str(cause).strip() not in head:
        head = f"{head} ({_flat(str(cause))})"
    head = head.split(" Config search path:")[0]  # Hydra's long tail on unknown options
    return re.sub(r"\s+", " ", head).strip()


def is_user_error(err: BaseException) -> bool:
    """True for errors caused by the user's input: config, data, metric names, our checks.

    Config errors (Hydra, OmegaConf) and ``ValueError`` subclasses defined in RankBench's own
    packages qualify; anything else is a bug and keeps its traceback.
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(err, HydraException | OmegaConfBaseException | RunConfigError):
        return True
    module = type(err).__module__ or ""
    return isinstance(err, ValueError) and module.split(".")[0] in ("bench", "baselines")
