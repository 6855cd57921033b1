import shutil

import pytest
from data_helpers import dataset_cfg, md5, sha256

from bench.data import prepare
from bench.data.cache import cache_root
from bench.data.errors import EmptyDataError, FetchError, SchemaError
from bench.data.prepare import prepared_key
from bench.data.preprocess import preprocess_config
from bench.data.registry import build_sources, dataset_config

TOY = b"1 5 6 7\n2 6 7\n3 5 7\n"


def toy_cfg(tmp_path, data=TOY, **changes):
    """An s3rec-style dataset whose mirror is ``tmp_path/mirror``."""
    (tmp_path / "mirror").mkdir(exist_ok=True)
    (tmp_path / "mirror" / "Toy.txt").write_bytes(data)
    cfg = dataset_cfg("s3rec-toys", name="toy")
    cfg.sources = [cfg.sources[0]]
    cfg.sources[0].path = "Toy.txt"
    cfg.sources[0].sha256 = changes.pop("sha256", sha256(TOY))
    return cfg


def test_parse_then_hit(tmp_path):
    cfg = toy_cfg(tmp_path)
    first = prepare(cfg, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")
    assert (first.n_users, first.n_items, first.n_interactions) == (3, 3, 7)
    assert first.meta["cache"] == "miss" and first.meta["source"] == "mirror Toy.txt"
    assert first.frame["order"].tolist() == list(range(7))
    second = prepare(cfg, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")
    assert second.meta["cache"] == "hit" and second.fingerprint == first.fingerprint
    assert second.meta["prepared_key"] == first.meta["prepared_key"]


def test_hit_is_labelled_with_the_preset_asked_for(tmp_path):
    cfg, kw = toy_cfg(tmp_path), {"cache_dir": tmp_path / "c", "mirror_dir": tmp_path / "mirror"}
    first = prepare(cfg, {"name": "core1", "user_min": 1}, **kw)
    twin = prepare(cfg, {"name": "also_core1", "user_min": 1}, **kw)  # same entry, other name
    assert twin.meta["cache"] == "hit" and twin.fingerprint == first.fingerprint
    assert (first.meta["preprocess"]["name"], twin.meta["preprocess"]["name"]) == (
        "core1", "also_core1",
    )  # fmt: skip


def test_key_depends_on_raw_parser_and_preprocess(tmp_path):
    cfg = dataset_config(toy_cfg(tmp_path))
    spec = build_sources(cfg)[0]
    none, core = preprocess_config(None), preprocess_config({"user_min": 2})
    base = prepared_key("sha256:" + "a" * 64, spec, cfg["schema"], none)
    assert base == prepared_key("sha256:" + "a" * 64, spec, cfg["schema"], none)
    assert base != prepared_key("sha256:" + "b" * 64, spec, cfg["schema"], none)
    assert base != prepared_key("sha256:" + "a" * 64, spec, cfg["schema"], core)
    renamed = preprocess_config({"name": "other", "description": "same parameters"})
    assert base == prepared_key("sha256:" + "a" * 64, spec, cfg["schema"], renamed)
    other_parser = build_sources(dataset_config(dataset_cfg("sasrec-games")))[0]
    assert base != prepared_key("sha256:" + "a" * 64, other_parser, cfg["schema"], none)


def test_prepared_hit_touches_no_source(tmp_path, no_network):
    cfg = toy_cfg(tmp_path)
    prepare(cfg, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")
    shutil.rmtree(tmp_path / "mirror")
    shutil.rmtree(tmp_path / "c" / "raw")  # not even the raw cache is read
    assert prepare(cfg, cache_dir=tmp_path / "c").meta["cache"] == "hit"


def test_wrong_checksum_nothing_cached(tmp_path):
    cfg = toy_cfg(tmp_path, sha256="e" * 64)
    with pytest.raises(FetchError, match="sha256 mismatch") as err:
        prepare(cfg, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "c" / "raw").exists() and not (tmp_path / "c" / "prepared").exists()


def test_truncated_file_nothing_cached(tmp_path, http_server):
    cfg = toy_cfg(tmp_path)
    cfg.sources[0] = {"_target_": "bench.data.sources.UrlSource", "sha256": sha256(TOY)}
    cfg.sources[0].url = http_server.add("Toy.txt", TOY)
    http_server.truncate("Toy.txt")
    with pytest.raises(FetchError, match=r"truncated: got 10 of 20 bytes"):
        prepare(cfg, cache_dir=tmp_path / "c")
    # a mirror file cut short fails its checksum instead
    (tmp_path / "mirror" / "Toy.txt").write_bytes(TOY[:10])
    with pytest.raises(FetchError, match=r"sha256 mismatch \(10 bytes: truncated or corrupt\?\)"):
        prepare(
            toy_cfg(tmp_path, data=TOY[:10]),
            cache_dir=tmp_path / "c",
            mirror_dir=tmp_path / "mirror",
        )
    assert not (tmp_path / "c" / "raw").exists() and not (tmp_path / "c" / "prepared").exists()


def test_preprocessing_that_leaves_nothing_caches_nothing(tmp_path):
    cfg = toy_cfg(tmp_path)
    pre = {"name": "strict", "item_min": 10}
    with pytest.raises(EmptyDataError, match="preprocess 'strict' leaves no interactions after"):
        prepare(cfg, pre, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")
    assert not (tmp_path / "c" / "prepared").exists()


def test_schema_mismatch_is_reported(tmp_path):
    cfg = toy_cfg(tmp_path)
    cfg.schema = ["user", "item", "timestamp"]
    with pytest.raises(SchemaError, match=r"parser yields columns \['item', 'user'\]"):
        prepare(cfg, cache_dir=tmp_path / "c", mirror_dir=tmp_path / "mirror")


def test_ml100k_same_fingerprint_from_wheel_and_official_zip(tmp_path, http_server, ml100k_zip):
    """The wheel's ml-100k.inter and an official-layout zip served over HTTP agree exactly."""
    wheel_cfg = dataset_cfg("ml-100k")
    wheel_cfg.sources = [wheel_cfg.sources[2]]
    from_wheel = prepare(wheel_cfg)  # the shared test cache: fetched once per machine
    assert from_wheel.meta["source"].startswith("PyPI wheel recbole==1.2.1")
    zip_cfg = dataset_cfg("ml-100k")
    zip_cfg.sources = [zip_cfg.sources[1]]  # the official URL source, md5-verified
    zip_cfg.sources[0].url = http_server.add("ml-100k.zip", ml100k_zip)
    zip_cfg.sources[0].md5 = md5(ml100k_zip)
    from_zip = prepare(zip_cfg, cache_dir=tmp_path / "c")
    assert from_zip.meta["source"].startswith("url http://127.0.0.1")
    assert from_zip.meta["cache"] == "miss"
    assert from_zip.fingerprint == from_wheel.fingerprint
    assert (from_zip.n_users, from_zip.n_items, from_zip.n_interactions) == (943, 1682, 100_000)
    assert from_zip.user_vocab == from_wheel.user_vocab


def test_ml100k_warm_raw_cache_prepares_offline(tmp_path, ml100k_inter, no_network):
    """A warm raw cache and a new preprocessing: parsed and cached with no network, no pip."""
    raw = cache_root(None) / "raw" / "ml-100k"
    shutil.copytree(raw, tmp_path / "c" / "raw" / "ml-100k")
    cfg = dataset_cfg("ml-100k")
    data = prepare(cfg, {"name": "core5", "user_min": 5, "item_min": 5, "iterative": True},
                   cache_dir=tmp_path / "c")  # fmt: skip
    assert data.meta["cache"] == "miss" and data.meta["source"].startswith("PyPI wheel")
    assert data.n_users == 943 and data.n_interactions < 100_000
