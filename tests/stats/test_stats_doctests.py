import doctest
import importlib
import pkgutil

import pytest

import bench.stats

MODULES = ["bench.stats"] + [
    f"bench.stats.{m.name}" for m in pkgutil.iter_modules(bench.stats.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name.endswith(".result")
