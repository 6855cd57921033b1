"""The docstring examples of the runner's packages run (rankers, baselines, train, cli)."""

import doctest
import importlib
import pkgutil

import pytest

import baselines
import bench.rankers
import bench.train

PACKAGES = [bench.rankers, bench.train, baselines]
MODULES = [p.__name__ for p in PACKAGES] + [
    f"{p.__name__}.{m.name}" for p in PACKAGES for m in pkgutil.iter_modules(p.__path__)
]
# modules whose docs show commands or a class skeleton rather than a runnable example
NO_EXAMPLE = {
    "bench.rankers",
    "bench.rankers.testing",
    "bench.train",
    "bench.train.__main__",
    "bench.train.runner",
    "baselines",
}


@pytest.mark.parametrize("name", [m for m in MODULES if m != "bench.train.__main__"])
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name in NO_EXAMPLE
