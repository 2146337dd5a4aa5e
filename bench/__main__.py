"""``python -m bench``: run the suite, one fresh interpreter per model.

Options mirror the make variables: ``--profile`` (PROFILE), ``--models``
(MODELS), ``--workloads`` (WORKLOADS, workloads and micro-costs), ``--results``
(RESULTS), ``--processes`` (PROCESSES), and the options the workloads and models
declare in their own modules (``--http-url``, HTTP_URL; ``--http-server-workers``,
HTTP_SERVER_WORKERS; a model's, with its environment variable as the default).
A bad choice exits 2 naming the valid ones, before anything is created.

``--python PATH`` runs the whole run under another interpreter from this checkout:
calibration, every session and the report, so ideals and figures come from the same
Python. PATH must have the project's dependencies (a venv made with it); it is
checked first, and one that lacks them exits 2 naming what is missing.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import options as declared
from bench.atomic import NotWritable
from bench.climb import parse_memory
from bench.interpreter import REPO, InterpreterError, check_runnable, same_interpreter
from bench.micro import MICROS
from bench.models import MODELS, load, unavailable
from bench.profiles import DEFAULT_PROFILE, MAX_TASKS, PROFILES, parse_tasks
from bench.runner import RunOptions, execute, stopped
from workloads import WORKLOADS
from workloads.user_spec import BadWorkloadSpec, absolute, check_in_child, is_spec, load_spec


def _choices(kind: str, valid: list[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        # A name given twice runs once, where it first appears.
        names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
        unknown = [name for name in names if name not in valid]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {', '.join(map(repr, unknown)) or '(none given)'}; valid choices: {', '.join(valid)}"
            )
        return names

    return parse


def split_items(text: str) -> list[str]:
    """The comma-separated items of ``text``, stripped; ``\\,`` is a comma inside an item (a path's)."""
    items = (item.replace("\\,", ",").strip() for item in re.split(r"(?<!\\),", text))
    return [item for item in items if item]


class _Workloads(argparse.Action):
    """``--workloads``, given once or more: built-in names, the user's ``file.py`` or ``module:attribute``.

    Each value is comma-separated (a comma in a file's path written ``\\,``), and the
    option may be repeated; the selections join in order, a name or file given twice
    running once. A user workload is checked in a fresh interpreter (so one that exits,
    hangs or is interrupted at import costs nothing here) and then loaded, so a file
    that fails exits 2 naming it before anything is created; it is kept as its
    absolute path, which every session loads again.
    """

    def __init__(self, option_strings: list[str], dest: str, valid: list[str], **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.valid = valid
        #: Names taken so far: the built-ins and micro-costs, and every user workload loaded.
        self.taken: dict[str, None] = dict.fromkeys(valid)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        so_far = getattr(namespace, self.dest)
        chosen: list[str] = [] if so_far is self.default else list(so_far)
        try:
            chosen += self.parse(str(values), chosen)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentError(self, str(exc)) from None
        setattr(namespace, self.dest, list(dict.fromkeys(chosen)))

    def parse(self, text: str, chosen: list[str]) -> list[str]:
        """The selection ``text`` names, less what ``chosen`` holds already."""
        items = list(dict.fromkeys(split_items(text)))
        plain = [item for item in items if not is_spec(item)]
        try:
            builtin = _choices("workload", self.valid)(",".join(plain)) if plain or not items else []
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(
                f"{exc}, or your own workload: path/to/file.py or module:attribute (a comma in a path as \\,)"
            ) from None
        picked = list(builtin)
        for spec in (item for item in items if is_spec(item)):
            if absolute(spec) in chosen or absolute(spec) in picked:
                continue
            try:
                check_in_child(spec)
                workload = load_spec(spec, reserved=self.taken)
            except BadWorkloadSpec as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
            self.taken[workload.name] = None
            picked.append(absolute(spec))
        order = {item if not is_spec(item) else absolute(item): i for i, item in enumerate(items)}
        return sorted((item for item in picked if item not in chosen), key=order.__getitem__)


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


def _tasks(text: str) -> tuple[int, ...]:
    try:
        return parse_tasks(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _max_tasks(text: str) -> int:
    try:
        (count,) = parse_tasks(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a task count; give one whole number from 1 to {MAX_TASKS:,}, e.g. 100000"
        ) from None
    return count


def _max_memory(text: str) -> int:
    try:
        return parse_memory(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _precision(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a precision; give a percentage between 0 and 100, e.g. 5")
    return value / 100


#: More fresh interpreters per model than this adds time, not knowledge.
MAX_PROCESSES = 50


#: Kernel file systems: a results directory there cannot hold files.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _results_dir(text: str) -> Path:
    """A results directory that exists or can be created; nothing is created here."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a directory such as 'results'")
    path = Path(text).expanduser()
    resolved = path.resolve()
    for pseudo in PSEUDO_FILESYSTEMS:
        if resolved == pseudo or pseudo in resolved.parents:
            raise argparse.ArgumentTypeError(f"{text!r} is in {pseudo}, a kernel file system; give a directory")
    existing = next(p for p in (resolved, *resolved.parents) if p.exists())
    if not existing.is_dir():
        where = "is a file" if existing == resolved else f"is under {existing}, which is a file"
        raise argparse.ArgumentTypeError(f"{text!r} {where}; give a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r}: {existing} is not writable; give a directory you can write")
    return path


def workload_options() -> list[declared.Option]:
    """Every option the registered workloads declare, each once."""
    return declared.distinct(option for workload in WORKLOADS.values() for option in workload.options)


def model_options() -> dict[str, tuple[declared.Option, ...]]:
    """The options each registered model declares (a model not installed here declares none)."""
    return {name: () if unavailable(name) else load(name).options for name in MODELS}


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench``."""
    p = declared.OneLineErrors(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=list(PROFILES), help="parameter grid (default quick)")
    p.add_argument(
        "--models",
        "--backends",
        dest="models",
        type=_choices("model", list(MODELS)),
        default=None,
        help="comma-separated models (--backends is the same option; default: all)",
    )
    valid = [*WORKLOADS, *MICROS]
    p.add_argument(
        "--workloads",
        action=_Workloads,
        valid=valid,
        default=None,
        help="comma-separated workloads/micro-costs, or your own workload: path/to/file.py or module:attribute "
        "(a comma in a path as \\,; the option may be repeated; default: all, and for the scale profile sleep, "
        "http_fetch and memory)",
    )
    p.add_argument("--results", type=_results_dir, default=Path("results"), help="results directory (default results)")
    p.add_argument(
        "--processes",
        type=_processes,
        default=None,
        help="fresh interpreters per model, run round-robin (default: the profile's, smoke 1, quick 2, full 5, "
        "and more for the noisy cases)",
    )
    p.add_argument(
        "--tasks",
        type=_tasks,
        default=None,
        metavar="N,N,...",
        help="the task counts of every workload, in place of the profile's (e.g. 1,100,10000); a case past the "
        "profile's round time or process limits is skipped with the reason",
    )
    p.add_argument(
        "--max-tasks",
        type=_max_tasks,
        default=None,
        metavar="N",
        help="the largest task count any case runs (the scale profile climbs to 100000 by default)",
    )
    p.add_argument(
        "--max-memory",
        type=_max_memory,
        default=None,
        metavar="SIZE",
        help="the scale profile's memory cap, e.g. 8G or 512M: a step predicted to need more is not started "
        "(default: half the machine's memory)",
    )
    p.add_argument(
        "--precision",
        type=_precision,
        default=None,
        metavar="PCT",
        help="the change a comparison of two runs should resolve; noisy cases get more processes until it can "
        "(default: the profile's, 5)",
    )
    declared.add_to(p, workload_options())
    declared.add_to(p, declared.distinct(o for options in model_options().values() for o in options))
    p.add_argument("--no-report", action="store_true", help="do not build the report after the run")
    p.add_argument(
        "--python",
        action="append",
        default=None,
        help="run under this Python (one with the deps: a venv's); given twice, measure both side by side, "
        "process by process in alternation, and compare them as pairs",
    )
    return p


def _without_python(argv: list[str]) -> list[str]:
    """``argv`` less its ``--python PATH`` (or ``--python=PATH``, or an abbreviation argparse took for it)."""
    rest: list[str] = []
    skip = False
    for arg in argv:
        name, eq, _ = arg.partition("=")
        is_python = len(name) >= len("--py") and "--python".startswith(name)
        if skip:
            skip = False
        elif is_python and not eq:
            skip = True
        elif not is_python:
            rest.append(arg)
    return rest


def run_under(python: str, argv: list[str]) -> int:
    """Replace this process by ``python -m bench`` with the same options; 2 if ``python`` cannot run it."""
    try:
        check_runnable(python)
    except InterpreterError as exc:
        print(f"error: --python {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    # The checkout first on the path: the run imports this code, whatever python's venv has installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    os.execve(python, [python, "-m", "bench", *_without_python(argv)], env)


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    # A user's module:attribute is importable where the user stands; sessions start elsewhere.
    sys.path.insert(0, os.getcwd())
    try:
        args = parser().parse_args(argv)
    except KeyboardInterrupt:  # while a user's workload was being checked
        print("interrupted while the options were checked; nothing was run", file=sys.stderr)
        return 128 + signal.SIGINT
    pythons: list[str] = args.python or []
    if len(pythons) > 2:
        print(f"error: --python given {len(pythons)} times; give one, or two to compare side by side", file=sys.stderr)
        return 2
    if len(pythons) == 1 and not same_interpreter(pythons[0]):
        return run_under(pythons[0], argv)
    if len(pythons) == 2:
        for python in pythons:
            try:
                check_runnable(python)
            except InterpreterError as exc:
                print(f"error: --python {exc}", file=sys.stderr)
                return 2
        pythons = [os.path.abspath(p) for p in pythons]
    chosen_profile = PROFILES[args.profile]
    args.models = args.models or list(MODELS)
    args.workloads = args.workloads or list(chosen_profile.default_selection) or [*WORKLOADS, *MICROS]
    if any(":" in name and not name.endswith(".py") for name in args.workloads):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH")) if p)
    options = RunOptions(
        profile=args.profile,
        models=args.models,
        workloads=args.workloads,
        results=args.results,
        workload_options=declared.values(args, workload_options()),
        model_options={name: declared.values(args, opts) for name, opts in model_options().items()},
        processes=args.processes,
        precision=args.precision,
        tasks=args.tasks,
        max_tasks=args.max_tasks,
        max_memory_bytes=args.max_memory,
        pythons=pythons if len(pythons) == 2 else [],
        report=not args.no_report,
    )
    try:
        return execute(options)
    except NotWritable as exc:
        print(f"error: {exc}; nothing written before was changed", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # SIGTERM or Ctrl-C outside the sessions: one line, 143 or 130
        return stopped(exc)


if __name__ == "__main__":
    sys.exit(main())
