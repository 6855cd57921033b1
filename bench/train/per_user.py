"""The per-user table a run records for one stage: metric values, segments and user attributes.

Columns (index ``user``):

- ``<metric>``: the per-user metric values (the input of paired tests);
- ``head:<metric>`` / ``tail:<metric>``: the same with the user's targets restricted to head /
  tail items by training popularity (:mod:`bench.rankers.segments`); NaN for a user without
  such a target;
- ``user:n_train``: the user's training interactions (activity segments: cold, light, heavy);
- ``user:n_history``: interactions the ranker saw as the user's history at this stage;
- ``user:n_targets``: the user's held-out items at this stage;
- ``user:cold``: 1 if the user has no training interaction (fold-in or temporal cold start);
- ``user:score_ms``: scoring time per user (its batch's ``score`` time over the batch size).

Attributes that depend on the split cannot be recomputed once the run is gone, hence stored.

Example:
    >>> import pandas as pd, numpy as np, scipy.sparse as sp
    >>> train = pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 1]})
    >>> targets = sp.csr_matrix(np.array([[0, 0, 1], [1, 0, 1]]))
    >>> table = user_attributes(train, targets, targets, np.array([0, 1]))
    >>> table["user:n_train"].tolist(), table["user:cold"].tolist()
    ([2, 1], [0, 0])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Prefix of user-attribute columns (never a metric).
ATTRIBUTE_PREFIX = "user:"


def user_attributes(
    train: pd.DataFrame, history: sp.csr_matrix, targets: sp.csr_matrix, users: np.ndarray
) -> pd.DataFrame:
    """Attribute columns for ``users`` (see the module docstring)."""
    users = np.asarray(users, dtype=np.int64)
    n_train = train["user"].value_counts().reindex(users, fill_value=0).to_numpy(np.int64)
    n_history = np.diff(history.indptr)[users].astype(np.int64)
    n_targets = np.diff(targets.indptr)[users].astype(np.int64)
    return pd.DataFrame(
        {
            f"{ATTRIBUTE_PREFIX}n_train": n_train,
            f"{ATTRIBUTE_PREFIX}n_history": n_history,
            f"{ATTRIBUTE_PREFIX}n_targets": n_targets,
            f"{ATTRIBUTE_PREFIX}cold": (n_train == 0).astype(np.int8),
        },
        index=pd.Index(users, name="user"),
    )


def stage_table(metrics: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """Metric columns (index ``user``) joined with the attributes, as a frame with a ``user``
    column (the results store's layout)."""
    table = metrics.join(attributes.reindex(metrics.index), how="left")
    return table.reset_index()
