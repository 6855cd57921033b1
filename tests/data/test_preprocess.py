import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.data.errors import ConfigError, EmptyDataError, SchemaError
from bench.data.interactions import Interactions
from bench.data.preprocess import Duplicates, PreprocessConfig, apply, preprocess_config
from bench.data.registry import available, compose_data


def data(rows, rating=True):
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"][: 3 if rating else 2])
    return Interactions.from_raw("toy", frame)


def raw_rows(d):
    f = d.frame
    return [(d.user_vocab[u], d.item_vocab[i]) for u, i in zip(f["user"], f["item"], strict=True)]


def test_every_preprocess_yaml_is_a_valid_config():
    for name in available("preprocess"):
        cfg = preprocess_config(compose_data([f"preprocess={name}"]).preprocess)
        assert cfg.name == name


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ConfigError, match="unknown key 'min_ratng'; valid keys: name, desc"):
        preprocess_config({"min_ratng": 3})
    with pytest.raises(ConfigError, match="duplicates"):
        preprocess_config({"duplicates": "keep_some"})
    with pytest.raises(ConfigError, match="user_min"):
        preprocess_config({"user_min": "ten"})
    with pytest.raises(ConfigError, match="must be >= 0"):
        preprocess_config({"item_min": -1})
    assert preprocess_config(None) == PreprocessConfig()


def test_none_returns_the_same_table():
    d = data([("a", "x", 1), ("a", "x", 2)])
    assert apply(d, PreprocessConfig()) is d


def test_rating_threshold_keeps_ge_and_renumbers():
    d = data([("a", "x", 1), ("b", "y", 3), ("a", "z", 5)])
    out = apply(d, preprocess_config({"min_rating": 3}))
    assert raw_rows(out) == [("b", "y"), ("a", "z")]
    assert out.user_vocab == ("b", "a") and out.frame["user"].tolist() == [0, 1]
    assert out.frame["order"].tolist() == [1, 2]  # original file positions are kept


def test_rating_threshold_needs_ratings():
    with pytest.raises(ConfigError, match="has no ratings"):
        apply(data([("a", "x")], rating=False), preprocess_config({"min_rating": 3}))


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("keep_all", [1, 3, 2]),
        ("keep_first", [1, 3]),
        ("keep_last", [3, 2]),
    ],
)
def test_duplicate_policies(policy, expected):
    d = data([("a", "x", 1), ("a", "y", 3), ("a", "x", 2)])
    out = apply(d, preprocess_config({"duplicates": policy}))
    assert out.frame["rating"].tolist() == [float(r) for r in expected]


@pytest.mark.parametrize(("policy", "kept"), [("keep_first", [5.0, 4.0]), ("keep_last", [4.0])])
def test_duplicates_follow_time_and_run_before_the_threshold(policy, kept):
    # file order is not time order: (a, x) is rated 1 at t=30, and 5 earlier at t=10
    frame = pd.DataFrame(
        [("a", "x", 1.0, 30), ("a", "x", 5.0, 10), ("b", "y", 4.0, 20)],
        columns=["user", "item", "rating", "timestamp"],
    )
    d = Interactions.from_raw("toy", frame)
    out = apply(d, preprocess_config({"duplicates": policy, "min_rating": 3}))
    # keep_last keeps the latest rating (1) of (a, x), which the threshold then drops
    assert out.frame["rating"].tolist() == kept


def test_duplicates_error_names_the_pair_and_the_options():
    d = data([("a", "x", 1), ("a", "x", 2)])
    with pytest.raises(SchemaError, match=r"2 rows repeat a .*choose duplicates: keep_first"):
        apply(d, PreprocessConfig(duplicates=Duplicates.error))


def test_min_counts_once_versus_iterative():
    # users a{x,y} b{x,y} c{x,z} d{z,w}; k = 2. One pass: item w goes, then user d.
    # Iterating: item z now has one user, so c-z goes, then c (one item left) goes too.
    rows = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("c", "x"), ("c", "z")]
    rows += [("d", "z"), ("d", "w")]
    rows = [(u, i, 5) for u, i in rows]
    once = apply(data(rows), preprocess_config({"item_min": 2, "user_min": 2}))
    assert raw_rows(once) == rows_ui(rows)[:6]
    core = apply(data(rows), preprocess_config({"item_min": 2, "user_min": 2, "iterative": True}))
    assert raw_rows(core) == rows_ui(rows)[:4]
    assert (core.n_users, core.n_items) == (2, 2)
    items_only = apply(data(rows), preprocess_config({"item_min": 2}))
    assert raw_rows(items_only) == rows_ui(rows)[:7]


def rows_ui(rows):
    return [(u, i) for u, i, _ in rows]


def test_preprocessing_that_leaves_nothing_says_which_step():
    d = data([("a", "x", 1), ("b", "y", 2)])
    with pytest.raises(EmptyDataError) as err:
        apply(d, preprocess_config({"name": "strict", "min_rating": 4}))
    assert str(err.value) == (
        "dataset 'toy': preprocess 'strict' leaves no interactions after min_rating=4.0 "
        "(parsed: 2, duplicates=keep_all: 2); loosen it"
    )


rows_strategy = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 5)), min_size=1, max_size=120
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, k=st.integers(1, 4))
def test_iterative_core_is_a_fixed_point(rows, k):
    cfg = preprocess_config({"user_min": k, "item_min": k, "iterative": True})
    try:
        out = apply(data(rows), cfg)
    except EmptyDataError:
        return
    f = out.frame
    assert f["user"].value_counts().min() >= k and f["item"].value_counts().min() >= k
    assert apply(out, cfg) is out  # nothing more to drop
    assert f["order"].is_monotonic_increasing
