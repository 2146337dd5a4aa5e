"""Judge a comparison's cases: speed-adjust each family where it follows the canary, then decide.

The statistics of one comparison, apart from where its data come from
(:mod:`reports.compare` finds and aligns runs) and how it is shown: every case's
rounds and canaries on both sides go in, one :class:`~reports.stats.Comparison`
per case comes out, with its raw ratio kept beside the adjusted one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports import speed
from reports.stats import DEFAULT_MIN_EFFECT, Comparison, compare_paired, compare_processes, decide

Rounds = Sequence[Sequence[float]]


@dataclass(frozen=True)
class PairedCase:
    """One case on both sides: rounds per process and the canaries beside them (None: none recorded).

    ``family`` groups the cases whose times follow the machine's speed alike (one
    workload or micro-cost); ``group`` the cases that share a variance prior,
    as a path from coarse to fine (``"workload/<name>"``, see
    :func:`reports.stats.group_priors`).
    """

    base: Rounds
    run: Rounds
    base_canaries: Rounds | None
    run_canaries: Rounds | None
    family: str
    group: str
    #: Process i of the run ran next to process i of the baseline (an interleaved pair).
    paired: bool = False
    #: Both sides ran on one machine under one interpreter, so their canaries read one speed scale.
    common_speed: bool = True


@dataclass(frozen=True)
class Judged:
    """A case's comparison, the raw (unadjusted) ratio beside it and the family's speed fit."""

    comparison: Comparison
    raw_ratio: float
    fit: speed.SpeedFit


def family_fits(cases: Sequence[PairedCase]) -> dict[str, speed.SpeedFit]:
    """Each family's speed fit, from the rounds of both sides of all its cases."""
    fits: dict[str, speed.SpeedFit] = {}
    for family in dict.fromkeys(c.family for c in cases):
        members: list[speed.CaseRounds] = []
        for c in cases:
            if c.family != family:
                continue
            if c.base_canaries:
                members.append((c.base, c.base_canaries))
            if c.run_canaries:
                members.append((c.run, c.run_canaries))
        fits[family] = speed.fit(members)
    return fits


def judge(cases: Sequence[PairedCase], *, min_effect: float = DEFAULT_MIN_EFFECT) -> list[Judged]:
    """Compare every case, speed-adjusted where its family follows the canary, and decide them together.

    Where both sides ran on one machine under one interpreter (``common_speed``),
    both are brought to one reference speed (the median canary of the case's
    baseline), so the ratio compares the work, not the minutes it ran in. Under two
    interpreters the canary itself runs at two speeds (it is Python code too), so
    each side is brought to its own median canary instead: the adjustment then
    removes the drift between a side's processes and never the interpreters'
    difference. A side without canaries (an older run) is compared raw, and so is
    the whole case then, to keep both sides alike.
    """
    fits = family_fits(cases)
    compared: list[Comparison] = []
    raw: list[float] = []
    for c in cases:
        fit = fits[c.family]
        base, run = c.base, c.run
        if fit.applies and c.base_canaries and c.run_canaries:
            reference = speed.reference_of(c.base_canaries)
            base = speed.adjust(c.base, c.base_canaries, fit.beta, reference)
            own = reference if c.common_speed else speed.reference_of(c.run_canaries)
            run = speed.adjust(c.run, c.run_canaries, fit.beta, own)
        test = compare_paired if c.paired else compare_processes
        raw_comparison = test(c.base, c.run)
        compared.append(test(base, run))
        raw.append(raw_comparison.ratio)
    decided = decide(compared, min_effect=min_effect, groups=[c.group for c in cases])
    return [Judged(comparison=d, raw_ratio=r, fit=fits[c.family]) for d, r, c in zip(decided, raw, cases, strict=True)]


def adjusted_only(judged: Judged) -> bool:
    """Tell whether the case's verdict rests on speed-adjusted figures."""
    return judged.fit.applies and math.isfinite(judged.raw_ratio)
