import shutil

import pytest
from data_helpers import dataset_cfg

from bench.data import load
from bench.data.errors import ConfigError, UnknownChoiceError
from bench.data.registry import (
    available,
    build_sources,
    check_choice,
    compose_data,
    conf_dir,
    dataset_config,
    normalize_overrides,
)
from bench.data.sources import MirrorSource, UrlSource, WheelSource

REQUIRED = {
    "ml-100k", "ml-1m", "ml-20m", "s3rec-beauty", "s3rec-sports", "s3rec-toys",
    "sasrec-games", "bert4rec-beauty", "custom",
}  # fmt: skip
PUBLIC = sorted(REQUIRED - {"custom"})


def test_required_datasets_are_declared():
    assert set(available("dataset")) >= REQUIRED
    assert {"none", "implicit_3_10core", "item_min5"} <= set(available("preprocess"))


@pytest.mark.parametrize("name", PUBLIC)
def test_public_dataset_declaration_is_complete(name):
    cfg = dataset_config(dataset_cfg(name))
    assert cfg["name"] == name
    for key in ("description", "homepage", "citation", "terms"):
        assert isinstance(cfg[key], str) and len(cfg[key]) > 10, key
    assert cfg["schema"][:2] == ["user", "item"]
    specs = build_sources(cfg)
    kinds = [type(s.source) for s in specs]
    assert kinds[:2] == [MirrorSource, UrlSource]  # mirror first, then the official URL
    assert specs[1].source.url.startswith("https://")
    if WheelSource in kinds:
        assert kinds.index(WheelSource) == len(kinds) - 1  # the wheel comes last
    mirror, url = specs[0].source, specs[1].source
    assert mirror.checksum == url.checksum and mirror.extract == url.extract  # same file
    for spec in specs:
        assert spec.parser is not None and callable(spec.parser)
        assert spec.source.checksum.algorithm in ("sha256", "md5")


def test_md5_only_where_no_sha256_is_published():
    for name in PUBLIC:
        for spec in build_sources(dataset_config(dataset_cfg(name))):
            if spec.source.checksum.algorithm == "md5":
                assert name in ("ml-100k", "ml-20m") and spec.source.extract is not None


def test_github_sources_are_pinned_to_full_commits():
    for name in PUBLIC:
        url = build_sources(dataset_config(dataset_cfg(name)))[1].source.url
        if "githubusercontent" in url:
            commit = url.split("/")[5]
            assert len(commit) == 40 and all(c in "0123456789abcdef" for c in commit), url


def test_unknown_choice_lists_options():
    with pytest.raises(UnknownChoiceError) as err:
        check_choice("dataset", "foo")
    assert str(err.value).startswith("unknown dataset 'foo'; available: bert4rec-beauty, custom")
    assert str(err.value).endswith("(use dataset=<name>)")


def test_split_none_deselects_the_group():
    assert normalize_overrides(["split=none", "dataset=ml-1m"]) == ["~split", "dataset=ml-1m"]
    assert "split" not in compose_data(["split=none"])


def test_dataset_config_checks_keys_and_required_values():
    with pytest.raises(ConfigError, match="unknown key 'sourcs'"):
        dataset_config({"name": "x", "sourcs": []})
    with pytest.raises(ConfigError, match=r"required value 'path' is not set.*dataset.path="):
        dataset_config(compose_data(["dataset=custom"]).dataset)
    cfg = dataset_config({"name": "x", "sources": [{"_target_": "bench.data.sources.UrlSource"}]})
    with pytest.raises(ConfigError, match="source #1: no parser"):
        build_sources(cfg)
    cfg["parser"] = {"_target_": "bench.data.parsers.SequenceLinesParser"}
    with pytest.raises(ConfigError, match=r"source #1: .*url"):
        build_sources(cfg)


def test_adding_a_dataset_is_adding_a_file(tmp_path, monkeypatch):
    shutil.copytree(conf_dir(), tmp_path / "conf")
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "tiny.txt").write_text("u1 a\nu2 a\nu1 b\n")
    sha = __import__("hashlib").sha256(b"u1 a\nu2 a\nu1 b\n").hexdigest()
    (tmp_path / "conf" / "dataset" / "tiny.yaml").write_text(
        "name: tiny\nschema: [user, item]\n"
        "parser: {_target_: bench.data.parsers.DelimitedParser, sep: ' ', header: false,"
        " names: [user, item]}\n"
        f"sources: [{{_target_: bench.data.sources.MirrorSource, path: tiny.txt, sha256: {sha}}}]\n"
    )
    monkeypatch.setenv("RANKBENCH_CONF", str(tmp_path / "conf"))
    assert "tiny" in available("dataset")
    data = load("tiny", mirror_dir=str(tmp_path / "mirror"), cache_dir=str(tmp_path / "c"))
    assert (data.n_users, data.n_items, data.n_interactions) == (2, 2, 3)


def test_compose_inside_a_running_hydra_app_restores_it(tmp_path):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    (tmp_path / "app.yaml").write_text("x: 1\n")
    with initialize_config_dir(config_dir=str(tmp_path), version_base=None):
        assert compose_data(["dataset=ml-1m"]).dataset.name == "ml-1m"
        assert GlobalHydra.instance().is_initialized()
        assert compose(config_name="app").x == 1  # the app's own config search path is back
