"""A capacity climb: where each model stops as its task count grows, and why.

In a profile with ``climb`` set (``scale``), a session runs each of its model's
cases (one workload, or the memory micro-cost, with its other parameters fixed) at
ascending task counts, one round a step. This module keeps the climb of every such
case for the session, and decides before each step whether it is started:

- a climb that stopped stays stopped: every later step is skipped, naming where and why;
- a step that a limit of the machine refuses (open files, live processes, a pool's
  size) stops the climb there, with the limit named;
- a step predicted, from the step before it (time and memory scale with N), to take
  longer than the step cap or to need more memory than the memory cap is not started,
  and the climb stops there with the prediction;
- a step whose tasks fail (``RuntimeError: can't start new thread``, ``OSError: [Errno
  24] Too many open files``) stops the climb there with the error and the limits in
  force: a failed step is a result, recorded as the case's skip reason.

A stopped step's reason starts with :data:`STOPPED` and a later step's with
:data:`NOT_CLIMBED`, both followed by the task count where it stopped, so the
reports read them back (``reports.capacity``).
"""

from __future__ import annotations

import re
import resource
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil

#: The start of the reason of the step where a climb stopped: "climb stopped at 30000: ...".
STOPPED = "climb stopped at"
#: The start of the reason of every later step: "not climbed: stopped at 30000".
NOT_CLIMBED = "not climbed: stopped at"


class StepFailed(Exception):
    """A step's tasks failed; the cause is the error they raised."""


def climb_key(case_id: str) -> str:
    """The climb a case id belongs to: the id without its task count (``threads-sleep``)."""
    return re.sub(r"-n\d+$", "", case_id)


def default_max_memory() -> int:
    """The memory cap when none is given: half of the machine's memory."""
    return int(psutil.virtual_memory().total // 2)


def parse_memory(text: str) -> int:
    """``"12G"``, ``"512M"``, ``"2048K"`` or a byte count as bytes; ValueError naming the forms otherwise."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    item = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = units.get(item[-1:], 1)
    number = item[:-1] if item[-1:] in units else item
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if not value > 0 or value * scale < 2**20:
        raise ValueError(f"{text!r} is not a memory size; give one of at least 1M, e.g. 512M, 12G or 3000000000")
    return int(value * scale)


def peak_rss_bytes() -> int:
    """This process's peak resident set so far (``ru_maxrss``, in bytes on every OS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


@dataclass(frozen=True)
class Step:
    """One completed step: its task count, its round's wall time, the memory it took."""

    n_tasks: int
    seconds: float
    #: Resident memory the step added: its peak over what the process held before it.
    memory_bytes: int


@dataclass
class Climb:
    """The climbs of one session, by case key (model label, workload, fixed parameters)."""

    max_step_s: float
    max_memory_bytes: int
    done: dict[str, Step] = field(default_factory=dict)
    stopped: dict[str, tuple[int, str]] = field(default_factory=dict)

    def refusal(self, key: str, n_tasks: int, limit: str | None = None, predicted_s: float = 0.0) -> str | None:
        """Why the step of ``key`` at ``n_tasks`` is not started, or None to start it.

        ``limit`` is a machine limit's refusal (open files, processes), which stops the
        climb here; ``predicted_s`` the round time the workload's calibration predicts,
        taken with the one extrapolated from the step before.
        """
        if key in self.stopped:
            at, why = self.stopped[key]
            return f"{NOT_CLIMBED} {at}: {why}"
        if limit:
            return self.stop(key, n_tasks, limit)
        last = self.done.get(key)
        scale = n_tasks / last.n_tasks if last else 1.0
        time_s = max(predicted_s, last.seconds * scale if last else 0.0)
        if time_s > self.max_step_s:
            source = f"from {last.seconds:.2f} s at {last.n_tasks}" if last else "from the calibration"
            return self.stop(
                key,
                n_tasks,
                f"time cap: predicted {time_s:.0f} s a round ({source}), over the {self.max_step_s:.0f} s cap",
            )
        if last and last.memory_bytes * scale > self.max_memory_bytes:
            return self.stop(
                key,
                n_tasks,
                f"memory cap: predicted {last.memory_bytes * scale / 2**30:.1f} GiB (from "
                f"{last.memory_bytes / 2**20:.0f} MiB at {last.n_tasks}), over the "
                f"{self.max_memory_bytes / 2**30:.1f} GiB cap (--max-memory)",
            )
        return None

    def stop(self, key: str, n_tasks: int, why: str) -> str:
        """Stop the climb of ``key`` at ``n_tasks``; return the step's reason."""
        self.stopped[key] = (n_tasks, why)
        return f"{STOPPED} {n_tasks}: {why}"

    def record(self, key: str, step: Step) -> None:
        """A step completed."""
        self.done[key] = step

    def resume(self, outcomes: Iterable[Mapping[str, Any]]) -> None:
        """Take the stops an earlier session of this process recorded (a recycled session goes on)."""
        pattern = re.compile(rf"^(?:{re.escape(STOPPED)}|{re.escape(NOT_CLIMBED)}) (\d+): (.*)$", re.S)
        for entry in outcomes:
            found = pattern.match(str(entry.get("reason") or ""))
            if found and entry.get("id"):
                self.stopped.setdefault(climb_key(str(entry["id"])), (int(found.group(1)), found.group(2)))


def failure_reason(exc: BaseException, limits: dict[str, int | None]) -> str:
    """A failed step's reason: the error, and the limits it ran under."""
    message = " ".join(str(exc).split())[:300] or "no message"
    soft, hard = limits.get("open_files_soft"), limits.get("open_files_hard")
    nproc = limits.get("processes_soft")
    said = [
        f"open files {soft if soft is not None else 'unlimited'} (hard {hard if hard is not None else 'unlimited'})"
    ]
    said.append(f"ulimit -u {nproc if nproc is not None else 'unlimited'}")
    try:
        with open("/proc/sys/vm/max_map_count") as file:
            said.append(f"vm.max_map_count {int(file.read())}")
    except (OSError, ValueError):
        pass
    return f"{type(exc).__name__}: {message} ({', '.join(said)})"
