"""Log a report to Weights & Biases: the tidy table as a W&B Table, the page as W&B HTML.

Offline by default like every run (``WANDB_MODE`` decides; ``disabled`` logs nothing); the
W&B run is always finished, even when logging fails.

Example:
    >>> import os, tempfile
    >>> from bench.report.model import Report, Settings
    >>> empty = Report("t", "now", "results", (), (), (), False, {}, Settings())
    >>> os.environ["WANDB_MODE"] = "disabled"
    >>> log_to_wandb(empty, save_dir=tempfile.mkdtemp()) is None
    True
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.report.model import Report


def log_to_wandb(
    report: Report,
    *,
    project: str = "rankbench",
    save_dir: str | os.PathLike[str] = "outputs",
    name: str | None = None,
    with_html: bool = True,
) -> Path | None:
    """Log ``report`` to a new W&B run (``job_type="report"``); return its local directory.

    Returns ``None`` when ``WANDB_MODE=disabled``.
    """
    import wandb

    mode = os.environ.get("WANDB_MODE", "offline")
    if mode == "disabled":
        return None
    Path(save_dir).mkdir(parents=True, exist_ok=True)
    run = wandb.init(
        project=project, job_type="report", name=name or report.title, dir=str(save_dir),
        mode=mode, config={"filters": report.filters, "results_dir": report.results_dir},
    )  # fmt: skip
    try:
        frame = report.to_frame()
        run.log(
            {"leaderboard": wandb.Table(dataframe=frame.astype(object).where(frame.notna(), None))}
        )
        if with_html:
            run.log({"leaderboard_html": wandb.Html(report.to_html(), inject=False)})
        return Path(run.dir).parent
    finally:
        run.finish()
