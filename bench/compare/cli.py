"""``python -m bench.compare``: the regression gate, and ``export`` to write a baseline bundle.

Examples::

    python -m bench.compare --candidate ease --baseline pop                # both in ./results
    python -m bench.compare --candidate ease@3f2a9c1b --baseline baseline.tar.gz --margin 1%
    python -m bench.compare --candidate ease --baseline ease --baseline-root ../main/results
    python -m bench.compare export --root results --model ease --out baseline.tar.gz

The gate prints a Markdown verdict on stdout (``--json FILE`` also writes it as JSON) and
exits with 0 when the candidate is not worse than the baseline by more than the margin, 1
when it is worse or the data cannot show that it is not (``inconclusive``; the rule is in
:mod:`bench.compare.gate`), 2 on a usage error or sides that must not be compared (one
``error:`` line on stderr) and 3 on an internal error (a traceback: a bug to report).

``--group`` / ``--tag`` filter the runs read from results directories (both sides); a bundle
is used as exported. Nothing in a store or bundle is ever modified.

Example:
    >>> import tempfile
    >>> main(["--candidate", "ease", "--root", tempfile.mkdtemp()])  # stderr: error: ...
    2
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bench.compare.errors import GateError
from bench.compare.gate import Margin, run_gate
from bench.compare.markdown import to_markdown, write_json
from bench.compare.selection import Spec, looks_like_bundle, open_source, select
from bench.results.bundle import BundleError, export_bundle
from bench.results.jsonable import RecordError

INTERNAL_ERROR = 3


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one :class:`GateError` line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        raise GateError(f"{message} (see python -m bench.compare --help)")


def gate_parser() -> argparse.ArgumentParser:
    """Arguments of the gate."""
    p = _Parser(
        prog="python -m bench.compare",
        description="Regression gate: is the candidate not worse than the baseline (up to a "
        "margin)? Exit 0 pass, 1 worse or inconclusive, 2 usage error / not comparable. "
        "'python -m bench.compare export --help' writes a baseline bundle.",
    )
    p.add_argument("--candidate", required=True, help="model[@variant hash prefix]")
    p.add_argument(
        "--baseline", required=True, help="model[@hash prefix], or a bundle (.tar.gz or dir)"
    )
    p.add_argument("--root", default="results", help="results directory (default: results)")
    p.add_argument(
        "--baseline-root", help="results directory or bundle of the baseline (default: --root)"
    )
    p.add_argument("--metric", default="ndcg@10", help="per-user metric (default: ndcg@10)")
    p.add_argument(
        "--margin", default="1%", help="absolute (0.01) or of the baseline mean (1%%; default)"
    )
    p.add_argument("--split", default="test", help="split compared (default: test)")
    p.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (default: 0.05)")
    p.add_argument("--group", help="only runs of this group (results directories)")
    p.add_argument("--tag", help="only runs with this tag (results directories)")
    p.add_argument("--json", type=Path, help="also write the verdict as JSON here")
    return p


def export_parser() -> argparse.ArgumentParser:
    """Arguments of ``export``."""
    p = _Parser(
        prog="python -m bench.compare export",
        description="Write the completed runs of one configuration (latest run of each seed) "
        "to a bundle that another repository's CI can gate against.",
    )
    p.add_argument("--root", default="results", help="results directory (default: results)")
    p.add_argument("--model", required=True, help="model[@variant hash prefix]")
    p.add_argument("--group", help="only runs of this group")
    p.add_argument("--tag", help="only runs with this tag")
    p.add_argument("--out", required=True, type=Path, help="bundle: DIR, or FILE.tar.gz")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return p


def _warn(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)


def gate(args: argparse.Namespace) -> int:
    """Run the gate for parsed arguments; print the verdict; return the exit status."""
    margin = Margin.parse(args.margin)
    spec = Spec.parse(args.candidate)
    cand_source = open_source(args.root)
    _warn(cand_source.warnings)
    candidate = select(cand_source, spec, group=args.group, tag=args.tag, role="candidate")
    if looks_like_bundle(args.baseline):
        if args.baseline_root is not None:
            raise GateError("--baseline names a bundle; drop --baseline-root or name a model")
        base_source, base_spec = open_source(args.baseline), Spec(None)
    else:
        base_spec = Spec.parse(args.baseline)
        root = args.baseline_root if args.baseline_root is not None else args.root
        same = Path(root).resolve() == Path(args.root).resolve()
        base_source = cand_source if same else open_source(root)
        if not same:
            _warn(base_source.warnings)
    filters = {} if base_source.bundle else {"group": args.group, "tag": args.tag}
    baseline = select(base_source, base_spec, role="baseline", **filters)
    result = run_gate(
        candidate, baseline, metric=args.metric, margin=margin, split=args.split, alpha=args.alpha
    )
    if args.json is not None:
        try:
            write_json(result, args.json)
        except OSError as exc:
            raise GateError(f"cannot write {args.json}: {exc}") from None
    print(to_markdown(result), end="", flush=True)
    return result.exit_status


def export(args: argparse.Namespace) -> int:
    """Write a bundle for parsed ``export`` arguments; return 0."""
    source = open_source(args.root)
    _warn(source.warnings)
    chosen = select(source, Spec.parse(args.model), group=args.group, tag=args.tag, role="export")
    try:
        path = export_bundle(
            source.store, [r.run_id for r in chosen.records], args.out, overwrite=args.overwrite
        )
    except (BundleError, RecordError, OSError) as exc:
        raise GateError(str(exc)) from None
    seeds = ", ".join(map(str, chosen.seeds))
    print(f"wrote {path}: {chosen.label}, {len(chosen.runs)} run(s), seeds {seeds}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["export"]:
            return export(export_parser().parse_args(argv[1:]))
        return gate(gate_parser().parse_args(argv))
    except GateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("error: internal error in bench.compare (a bug; please report it)", file=sys.stderr)
        return INTERNAL_ERROR
