"""A run started from Python carries none of Lightning's noise: no "configure_optimizers
returned None" warning for a closed-form ranker, no "💡 Tip: ... litlogger" record (in no
handler, so not in ``train.log`` either); real warnings and Lightning's other INFO lines stay."""

from __future__ import annotations

import logging
import warnings

import pytest
from console_helpers import REAL_WARNING
from train_helpers import compose_train

from bench.train.console import LIGHTNING_LOGGERS, drop_lightning_ads
from bench.train.runner import run


def test_closed_form_run_has_no_optimizer_warning_or_tip(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = compose_train(
        ["model=pop", "threads=1", "+callbacks.warn._target_=console_helpers.WarnAtFitStart"],
        tmp_path,
    )
    caplog.set_level(logging.INFO)
    for name in LIGHTNING_LOGGERS:  # an earlier in-process CLI run may have quietened them
        caplog.set_level(logging.INFO, logger=name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()  # not pytest's filters (pyproject ignores the optimizer one)
        warnings.simplefilter("always")
        run(cfg)
        after = list(warnings.filters)
    messages = [str(w.message) for w in caught]
    assert REAL_WARNING in messages  # a real warning still shows
    assert not [m for m in messages if "configure_optimizers" in m], messages
    logged = caplog.text
    assert "GPU available" in logged  # Lightning's other INFO lines are kept (log file)
    assert "💡" not in logged and "litlogger" not in logged
    assert after == [("always", None, Warning, None, 0)]  # the caller's filters restored


def test_ad_filter_keeps_other_records(caplog: pytest.LogCaptureFixture) -> None:
    drop_lightning_ads()
    drop_lightning_ads()  # idempotent
    logger = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    caplog.set_level(logging.INFO, logger=logger.name)  # whatever earlier tests left behind
    assert len(logger.filters) == len(set(map(id, logger.filters)))
    with caplog.at_level(logging.INFO):
        logger.info("💡 Tip: For seamless cloud logging, try installing litlogger")
        logger.info("GPU available: False, used: False")
        logger.warning("💡 Tip: a warning is never dropped")
    assert [r.getMessage() for r in caplog.records] == [
        "GPU available: False, used: False",
        "💡 Tip: a warning is never dropped",
    ]


def test_quieting_leaves_a_callers_in_memory_handler_alone() -> None:
    """quiet_lightning filters terminal handlers only: a caller's capture (pytest's caplog is an
    in-memory StreamHandler) keeps every record, so a later test still sees Lightning's INFO."""
    import io
    import sys

    from bench.train.console import LightningInfoFilter, quiet_lightning

    capture, terminal = logging.StreamHandler(io.StringIO()), logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.addHandler(capture)
    root.addHandler(terminal)
    try:
        quiet_lightning()
        assert capture.filters == []
        assert any(isinstance(f, LightningInfoFilter) for f in terminal.filters)
    finally:
        root.removeHandler(capture)
        root.removeHandler(terminal)
