import datasets
import pandas as pd
import pytest
from data_helpers import dataset_cfg

from bench.data import prepare
from bench.data.errors import FetchError, SchemaError

FRAME = pd.DataFrame(
    {
        "customer": ["c1", "c2", "c1", "c3"],
        "sku": ["a", "a", "b", "c"],
        "stars": [5.0, 3.0, 4.0, 1.0],
        "when": [10, 11, 12, 13],
    }
)
COLUMNS = {"user": "customer", "item": "sku", "rating": "stars", "timestamp": "when"}


def custom(path, **parser):
    cfg = dataset_cfg("custom", path=str(path))
    cfg.parser.columns = dict(COLUMNS)
    for key, value in parser.items():
        cfg.parser[key] = value
    return cfg


def check(data):
    assert (data.n_users, data.n_items, data.n_interactions) == (3, 3, 4)
    assert data.user_vocab == ("c1", "c2", "c3") and data.frame["rating"].tolist()[0] == 5.0
    assert data.frame["timestamp"].tolist() == [10, 11, 12, 13]


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("log.csv", lambda f, p: f.to_csv(p, index=False)),
        ("log.tsv", lambda f, p: f.to_csv(p, index=False, sep="\t")),
        ("log.parquet", lambda f, p: f.to_parquet(p, index=False)),
        ("hf_disk", lambda f, p: datasets.Dataset.from_pandas(f).save_to_disk(str(p))),
        (
            "hf_dict",
            lambda f, p: datasets.DatasetDict(
                {"train": datasets.Dataset.from_pandas(f)}
            ).save_to_disk(str(p)),
        ),
    ],
)
def test_custom_formats(tmp_path, name, write):
    write(FRAME, tmp_path / name)
    data = prepare(custom(tmp_path / name), cache_dir=tmp_path / "cache")
    check(data)
    assert data.meta["source"] == f"local {tmp_path / name}"


def test_custom_hf_repo_folder_via_load_dataset(tmp_path):
    repo = tmp_path / "my-repo"
    (repo / "data").mkdir(parents=True)
    FRAME.to_csv(repo / "data" / "train.csv", index=False)
    check(prepare(custom(repo), cache_dir=tmp_path / "cache"))


def test_custom_second_prepare_is_a_cache_hit_until_the_file_changes(tmp_path):
    FRAME.to_csv(tmp_path / "log.csv", index=False)
    cfg = custom(tmp_path / "log.csv")
    assert prepare(cfg, cache_dir=tmp_path / "c").meta["cache"] == "miss"
    assert prepare(cfg, cache_dir=tmp_path / "c").meta["cache"] == "hit"
    FRAME.iloc[:3].to_csv(tmp_path / "log.csv", index=False)
    changed = prepare(cfg, cache_dir=tmp_path / "c")
    assert changed.meta["cache"] == "miss" and changed.n_interactions == 3


def test_custom_missing_column_is_clear_and_nothing_is_cached(tmp_path):
    FRAME.to_csv(tmp_path / "log.csv", index=False)
    cfg = custom(tmp_path / "log.csv")
    cfg.parser.columns.item = "product_id"
    with pytest.raises(SchemaError) as err:
        prepare(cfg, cache_dir=tmp_path / "cache")
    assert str(err.value) == (
        f"dataset 'custom' (local {tmp_path / 'log.csv'}): missing column 'product_id' "
        "(for item); the file has ['customer', 'sku', 'stars', 'when'] - fix the column "
        "mapping (parser.columns)"
    )
    assert not (tmp_path / "cache" / "prepared").exists()


def test_custom_pinned_sha256_detects_a_changed_file(tmp_path):
    FRAME.to_csv(tmp_path / "log.csv", index=False)
    cfg = custom(tmp_path / "log.csv")
    cfg.sources[0].sha256 = "0" * 64
    with pytest.raises(FetchError, match="sha256 mismatch"):
        prepare(cfg, cache_dir=tmp_path / "cache")


def test_unknown_format_and_suffix(tmp_path):
    FRAME.to_csv(tmp_path / "log.dat", index=False)
    with pytest.raises(SchemaError, match=r"cannot tell the format of log.dat"):
        prepare(custom(tmp_path / "log.dat"), cache_dir=tmp_path / "cache")
    cfg = custom(tmp_path / "log.dat", format="csv")
    check(prepare(cfg, cache_dir=tmp_path / "cache"))
    with pytest.raises(Exception, match="format 'xlsx' unknown"):
        prepare(custom(tmp_path / "log.dat", format="xlsx"), cache_dir=tmp_path / "cache")
