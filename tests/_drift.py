"""A synthetic machine whose speed drifts, to test the statistics against a known truth.

The machine's log speed is an Ornstein-Uhlenbeck process: stationary log-sd
``drift_sd`` (0.15-0.2 on the 2-core VM these numbers come from), correlated over
``tau_s`` seconds. A case runs in several processes, each at its own moment of the
run; a process runs a few consecutive rounds, each bracketed by two canaries that
feel the same drift. A round's log time is its true level plus ``follows`` times the
drift averaged over the round (1: CPU-bound work, 0: a sleep), a per-process effect
and round noise; a canary's is its level plus the drift at its moment and its own
timing noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CANARY_S = 0.002


@dataclass(frozen=True)
class Machine:
    """How the synthetic machine drifts and how noisy its timings are."""

    drift_sd: float = 0.18
    tau_s: float = 1.0
    process_sd: float = 0.01
    round_sd: float = 0.015
    canary_sd: float = 0.02


@dataclass
class Drift:
    """An Ornstein-Uhlenbeck log speed, read forward in time."""

    rng: np.random.Generator
    machine: Machine
    now: float = 0.0
    value: float = 0.0

    def __post_init__(self) -> None:
        self.value = float(self.rng.normal(0.0, self.machine.drift_sd))

    def advance(self, seconds: float) -> float:
        """Move ``seconds`` forward; return the log speed then."""
        rho = math.exp(-seconds / self.machine.tau_s)
        sd = self.machine.drift_sd * math.sqrt(1.0 - rho * rho)
        self.value = rho * self.value + float(self.rng.normal(0.0, sd))
        self.now += seconds
        return self.value

    def jump(self) -> None:
        """Move to an unrelated moment (the next process of a case runs seconds later)."""
        self.value = float(self.rng.normal(0.0, self.machine.drift_sd))


def process_rounds(
    drift: Drift, level_s: float, rounds: int, follows: float, machine: Machine
) -> tuple[list[float], list[float]]:
    """One process's rounds of a case and the canary reading beside each."""
    rng = drift.rng
    effect = float(rng.normal(0.0, machine.process_sd))
    times, canaries = [], []
    for _ in range(rounds):
        before = drift.advance(CANARY_S) + float(rng.normal(0.0, machine.canary_sd))
        # The drift over the round: its middle, as a round averages what it lives through.
        middle = drift.advance(level_s / 2)
        end = drift.advance(level_s / 2)
        after = drift.advance(CANARY_S) + float(rng.normal(0.0, machine.canary_sd))
        during = (middle + end) / 2
        times.append(level_s * math.exp(follows * during + effect + float(rng.normal(0.0, machine.round_sd))))
        canaries.append(CANARY_S * math.exp((before + after) / 2))
    return times, canaries


def case_samples(
    rng: np.random.Generator,
    level_s: float,
    *,
    processes: int = 3,
    rounds: int = 4,
    follows: float = 1.0,
    machine: Machine | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """A case's rounds per process and the canaries beside them, each process at its own moment."""
    machine = machine or Machine()
    drift = Drift(rng, machine)
    samples, canaries = [], []
    for _ in range(processes):
        drift.jump()
        t, c = process_rounds(drift, level_s, rounds, follows, machine)
        samples.append(t)
        canaries.append(c)
    return samples, canaries
