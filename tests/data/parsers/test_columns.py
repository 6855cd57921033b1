import numpy as np
import pandas as pd
import pytest

from bench.data.errors import SchemaError
from bench.data.parsers.columns import canonical, check_mapping


def test_types_are_coerced():
    frame = pd.DataFrame(
        {"u": [1, 2], "i": ["a", "b"], "r": ["4", "3.5"], "t": ["881250949", "881250950.7"]}
    )
    out = canonical(frame, {"user": "u", "item": "i", "rating": "r", "timestamp": "t"})
    assert out["user"].tolist() == ["1", "2"] and out["rating"].tolist() == [4.0, 3.5]
    assert out["timestamp"].tolist() == [881250949, 881250950]
    assert out["timestamp"].dtype == np.int64


def test_datetimes_become_epoch_seconds():
    frame = pd.DataFrame({"u": [1, 1], "i": [1, 2], "t": ["1970-01-01T00:01:00Z", "2000-01-01"]})
    out = canonical(frame, {"user": "u", "item": "i", "timestamp": "t"})
    assert out["timestamp"].tolist() == [60, 946684800]
    parsed = frame.assign(t=pd.to_datetime(frame["t"], utc=True, format="ISO8601"))
    assert canonical(parsed, {"user": "u", "item": "i", "timestamp": "t"})["timestamp"][0] == 60


def test_missing_column_names_it_the_file_columns_and_the_fix():
    frame = pd.DataFrame({"user_id": [1], "item_id": [2]})
    with pytest.raises(SchemaError) as err:
        canonical(frame, {"user": "user_id", "item": "sku"})
    assert str(err.value) == (
        "missing column 'sku' (for item); the file has ['user_id', 'item_id'] - fix the column "
        "mapping (parser.columns)"
    )


def test_bad_values():
    frame = pd.DataFrame({"u": ["1", "2"], "i": ["a", None], "r": ["4", "five"]})
    with pytest.raises(SchemaError, match="'r' holds a non-numeric value 'five' at row 1"):
        canonical(frame, {"user": "u", "item": "u", "rating": "r"})
    with pytest.raises(SchemaError, match="'i' \\(item\\) is empty at row 1"):
        canonical(frame, {"user": "u", "item": "i"})


def test_mapping_validation():
    assert check_mapping({"user": "a", "item": "b", "rating": None}) == {"user": "a", "item": "b"}
    with pytest.raises(SchemaError, match=r"unknown canonical column\(s\) \['score'\]"):
        check_mapping({"user": "a", "item": "b", "score": "c"})
    with pytest.raises(SchemaError, match=r"lacks \['item'\]"):
        check_mapping({"user": "a"})


def test_an_unmapped_timestamp_or_rating_column_is_named_with_its_override():
    import warnings

    frame = pd.DataFrame({"u": ["a"], "i": ["x"], "timestamp": [5], "Rating": [4.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = canonical(frame, {"user": "u", "item": "i"})
    messages = [str(w.message) for w in caught]
    assert list(out.columns) == ["user", "item"]
    assert any("'timestamp' looks like a timestamp" in m and
               "dataset.parser.columns.timestamp=timestamp" in m for m in messages)  # fmt: skip
    assert any("dataset.parser.columns.rating=Rating" in m for m in messages)
    with warnings.catch_warnings(record=True) as mapped:
        warnings.simplefilter("always")
        canonical(frame, {"user": "u", "item": "i", "timestamp": "timestamp", "rating": "Rating"})
    assert not mapped
