"""The test tree itself: pytest imports test files by basename (rootdir mode, no packages),
so two test files with one name in different folders stop the whole collection."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_test_file_basenames_are_unique() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert len(names) > 50
    assert [name for name, count in names.items() if count > 1] == []
