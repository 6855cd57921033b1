"""``python -m bench.results``: list the runs of a results store (see :mod:`bench.results.listing`).

Examples::

    python -m bench.results                              # every run in results/, oldest first
    python -m bench.results --status failed --limit 5    # the newest 5 failed runs
    python -m bench.results --group 2024-05-01_12-00-00-000000 --metric ndcg@20 --metric mrr@10
    python -m bench.results --root /shared/results --format csv > runs.csv

Exit status: 0 (also when there are no runs: one line says so), 2 for an unusable store or
option (one line on stderr). An invalid record is skipped with a warning naming its file.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from bench.results.listing import FORMATS, ListingError, count_line, list_runs, render
from bench.results.load import TABLE_STATUSES as STATUSES


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line's options."""
    p = argparse.ArgumentParser(
        prog="python -m bench.results",
        description="List the runs of a results store as a short table.",
    )
    p.add_argument("--root", default="results", help="the store's directory (default: results)")
    p.add_argument("--status", choices=STATUSES, help="only runs with this status")
    p.add_argument("--model", help="only runs of this model (e.g. ease)")
    p.add_argument("--dataset", help="only runs on this dataset (e.g. ml-100k)")
    p.add_argument("--group", help="only runs of this sweep group")
    p.add_argument("--tag", help="only runs carrying this tag")
    p.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="a test metric to show (repeatable; default: ndcg@10 and recall@10 where present)",
    )
    p.add_argument("--limit", type=_positive, metavar="N", help="only the newest N runs")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    return p


def _warning_line(message: str) -> str:
    text = " ".join(str(message).split())
    return "warning: " + text.split(" (fix or delete")[0] + " (skipped)"


def _filters(args: argparse.Namespace) -> str:
    named = ("status", "model", "dataset", "group", "tag")
    return ", ".join(f"{k}={getattr(args, k)}" for k in named if getattr(args, k) is not None)


def _no_runs(args: argparse.Namespace) -> str:
    if not Path(args.root).exists():
        return f"no runs in {args.root} (the directory does not exist)"
    filters = _filters(args)
    return f"no runs in {args.root}" + (f" match {filters}" if filters else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the listing; return the exit status."""
    args = parser().parse_args(argv)
    failure: ListingError | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = list_runs(
                args.root, status=args.status, model=args.model, dataset=args.dataset,
                group=args.group, tag=args.tag, metrics=args.metric,
            )  # fmt: skip
        except ListingError as err:
            failure = err
    for warning in caught:
        print(_warning_line(str(warning.message)), file=sys.stderr)
    if failure is not None:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    total = len(table)
    if args.limit is not None:
        table = table.tail(args.limit)
    if table.empty:
        print(_no_runs(args), file=sys.stdout if args.format == "table" else sys.stderr)
        if args.format != "table":
            print(render(table, args.format))
        return 0
    print(render(table, args.format))
    if args.format == "table":
        print(count_line(table, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
