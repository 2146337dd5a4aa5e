"""Options a model or a workload declares: one declaration, read by the command line and the sessions.

An option is a :class:`workloads.protocol.Option` (the protocol both sides import).
``python -m bench`` adds every registered model's and workload's options to its
parser; the values travel to each session in its description (``bench.description``),
so no session parses a flag of its own.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from workloads.protocol import Option


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose errors are one line (exit 2), without the usage block.

    Its subcommands' parsers are of the same class, so their errors are one line too.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def distinct(options: Iterable[Option]) -> list[Option]:
    """The options by flag, each once (two workloads may share one, as they share a server)."""
    seen: dict[str, Option] = {}
    for option in options:
        seen.setdefault(option.flag, option)
    return list(seen.values())


def add_to(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Add ``options`` to ``parser``; an option with an environment variable defaults to its value."""
    for option in options:
        env_help = f" (default: ${option.env})" if option.env else ""
        parser.add_argument(
            option.flag,
            dest=option.dest,
            type=option.parse,
            metavar=option.metavar,
            # argparse parses a string default with ``type``, so a bad $VAR is refused like a bad flag.
            default=os.environ.get(option.env) if option.env else None,
            help=option.help + env_help,
        )


def values(namespace: argparse.Namespace | Mapping[str, Any], options: Iterable[Option]) -> dict[str, Any]:
    """The parsed values of ``options``, by :attr:`Option.dest`."""
    found = vars(namespace) if isinstance(namespace, argparse.Namespace) else namespace
    return {option.dest: found.get(option.dest) for option in options}


__all__ = ["OneLineErrors", "Option", "add_to", "distinct", "values"]
