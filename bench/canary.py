"""The machine-speed reference: a short fixed pure-Python loop timed beside every round.

A virtual machine, a laptop on battery or a CI runner does not run at one speed: the
same Python loop can take 1.8x longer from one second to the next, with its CPU time
equal to its wall time (no steal is reported, and the VM may expose no hardware
counters to count instructions instead). Every timed round is therefore bracketed
by the canary: timed just before the round and just after it, outside the timed
region, in the session's own process. The round's reading is the geometric mean of
the two: the machine's speed over the round lies between its speed just before and
just after, and averaging the two halves the canary's own noise. Measured on a
2-core VM (40-60 rounds of a 1M-step loop, three times), dividing each round by
this reading left a log-sd of 0.12-0.19 where the raw rounds had 0.14-0.19 and
dividing by the smaller of the two canaries left 0.16-0.22.

The reports decide from the data whether a case's times follow the canary (a
regression of log time on log canary within each family of cases, see
:mod:`reports.speed`): CPU-bound work does, a sleep does not. Nothing here assumes
either.
"""

from __future__ import annotations

import math
import time

#: Loop steps of one canary reading: about 2 ms on a 2020s x86 core, long enough that
#: timer resolution and interrupts stay under ~2%, short enough to add little to a run.
CANARY_STEPS = 50_000
#: extra_info key of a case's per-round canary readings (seconds, one per timed round).
CANARY_KEY = "canary_s"


def canary_s(steps: int = CANARY_STEPS) -> float:
    """Time one canary: ``steps`` steps of pure-Python arithmetic; return seconds.

    Holds the GIL for its whole length, like the ``cpu_spin`` workload, so it slows
    down exactly when the machine runs Python code slower.
    """
    start = time.perf_counter()
    acc = 0
    for k in range(steps):
        acc += k * k
    elapsed = time.perf_counter() - start
    # The sum's closed form: a canary whose loop was optimised away would be caught.
    if acc != (steps - 1) * steps * (2 * steps - 1) // 6:
        raise RuntimeError("the canary loop computed a wrong sum")
    return elapsed


class CanaryReadings:
    """Canary readings bracketing each round: call :meth:`before` and :meth:`after` around it.

    ``readings`` holds one value per bracketed round (the geometric mean of its two
    canaries); :meth:`timed` drops the ones of warmup rounds.
    """

    def __init__(self) -> None:
        self.readings: list[float] = []
        self._before: float | None = None

    def before(self) -> None:
        """Time the canary just before a round."""
        self._before = canary_s()

    def after(self) -> None:
        """Time the canary just after a round and record the round's reading."""
        after = canary_s()
        before = self._before if self._before is not None else after
        self._before = None
        self.readings.append(math.sqrt(before * after))

    def timed(self, warmup_rounds: int = 0) -> list[float]:
        """The readings of the timed rounds: all but the first ``warmup_rounds``."""
        return self.readings[warmup_rounds:]
