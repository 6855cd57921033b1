"""RecBole's side of ``scripts/recbole_same_split.py``: one general model, fitted and tested on
a split given as RecBole benchmark files.

Runs inside RecBole's own environment (nothing from RankBench is imported here). ``argv[1]`` is
a JSON spec: ``model`` (RecBole's model name, e.g. ``EASE``), ``dataset`` (the files' name),
``config`` (RecBole's config dict), ``threads`` (torch threads) and ``out`` (a JSON file that
receives ``{"test": {metric: value}, "valid": {...}, "fit_s": seconds, "sizes": {...}}``).

Example:
    python recbole_general_driver.py '{"model": "EASE", "dataset": "ml-1m-s0", ...}'
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(spec: dict) -> int:
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    torch.set_num_threads(int(spec["threads"]))
    config = Config(model=spec["model"], dataset=spec["dataset"], config_dict=spec["config"])
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    sizes = {
        "users": int(dataset.user_num) - 1,  # RecBole's id 0 is padding
        "items": int(dataset.item_num) - 1,
        "train": len(train_data.dataset),
        "valid": len(valid_data.dataset),
        "test": len(test_data.dataset),
    }
    model = get_model(config["model"])(config, train_data.dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    started = time.perf_counter()
    trainer.fit(train_data, valid_data=None, saved=False, show_progress=False)
    fit_s = time.perf_counter() - started
    valid = trainer.evaluate(valid_data, load_best_model=False, show_progress=False)
    test = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
    result = {
        "valid": {k: float(v) for k, v in valid.items()},
        "test": {k: float(v) for k, v in test.items()},
        "fit_s": fit_s,
        "sizes": sizes,
    }
    out = Path(spec["out"])
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
