"""See through the machine's drifting speed: adjust a family's times by the canary where they follow it.

Every timed round is bracketed by the canary (:mod:`bench.canary`), a short fixed
pure-Python loop. On a machine whose speed drifts, a CPU-bound round that ran in a
slow second took longer, and so did the canary beside it; a timed wait did not. Whether
a family of cases (one workload or micro-cost, every model and size) follows the
canary is decided from its own data, never from its name:

- within each case (one model, size and run), the log time of each round and the
  log canary beside it are centred on the case's means, so that the cases' own
  levels, and a real change between runs, carry no weight;
- the centred log times of all the family's rounds are regressed on the centred
  log canaries, through the origin: the slope ``beta`` says how much of a change in
  the machine's speed shows in the family's times (1: all of it, 0: none);
- the adjustment applies when the slope is positive beyond doubt (one-sided
  p < :data:`P_APPLIES` with at least :data:`MIN_ROUNDS` rounds); ``beta`` is then
  capped to [0, :data:`MAX_BETA`].

An adjusted round is ``t * (reference / canary) ** beta``: the time the round would
have taken at the reference speed. For a single run the reference is the canary
read when the ideals were calibrated (so ideal and figure stand at one speed);
in a comparison only differences of log figures matter and the reference cancels.
The canary's own noise (about 2%) makes the slope an underestimate where the
machine hardly drifts, which is the right amount of adjustment then: an ordinary
least-squares slope is the best linear predictor, so the adjusted figures are
never noisier than the raw ones by more than chance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

#: The one-sided p-value under which a family's times are taken to follow the canary.
P_APPLIES = 0.001
#: Fewer centred rounds than this never decide that the adjustment applies.
MIN_ROUNDS = 12
#: The one-sided p-value under which a case's own slope is taken to lie below its family's.
P_BELOW = 0.01
#: The largest slope used: a family cannot slow down much more than the machine did.
MAX_BETA = 1.5


@dataclass(frozen=True)
class SpeedFit:
    """How one family's times follow the machine's speed.

    ``beta`` is the slope used (0 when the adjustment does not apply), ``slope`` the
    fitted one, ``p_value`` its one-sided test against 0, ``rounds`` the rounds that
    carried it, ``removed`` the share of the family's centred process-to-process
    variance the adjustment removes (0.6: 60%).
    """

    beta: float
    slope: float
    p_value: float
    rounds: int
    removed: float

    @property
    def applies(self) -> bool:
        """Tell whether the family's figures are adjusted."""
        return self.beta > 0.0


NO_FIT = SpeedFit(beta=0.0, slope=math.nan, p_value=math.nan, rounds=0, removed=0.0)

#: One case for the fit: its rounds (seconds) and the canary beside each, per process.
CaseRounds = tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]]


def _paired(samples: Sequence[float], canaries: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The logs of a process's rounds and canaries, where both are usable and equal in number."""
    t = np.asarray(samples, dtype=float)
    c = np.asarray(canaries, dtype=float)
    if t.size != c.size or t.size == 0:
        return np.empty(0), np.empty(0)
    ok = np.isfinite(t) & np.isfinite(c) & (t > 0) & (c > 0)
    return np.log(t[ok]), np.log(c[ok])


def _centred(case: CaseRounds) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """A case's rounds centred on its means, and its processes' centred (median log t, median log c)."""
    pairs = [_paired(s, c) for s, c in zip(case[0], case[1], strict=False)]
    pairs = [(y, x) for y, x in pairs if y.size]
    if len(pairs) == 0:
        return np.empty(0), np.empty(0), []
    y = np.concatenate([p[0] for p in pairs])
    x = np.concatenate([p[1] for p in pairs])
    processes = [(float(np.median(py)), float(np.median(px))) for py, px in pairs]
    my, mx = float(np.mean([p[0] for p in processes])), float(np.mean([p[1] for p in processes]))
    return y - y.mean(), x - x.mean(), [(py - my, px - mx) for py, px in processes]


def _slope(cases: Iterable[CaseRounds]) -> tuple[float, float, int, int, list[tuple[float, float]]]:
    """The slope of centred log time on centred log canary: (slope, its standard error, df, rounds, processes).

    NaN slope and standard error where the rounds cannot carry one.
    """
    ys, xs, processes = [], [], []
    groups = 0
    for case in cases:
        y, x, procs = _centred(case)
        if y.size >= 2:
            ys.append(y)
            xs.append(x)
            groups += 1
            if len(procs) >= 2:
                processes.extend(procs)
    if not ys:
        return math.nan, math.nan, 0, 0, processes
    y, x = np.concatenate(ys), np.concatenate(xs)
    sxx = float((x * x).sum())
    df = y.size - groups - 1
    if sxx <= 0 or df < 1:
        return math.nan, math.nan, df, int(y.size), processes
    slope = float((x * y).sum() / sxx)
    residual = y - slope * x
    return slope, math.sqrt(float((residual**2).sum()) / df / sxx), df, int(y.size), processes


def fit(cases: Iterable[CaseRounds]) -> SpeedFit:
    """Fit one family's slope of log time on log canary, from its cases' rounds (see the module)."""
    slope, se, df, rounds, processes = _slope(cases)
    if rounds == 0:
        return NO_FIT
    if not math.isfinite(slope):
        return SpeedFit(0.0, math.nan, math.nan, rounds, 0.0)
    p = float(scipy_stats.t.sf(slope / se, df)) if se > 0 else (0.0 if slope > 0 else 1.0)
    applies = rounds >= MIN_ROUNDS and p < P_APPLIES and slope > 0
    beta = min(MAX_BETA, slope) if applies else 0.0
    return SpeedFit(beta=beta, slope=slope, p_value=p, rounds=rounds, removed=_removed(processes, beta))


def follows_its_family(case: Iterable[CaseRounds], beta: float) -> bool:
    """Tell whether one case's rounds are consistent with its family's slope ``beta``.

    A family follows the canary on the whole, but its cases follow it unequally: a
    sleep of one task is a wait with microseconds of Python around it, a sleep of a
    thousand tasks mostly Python. A case whose own slope (its rounds on both sides,
    centred per side) lies below ``beta`` beyond doubt (one-sided p <
    :data:`P_BELOW`) does not follow it, and adjusting it would only add the canary's
    noise to its rounds. Too few rounds to tell leave the case with its family.
    """
    slope, se, df, _, _ = _slope(case)
    if not (math.isfinite(slope) and math.isfinite(se)):
        return True
    if se == 0:
        return slope >= beta
    return float(scipy_stats.t.cdf((slope - beta) / se, df)) >= P_BELOW


def _removed(processes: Sequence[tuple[float, float]], beta: float) -> float:
    """The share of centred process-level log variance that an adjustment by ``beta`` removes."""
    if len(processes) < 3 or beta == 0.0:
        return 0.0
    py = np.array([p[0] for p in processes])
    px = np.array([p[1] for p in processes])
    before = float((py**2).mean())
    after = float(((py - beta * px) ** 2).mean())
    return 1.0 - after / before if before > 0 else 0.0


def adjust(
    process_samples: Sequence[Sequence[float]],
    process_canaries: Sequence[Sequence[float]] | None,
    beta: float,
    reference: float,
) -> list[list[float]]:
    """Each round at the reference speed: ``t * (reference / canary) ** beta``.

    A process without canaries of its own (an older file) keeps its raw rounds.
    """
    if beta == 0.0 or not process_canaries or not (reference > 0 and math.isfinite(reference)):
        return [list(map(float, s)) for s in process_samples]
    out: list[list[float]] = []
    for samples, canaries in zip(process_samples, process_canaries, strict=False):
        if len(canaries) != len(samples):
            out.append(list(map(float, samples)))
            continue
        out.append(
            [
                float(t) * (reference / float(c)) ** beta if c and c > 0 else float(t)
                for t, c in zip(samples, canaries, strict=True)
            ]
        )
    return out


def reference_of(process_canaries: Iterable[Sequence[float]]) -> float:
    """The median of every canary reading given (NaN without any)."""
    values = [float(c) for canaries in process_canaries for c in canaries if c and c > 0]
    return float(np.median(values)) if values else math.nan
