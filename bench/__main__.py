"""``python -m bench``: run the suite, one fresh interpreter per backend.

Options mirror the make variables: ``--profile`` (PROFILE), ``--backends``
(BACKENDS), ``--workloads`` (WORKLOADS, workloads and micro-costs), ``--results``
(RESULTS), ``--http-url`` (HTTP_URL), ``--processes`` (PROCESSES),
``--http-server-workers`` (HTTP_SERVER_WORKERS). A bad choice exits 2 naming the
valid ones, before anything is created.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bench.backends import BACKENDS
from bench.micro import MICROS
from bench.profiles import DEFAULT_PROFILE, PROFILES
from bench.runner import RunOptions, execute
from workloads import WORKLOADS


def _choices(kind: str, valid: list[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in valid]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {', '.join(map(repr, unknown)) or '(none given)'}; valid choices: {', '.join(valid)}"
            )
        return names

    return parse


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme != "http" or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http:// URL (the minimal client, which every model can run, speaks plain HTTP)"
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise argparse.ArgumentTypeError(f"{text!r} contains a space or a control character; percent-encode it")
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} has no valid port: give a number from 1 to 65535") from None
    if parts.port == 0:
        raise argparse.ArgumentTypeError(f"{text!r} has no valid port: give a number from 1 to 65535")
    return text


def _processes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PROCESSES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a process count; give a whole number from 1 to {MAX_PROCESSES} "
            "(3 or more lets the reports see run-to-run noise)"
        )
    return value


#: More fresh interpreters per backend than this adds time, not knowledge.
MAX_PROCESSES = 50


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a worker count; give a whole number from 1 to 64")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench``."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=list(PROFILES), help="parameter grid (default quick)")
    p.add_argument(
        "--backends", type=_choices("backend", list(BACKENDS)), default=list(BACKENDS), help="comma-separated models"
    )
    valid = [*WORKLOADS, *MICROS]
    p.add_argument(
        "--workloads", type=_choices("workload", valid), default=valid, help="comma-separated workloads/micro-costs"
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="results directory (default results)")
    p.add_argument("--http-url", type=_url, default=None, help="fetch this URL instead of the local server")
    p.add_argument(
        "--processes",
        type=_processes,
        default=None,
        help="fresh interpreters per backend, run round-robin (default: the profile's, smoke 1, quick 3, full 5)",
    )
    p.add_argument(
        "--http-server-workers",
        type=_workers,
        default=None,
        help="worker processes of the local HTTP server (default: one per core, at most 8)",
    )
    p.add_argument("--no-report", action="store_true", help="do not build the report after the run")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run; return the exit code."""
    args = parser().parse_args(argv)
    options = RunOptions(
        profile=args.profile,
        backends=args.backends,
        workloads=args.workloads,
        results=args.results,
        http_url=args.http_url,
        processes=args.processes,
        http_server_workers=args.http_server_workers,
        report=not args.no_report,
    )
    return execute(options)


if __name__ == "__main__":
    sys.exit(main())
