"""Sensitivity on a machine whose speed drifts: synthetic runs with a known truth (tests/_drift.py).

The drift is the one measured on the 2-core VM: a per-sample log-sd of 0.15-0.2,
correlated over about a second, felt by the canary beside every round. Each test
compares two synthetic runs of 100 cases (half CPU-bound, half sleeps), many times
over, through the same code as ``make compare`` (:func:`reports.judge.judge`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from reports.judge import Judged, PairedCase, judge
from reports.stats import FASTER, NO_DIFFERENCE, SLOWER, compare_paired, compare_processes, decide
from tests._drift import Machine, case_samples

CASES = 100
SIMULATIONS = 30


def comparison(
    seed: int, *, slowed: int | None = None, factor: float = 1.2, canaries: bool = True, machine: Machine
) -> Iterator[tuple[float, Judged]]:
    """Two synthetic runs of ``CASES`` cases, case ``slowed`` ``factor`` slower in the second; (truth, judged)."""
    rng = np.random.default_rng(seed)
    cases, truth = [], []
    for i in range(CASES):
        cpu = i % 2 == 0
        level = 0.02 * (1 + i % 7)
        change = factor if i == slowed else 1.0
        base, base_c = case_samples(rng, level, follows=1.0 if cpu else 0.0, machine=machine)
        run, run_c = case_samples(rng, level * change, follows=1.0 if cpu else 0.0, machine=machine)
        family = "cpu" if cpu else "sleep"
        cases.append(
            PairedCase(base, run, base_c if canaries else None, run_c if canaries else None, family, "workload")
        )
        truth.append(change)
    yield from zip(truth, judge(cases), strict=True)


@pytest.mark.parametrize("drift_sd", [0.15, 0.2])
def test_lone_20_percent_slowdowns_are_caught_and_the_rest_are_not_flagged(drift_sd: float) -> None:
    machine = Machine(drift_sd=drift_sd)
    caught = flagged = untouched = covered = total = 0
    for seed in range(SIMULATIONS):
        # The slowed case is a CPU-bound one: the kind the drift hides.
        slowed = 2 * (seed % (CASES // 2))
        for truth, judged in comparison(seed, slowed=slowed, machine=machine):
            c = judged.comparison
            if truth != 1.0:
                caught += c.verdict == SLOWER
            else:
                untouched += 1
                flagged += c.verdict in (SLOWER, FASTER)
            low, high = math.exp(math.log(c.ratio) - c.noise), math.exp(math.log(c.ratio) + c.noise)
            covered += low <= truth <= high
            total += 1
    assert caught / SIMULATIONS >= 0.9
    assert flagged / untouched <= 0.05
    assert covered / total >= 0.93


def test_without_the_canary_the_drift_hides_the_same_slowdowns() -> None:
    machine = Machine(drift_sd=0.18)
    caught = 0
    for seed in range(10):
        for truth, judged in comparison(seed, slowed=2 * seed, canaries=False, machine=machine):
            if truth != 1.0:
                caught += judged.comparison.verdict == SLOWER
    assert caught / 10 <= 0.5


def test_a_run_against_itself_is_mostly_resolved_and_never_alarmed() -> None:
    machine = Machine(drift_sd=0.18)
    verdicts = [j.comparison.verdict for seed in range(10) for _, j in comparison(100 + seed, machine=machine)]
    assert sum(v in (SLOWER, FASTER) for v in verdicts) / len(verdicts) <= 0.05
    assert sum(v == NO_DIFFERENCE for v in verdicts) / len(verdicts) >= 0.75


def test_the_fit_finds_cpu_work_follows_the_canary_and_sleeps_do_not() -> None:
    fits = {j.fit for _, j in comparison(7, machine=Machine(drift_sd=0.18))}
    by_slope = sorted(fits, key=lambda f: f.slope)
    sleep, cpu = by_slope[0], by_slope[-1]
    assert not sleep.applies and abs(sleep.slope) < 0.2
    assert cpu.applies and 0.8 < cpu.beta < 1.2
    assert cpu.removed > 0.5


def test_an_interleaved_pair_sees_through_drift_that_its_processes_share() -> None:
    # Process i of each side runs next to the other's: a slow minute slows both.
    rng = np.random.default_rng(3)
    paired, unpaired = [], []
    for _ in range(60):
        shared = rng.normal(0.0, 0.15, 3)
        base = [[math.exp(s + rng.normal(0, 0.01)) for _ in range(3)] for s in shared]
        run = [[1.1 * math.exp(s + rng.normal(0, 0.01)) for _ in range(3)] for s in shared]
        paired.append(compare_paired(base, run))
        unpaired.append(compare_processes(base, run))
    assert sum(c.verdict == SLOWER for c in decide(paired)) >= 55
    assert sum(c.verdict == SLOWER for c in decide(unpaired)) <= 10


def test_a_case_that_does_not_follow_the_canary_is_compared_raw_within_a_family_that_does() -> None:
    # One family, two kinds of case: CPU-bound ones that follow the machine's speed, and
    # quiet waits that do not. The family's slope applies; adjusting a wait would only
    # add the canary's noise to its rounds, so each wait is compared raw.
    machine = Machine(drift_sd=0.18)
    rng = np.random.default_rng(11)
    cases, follows = [], []
    for i in range(40):
        cpu = i % 2 == 0
        base, base_c = case_samples(rng, 0.05, follows=1.0 if cpu else 0.0, machine=machine)
        run, run_c = case_samples(rng, 0.05, follows=1.0 if cpu else 0.0, machine=machine)
        cases.append(PairedCase(base, run, base_c, run_c, "mixed", "workload"))
        follows.append(cpu)
    judged = judge(cases)
    assert judged[0].fit.applies
    adjusted_cpu = [j.adjusted for j, cpu in zip(judged, follows, strict=True) if cpu]
    adjusted_waits = [j.adjusted for j, cpu in zip(judged, follows, strict=True) if not cpu]
    assert sum(adjusted_cpu) >= 0.8 * len(adjusted_cpu)
    assert sum(adjusted_waits) <= 0.2 * len(adjusted_waits)
    waits = [j.comparison.verdict for j, cpu in zip(judged, follows, strict=True) if not cpu]
    assert sum(v == NO_DIFFERENCE for v in waits) >= 0.75 * len(waits)


def test_a_pair_whose_drift_cancels_is_not_made_noisier_by_the_canary() -> None:
    # Process i of each side ran in the same slow or fast minute: the pairing already
    # cancels the drift, so the canary's own noise is all an adjustment would add.
    rng = np.random.default_rng(12)
    cases = []
    for _ in range(40):
        shared = rng.normal(0.0, 0.2, 3)
        sides = []
        for factor in (1.0, 1.2):
            rounds = [[factor * math.exp(s + rng.normal(0, 0.01)) for _ in range(4)] for s in shared]
            canaries = [[0.002 * math.exp(s + rng.normal(0, 0.15)) for _ in range(4)] for s in shared]
            sides.append((rounds, canaries))
        (base, base_c), (run, run_c) = sides
        cases.append(PairedCase(base, run, base_c, run_c, "cpu", "workload", paired=True))
    judged = judge(cases)
    assert judged[0].fit.applies
    assert not any(j.adjusted for j in judged)
    assert sum(j.comparison.verdict == SLOWER for j in judged) >= 36
