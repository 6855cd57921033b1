"""``python -m bench.suite [suite=<name>] [key=value ...]``: run a benchmark suite, then report.

Every (cell, model, seed) job of ``conf/suite/<name>.yaml`` that the results store does not
hold yet runs with :func:`bench.train.runner.run`; then the leaderboard of the suite's runs is
printed (Markdown) and written to ``reports/<name>/`` (md, html, csv, json). Run it again and
nothing runs twice: an interrupted suite resumes where it stopped (an interrupted gradient run
from its ``last.ckpt``). Keys: see ``conf/suite.yaml`` and the suite file.

Examples::

    python -m bench.suite                                  # the default suite: 24 runs, 1 min 45 s
    python -m bench.suite suite=recbole_ml1m launcher=joblib n_jobs=2
    python -m bench.suite seeds=[0] report=false           # one seed, no leaderboard
    python -m bench.suite --dry-run                        # what would run, as bench.train commands

Exit status: 0 all runs done; 1 a run failed (the others still ran) or the report failed;
2 a bad suite or option (one line on stderr naming it); 130 interrupted by Ctrl-C (143 by
SIGTERM).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.suite.spec import SuiteConfig

USAGE = "usage: python -m bench.suite [--dry-run] [suite=<name>] [key=value ...]"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(__doc__.strip())
        return 0
    dry_run = "--dry-run" in args
    args = [a for a in args if a != "--dry-run"]
    unknown = [a for a in args if a.startswith("-")]
    if unknown:
        print(f"error: unknown option {unknown[0]}; {USAGE}", file=sys.stderr)
        return 2
    from bench.suite.config import load_config
    from bench.suite.console import console_logging
    from bench.suite.spec import SuiteError

    console_logging()
    try:
        config = load_config(args)
        from bench.suite.run import run_suite

        outcome = run_suite(config, dry_run=dry_run)
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        from bench.suite.run import SuiteInterrupted

        what = str(stop) if isinstance(stop, SuiteInterrupted) else "interrupted"
        print(f"{what}: run the same command again to resume", file=sys.stderr)
        return stop.code if isinstance(stop, SuiteInterrupted) else 130
    if dry_run:
        return 0
    status = 0
    if outcome.failed:
        print(f"{len(outcome.failed)} of {outcome.ran} runs failed:", file=sys.stderr)
        for job, result in outcome.failed:
            print(f"  {job.key}: {result.error}", file=sys.stderr)
        status = 1
    if config.options.report:
        status = max(status, _report(config))
    return status


def _report(config: SuiteConfig) -> int:
    """Write the leaderboard; a report error is one line and status 1."""
    from bench.suite.run import write_leaderboard
    from bench.train.errors import is_user_error, one_line_error

    try:
        write_leaderboard(config)
    except Exception as err:
        if os.environ.get("RANKBENCH_TRACEBACK", "") not in ("", "0") or not is_user_error(err):
            raise
        print(f"error: report: {one_line_error(err)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
