"""Command line of the reports: `python -m reports build|compare ...`.

Exit status: 0 on success; 1 when `compare --fail-above` finds a case judged slower
by more than the threshold, or `--fail-unresolved` a case it could not resolve; 2 for
an error the user can fix (a missing or empty run directory, malformed JSON, fewer
than two runs to compare, an output directory holding what the tool did not write,
`--fail-above` with no case compared), with a one-line message saying what is wrong on
stderr (a bad option too: one line, no usage block); 130 when interrupted (Ctrl-C,
SIGINT) and 143 when terminated (SIGTERM), each with one line: the previous report or
comparison is left as it was and the half-built one is removed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import matplotlib

# Files only, never a window: choose the model before anything imports pyplot.
matplotlib.use("Agg")

from bench.options import OneLineErrors
from reports.errors import ReportInputError

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2
#: The shell's convention: 128 + the signal's number.
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGINT or SIGTERM, so every `finally` and cleanup runs.

    A `KeyboardInterrupt`, so code that already cleans up after Ctrl-C (the staging
    directory of `reports.output.staged_dir`) does the same for SIGTERM.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _stop(signum: int, _frame: FrameType | None) -> None:
    # One-shot: a second signal (a terminal's Ctrl-C reaches the runner that also
    # forwards it) must not cut the cleanup the first one started.
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, signal.SIG_IGN)
    raise Stopped(signum)


def _percent(text: str) -> float:
    """A percentage given on the command line, as a float; a range check is the command's."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage; give a number such as 10") from None


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser with its subcommands; its errors are one line, exit 2."""
    parser = OneLineErrors(prog="python -m reports", description=__doc__.splitlines()[0])
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
        type=_percent,
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
        type=_percent,
        default=5.0,
        metavar="PCT",
        help="the smallest change, in percent, that can be judged slower or faster (default 5)",
    )
    precision = commands.add_parser(
        "precision", help="print, as JSON, the cases of a run still too wide for a comparison to resolve PCT"
    )
    precision.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    precision.add_argument(
        "--target", type=_percent, default=5.0, metavar="PCT", help="the change to resolve (default 5)"
    )
    precision.add_argument(
        "--pair",
        type=Path,
        metavar="RUN_DIR",
        help="the run interleaved with RUN_DIR: judge each case's paired comparison instead of each run alone",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    In the main thread, SIGTERM and SIGINT end the command the same way: whatever is
    half-written is removed, one line says so, and the status is 143 or 130.
    """
    args = _parser().parse_args(argv)
    handlers = _install_stop_handlers()
    try:
        if args.command == "build":
            from reports.index import INDEX_NAME, build_report

            report = build_report(args.run_dir)
            print(f"report: {report / INDEX_NAME} ({len(list(report.glob('*.png')))} charts)")
            return EXIT_OK
        if args.command == "precision":
            import json

            if args.pair is not None:
                from reports.pair_precision import imprecise_pair

                print(json.dumps(imprecise_pair(args.run_dir, args.pair, args.target / 100)))
                return EXIT_OK
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
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Stopped) and exc.signum == signal.SIGTERM
        why = "terminated (SIGTERM)" if terminated else "interrupted"
        print(f"python -m reports {args.command}: {why}; nothing was half-written", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _install_stop_handlers() -> dict[int, Any]:
    """Make SIGINT and SIGTERM raise `Stopped`; return the handlers they replace.

    Only the main thread can set handlers; elsewhere (a test calling `main` from a
    thread) nothing is changed. A signal the caller ignores stays ignored.
    """
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) != signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _stop)
    return previous


if __name__ == "__main__":
    sys.exit(main())
