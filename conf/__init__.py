"""RankBench's Hydra configs; installed as the package ``bench.conf`` (see ``setup.py`` and
:func:`bench.paths.conf_dir`). Only the YAML files matter; Hydra ignores this file."""
