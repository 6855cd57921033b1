"""Every shipped config composes and validates: models, evals, experiments, searches, launchers."""

from pathlib import Path

import pytest
from train_helpers import CONF, compose_train

from bench.train.settings import load_settings


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("model", options("model"))
@pytest.mark.parametrize("evaluation", options("eval"))
def test_every_model_and_eval_validates(model: str, evaluation: str, tmp_path: Path) -> None:
    settings = load_settings(compose_train([f"model={model}", f"eval={evaluation}"], tmp_path))
    assert settings.evaluation.select in settings.evaluation.metrics


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_validates(experiment: str, tmp_path: Path) -> None:
    cfg = compose_train([f"experiment={experiment}"], tmp_path)
    load_settings(cfg)
    if experiment.startswith(("sasrec_ml1m", "bert4rec_ml1m", "gru4rec_ml1m")):
        # SASRec's ML-1M: leave-last-out, train + valid
        assert cfg.dataset.name == "ml-1m" and cfg.preprocess.name == "item_min5"
        assert cfg.split._target_.endswith("LeaveLastOut") and cfg.model.max_len == 200
        assert cfg.eval.select == "ndcg_binary@10" and cfg.eval.test_history == "train_valid"
        return
    if experiment.startswith("s3rec_beauty_"):  # S3-Rec's Beauty file, leave-last-out
        assert cfg.dataset.name == "s3rec-beauty" and cfg.preprocess.name == "none"
        assert cfg.split._target_.endswith("LeaveLastOut")
        assert cfg.eval.protocol._target_.endswith("FullRanking")
        assert cfg.eval.select == "ndcg_binary@10" and cfg.eval.test_history == "train_valid"
        return
    if experiment.startswith("recbole_ml1m_"):  # RecBole's ML-1M benchmark
        assert cfg.dataset.name == "ml-1m" and cfg.preprocess.name == "implicit_3_10core"
    else:  # RecBole's default setup: ML-100K, every rating a positive, no filtering
        assert experiment == "recbole_ml100k"
        assert cfg.dataset.name == "ml-100k" and cfg.preprocess.name == "none"
    assert cfg.split._target_.endswith("RandomHoldout")
    assert list(cfg.split.ratios) == [0.8, 0.1, 0.1]
    assert cfg.eval.select == "ndcg_binary@10" and cfg.eval.test_history == "train"


def test_recbole_ease_pins_l2(tmp_path: Path) -> None:
    assert compose_train(["experiment=recbole_ml1m_ease"], tmp_path).model.l2 == 1000.0


@pytest.mark.parametrize("search", [s for s in options("hparams_search") if s != "optuna"])
def test_every_search_shares_the_budget(search: str, tmp_path: Path) -> None:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", [f"hparams_search={search}"], return_hydra_config=True)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaSweeper") and sweeper.n_trials == 20
    assert sweeper.direction == "maximize" and sweeper.params
    assert all(key.startswith("model.") for key in sweeper.params)


@pytest.mark.parametrize("launcher", options("launcher"))
def test_every_launcher_composes(launcher: str) -> None:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", [f"launcher={launcher}"], return_hydra_config=True)
    assert "Launcher" in cfg.hydra.launcher._target_


@pytest.mark.parametrize("debug", options("debug"))
def test_every_debug_mode_validates(debug: str, tmp_path: Path) -> None:
    cfg = compose_train([f"debug={debug}"], tmp_path)
    load_settings(cfg)
    assert "debug" in cfg.tags
