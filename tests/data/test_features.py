"""Feature tables declared by a dataset: mapping through the interactions' ids, the cache, the
fingerprint, and one-line errors for a bad declaration."""

from __future__ import annotations

import numpy as np
import pytest

from bench.data import prepare
from bench.data.errors import SchemaError, SourceUnavailableError
from bench.data.features import FeatureSpec, declared_inputs, load_features, prepare_features


def interactions_csv(path):
    """Users u0..u4 each click a, b, then one of c..g (item vocabulary a..g)."""
    rows = ["user_id,item_id,ts"]
    for n, last in enumerate("cdefg"):
        rows += [f"u{n},a,1", f"u{n},b,2", f"u{n},{last},3"]
    path.write_text("\n".join(rows) + "\n")
    return path


def items_csv(path):
    """Genres of a..f in shuffled order, no row for g, a row for an unknown item zz."""
    path.write_text(
        "item_id,genres,year\nzz,x,1990\nf,x|y,1995\ne,y,1994\nd,x,1993\nc,x,1992\nb,y,1991\na,x,1990\n"
    )
    return path


def dataset_cfg(tmp_path, **item_features):
    return {
        "name": "feat",
        "parser": {
            "_target_": "bench.data.parsers.TableParser",
            "columns": {"user": "user_id", "item": "item_id", "timestamp": "ts"},
        },
        "sources": [
            {"_target_": "bench.data.sources.LocalSource", "path": str(tmp_path / "clicks.csv")}
        ],
        "item_features": {
            "path": str(tmp_path / "items.csv"),
            "id": "item_id",
            "multi_hot": {"column": "genres", "sep": "|"},
            **item_features,
        },
    }


@pytest.fixture
def toy(tmp_path):
    interactions_csv(tmp_path / "clicks.csv")
    items_csv(tmp_path / "items.csv")
    return tmp_path


def test_rows_follow_the_interaction_ids_unknown_dropped_missing_zero(toy, capsys):
    cfg = dataset_cfg(toy, columns=["year"])
    data = prepare(cfg, cache_dir=toy / "cache")
    assert data.item_vocab == ("a", "b", "c", "d", "e", "f", "g")
    with pytest.warns(UserWarning, match="1 of 7 items of the interactions have no row"):
        features = prepare_features(cfg, data, toy / "cache")
    table = features.item
    assert table.names == ("year", "genres=x", "genres=y")
    assert table.values.tolist() == [
        [1990, 1, 0], [1991, 0, 1], [1992, 1, 0], [1993, 1, 0], [1994, 0, 1], [1995, 1, 1],
        [0, 0, 0],
    ]  # fmt: skip
    assert (table.meta["dropped"], table.meta["missing"], table.meta["cache"]) == (1, 1, "miss")
    assert "dropped 1 rows whose item is not in the interactions" in capsys.readouterr().err
    assert features.user is None and features.fingerprint is not None
    with pytest.warns(UserWarning, match="1 of 7 items"):  # said again on a cache hit
        again = prepare_features(cfg, data, toy / "cache").item
    assert again.meta["cache"] == "hit" and again.fingerprint == table.fingerprint
    np.testing.assert_array_equal(again.values, table.values)


def test_a_corrupt_cache_entry_is_rebuilt(toy):
    cfg = dataset_cfg(toy)
    data = prepare(cfg, cache_dir=toy / "cache")
    with pytest.warns(UserWarning):
        first = prepare_features(cfg, data, toy / "cache").item
    [values] = (toy / "cache" / "prepared" / "feat").glob("item-features-*/values.npy")
    np.save(values, np.zeros_like(first.values))  # same shape, other content
    with pytest.warns(UserWarning):
        again = prepare_features(cfg, data, toy / "cache").item
    assert again.meta["cache"] == "miss" and again.fingerprint == first.fingerprint


def test_feature_fingerprint_follows_the_file_and_the_dataset_fingerprint_does_not(toy):
    cfg = dataset_cfg(toy)
    data = prepare(cfg, cache_dir=toy / "cache")
    without = prepare({k: v for k, v in cfg.items() if k != "item_features"}, cache_dir=toy / "c2")
    assert without.fingerprint == data.fingerprint  # declaring features leaves it as it was
    with pytest.warns(UserWarning):
        before = prepare_features(cfg, data, toy / "cache").fingerprint
    (toy / "items.csv").write_text((toy / "items.csv").read_text().replace("c,x,", "c,y,"))
    with pytest.warns(UserWarning):
        after = prepare_features(cfg, data, toy / "cache").fingerprint
    assert before != after and prepare(cfg, cache_dir=toy / "cache").fingerprint == data.fingerprint
    assert prepare_features({"name": "feat"}, data).fingerprint is None


def test_declared_inputs():
    assert declared_inputs({"item_features": {"path": "i.csv"}, "user_features": None}) == (
        "item_features",
    )


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"path": "nope.csv"}, SourceUnavailableError,
         r"^dataset 'feat': item_features.path='nope.csv': file not found .*set "
         r"item_features.path to an existing file$"),
        ({"id": "movie"}, SchemaError,
         r"^dataset 'feat': item_features.id='movie' is not a column of items.csv .*set "
         r"item_features.id to the column holding the item ids$"),
        ({"columns": ["price"]}, SchemaError,
         r"^dataset 'feat': item_features: feature column 'price' is not a column of items.csv "
         r".*fix item_features.columns$"),
        ({"multi_hot": {"column": "genre"}}, SchemaError,
         r"feature column 'genre' is not a column .*fix item_features.multi_hot.column$"),
    ],
)  # fmt: skip
def test_bad_declarations_are_one_line(toy, change, error, message):
    cfg = dataset_cfg(toy, **change)
    data = prepare(cfg, cache_dir=toy / "cache")
    with pytest.raises(error, match=message) as info:
        prepare_features(cfg, data, toy / "cache")
    assert "\n" not in str(info.value)


def test_duplicate_ids_are_one_line(toy):
    (toy / "items.csv").write_text("item_id,genres\na,x\nb,y\na,y\nc,x\nc,x\n")
    cfg = dataset_cfg(toy)
    data = prepare(cfg, cache_dir=toy / "cache")
    with pytest.raises(
        SchemaError, match=r"id 'a' appears 2 times in items.csv \(2 duplicate ids\)"
    ):
        prepare_features(cfg, data, toy / "cache")


def test_ids_that_match_nothing_are_refused(toy):
    (toy / "items.csv").write_text("item_id,genres\n1,x\n2,y\n")
    spec = FeatureSpec.parse("feat", "item", dataset_cfg(toy)["item_features"])
    data = prepare(dataset_cfg(toy), cache_dir=toy / "cache")
    with pytest.raises(
        SchemaError, match=r"none of the 7 items of the interactions is in items\.csv"
    ):
        load_features(spec, data, toy / "cache")


def test_user_features_and_tsv(toy):
    (toy / "users.tsv").write_text("uid\tage\nu0\t20\nu1\t30\nu2\t40\nu3\t50\nu4\t60\n")
    cfg = {**dataset_cfg(toy), "user_features": {"path": str(toy / "users.tsv"), "id": "uid",
                                                 "columns": ["age"]}}  # fmt: skip
    data = prepare(cfg, cache_dir=toy / "cache")
    with pytest.warns(UserWarning):
        features = prepare_features(cfg, data, toy / "cache")
    assert features.user.values[:, 0].tolist() == [20, 30, 40, 50, 60]
    assert set(features.summary()) == {"fingerprint", "item", "user"}


def test_presplit_parts_share_one_item_mapping_for_features(toy):
    (toy / "train.csv").write_text("user_id,item_id\nu0,a\nu1,b\nu1,c\n")
    (toy / "test.csv").write_text("user_id,item_id\nu0,c\nu1,f\n")
    cfg = {
        "name": "parts",
        "parts": {"train": str(toy / "train.csv"), "test": str(toy / "test.csv")},
        "parser": {"_target_": "bench.data.parsers.TableParser",
                   "columns": {"user": "user_id", "item": "item_id"}},
        "item_features": {"path": str(toy / "items.csv"), "columns": ["year"]},
    }  # fmt: skip
    data = prepare(cfg, cache_dir=toy / "cache")
    assert data.has_parts and data.item_vocab == ("a", "b", "c", "f")
    table = prepare_features(cfg, data, toy / "cache").item
    assert table.values[:, 0].tolist() == [1990, 1991, 1992, 1995]
    assert (table.meta["dropped"], table.meta["missing"]) == (3, 0)  # zz, d, e
