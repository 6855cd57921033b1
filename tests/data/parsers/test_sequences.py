import pytest

from bench.data.artifact import Artifact
from bench.data.errors import SchemaError
from bench.data.parsers import SequenceLinesParser


def test_lines_expand_in_order_with_order_column(tmp_path):
    (tmp_path / "B.txt").write_bytes(b"1 1 2 3\n2 4 1\n\n3 2\n")
    out = SequenceLinesParser()(Artifact(tmp_path / "B.txt", "sha256:x", "t"))
    assert out["user"].tolist() == ["1", "1", "1", "2", "2", "3"]
    assert out["item"].tolist() == ["1", "2", "3", "4", "1", "2"]
    assert out["order"].tolist() == list(range(6))


def test_line_without_items_is_an_error(tmp_path):
    (tmp_path / "B.txt").write_bytes(b"1 1 2\n7\n")
    with pytest.raises(SchemaError, match=r"B.txt line 2: expected 'user item ...', got '7'"):
        SequenceLinesParser()(Artifact(tmp_path / "B.txt", "sha256:x", "t"))
