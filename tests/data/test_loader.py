import pytest

from bench.data import load
from bench.data.errors import ConfigError, UnknownChoiceError


def test_load_ml100k_by_name():
    data = load("ml-100k")
    assert (data.n_users, data.n_items, data.n_interactions) == (943, 1682, 100_000)
    assert data.name == "ml-100k" and data.has_rating and data.has_timestamp


def test_load_mirror_dataset_with_overrides(tmp_path):
    data = load("s3rec-toys", "core5", cache_dir=str(tmp_path))
    assert data.meta["preprocess"]["name"] == "core5" and data.meta["cache"] == "miss"
    assert data.frame["user"].value_counts().min() >= 5
    assert (tmp_path / "prepared" / "s3rec-toys").is_dir()


def test_load_errors_are_clear():
    with pytest.raises(UnknownChoiceError, match="unknown dataset 'ml-10m'; available: "):
        load("ml-10m")
    with pytest.raises(UnknownChoiceError, match="unknown preprocess 'kcore'"):
        load("ml-100k", preprocess="kcore")
    with pytest.raises(ConfigError, match=r"cannot set dataset.bogus"):
        load("ml-100k", **{"dataset.bogus": 1})
