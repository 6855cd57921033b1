"""scripts/bench_train.py and scripts/recbole_driver.py: the pure parts (no RecBole, no timing).

The RecBole export is checked against what RecBole does with it: a stable sort by timestamp,
then grouping by user (``SequentialDataset`` with ``order: TO``), must give back our time
order, ties by file order, and its leave-one-out must give our leave-last-out split.
"""

from __future__ import annotations

import doctest
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from script_module import load_script

from bench.data import Interactions
from bench.split import LeaveLastOut

bench_train = load_script("bench_train")
driver = load_script("recbole_driver")


@pytest.mark.parametrize("module", [bench_train, driver], ids=["bench_train", "driver"])
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# -- RecBole's environment ----------------------------------------------------------------------
RECBOLE_TRAINER = """
        resume_file = str(resume_file)
        checkpoint = torch.load(resume_file, map_location=self.device)
        self.start_epoch = checkpoint["epoch"] + 1
...
            checkpoint_file = model_file or self.saved_model_file
            checkpoint = torch.load(checkpoint_file, map_location=self.device)
            self.model.load_state_dict(checkpoint["state_dict"])
        pretrained = torch.load(self.pre_model_path)
"""


def test_patch_adds_weights_only_false_to_the_trainers_two_loads_once() -> None:
    text, changed = bench_train.patch_torch_load(RECBOLE_TRAINER)
    assert changed == 2
    assert "torch.load(resume_file, map_location=self.device, weights_only=False)" in text
    assert "torch.load(checkpoint_file, map_location=self.device, weights_only=False)" in text
    assert "torch.load(self.pre_model_path)\n" in text  # not a trainer load: left alone
    again, changed_again = bench_train.patch_torch_load(text)
    assert (again, changed_again) == (text, 0)


def test_env_pins_torch_and_recbole_versions() -> None:
    assert bench_train.TORCH_PIN == "torch==2.13.0"
    assert bench_train.RECBOLE_PINS[0] == "recbole==1.2.1"
    assert {"numpy<2", "pandas<3", "scipy<1.12", "setuptools<81"} <= set(bench_train.RECBOLE_PINS)


# -- the exported data --------------------------------------------------------------------------
def _toy() -> Interactions:
    """Three users; user u1 has two items in the same second (file order decides) and rows out
    of time order in the file."""
    raw = pd.DataFrame(
        {
            "user": ["u1", "u2", "u1", "u1", "u2", "u3", "u1", "u2", "u3", "u3"],
            "item": ["a", "b", "c", "d", "a", "e", "b", "c", "a", "b"],
            "timestamp": [50, 10, 20, 50, 30, 5, 10, 20, 7, 7],
        }
    )
    return Interactions.from_raw("toy", raw)


def _recbole_sequences(inter: pd.DataFrame) -> dict[str, list[str]]:
    """What RecBole makes of an .inter table: stable sort by time, then by user."""
    order = np.argsort(inter["timestamp:float"].to_numpy(), kind="stable")
    rows = inter.iloc[order]
    rows = rows.iloc[np.argsort(rows["user_id:token"].to_numpy(), kind="stable")]
    return {u: g["item_id:token"].tolist() for u, g in rows.groupby("user_id:token", sort=False)}


def test_atomic_file_has_recbole_columns_raw_ids_and_seconds() -> None:
    data = _toy()
    inter = bench_train.atomic_inter(data.table.to_pandas(), data.user_vocab, data.item_vocab)
    buffer = io.StringIO()
    inter.to_csv(buffer, sep="\t", index=False)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "user_id:token\titem_id:token\ttimestamp:float"
    assert lines[1] == "u3\te\t5"  # the earliest row first
    assert len(lines) == 1 + data.n_interactions
    assert sorted(inter["user_id:token"].unique()) == ["u1", "u2", "u3"]


def test_recbole_reads_our_time_order_with_ties_by_file_order() -> None:
    data = _toy()
    inter = bench_train.atomic_inter(data.table.to_pandas(), data.user_vocab, data.item_vocab)
    # u1: b@10, c@20, then a and d both at 50 in file order (a before d)
    assert _recbole_sequences(inter) == {
        "u3": ["e", "a", "b"],
        "u1": ["b", "c", "a", "d"],
        "u2": ["b", "c", "a"],
    }


def test_split_reference_is_our_leave_last_out() -> None:
    data = _toy()
    split = LeaveLastOut()(data, seed=0)
    reference = bench_train.split_reference(split, data.user_vocab, data.item_vocab)
    assert reference["valid"] == {"u1": "a", "u2": "c", "u3": "a"}
    assert reference["seen"] == {"u1": ["b", "c"], "u2": ["b"], "u3": ["e"]}  # time order
    json.dumps(reference)  # what the driver reads


# -- RecBole's configuration --------------------------------------------------------------------
def test_recbole_config_copies_our_hyperparameters() -> None:
    model = {"hidden_dim": 64, "n_layers": 2, "n_heads": 1, "dropout": 0.1, "max_len": 200,
             "lr": 0.001, "batch_size": 128, "loss": "ce", "compile": False}  # fmt: skip
    config = bench_train.recbole_config(
        model, data_path=Path("/d"), dataset="ml", seed=3, work=Path("/w")
    )
    expected = {
        "hidden_size": 64, "inner_size": 64, "n_layers": 2, "n_heads": 1,
        "hidden_dropout_prob": 0.1, "attn_dropout_prob": 0.1, "MAX_ITEM_LIST_LENGTH": 200,
        "learning_rate": 0.001, "train_batch_size": 128, "loss_type": "CE",
        "hidden_act": "relu", "train_neg_sample_args": None, "seed": 3, "valid_metric": "NDCG@10",
    }  # fmt: skip
    assert {key: config[key] for key in expected} == expected
    assert config["eval_args"] == {
        "split": {"LS": "valid_and_test"}, "order": "TO", "mode": "full", "group_by": "user"
    }  # fmt: skip
    assert "compile" not in config


def test_recbole_config_refuses_a_sampled_loss() -> None:
    with pytest.raises(SystemExit, match=r"model\.loss='bce'"):
        bench_train.recbole_model_keys({"loss": "bce"})


def test_ours_command_stops_at_the_target_within_the_budget(tmp_path: Path) -> None:
    args = bench_train.main.__globals__["argparse"].Namespace(
        experiment="sasrec_ml1m", seed=1, threads=2, max_epochs=50, max_minutes=2.5,
        metric="ndcg@10", target=0.17, override=["model.lr=0.002"],
    )  # fmt: skip
    command = bench_train.ours_command(args, tmp_path / "o.jsonl", tmp_path)
    assert command[1:4] == ["-m", "bench.train", "experiment=sasrec_ml1m"]
    expected = [
        "threads=2", "early_stopping=null", "resume=false", "+trainer.max_time='00:00:02:30'",
        "+callbacks.target.stopping_threshold=0.17", "+callbacks.target.monitor='valid/ndcg@10'",
        f"+callbacks.clock.path={tmp_path / 'o.jsonl'}",
    ]  # fmt: skip
    assert [part for part in expected if part not in command] == []
    assert command[-1] == "model.lr=0.002"


# -- results ------------------------------------------------------------------------------------
def _point(epoch, batches, of, train_s, wall_s, ndcg, validations=1):
    return {"kind": "epoch", "epoch": epoch, "batches": batches, "of": of, "train_s": train_s,
            "train_cpu_s": 2 * train_s, "valid_s": 2.0 * validations, "valid_cpu_s": 3.0,
            "validations": validations, "wall_s": wall_s, "cpu_s": 2 * wall_s,
            "metrics": {"ndcg@10": ndcg}}  # fmt: skip


OURS = [{"kind": "setup", "fit_start": 100.0}]
OURS += [_point(e, 48, 48, 50.0 + e, 52.0 * (e + 1), 0.05 * (e + 1)) for e in range(4)]
# RecBole: validated every 1000 of 7668 batches, cut by the budget in its first epoch
THEIRS = [_point(0, 1000 * (k + 1), 7668, 1000.0 * (k + 1), 1010.0 * (k + 1), 0.1, k + 1)
          for k in range(3)]  # fmt: skip


def test_summary_of_complete_epochs() -> None:
    ours = bench_train.summarize(OURS, target=0.15)
    assert ours["epoch_train_s"] == 51.5  # median of 50, 51, 52, 53
    assert ours["epoch_train_cpu_s"] == 103.0
    assert (ours["reached"], ours["epochs_to_target"]) == (True, 3.0)
    assert (ours["wall_to_target"], ours["cpu_to_target"]) == (156.0, 312.0)
    assert ours["best"] == pytest.approx(0.2)
    assert (ours["epochs"], ours["complete_epochs"], ours["validations"]) == (4, 4, 4)
    assert ours["valid_s"] == 2.0
    assert ours["setup"] == {"kind": "setup", "fit_start": 100.0}


def test_summary_of_a_cut_epoch_projects_its_rate() -> None:
    theirs = bench_train.summarize(THEIRS, target=0.15)
    assert theirs["epoch_projected"] and theirs["complete_epochs"] == 0
    assert theirs["epoch_train_s"] == pytest.approx(7668.0)  # 3000 s for 3000 batches
    assert not theirs["reached"] and theirs["wall_to_target"] is None
    assert (theirs["wall_spent"], theirs["cpu_spent"]) == (3030.0, 6060.0)
    assert theirs["valid_s"] == 2.0  # per validation, not per epoch
    assert [p["epoch"] for p in theirs["curve"]] == [
        pytest.approx(1000 / 7668, abs=1e-4),
        pytest.approx(2000 / 7668, abs=1e-4),
        pytest.approx(3000 / 7668, abs=1e-4),
    ]


def test_ratio_kinds() -> None:
    ours = bench_train.summarize(OURS, target=0.15)
    theirs = bench_train.summarize(THEIRS, target=0.15)
    assert bench_train.ratio(ours, theirs, "wall") == {
        "value": pytest.approx(156.0 / 3030.0),
        "bound": "<=",
    }
    both = bench_train.summarize(OURS, target=0.05)
    assert bench_train.ratio(both, bench_train.summarize(THEIRS, target=0.05), "cpu") == {
        "value": pytest.approx(104.0 / 2020.0),
        "bound": "=",
    }
    late = bench_train.summarize(OURS, target=0.3)
    early = bench_train.summarize(THEIRS, target=0.05)
    assert bench_train.ratio(late, early, "wall") == {"value": 208.0 / 1010.0, "bound": ">="}
    assert bench_train.ratio(late, theirs, "wall") == {"value": None, "bound": None}


def test_table_shows_times_bounds_and_ratios() -> None:
    ours = bench_train.summarize(OURS, target=0.15)
    theirs = bench_train.summarize(THEIRS, target=0.15)
    table = bench_train.format_table(ours, theirs, 0.15).splitlines()
    rows = {line.split("  ")[0]: line for line in table}
    assert "51.5" in rows["train s / epoch"]
    assert "7,668.0 (projected)" in rows["train s / epoch"]
    assert rows["train s / epoch"].endswith(f"{51.5 / 7668:.3f}")
    assert "156.0 (3 epochs)" in rows["wall s to 0.15"]
    assert "> 3,030.0 (not reached)" in rows["wall s to 0.15"]
    bound = f"<= {156 / 3030:.3f} (RecBole >= {3030 / 156:.1f}x ours)"
    assert rows["wall s to 0.15"].endswith(bound)
    assert "0.2000" in rows["best valid ndcg@10"]


def test_equal_quality_times_both_sides_to_recboles_best() -> None:
    same = bench_train.equal_quality(OURS, THEIRS)
    assert same["quality"] == pytest.approx(0.1)  # RecBole's best, first reached at 1,000 batches
    assert (same["ours"]["cpu_to_target"], same["theirs"]["cpu_to_target"]) == (208.0, 2020.0)
    assert same["ours"]["epochs_to_target"] == 2.0
    assert same["cpu"] == {"value": pytest.approx(208.0 / 2020.0), "bound": "="}
    assert bench_train.equal_quality(OURS, []) is None  # RecBole never validated
    ours = bench_train.summarize(OURS, target=0.15)
    theirs = bench_train.summarize(THEIRS, target=0.15)
    table = bench_train.format_table(ours, theirs, 0.15, same_quality=same).splitlines()
    rows = {line.split("  ")[0]: line for line in table}
    row = rows["CPU s to RecBole's best (0.1000)"]
    assert "208.0 (2 epochs)" in row and "2,020.0 (0.1304 epochs)" in row
    assert row.endswith(f"{208 / 2020:.3f} (RecBole {2020 / 208:.1f}x ours)")


def test_summarize_only_reads_a_finished_run(tmp_path: Path, capsys) -> None:
    for name, lines in (("ours", OURS), ("recbole", THEIRS)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "report.json"
    code = bench_train.main(
        ["--target", "0.15", "--work-dir", str(tmp_path), "--summarize-only", "--out", str(out)]
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["ratios"]["cpu"] == {"value": pytest.approx(312.0 / 6060.0), "bound": "<="}
    assert report["ratios"]["equal_quality"]["cpu"]["value"] == pytest.approx(208.0 / 2020.0)
    assert "CPU s to RecBole's best (0.1000)" in capsys.readouterr().out
    (tmp_path / "ours.jsonl").unlink(), (tmp_path / "recbole.jsonl").unlink()
    with pytest.raises(SystemExit):  # nothing to summarize: argparse's one-line error
        bench_train.main(["--work-dir", str(tmp_path), "--summarize-only"])


def test_report_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    bench_train.write_json(target, {"ratio": 0.05})
    assert json.loads(target.read_text()) == {"ratio": 0.05}
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


# -- the RecBole driver's loop pieces -----------------------------------------------------------
def test_chunks_split_an_epoch_and_stop_at_the_deadline() -> None:
    batches = iter(range(7))
    far = time.time() + 3600
    first = driver.Chunk(batches, 7, 3, far)
    assert list(first) == [0, 1, 2]
    assert (first.done, first.exhausted, first.cut) == (3, False, False)
    assert len(first) == 7  # RecBole's loop reads the epoch's length
    second = driver.Chunk(batches, 7, 0, far)  # size 0: the rest of the epoch
    assert list(second) == [3, 4, 5, 6] and second.exhausted
    late = driver.Chunk(iter(range(7)), 7, 0, time.time() - 1)
    assert list(late) == [0] and late.cut  # the budget is checked after every batch
