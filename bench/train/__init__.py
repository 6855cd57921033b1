"""The runner: Hydra-configured Lightning training, evaluation, recording and logging.

- :func:`run` (in :mod:`bench.train.runner`): one job from a composed ``conf/train.yaml``.
- ``python -m bench.train`` (:mod:`bench.cli.train`): the Hydra app around it.

Heavy modules (torch, Lightning) load on first use of :func:`run`, so the CLI reports
configuration errors quickly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run"]


def run(cfg: Any) -> Any:
    """Run one job (see :func:`bench.train.runner.run`)."""
    from bench.train.runner import run as _run

    return _run(cfg)
