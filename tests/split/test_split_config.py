"""conf/split/*.yaml build the splitters through Hydra's ``_target_`` and run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from bench.split import (
    LeaveLastOut,
    Predefined,
    RandomHoldout,
    SplitError,
    TemporalSplit,
    UserHoldout,
)

CONF = Path(__file__).resolve().parents[2] / "conf"
EXPECTED = {
    "leave_last_out": LeaveLastOut,
    "temporal": TemporalSplit,
    "random_holdout": RandomHoldout,
    "user_holdout": UserHoldout,
}  # one-file protocols; predefined (data given as parts) is tested in test_predefined.py


def test_every_protocol_has_a_config():
    names = sorted(p.stem for p in (CONF / "split").glob("*.yaml"))
    assert names == sorted([*EXPECTED, "predefined"])
    predefined = instantiate(OmegaConf.load(CONF / "split" / "predefined.yaml"))
    assert predefined == Predefined(valid="file", valid_ratio=0.1, min_train=1)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_builds_the_splitter_and_splits(name, synthetic):
    splitter = instantiate(OmegaConf.load(CONF / "split" / f"{name}.yaml"))
    assert type(splitter) is EXPECTED[name] and splitter.name == name
    split = splitter(synthetic, seed=0)
    assert split.name == name and split.audit is not None and split.audit.clean
    assert min(split.sizes().values()) > 0


@pytest.mark.parametrize(
    ("name", "overrides", "attr", "value"),
    [
        (
            "temporal",
            ["split.valid_cut=2003-01-01", "split.test_cut=2003-06-01"],
            "valid_cut",
            "2003-01-01",
        ),
        ("random_holdout", ["split.ratios=[7,2,1]"], "ratios", (0.7, 0.2, 0.1)),
        ("leave_last_out", ["split.too_few=drop"], "too_few", "drop"),
        ("user_holdout", ["split.test_users=100"], "test_users", 100),
    ],
)
def test_command_line_overrides(name, overrides, attr, value):
    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        cfg = compose(config_name=f"split/{name}", overrides=overrides)
    splitter = instantiate(cfg.split)
    assert getattr(splitter, attr) == value


def test_bad_value_in_config_is_a_clear_error():
    cfg = OmegaConf.load(CONF / "split" / "leave_last_out.yaml")
    cfg.too_few = "ignore"
    with pytest.raises(Exception, match="too_few='ignore' is not one of") as err:
        instantiate(cfg)
    # Hydra wraps constructor errors; the cause is ours
    cause = err.value if isinstance(err.value, SplitError) else err.value.__cause__
    assert isinstance(cause, SplitError)
