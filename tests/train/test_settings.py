"""Start-up validation: every bad key or value fails with one line that names it."""

import pytest
from train_helpers import compose_train

from bench.train.errors import RunConfigError
from bench.train.settings import load_settings


def settings_error(overrides, tmp_path) -> str:
    cfg = compose_train(overrides, tmp_path)
    with pytest.raises(RunConfigError) as info:
        load_settings(cfg)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("+model.l3=5", "model.l3: EASE has no parameter 'l3'; valid: l2"),
        ("model.l2=abc", "model.l2='abc' must be float"),
        ("eval.batch_size=abc", "eval.batch_size='abc'"),
        ("+eval.topk=5", "eval.topk"),
        ("eval.metrics=[ndcg@x]", "ndcg@x"),
        ("eval.select=recall@50", "eval.select='recall@50' is not among eval.metrics"),
        ("eval.test_history=all", "eval.test_history='all'"),
        ("eval.batch_size=0", "eval.batch_size=0"),
        ("+trainer.max_epoch=3", "trainer.max_epoch: Trainer has no parameter 'max_epoch'"),
        ("trainer.max_epochs=abc", "trainer.max_epochs='abc' must be int (Trainer)"),
        ("eval.gains=graded", "eval.gains='graded' is not one of"),
        ("trainer.max_epochs=2.5", "trainer.max_epochs=2.5 must be int (Trainer)"),
        ("trainer.deterministic=maybe", "trainer.deterministic='maybe' must be bool or one of"),
        ("+split.folds=3", "split: "),
        ("split.ratios=[1,2]", "ratios=[1, 2]"),
        ("+foo=1", "unknown top-level key 'foo'"),
        ("seed=abc", "train.seed='abc'"),
        ("early_stopping.patience=x", "train.early_stopping.patience='x'"),
        ("model._target_=baselines.nope.Nope", "model._target_='baselines.nope.Nope'"),
        ("model._target_=torch.nn.Linear", "is not a bench.rankers.base.Ranker"),
    ],
)
def test_bad_config_names_the_key(override, named, tmp_path) -> None:
    assert named in settings_error([override], tmp_path)


def test_ild_is_refused_only_without_declared_item_features(tmp_path) -> None:
    ild = "eval.metrics=[ndcg@10,ild@10]"
    named = "eval.metrics: ild@10 needs item_features"
    assert named in settings_error(["dataset=ml-20m", ild], tmp_path)  # declares no features
    assert named in settings_error(["~dataset.item_features", ild], tmp_path)
    load_settings(compose_train([ild], tmp_path))  # ml-100k declares its genres


@pytest.mark.parametrize("model", ["ease", "bpr"])
def test_trainer_values_are_checked_for_every_model(model, tmp_path) -> None:
    message = settings_error([f"model={model}", "trainer.max_epochs=abc"], tmp_path)
    assert message == "trainer.max_epochs='abc' must be int (Trainer)"


def test_valid_trainer_values_pass(tmp_path) -> None:
    good = ["trainer.deterministic=warn", "+trainer.precision=32", "trainer.max_epochs=3"]
    assert load_settings(compose_train(good, tmp_path)).run.seed == 0


def test_split_unknown_key_is_named(tmp_path) -> None:
    assert "folds" in settings_error(["+split.folds=3"], tmp_path)


def test_good_config_gives_typed_settings(tmp_path) -> None:
    cfg = compose_train(["model=bpr", "eval=recbole", "seed=4"], tmp_path)
    settings = load_settings(cfg)
    assert settings.run.seed == 4 and settings.run.resume is True
    assert settings.evaluation.select == "ndcg_binary@10"
    assert settings.eval.test_history == "train"
    assert type(settings.splitter).__name__ == "RandomHoldout"
