"""The regression gate: is a candidate not worse than a baseline? (``python -m bench.compare``)

- :mod:`~bench.compare.selection`: which runs (one configuration, latest run per seed);
- :mod:`~bench.compare.gate`: one benchmark cell, seeds and users paired, the decision rule;
- :mod:`~bench.compare.markdown`: the verdict as Markdown and JSON;
- :mod:`~bench.compare.cli`: the command line, and ``export`` to write a baseline bundle
  (:mod:`bench.results.bundle`).

Example:
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> from bench.results import ResultStore, RunRecord
    >>> store, rng = ResultStore(tempfile.mkdtemp()), np.random.default_rng(0)
    >>> base = rng.random(200)
    >>> for model, shift in (("pop", 0.0), ("ease", 0.02)):
    ...     for seed in (0, 1):
    ...         rec = RunRecord(run_id=f"{model}-{seed}", status="completed", model=model,
    ...                         seed=seed, config={"model": {"name": model}, "seed": seed},
    ...                         started_at="2024-01-01T00:00:00+00:00",
    ...                         ended_at="2024-01-01T00:00:01+00:00")
    ...         frame = pd.DataFrame({"user": range(200), "ndcg@10": base + shift})
    ...         _ = store.write(rec, {"test": frame})
    >>> source = open_source(store.root)
    >>> result = run_gate(select(source, Spec.parse("ease")),
    ...                   select(source, Spec.parse("pop"), role="baseline"), margin="0.01")
    >>> result.verdict, result.exit_status, round(result.diff, 4)
    ('better', 0, 0.02)
"""

from bench.compare.errors import GateError
from bench.compare.gate import EXIT_STATUS, GateResult, Margin, decide, run_gate
from bench.compare.markdown import to_markdown, write_json
from bench.compare.selection import Selection, Source, Spec, open_source, select

__all__ = [
    "EXIT_STATUS",
    "GateError",
    "GateResult",
    "Margin",
    "Selection",
    "Source",
    "Spec",
    "decide",
    "open_source",
    "run_gate",
    "select",
    "to_markdown",
    "write_json",
]
