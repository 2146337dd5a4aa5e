"""Time the micro-cost loops bare, outside pytest, and compare them with a run.

``python -m bench.bare_loops [--profile quick] [--models a,b] [--micros spawn,switch]
[--compare RUN_DIR] [--threshold 15]``

Each model's loops run in a fresh interpreter of their own, which times every
round with ``time.perf_counter`` around ``loop.round()``: the very round function,
sizes, warmup and round counts that ``bench/bench_micro.py`` gives
``benchmark.pedantic``. What differs is only what is around the loop: no pytest, no
plugins, a smaller process. So where the harness and the bare loop disagree, the
harness (or the process it runs in) is what costs the difference.

It prints seconds per operation for every (micro-cost, model, channel/payload).
With ``--compare RUN_DIR`` it reads the run's ``<model>.json`` files (their
profile, unless ``--profile`` is given, and their models, unless ``--models``
is) and prints harness and bare figures side by side with the difference, flagging
every row beyond ``--threshold`` percent; it exits 1 if a spawn or switch row is
flagged, as those two must agree. The comparison is made on each side's fastest
round: interference from the rest of the machine only ever adds time, so the
minimum is the loop's own cost most nearly, while the medians (also shown) carry
whatever else the machine was doing during each run.

A model whose session patches the standard library first (``bench/session.py``) runs
its loops here unpatched: its micro-cost loops use the model's own calls (its spawn,
queues and events on its hub), which the patching does not change; it swaps the
standard library's ``socket``, ``time``, ``threading`` and friends, which these loops
do not use. Each model's loops are those its module states (:mod:`bench.micro.hooks`).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.micro import MICROS, MicroCase, micro_cases
from bench.micro.plan import open_loop, rounds, why_not
from bench.micro.sizes import sizes_for
from bench.models import MODELS
from bench.profiles import DEFAULT_PROFILE, PROFILES

ROOT = Path(__file__).resolve().parents[1]
#: Rows whose figures must agree between harness and bare loop.
MUST_AGREE = ("spawn", "switch")
Key = tuple[Any, ...]


def _key(row: dict[str, Any]) -> Key:
    keys = ("micro", "backend", "variant", "family", "placement", "channel", "payload_bytes", "n_tasks")
    return tuple(row.get(k) for k in keys)


def _row(case: MicroCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "micro": case.micro,
        "backend": case.model,
        "variant": case.variant,
        "family": case.family,
        "placement": case.placement,
        "channel": case.channel,
        "payload_bytes": case.payload_bytes,
        "n_tasks": case.n_tasks,
    }


def time_case(case: MicroCase, profile: str) -> dict[str, Any]:
    """Run one case's loop bare: warmup rounds, then timed rounds, each checked after it."""
    row = _row(case)
    reason = why_not(case)
    if reason:
        return {**row, "skipped": reason}
    sizes = sizes_for(profile)
    timed, warmup = rounds(case, sizes)
    times: list[float] = []
    with open_loop(case, sizes) as loop:
        for _ in range(warmup):
            loop.check(loop.round())
        for _ in range(timed):
            start = time.perf_counter()
            answer = loop.round()
            times.append(time.perf_counter() - start)
            loop.check(answer)
    ops = loop.ops_per_round
    return {
        **row,
        "ops_per_round": ops,
        "per_op_s": statistics.median(times) / ops,
        "min_per_op_s": min(times) / ops,
        "rounds": timed,
        "bytes_per_task": loop.recorded.get("bytes_per_task"),
    }


def child(argv: Sequence[str]) -> int:
    """Entry point of one model's interpreter: ``MODEL PROFILE MICROS OUT``."""
    model, profile, micros, out = argv
    cases = micro_cases(PROFILES[profile], model, micros.split(","))
    rows = [time_case(case, profile) for case in cases]
    Path(out).write_text(json.dumps(rows))
    return 0


def run_model(model: str, profile: str, micros: list[str]) -> list[dict[str, Any]]:
    """Run ``model``'s loops in a fresh interpreter; return its rows (raises if it failed)."""
    with tempfile.TemporaryDirectory(prefix="bare-loops-") as tmp:
        out = Path(tmp) / f"{model}.json"
        # ``python -c`` rather than ``-m``: children started with ``spawn`` then re-import no main module.
        code = "import sys; from bench.bare_loops import child; sys.exit(child(sys.argv[1:]))"
        done = subprocess.run(
            [sys.executable, "-c", code, model, profile, ",".join(micros), str(out)],
            cwd=ROOT,
            timeout=PROFILES[profile].session_timeout_s,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not out.exists():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise RuntimeError(f"{model}: the bare loops exited with {done.returncode}:\n{tail}")
        rows: list[dict[str, Any]] = json.loads(out.read_text())
        return rows


# -- the run to compare with ------------------------------------------------------


class HarnessFileError(Exception):
    """Raise when a run's ``<model>.json`` cannot be read as pytest-benchmark output."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}; run that model again or move the file out of the run")


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _read_benchmarks(path: Path) -> list[Any]:
    """The ``benchmarks`` list of one pytest-benchmark file; `HarnessFileError` if it has none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HarnessFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise HarnessFileError(path, f"is not valid JSON (truncated or corrupt: {exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise HarnessFileError(path, "is not a pytest-benchmark JSON (no 'benchmarks' list)")
    return data["benchmarks"]


def harness_rows(run_dir: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """The micro-cost rows of a run's ``<model>.<process>.json`` files, and the profiles they used.

    Raises `HarnessFileError` naming the file if one is not valid pytest-benchmark JSON
    or a micro-cost entry in it has no positive, finite median and min.
    """
    rows: list[dict[str, Any]] = []
    profiles: set[str] = set()
    for path in sorted(run_dir.glob("*.json")):
        # One file per process of a model: ``threads.0.json``, ``threads.1.json``...
        if path.name.split(".")[0] not in MODELS:
            continue
        for bench in _read_benchmarks(path):
            extra = bench.get("extra_info") if isinstance(bench, dict) else None
            if not isinstance(extra, dict) or not extra.get("micro") or not extra.get("ops_per_round"):
                continue
            stats, ops = bench.get("stats"), extra["ops_per_round"]
            if not isinstance(stats, dict) or not (_positive(stats.get("median")) and _positive(stats.get("min"))):
                raise HarnessFileError(path, f"{bench.get('name', '?')} has no positive, finite median and min")
            if not _positive(ops):
                raise HarnessFileError(path, f"{bench.get('name', '?')} has ops_per_round {ops!r}")
            profiles.add(str(extra.get("profile")))
            rows.append({**extra, "per_op_s": stats["median"] / ops, "min_per_op_s": stats["min"] / ops})
    return rows, profiles


# -- printing -----------------------------------------------------------------------


def fmt_seconds(seconds: float | None) -> str:
    """``seconds`` in the unit that suits it, three significant digits."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_bytes(size: float | None) -> str:
    """A byte count in KiB or MiB."""
    if size is None:
        return ""
    if abs(size) >= 2**20:
        return f"{size / 2**20:.2f} MiB"
    return f"{size / 2**10:.1f} KiB"


def _what(row: dict[str, Any]) -> str:
    if row.get("channel"):
        return f"{row['channel']} {row['payload_bytes']} B"
    if row.get("n_tasks"):
        return f"{row['n_tasks']} tasks"
    return ""


def _label(row: dict[str, Any]) -> str:
    return f"{row['backend']}[{row['variant']}]" if row.get("variant") else str(row["backend"])


def print_bare(rows: list[dict[str, Any]]) -> None:
    """The bare figures: seconds per op, median and fastest round (and bytes per task for memory)."""
    print(f"{'micro':7} {'model':22} {'channel/payload/N':24} {'median s/op':>11} {'min s/op':>10}  bytes/task")
    for row in rows:
        if "skipped" in row:
            continue
        print(
            f"{row['micro']:7} {_label(row):22} {_what(row):24} {fmt_seconds(row['per_op_s']):>11} "
            f"{fmt_seconds(row['min_per_op_s']):>10}  {fmt_bytes(row.get('bytes_per_task'))}"
        )


def _diff(harness: float, bare: float) -> float:
    return (harness - bare) / bare * 100


def print_comparison(bare: list[dict[str, Any]], harness: list[dict[str, Any]], threshold: float) -> int:
    """Harness and bare side by side; return how many spawn/switch rows differ beyond ``threshold``."""
    by_key = {_key(row): row for row in harness}
    print(f"{'':55} {'fastest round, per op':^34} {'median round, per op':^34}")
    print(f"{'micro':7} {'model':22} {'channel/payload/N':24} " + f"{'harness':>11} {'bare':>11} {'diff':>10} " * 2)
    disagree = 0
    for row in bare:
        if "skipped" in row:
            continue
        other = by_key.get(_key(row))
        head = f"{row['micro']:7} {_label(row):22} {_what(row):24}"
        if other is None:
            print(f"{head} {'(not in run)':>11} {fmt_seconds(row['min_per_op_s']):>11}")
            continue
        diff_min = _diff(other["min_per_op_s"], row["min_per_op_s"])
        diff_median = _diff(other["per_op_s"], row["per_op_s"])
        flag = ""
        if abs(diff_min) > threshold:
            flag = f"  <-- beyond {threshold:g}%"
            disagree += row["micro"] in MUST_AGREE
        print(
            f"{head} {fmt_seconds(other['min_per_op_s']):>11} {fmt_seconds(row['min_per_op_s']):>11} "
            f"{diff_min:>+9.1f}% {fmt_seconds(other['per_op_s']):>11} {fmt_seconds(row['per_op_s']):>11} "
            f"{diff_median:>+9.1f}%{flag}"
        )
    return disagree


def print_notes() -> None:
    """What moves a figure besides the harness, to read a flagged row by."""
    print("\nnotes:")
    print(
        "- between two threads or two processes (threads' and processes' switch, ipc, and memory's creation of "
        "threads and processes) the OS decides, once per case, whether the two share a core; with few cores "
        "that moves a figure between runs, bare or not, by more than the threshold."
    )
    print(
        "- a row that also moves between two harness runs, or two bare runs, moves with the machine, not the "
        "harness: run both twice to tell. The fastest rounds are compared as interference only ever adds time."
    )
    print(
        "- greenlet's spawn maps and unmaps a fresh frame stack per greenlet (CPython 3.11+), a cost that "
        "depends on the process's memory layout: a pytest session, which loads more modules, can pay ~10% "
        "more for the very same loop."
    )


def _choices(value: str | None, valid: Sequence[str], what: str) -> list[str] | None:
    if value is None:
        return None
    names = [name for name in value.split(",") if name]
    unknown = sorted(set(names) - set(valid))
    if unknown:
        raise SystemExit(_usage_error(f"unknown {what} {unknown}; valid: {', '.join(valid)}"))
    return names


def _usage_error(message: str) -> int:
    print(f"bare_loops: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run every model's bare loops, print (and compare)."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare_loops", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), help=f"default: the run's, else {DEFAULT_PROFILE}")
    parser.add_argument("--models", "--backends", dest="models", help="comma-separated; default: the run's, else all")
    parser.add_argument("--micros", default=",".join(MICROS), help="comma-separated micro-costs")
    parser.add_argument("--compare", type=Path, metavar="RUN_DIR", help="a run directory with <model>.json files")
    parser.add_argument("--threshold", type=float, default=15.0, help="flag differences beyond this percent")
    args = parser.parse_args(argv)
    models = _choices(args.models, list(MODELS), "models")
    micros = _choices(args.micros, MICROS, "micro-costs") or list(MICROS)
    harness: list[dict[str, Any]] = []
    profile = args.profile
    if args.compare:
        if not args.compare.is_dir():
            return _usage_error(f"{args.compare} is not a directory; give a run directory holding <model>.json files")
        try:
            harness, profiles = harness_rows(args.compare)
        except HarnessFileError as exc:
            return _usage_error(str(exc))
        if not harness:
            return _usage_error(
                f"{args.compare} holds no micro-cost results; make a run with some, e.g. python -m bench "
                "--models threads --workloads spawn,switch,ipc,memory"
            )
        if profile is None and len(profiles) > 1:
            return _usage_error(f"{args.compare} mixes profiles {sorted(profiles)}; choose one with --profile")
        profile = profile or profiles.pop()
        if sizes_for(profile).warmup_rounds == 0:
            print(
                f"bare_loops: {profile} times one cold round per case; compare a quick or full run for figures "
                "that agree",
                file=sys.stderr,
            )
        models = models or sorted({str(row["backend"]) for row in harness}, key=list(MODELS).index)
    profile = profile or DEFAULT_PROFILE
    failed = 0
    bare: list[dict[str, Any]] = []
    for model in models or list(MODELS):
        print(f"timing {model} ({profile})...", file=sys.stderr, flush=True)
        try:
            bare.extend(run_model(model, profile, micros))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(exc, file=sys.stderr)
            failed += 1
    if args.compare:
        disagree = print_comparison(bare, harness, args.threshold)
        print(f"\n{disagree} spawn/switch row(s) differ beyond {args.threshold:g}%")
        print_notes()
    else:
        disagree = 0
        print_bare(bare)
    skipped = [row for row in bare if "skipped" in row]
    if skipped:
        print(f"\nskipped ({len(skipped)}):")
        for row in skipped:
            print(f"  {row['id']}: {row['skipped']}")
    return 1 if failed or disagree else 0


if __name__ == "__main__":
    sys.exit(main())
