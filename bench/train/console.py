"""What a training run prints: Lightning's INFO chatter and meaningless warnings silenced.

:func:`quiet_console` is called by the ``python -m bench.train`` entry in every job and every
process (DDP ranks, launcher workers). It

- keeps the INFO lines of the ``pytorch_lightning`` / ``lightning.pytorch`` /
  ``lightning_fabric`` loggers off the console: no "GPU available", "💡 Tip", "LOCAL_RANK",
  "Restoring states from the checkpoint path" or "`Trainer.fit` stopped" lines (the run's own
  summary says what happened). Console handlers get a :class:`LightningInfoFilter`, so the
  run's log file (``<run dir>/train.log``) still has them; without a console handler (logging
  not configured) the loggers' level is raised to ``WARNING`` instead;
- drops Lightning's advertisements ("💡 Tip: ... try installing litlogger / litmodels",
  :data:`LIGHTNING_ADS`) from every handler, the run's log file included
  (:func:`drop_lightning_ads`: a filter on the loggers that emit them);
- ignores warnings that say nothing about the run (:data:`NOISE_WARNINGS`: a closed-form ranker
  has no optimizer, a one-batch epoch is shorter than the logging interval, ...);
- makes W&B quiet by default (``WANDB_QUIET=true`` unless set: where the run's files are, no
  run history and summary block, which the run's own summary replaces) and marks its
  "anonymous setting has no effect" deprecation (Lightning always passes ``anonymous``) as
  already shown.

:func:`no_color_unless_terminal` (the entry's first step) sets ``NO_COLOR=1`` unless stdout and
stderr are both terminals, so libraries that colour their logs (Optuna's colorlog handler)
write plain text into files and pipes. :class:`QuietSweep`, a Hydra callback registered in
``conf/hydra/default.yaml``, keeps Optuna's and its storage layer's (alembic) INFO lines off a
sweep's console (Hydra's sweeper prints the study's settings itself).

Real warnings (a logger that cannot start, a non-deterministic kernel, Lightning warnings not in
the list) still show. :func:`quiet_run` applies the warning filters and the advertisement filter
for the duration of one run started from Python (:func:`bench.train.run`), restoring the
caller's warning filters afterwards.

Example:
    >>> import logging, warnings
    >>> info = logging.LogRecord("pytorch_lightning.utilities.rank_zero", logging.INFO, "", 0,
    ...                          "GPU available: False, used: False", None, None)
    >>> LightningInfoFilter().filter(info)
    False
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     ignore_noise_warnings()  # inside catch_warnings, which restores the filters
    ...     warnings.warn("The number of training batches (1) is smaller than the logging interval")
    ...     warnings.warn("a real problem")
    >>> [str(w.message) for w in caught]
    ['a real problem']
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

#: Loggers whose INFO lines are Lightning's chatter (levels raised to WARNING).
LIGHTNING_LOGGERS: tuple[str, ...] = (
    "pytorch_lightning",
    "lightning.pytorch",
    "lightning_fabric",
    "lightning.fabric",
)

#: Message patterns (regular expressions) of warnings that say nothing about the run.
NOISE_WARNINGS: tuple[str, ...] = (
    r".*does not have many workers.*",  # batches are built in the main process on purpose
    r".*GPU available but not used.*",
    r".*isinstance\(treespec, LeafSpec\).*",  # Lightning's internals vs torch's pytree
    r".*Checkpoint directory .* exists and is not empty.*",  # resuming reuses it on purpose
    r".*`LightningModule.configure_optimizers` returned `None`.*",  # closed-form rankers
    r".*The number of training batches \(\d+\) is smaller than the logging interval.*",
)

#: Message patterns (regular expressions) of Lightning's log records that advertise a product
#: instead of describing the run; dropped from every handler (console and log file).
LIGHTNING_ADS: tuple[str, ...] = (r"💡 Tip:",)  # "try installing litlogger / litmodels"
#: The loggers Lightning's ``rank_zero_info`` writes through (where the tips are logged).
RANK_ZERO_LOGGERS: tuple[str, ...] = tuple(f"{n}.utilities.rank_zero" for n in LIGHTNING_LOGGERS)

_WANDB_ANONYMOUS = "The anonymous setting has no effect and will be removed in a future version."


class LightningInfoFilter(logging.Filter):
    """Drop records below ``WARNING`` from Lightning's loggers (a console handler's filter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(
            record.name == name or record.name.startswith(f"{name}.") for name in LIGHTNING_LOGGERS
        )


class LightningAdFilter(logging.Filter):
    """Drop Lightning's advertisement records (:data:`LIGHTNING_ADS`), keep everything else.

    Example:
        >>> ad = logging.LogRecord("pytorch_lightning.utilities.rank_zero", logging.INFO, "", 0,
        ...                        "💡 Tip: For seamless cloud logging, try litlogger", None, None)
        >>> LightningAdFilter().filter(ad)
        False
    """

    _pattern = re.compile("|".join(LIGHTNING_ADS))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not self._pattern.search(record.getMessage())


_AD_FILTER = LightningAdFilter()


def drop_lightning_ads() -> None:
    """Filter :data:`LIGHTNING_ADS` out at the loggers that emit them (idempotent), so no
    handler (console, ``train.log``, a caller's own) receives them."""
    for name in RANK_ZERO_LOGGERS:
        logging.getLogger(name).addFilter(_AD_FILTER)  # adding the same filter twice: no-op


def _console_handlers() -> list[logging.Handler]:
    """Handlers of the root logger and of Lightning's own loggers that write to the terminal
    (stdout or stderr): not files, not a caller's in-memory capture (pytest's ``caplog``)."""
    owners = [logging.getLogger(), *(logging.getLogger(n) for n in LIGHTNING_LOGGERS)]
    terminal = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)}
    return [
        handler
        for owner in owners
        for handler in owner.handlers
        if isinstance(handler, logging.StreamHandler)
        and not isinstance(handler, logging.FileHandler)
        and id(getattr(handler, "stream", None)) in terminal
    ]


def quiet_lightning() -> None:
    """Keep Lightning's INFO lines off the console (see the module docstring)."""
    handlers = _console_handlers()
    if not handlers:
        for name in LIGHTNING_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        return
    for handler in handlers:
        if not any(isinstance(f, LightningInfoFilter) for f in handler.filters):
            handler.addFilter(LightningInfoFilter())


def ignore_noise_warnings() -> None:
    """Ignore the warnings of :data:`NOISE_WARNINGS` (other warnings are untouched)."""
    for pattern in NOISE_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)


def quiet_wandb() -> None:
    """W&B quiet unless ``WANDB_QUIET`` says otherwise; its ``anonymous`` deprecation notice
    marked as shown (a no-op where W&B's internals changed)."""
    os.environ.setdefault("WANDB_QUIET", "true")
    try:
        from wandb.errors import term
    except Exception:  # W&B missing or broken: nothing to quiet
        return
    printed = getattr(term, "_printed_messages", None)
    prefix = getattr(term, "WARN_STRING", None)
    if isinstance(printed, set) and isinstance(prefix, str):
        printed.add(f"{prefix} {_WANDB_ANONYMOUS}")


def no_color_unless_terminal() -> None:
    """``NO_COLOR=1`` (unless set) when stdout or stderr is not a terminal."""
    streams = (sys.stdout, sys.stderr)
    if not all(getattr(stream, "isatty", lambda: False)() for stream in streams):
        os.environ.setdefault("NO_COLOR", "1")


class QuietSweep(Callback):
    """A Hydra callback: before the sweeper starts, Optuna and alembic log warnings only."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        sweeper = str(OmegaConf.select(config, "hydra.sweeper._target_", default="") or "")
        if "optuna" in sweeper.lower():
            try:
                import optuna
            except ImportError:  # the sweeper will say so itself
                return
            optuna.logging.set_verbosity(optuna.logging.WARNING)


def one_line_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int,
    line: str | None = None,
) -> str:  # fmt: skip
    """``warnings.formatwarning`` for the console: ``warning: <message>`` on one line (no
    source path, no code excerpt; the run's log file keeps the details).

    Example:
        >>> one_line_warning(UserWarning("ckpt x is bad"), UserWarning, "a.py", 3).strip()
        'warning: ckpt x is bad'
    """
    text = " ".join(str(message).split())
    return f"warning: {text}\n"


@contextmanager
def quiet_run() -> Iterator[None]:
    """One run started from Python: :data:`NOISE_WARNINGS` ignored and Lightning's
    advertisements dropped inside, the caller's warning filters restored afterwards."""
    drop_lightning_ads()
    with warnings.catch_warnings():
        ignore_noise_warnings()
        yield


def quiet_console() -> None:
    """All of the above: call once per process before the run (idempotent)."""
    quiet_lightning()
    drop_lightning_ads()
    ignore_noise_warnings()
    quiet_wandb()
    warnings.formatwarning = one_line_warning
