"""How big each micro-cost case is, per profile: the grid as data.

A micro-cost round repeats one operation ``ops_per_round`` times and is timed as a
whole; the per-op figure is the round's time divided by that count. Each count below
is chosen so that one round takes roughly 10-100 ms on a small machine (2 cores):
long enough that ``perf_counter``'s resolution and the harness's call around the
round vanish, short enough that a profile stays within its time budget.

Tables are keyed by the model's label: ``processes[spawn]`` first, then the bare
backend key (``processes``), so one start method can be given its own size.

Start methods: ``spawn`` and ``memory`` run once per start method of the profile
plus the ones in :attr:`MicroSizes.start_methods`. Starting a process with
``spawn`` costs ~30-60 ms (a fresh interpreter), so even ``smoke`` can afford a
round of one or two of them; ``switch`` and ``ipc`` use the platform's default
start method only, as a start method changes how a child is made, not how bytes
travel once it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.profiles import Profile

KIB = 1024
MIB = 1024 * KIB

#: The ipc payload sizes: a small message, a page, a large buffer, a bulk transfer.
PAYLOADS: tuple[int, ...] = (64, 4 * KIB, 64 * KIB, MIB)


@dataclass(frozen=True)
class MicroSizes:
    """One profile's micro-cost sizes and timing policy.

    ``spawn_tasks``: tasks created and finished per round; ``switch_handovers``:
    hand-overs per round (two per round trip) of each model's native hand-over, and
    ``switch_common_handovers`` of the common one through an OS pipe (a system call
    or a selector wake-up each, so fewer); ``ipc_messages``: messages per round,
    by channel, then payload size; ``memory_tasks``: tasks held alive at once (one round holds
    them all). ``rounds`` and ``warmup_rounds`` apply to spawn, switch and ipc;
    memory uses ``memory_rounds`` and no warmup, because its one untimed
    measurement hold already warms it.
    """

    name: str
    rounds: int
    warmup_rounds: int
    memory_rounds: int
    start_methods: tuple[str, ...]
    spawn_tasks: Mapping[str, int]
    switch_handovers: Mapping[str, int]
    switch_common_handovers: Mapping[str, int]
    ipc_messages: Mapping[str, Mapping[int, int]]
    memory_tasks: Mapping[str, int]
    payloads: tuple[int, ...] = PAYLOADS


_QUICK_SPAWN = {
    "sequential": 200_000,
    "generators": 100_000,
    "greenlet": 5_000,
    "gevent": 5_000,
    "asyncio": 5_000,
    "uvloop": 5_000,
    "threads": 300,
    "thread_pool": 1_000,
    "process_pool": 200,
    "processes[fork]": 10,
    "processes[forkserver]": 4,
    "processes[spawn]": 2,
}

_QUICK_SWITCH = {
    "generators": 200_000,
    "greenlet": 100_000,
    "gevent": 10_000,
    "asyncio": 10_000,
    "uvloop": 10_000,
    "threads": 2_000,
    "processes": 2_000,
}


def _ipc(between_processes: Mapping[int, int], between_threads: int) -> dict[str, Mapping[int, int]]:
    """Messages per round for every channel: the process channels share one table; the
    thread queue moves a reference whatever the size, so it sends the same count of each."""
    return {
        "queue": between_processes,
        "pipe": between_processes,
        "shared_memory": between_processes,
        "thread_queue": dict.fromkeys(PAYLOADS, between_threads),
    }


_LIGHT_TASKS = ("generators", "greenlet", "gevent", "asyncio", "uvloop")

SIZES: dict[str, MicroSizes] = {
    "smoke": MicroSizes(
        name="smoke",
        rounds=1,
        warmup_rounds=0,
        memory_rounds=1,
        start_methods=("fork", "spawn"),
        spawn_tasks={
            **{key: max(1, n // 20) for key, n in _QUICK_SPAWN.items()},
            "processes[forkserver]": 1,
            "processes[spawn]": 1,
        },
        switch_handovers={key: n // 20 for key, n in _QUICK_SWITCH.items()},
        switch_common_handovers=dict.fromkeys(_QUICK_SWITCH, 100),
        ipc_messages=_ipc({64: 200, 4 * KIB: 150, 64 * KIB: 50, MIB: 5}, 1_000),
        memory_tasks={
            **dict.fromkeys(_LIGHT_TASKS, 1_000),
            "threads": 100,
            "processes[fork]": 10,
            "processes": 4,
        },
    ),
    "quick": MicroSizes(
        name="quick",
        rounds=7,
        warmup_rounds=1,
        memory_rounds=3,
        start_methods=("fork", "spawn"),
        spawn_tasks=_QUICK_SPAWN,
        switch_handovers=_QUICK_SWITCH,
        switch_common_handovers=dict.fromkeys(_QUICK_SWITCH, 2_000),
        ipc_messages=_ipc({64: 5_000, 4 * KIB: 3_000, 64 * KIB: 1_000, MIB: 100}, 20_000),
        memory_tasks={
            **dict.fromkeys(_LIGHT_TASKS, 10_000),
            "threads": 1_000,
            "processes[fork]": 100,
            "processes": 20,
        },
    ),
    "full": MicroSizes(
        name="full",
        rounds=20,
        warmup_rounds=2,
        memory_rounds=5,
        start_methods=("fork", "forkserver", "spawn"),
        spawn_tasks=_QUICK_SPAWN,
        switch_handovers=_QUICK_SWITCH,
        switch_common_handovers=dict.fromkeys(_QUICK_SWITCH, 2_000),
        ipc_messages=_ipc({64: 5_000, 4 * KIB: 3_000, 64 * KIB: 1_000, MIB: 100}, 20_000),
        memory_tasks={
            **dict.fromkeys(_LIGHT_TASKS, 10_000),
            "threads": 10_000,
            "processes[fork]": 1_000,
            "processes": 200,
        },
    ),
}


def sizes_for(profile: Profile | str) -> MicroSizes:
    """The micro-cost sizes of ``profile``; a profile without them is an error that names the fix."""
    name = profile if isinstance(profile, str) else profile.name
    try:
        return SIZES[name]
    except KeyError:
        raise KeyError(
            f"profile {name!r} has no micro-cost sizes; add an entry to SIZES in bench/micro/sizes.py "
            f"(defined: {', '.join(SIZES)})"
        ) from None


def lookup(table: Mapping[str, int], label: str, backend: str, what: str) -> int:
    """``table[label]``, else ``table[backend]``; an error that names the table when neither is there."""
    if label in table:
        return table[label]
    if backend in table:
        return table[backend]
    raise KeyError(f"no {what} size for {label} in bench/micro/sizes.py (has: {', '.join(table)})")
