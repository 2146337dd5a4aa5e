"""Command line of the reports: `python -m reports build|compare ...`.

Exit status: 0 on success; 1 when `compare --fail-above` finds a case judged slower
by more than the threshold, or `--fail-unresolved` a case it could not resolve; 2 for
an error the user can fix (a missing or empty run directory, malformed JSON, fewer
than two runs to compare, an output directory holding what the tool did not write,
`--fail-above` with no case compared), with a one-line message saying what is wrong on
stderr; 130 when interrupted (Ctrl-C), which leaves the previous report or comparison
as it was.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

# Files only, never a window: choose the backend before anything imports pyplot.
matplotlib.use("Agg")

from reports.errors import ReportInputError

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser with its two subcommands."""
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,compare,precision}")
    build = commands.add_parser("build", help="write RUN_DIR/report/ (PNGs, index.md, summary.csv)")
    build.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory: results/<machine-id>/<run-id>")
    compare = commands.add_parser(
        "compare",
        help="compare runs side by side",
        description="Compare runs; a directory of machines (e.g. results/) means the newest run of each machine.",
    )
    compare.add_argument(
        "runs", type=Path, nargs="+", metavar="RUN_DIR", help="run directories, or a results root / machine directory"
    )
    compare.add_argument(
        "--baseline",
        type=Path,
        metavar="RUN_DIR",
        help="the run the others are divided by (default: the first run given, or the oldest)",
    )
    compare.add_argument(
        "--out", type=Path, metavar="DIR", help="output directory (default: <results>/compare/<timestamp>/)"
    )
    compare.add_argument(
        "--fail-above",
        type=float,
        metavar="PCT",
        help="exit 1 if a case is judged slower than the baseline by more than PCT percent",
    )
    compare.add_argument(
        "--fail-unresolved",
        action="store_true",
        help="exit 1 also when a case could not be resolved (neither a change nor a shown equivalence)",
    )
    compare.add_argument(
        "--min-effect",
        type=float,
        default=5.0,
        metavar="PCT",
        help="the smallest change, in percent, that can be judged slower or faster (default 5)",
    )
    precision = commands.add_parser(
        "precision", help="print, as JSON, the cases of a run still too wide for a comparison to resolve PCT"
    )
    precision.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    precision.add_argument("--target", type=float, default=5.0, metavar="PCT", help="the change to resolve (default 5)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            from reports.index import INDEX_NAME, build_report

            report = build_report(args.run_dir)
            print(f"report: {report / INDEX_NAME} ({len(list(report.glob('*.png')))} charts)")
            return EXIT_OK
        if args.command == "precision":
            import json

            from reports.precision import imprecise

            print(json.dumps(imprecise(args.run_dir, args.target / 100)))
            return EXIT_OK
        from reports.compare import run_compare

        regressed = run_compare(
            args.runs,
            baseline=args.baseline,
            out=args.out,
            fail_above=args.fail_above,
            min_effect=args.min_effect,
            fail_unresolved=args.fail_unresolved,
        )
        return EXIT_REGRESSION if regressed else EXIT_OK
    except ReportInputError as exc:
        print(f"python -m reports {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"python -m reports {args.command}: interrupted; nothing was half-written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
