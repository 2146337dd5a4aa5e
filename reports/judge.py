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

import numpy as np

from reports import speed
from reports.stats import (
    ALPHA,
    DEFAULT_MIN_EFFECT,
    Comparison,
    compare_paired,
    compare_processes,
    decide,
    detectable_change,
)

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
    """A case's comparison, the raw (unadjusted) ratio beside it, the family's speed fit and whether it was used."""

    comparison: Comparison
    raw_ratio: float
    fit: speed.SpeedFit
    #: The comparison rests on speed-adjusted figures (the family follows the canary and so does the case).
    adjusted: bool = False


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

    A case is judged on its adjusted figures only where its own rounds are
    consistent with its family's slope (:func:`reports.speed.follows_its_family`: a
    sleep of one task does not follow a family that does) and, in an interleaved
    pair, whose pairing already cancels the drift, where the adjustment makes its
    family sharper as a whole (:func:`_sharper`); otherwise raw. Between two separate
    runs the adjustment also removes the drift between their minutes, which no
    case's own spread shows, so there it stays wherever the case follows. No choice
    reads a ratio.
    """
    fits = family_fits(cases)
    adjusted: list[Comparison | None] = []
    raw: list[Comparison] = []
    for c in cases:
        fit = fits[c.family]
        test = compare_paired if c.paired else compare_processes
        raw.append(test(c.base, c.run))
        if not (fit.applies and c.base_canaries and c.run_canaries):
            adjusted.append(None)
            continue
        reference = speed.reference_of(c.base_canaries)
        base = speed.adjust(c.base, c.base_canaries, fit.beta, reference)
        own = reference if c.common_speed else speed.reference_of(c.run_canaries)
        adjusted.append(test(base, speed.adjust(c.run, c.run_canaries, fit.beta, own)))
    groups = [c.group for c in cases]
    use = [
        a is not None and speed.follows_its_family(_rounds(c), fits[c.family].beta)
        for c, a in zip(cases, adjusted, strict=True)
    ]
    # In a pair the drift cancels already: keep the adjustment only for the families it sharpens.
    paired = {c.family for c in cases if c.paired}
    if paired:
        candidates = [a if ok and a is not None else r for a, r, ok in zip(adjusted, raw, use, strict=True)]
        sharper = _sharper(
            cases,
            decide(candidates, min_effect=min_effect, groups=groups),
            decide(raw, min_effect=min_effect, groups=groups),
            math.log1p(min_effect),
        )
        use = [ok and (c.family not in paired or c.family in sharper) for c, ok in zip(cases, use, strict=True)]
    chosen = [a if ok and a is not None else r for a, r, ok in zip(adjusted, raw, use, strict=True)]
    decided = decide(chosen, min_effect=min_effect, groups=groups)
    return [
        Judged(comparison=d, raw_ratio=r.ratio, fit=fits[c.family], adjusted=ok)
        for d, r, ok, c in zip(decided, raw, use, cases, strict=True)
    ]


def _sharper(
    cases: Sequence[PairedCase], adjusted: Sequence[Comparison], raw: Sequence[Comparison], margin: float
) -> set[str]:
    """The families of a pair whose comparison the speed adjustment (of the cases that follow) makes sharper.

    The fit says a family's rounds follow the canary; whether that sharpens the
    comparison depends on the variance the test uses: the difference of two runs'
    process figures, or of a pair's, whose drift already cancels, so that the
    canary's own noise may be all the adjustment adds. A family is adjusted only
    where the median of its cases' detectable change is smaller adjusted than raw:
    the change each would judge slower or faster 90% of the time at one fixed level
    (Bonferroni's over the cases), from its standard error and df alone, never its
    ratio, so the choice cannot favour a verdict.
    """

    def medians(judged: Sequence[Comparison]) -> dict[str, float]:
        level = ALPHA / max(1, sum(j.df > 0 for j in judged))
        found: dict[str, list[float]] = {}
        for c, j in zip(cases, judged, strict=True):
            detect = detectable_change(j.se, j.df, margin, level) if j.df > 0 else math.nan
            if math.isfinite(detect):
                found.setdefault(c.family, []).append(detect)
        return {family: float(np.median(values)) for family, values in found.items()}

    with_canary, without = medians(adjusted), medians(raw)
    return {family for family, value in with_canary.items() if value < without.get(family, math.inf)}


def _rounds(c: PairedCase) -> list[speed.CaseRounds]:
    """A case's rounds with their canaries, each side its own (the slope is fitted within each)."""
    return [(c.base, c.base_canaries or []), (c.run, c.run_canaries or [])]
