"""Acting on the leakage audit: an unclean split stops the run unless the user allows it.

Every splitter attaches a :class:`~bench.split.audit.LeakageAudit`; a run on a split with leaks
(test items already in train, validation equal to test, training rows after the cut, an empty
part) would report numbers that mean something else than they say. So before any training:

- clean split: nothing to do;
- leaks and ``allow_leakage: false`` (the default): :class:`LeakageError`, one line listing
  every problem and the two ways out (fix the data, or allow it explicitly);
- leaks and ``allow_leakage: true``: a one-line warning, and the problems go into the run
  record (``extra.leakage``), so the report and every reader see them.

Example:
    >>> import pandas as pd
    >>> from bench.split.base import Split
    >>> from bench.split.audit import audit_split
    >>> train = pd.DataFrame({"user": [0, 0], "item": [0, 1], "order": [0, 1]})
    >>> test = pd.DataFrame({"user": [0], "item": [1], "order": [2]})
    >>> s = Split("demo", train=train, valid=test, test=test, n_users=1, n_items=2)
    >>> s = Split("demo", train=train, valid=test, test=test, n_users=1, n_items=2,
    ...           audit=audit_split(s))
    >>> try:
    ...     check_leakage(s, allow=False)
    ... except LeakageError as err:
    ...     print(str(err)[:59])
    split demo is not clean: 1 valid (user, item) pairs also in
"""

from __future__ import annotations

import warnings

from bench.split.base import Split
from bench.train.errors import RunConfigError


class LeakageError(RunConfigError):
    """The split leaks (see :func:`check_leakage`)."""


def check_leakage(split: Split, *, allow: bool) -> list[str]:
    """The split's leakage problems (empty when clean); raise unless ``allow``."""
    problems = [] if split.audit is None else split.audit.problems()
    if not problems:
        return []
    listed = "; ".join(problems)
    if not allow:
        raise LeakageError(
            f"split {split.name} is not clean: {listed}. Fix the data or the split (e.g. "
            "deduplicate repeated interactions in preprocessing), or run anyway with "
            "allow_leakage=true (the problems are then recorded with the run)"
        )
    warnings.warn(
        f"split {split.name} is not clean (allowed by allow_leakage=true, recorded): {listed}",
        stacklevel=2,
    )
    return problems
