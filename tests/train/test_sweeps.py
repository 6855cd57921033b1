"""Sweeps through the CLI: Optuna search; joblib, Ray (a local instance) and submitit
(the SLURM launcher's code path, local executor) launchers."""

import pytest
import yaml
from train_helpers import cli

from bench.results import ResultStore

pytestmark = pytest.mark.slow


def completed(root) -> list:
    store = ResultStore(root / "results")
    runs = [store.read(run_id) for run_id in store.run_ids()]
    assert all(r.status == "completed" for r in runs)
    return runs


def test_optuna_search_returns_the_best_validation_value(tmp_path) -> None:
    done = cli("hparams_search=ease_optuna", "hydra.sweeper.n_trials=3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = completed(tmp_path)
    assert len(runs) == 3 and len({r.config["model"]["l2"] for r in runs}) == 3
    assert len({r.group for r in runs}) == 1
    (sweep,) = (tmp_path / "outputs" / "multiruns").iterdir()
    result = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    best = max(runs, key=lambda r: r.metrics["valid"]["ndcg@10"])
    assert result["best_value"] == pytest.approx(best.metrics["valid"]["ndcg@10"])
    assert result["best_params"]["model.l2"] == pytest.approx(best.config["model"]["l2"])


@pytest.mark.parametrize("launcher", ["joblib", "ray", "submitit_local"])
def test_parallel_launchers_record_every_job(tmp_path, launcher: str) -> None:
    done = cli("-m", f"launcher={launcher}", "model=pop,ease", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = completed(tmp_path)
    assert sorted(r.model for r in runs) == ["ease", "pop"]
    ndcg = {r.model: r.metrics["test"]["ndcg@10"] for r in runs}
    assert ndcg["ease"] > ndcg["pop"] > 0.1
