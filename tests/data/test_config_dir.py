"""A dataset YAML kept outside the repository: --config-dir for bench.data, as for bench.train."""

import pandas as pd

from bench.data.__main__ import main
from bench.data.registry import available


def test_config_dir_adds_a_dataset_without_copying_conf(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RANKBENCH_CONF_PATH", "")  # main() sets it; restored after the test
    monkeypatch.setenv("RANKBENCH_CACHE", str(tmp_path / "cache"))
    clicks = tmp_path / "clicks.csv"
    pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": list("ababc")}).to_csv(clicks, index=False)
    (tmp_path / "my_conf" / "dataset").mkdir(parents=True)
    (tmp_path / "my_conf" / "dataset" / "mydata.yaml").write_text(
        f"defaults:\n  - custom\n  - _self_\nname: mydata\npath: {clicks}\n"
    )
    assert main(["dataset=mydata"]) == 2  # unknown without the folder
    assert "unknown dataset 'mydata'" in capsys.readouterr().err
    assert main(["--config-dir", str(tmp_path / "my_conf"), "dataset=mydata"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.strip()}
    assert (lines["name"], lines["users"], lines["items"], lines["interactions"]) == (
        "mydata", "3", "3", "5",
    )  # fmt: skip
    assert "mydata" in available("dataset") and "ml-1m" in available("dataset")
