"""Progress while a model's session runs: case i of n, time elapsed, time left.

A session writes each case's outcome to its outcomes file as soon as it is known
(``OutcomeRecorder`` in ``bench/outcomes.py``); :func:`follow` reads that file from a
thread while the runner waits for the session. On a terminal the line is live
(rich); elsewhere (a pipe, a CI log) a plain line is printed as cases finish, at
most every ``plain_every_s`` seconds, and always once all cases are done.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

#: Outcomes that mean a case is over, whatever its result.
FINISHED = frozenset({"passed", "failed", "error", "skipped"})


@dataclass(frozen=True)
class Snapshot:
    """How far one session is: cases finished out of all, and seconds since it started."""

    done: int
    total: int
    elapsed_s: float

    @property
    def left_s(self) -> float | None:
        """Seconds left at the pace so far (mean time per finished case); None before one."""
        if self.done == 0 or self.total == 0:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


def snapshot(cases: list[dict[str, Any]], elapsed_s: float) -> Snapshot:
    """Count the finished ``cases`` of an outcomes file."""
    done = sum(1 for case in cases if case.get("outcome") in FINISHED)
    return Snapshot(done=done, total=len(cases), elapsed_s=elapsed_s)


def read_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of an outcomes file; empty while it does not exist or is being replaced."""
    try:
        cases = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return cases if isinstance(cases, list) else []


def duration(seconds: float) -> str:
    """``42 s`` or ``3 min 05 s``."""
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def describe(label: str, snap: Snapshot) -> str:
    """One plain progress line, e.g. ``threads: case 3 of 8, 4 s elapsed, ~7 s left``."""
    if snap.total == 0:
        return f"{label}: starting, {duration(snap.elapsed_s)} elapsed"
    left = snap.left_s
    estimate = f", ~{duration(left)} left" if left is not None and snap.done < snap.total else ""
    return f"{label}: case {snap.done} of {snap.total}, {duration(snap.elapsed_s)} elapsed{estimate}"


def _plain(label: str, stream: TextIO, plain_every_s: float) -> Callable[[Snapshot], None]:
    last: dict[str, float] = {"done": 0, "printed_at": float("-inf")}

    def show(snap: Snapshot) -> None:
        # Only progress is news (a file caught between writes reads as no cases).
        if snap.done <= last["done"]:
            return
        finished = snap.total > 0 and snap.done == snap.total
        if finished or snap.elapsed_s - last["printed_at"] >= plain_every_s:
            print(f"  {describe(label, snap)}", file=stream, flush=True)
            last.update(done=snap.done, printed_at=snap.elapsed_s)

    return show


@contextmanager
def _live(label: str, stream: TextIO) -> Iterator[Callable[[Snapshot], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("  {task.description}"),
        BarColumn(),
        TextColumn("case"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def show(snap: Snapshot) -> None:
            bar.update(task, total=snap.total or None, completed=snap.done)

        yield show


@contextmanager
def follow(
    label: str,
    outcomes: Path,
    stream: TextIO | None = None,
    interval_s: float = 0.5,
    plain_every_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Show the progress of the session writing ``outcomes`` while the body runs.

    Live on a terminal, plain lines otherwise. The thread that reads the file stops
    when the body ends, also when it raises (Ctrl-C included).
    """
    out = stream if stream is not None else sys.stdout
    start = clock()
    stop = threading.Event()
    display = _live(label, out) if out.isatty() else _plain_display(label, out, plain_every_s)
    with display as show:

        def update() -> None:
            show(snapshot(read_cases(outcomes), clock() - start))

        def loop() -> None:
            while not stop.wait(interval_s):
                update()

        thread = threading.Thread(target=loop, name=f"progress {label}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            update()


@contextmanager
def _plain_display(label: str, stream: TextIO, plain_every_s: float) -> Iterator[Callable[[Snapshot], None]]:
    yield _plain(label, stream, plain_every_s)
