"""Small hand-made splits for the ranker package's tests."""

import pandas as pd
import pytest

from bench.split import Split


@pytest.fixture
def toy_split() -> Split:
    """5 users x 6 items; every user has train rows, users 0-3 valid and test targets."""
    train = [(u, i) for u in range(5) for i in range(6) if (u + i) % 2 == 0]
    valid = [(u, (u + 1) % 6) for u in range(4)]
    test = [(u, (u + 3) % 6) for u in range(4)]

    def part(rows, start):
        f = pd.DataFrame(rows, columns=["user", "item"])
        return f.assign(order=range(start, start + len(f)))

    return Split(
        "toy", train=part(train, 0), valid=part(valid, 100), test=part(test, 200),
        n_users=5, n_items=6,
    )  # fmt: skip
