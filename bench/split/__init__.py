"""Splitting protocols and the leakage audit.

Each splitter is a small frozen dataclass built from ``conf/split/<name>.yaml`` with Hydra's
``_target_`` and called as ``splitter(interactions, seed=seed) -> Split``; every Split carries a
:class:`~bench.split.audit.LeakageAudit` in ``split.audit``.
"""

from bench.split.audit import AuditOptions, LeakageAudit, audit_split
from bench.split.base import Split, Splitter
from bench.split.errors import EmptyPartError, SplitError
from bench.split.leave_last_out import LeaveLastOut
from bench.split.predefined import Predefined
from bench.split.random_holdout import RandomHoldout
from bench.split.temporal import TemporalSplit
from bench.split.user_holdout import UserHoldout

__all__ = [
    "AuditOptions",
    "EmptyPartError",
    "LeakageAudit",
    "LeaveLastOut",
    "Predefined",
    "RandomHoldout",
    "Split",
    "SplitError",
    "Splitter",
    "TemporalSplit",
    "UserHoldout",
    "audit_split",
]
