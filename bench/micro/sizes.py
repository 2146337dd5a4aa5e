"""How many rounds each micro-cost case runs, per profile, and the ipc payload sizes.

A micro-cost round repeats one operation ``ops_per_round`` times and is timed as a
whole; the per-op figure is the round's time divided by that count. How many
operations a round performs is each model's own, stated in its module's hooks
(:mod:`bench.micro.hooks`), chosen so that one round takes roughly 10-100 ms on a
small machine (2 cores): long enough that ``perf_counter``'s resolution and the
harness's call around the round vanish, short enough that a profile stays within its
time budget. What is here is the same for every model: the round counts and the
payload sizes.
"""

from __future__ import annotations

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
    """One profile's micro-cost timing policy.

    ``rounds`` and ``warmup_rounds`` apply to spawn, switch and ipc; memory uses
    ``memory_rounds`` and no warmup, because its one untimed measurement hold
    already warms it; ``memory_holds`` is how many fresh interpreters each
    process's memory figure is the median of (quick takes one: its processes
    already repeat it). ``payloads``: the ipc payload sizes every channel sends.
    """

    name: str
    rounds: int
    warmup_rounds: int
    memory_rounds: int
    memory_holds: int = 3
    payloads: tuple[int, ...] = PAYLOADS


SIZES: dict[str, MicroSizes] = {
    "smoke": MicroSizes(name="smoke", rounds=1, warmup_rounds=0, memory_rounds=1, memory_holds=1),
    "quick": MicroSizes(name="quick", rounds=4, warmup_rounds=1, memory_rounds=1, memory_holds=1),
    "full": MicroSizes(name="full", rounds=20, warmup_rounds=2, memory_rounds=5),
    # The capacity climb: one fresh-process hold and one round a step.
    "scale": MicroSizes(name="scale", rounds=4, warmup_rounds=1, memory_rounds=1, memory_holds=1),
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
