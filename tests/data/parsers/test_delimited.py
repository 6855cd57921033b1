import io
import zipfile

import pytest
from data_helpers import dataset_cfg, md5

from bench.data import prepare
from bench.data.artifact import Artifact
from bench.data.errors import SchemaError
from bench.data.parsers import DelimitedParser
from bench.data.registry import build_sources, dataset_config

ML20M_CSV = (
    "userId,movieId,rating,timestamp\n"
    "1,2,3.5,1112486027\n1,29,3.5,1112484676\n2,2,4.0,974820889\n"
    "3,1,0.5,944253272\n3,29,5.0,944253273\n"
)


def parser_of(name: str, source: int = 0):
    return build_sources(dataset_config(dataset_cfg(name)))[source].parser


def write(tmp_path, name, data: bytes):
    (tmp_path / name).write_bytes(data)
    return Artifact(tmp_path / name, "sha256:x", "test")


def test_ml1m_official_layout_latin1_double_colon(tmp_path):
    art = write(
        tmp_path,
        "ratings.dat",
        "1::1193::5::978300760\n2::12\xe9::3::978302109\n".encode("latin-1"),
    )
    out = parser_of("ml-1m")(art)
    assert out["item"].tolist() == ["1193", "12\xe9"] and out["rating"].tolist() == [5.0, 3.0]


def test_ml100k_udata_layout(tmp_path):
    out = parser_of("ml-100k")(write(tmp_path, "u.data", b"196\t242\t3\t881250949\n"))
    assert out.to_dict("records") == [
        {"user": "196", "item": "242", "rating": 3.0, "timestamp": 881250949}
    ]


def test_recbole_inter_layout_with_crlf_and_quotes(tmp_path):
    text = (
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\r\n"
        '1m_1\t"Great" Escape, The (1963)\t5\t978300760\r\n'
        "1m_2\tMy Fair Lady (1964)\t3\t978301968\r\n"
    )
    out = parser_of("ml-1m", source=2)(write(tmp_path, "ml-1m.inter", text.encode()))
    assert out["item"].tolist() == ['"Great" Escape, The (1963)', "My Fair Lady (1964)"]
    assert out["user"].tolist() == ["1m_1", "1m_2"] and out["timestamp"].tolist()[1] == 978301968


def test_user_item_lines(tmp_path):
    out = parser_of("sasrec-games")(write(tmp_path, "Video.txt", b"1 6393\n1 13504\n2 1\n"))
    assert out.columns.tolist() == ["user", "item"] and out["item"].tolist() == [
        "6393",
        "13504",
        "1",
    ]


def test_ml20m_official_zip_over_http(tmp_path, http_server):
    """ml-20m cannot be fetched here: its real config runs on a fixture of the official layout."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-20m/ratings.csv", ML20M_CSV)
        archive.writestr("ml-20m/movies.csv", "movieId,title\n")
    zip_bytes = buffer.getvalue()
    cfg = dataset_cfg("ml-20m")
    cfg.sources = [cfg.sources[1]]  # the official URL source, pointed at the local server
    cfg.sources[0].url = http_server.add("ml-20m.zip", zip_bytes)
    cfg.sources[0].md5 = md5(zip_bytes)
    data = prepare(cfg, cache_dir=tmp_path / "cache")
    assert (data.n_users, data.n_items, data.n_interactions) == (3, 3, 5)
    assert data.item_vocab == ("2", "29", "1") and data.frame["rating"].tolist()[3] == 0.5
    assert data.frame["timestamp"].tolist()[0] == 1112486027
    assert data.meta["raw_checksum"] == f"md5:{md5(zip_bytes)}"


def test_config_errors():
    with pytest.raises(SchemaError, match=r"needs parser.names"):
        DelimitedParser(header=False)
    with pytest.raises(SchemaError, match=r"missing column \['ts'\] in parser.names"):
        DelimitedParser(
            header=False, names=["u", "i"], columns={"user": "u", "item": "i", "timestamp": "ts"}
        )


def test_unparsable_file(tmp_path):
    art = write(tmp_path, "r.csv", b"a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(SchemaError, match=r"cannot parse r.csv"):
        DelimitedParser(columns={"user": "a", "item": "b"})(art)
