import json
import os
import subprocess
import sys

import pytest

from bench.data.__main__ import main


def one_line_error(capsys, argv):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    return err.strip()


def test_stats_table_and_json(tmp_path, capsys):
    target = tmp_path / "stats.json"
    assert main(["dataset=s3rec-beauty", f"json_out={target}"]) == 0
    out = capsys.readouterr().out
    assert "users            22,363" in out and "interactions     198,502" in out
    report = json.loads(target.read_text())
    assert report["dataset"]["items"] == 12_101 and "split" not in report
    assert report["dataset"]["source"] == "mirror S3Rec/Beauty.txt"
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]  # no temp file left


def test_with_split(tmp_path, capsys):
    target = tmp_path / "s.json"
    argv = ["dataset=s3rec-toys", "split=leave_last_out", "seed=3", f"json_out={target}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "sizes.test" in out and "audit" in out
    split = json.loads(target.read_text())["split"]
    assert split["sizes"] == {"train": 167_597 - 2 * 19_412, "valid": 19_412, "test": 19_412}
    assert split["clean"] is True and split["audit"]["test_pairs_in_train"] == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["dataset=foo"], "error: unknown dataset 'foo'; available: bert4rec-beauty, custom,"),
        (["preprocess=bar"], "error: unknown preprocess 'bar'; available: core5,"),
        (["split=nosuch"], "error: unknown split 'nosuch'; available:"),
        (["dataset=custom"], "error: dataset 'custom': required value 'path' is not set"),
        (["dataset.nokey=1"], "error: bad config override ['dataset.nokey=1']: Could not"),
        (["dataset=custom", "dataset.path=/nonexistent.csv"], "error: dataset 'custom': no"),
    ],
)
def test_bad_input_is_one_line(capsys, argv, expected):
    assert one_line_error(capsys, argv).startswith(expected)


def test_empty_preprocessing_is_one_line(capsys, tmp_path):
    argv = ["dataset=s3rec-toys", "preprocess=none", "+preprocess.item_min=100000",
            f"cache_dir={tmp_path}"]  # fmt: skip
    err = one_line_error(capsys, argv)
    assert "preprocess 'none' leaves no interactions after item_min=100000" in err
    assert not (tmp_path / "prepared").exists()


def test_help_lists_options(capsys):
    assert main(["--help"]) == 0
    assert "ml-1m" in capsys.readouterr().out


def test_module_entry_point_prints_no_traceback():
    env = {**os.environ, "RANKBENCH_TRACEBACK": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.data", "dataset=foo"], capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
