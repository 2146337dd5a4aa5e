"""Statistics that know where the noise is: between processes, not only between rounds.

A case is measured in R fresh processes, a few rounds each. Rounds within one
process share that process's CPU placement, memory layout and warm caches, so they
agree with each other more than two processes do; treating every round as an
independent sample understates the uncertainty a user meets on the next run.
Every figure here therefore takes the **process** as its unit:

- a process's figure is the median of its rounds;
- a case's figure is the geometric mean of its process figures, and its 95%
  interval a Student-t interval on their logarithms (k processes, k - 1 degrees of
  freedom). The variance of a process figure holds both levels, process-to-process
  variation plus the within-process noise of a median of m rounds, so the interval
  covers run-to-run noise. A hierarchical bootstrap would too in principle, but with
  3 processes it can only draw 10 distinct sets of processes and covers well under
  95% (``tests/test_stats.py`` measures both on synthetic two-level data);
- two runs are compared by a t-test on the logs of their process figures, each
  case's variance moderated by the other cases' (see :func:`decide`), against a
  practical margin (``min_effect``, 5% by default): "slower" means the data reject
  "the change is within the margin". The p-values of all cases of one comparison
  are corrected together by Benjamini-Hochberg;
- a case whose process figures disagree far more than their rounds predict is
  **unstable** (two CPU placements, say): its process figures are shown, not only
  their mean.

With one process per side nothing can be said about run-to-run noise: such a case
is "inconclusive" whatever its ratio, and so is one whose interval is so wide that
it could hide a doubling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import special
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
#: False discovery rate of one comparison's slower/faster verdicts.
ALPHA = 0.05
#: The smallest change worth a verdict (5%): asv uses 10%, pyperf none.
DEFAULT_MIN_EFFECT = 0.05
#: Process figures further apart than this ratio (and than their noise allows) are unstable.
UNSTABLE_RATIO = 1.5
#: How many times the spread that within-process noise predicts counts as "far beyond" it.
UNSTABLE_FACTOR = 3.0
#: A comparison whose 95% interval reaches this factor either way could hide a doubling: inconclusive.
INCONCLUSIVE_FACTOR = 2.0
#: A median of m normal values has a standard error about 1.2533 sigma / sqrt(m).
_MEDIAN_EFFICIENCY = 1.2533
#: The interquartile range of a normal distribution is 1.349 sigma.
_IQR_PER_SIGMA = 1.349

SLOWER = "slower"
FASTER = "faster"
NO_DIFFERENCE = "no difference"
INCONCLUSIVE = "inconclusive"
VERDICTS = (SLOWER, FASTER, NO_DIFFERENCE, INCONCLUSIVE)

ProcessSamples = Sequence[Sequence[float]]


@dataclass(frozen=True)
class Estimate:
    """One case's figure from its processes' rounds, with a 95% interval.

    ``value`` is the geometric mean of the process medians; ``low``/``high`` its
    interval (NaN with one process, where run-to-run noise is unknown). ``spread``
    is the process-to-process standard deviation of log figures (0.05 is about 5%),
    ``within`` the typical within-process one.
    """

    value: float
    low: float
    high: float
    processes: int
    rounds: int
    process_medians: tuple[float, ...]
    spread: float
    within: float
    unstable: bool


def _clean(samples: Sequence[float]) -> np.ndarray:
    """The positive, finite values of ``samples`` (logs need them)."""
    values = np.asarray(samples, dtype=float)
    return values[np.isfinite(values) & (values > 0)]


def _robust_sd(logs: np.ndarray) -> float:
    """A standard deviation from the interquartile range (NaN under 3 values)."""
    if logs.size < 3:
        return math.nan
    q1, q3 = np.percentile(logs, [25, 75])
    return float((q3 - q1) / _IQR_PER_SIGMA)


def _t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    return float(scipy_stats.t.ppf(0.5 + confidence / 2, df))


def estimate(process_samples: ProcessSamples, confidence: float = CONFIDENCE) -> Estimate:
    """Summarise one case from its per-process samples (a list of rounds per process)."""
    processes = [p for p in (_clean(s) for s in process_samples) if p.size]
    rounds = sum(p.size for p in processes)
    if not processes:
        nan = math.nan
        return Estimate(nan, nan, nan, 0, 0, (), nan, nan, False)
    medians = np.array([np.median(p) for p in processes])
    logs = np.log(medians)
    k = logs.size
    center = float(np.exp(logs.mean()))
    within_sds = [_robust_sd(np.log(p)) for p in processes]
    within_known = [w for w in within_sds if math.isfinite(w)]
    within = float(np.median(within_known)) if within_known else math.nan
    if k < 2:
        return Estimate(center, math.nan, math.nan, 1, rounds, tuple(medians), math.nan, within, False)
    spread = float(logs.std(ddof=1))
    half = _t_quantile(k - 1, confidence) * spread / math.sqrt(k)
    return Estimate(
        value=center,
        low=float(np.exp(logs.mean() - half)),
        high=float(np.exp(logs.mean() + half)),
        processes=k,
        rounds=rounds,
        process_medians=tuple(float(m) for m in medians),
        spread=spread,
        within=within,
        unstable=is_unstable(medians, within, min(p.size for p in processes)),
    )


def is_unstable(process_medians: Sequence[float] | np.ndarray, within: float, rounds_per_process: int) -> bool:
    """Tell whether process figures disagree far beyond what their rounds' noise predicts.

    Two conditions, both needed: the largest process figure is more than
    ``UNSTABLE_RATIO`` times the smallest (a difference a reader would act on), and
    the spread of their logs is more than ``UNSTABLE_FACTOR`` times the standard
    error a median of ``rounds_per_process`` rounds has under the within-process
    noise ``within`` (so a noisy case is not called unstable for being noisy).
    """
    medians = np.asarray(process_medians, dtype=float)
    if medians.size < 2 or not np.all(medians > 0):
        return False
    if medians.max() / medians.min() <= UNSTABLE_RATIO:
        return False
    expected = _MEDIAN_EFFICIENCY * within / math.sqrt(max(rounds_per_process, 1)) if math.isfinite(within) else 0.0
    return bool(np.log(medians).std(ddof=1) > UNSTABLE_FACTOR * expected)


@dataclass(frozen=True)
class Comparison:
    """One case of a run against the same case of the baseline.

    ``ratio`` is run / baseline (above 1: the run is slower), ``ci_low``/``ci_high``
    its 95% interval before any correction, ``p_value`` the test against the margin
    and ``q_value`` the same after the Benjamini-Hochberg correction over every case
    of the comparison. ``noise`` is the interval's half-width in log terms (0.05 is
    about +/-5%), the noise that a verdict of "no difference" could not see through.
    ``variance``/``df`` are the pooled variance of the log process figures of both
    sides and its degrees of freedom, before :func:`decide` moderates them.
    """

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float
    verdict: str
    n_baseline: int
    n_run: int
    noise: float
    unstable: bool
    reason: str
    variance: float = math.nan
    df: int = 0

    @property
    def slower(self) -> bool:
        """Tell whether the run is slower than the baseline beyond the margin."""
        return self.verdict == SLOWER


def _log_figures(process_samples: ProcessSamples) -> np.ndarray:
    return np.log(np.array([np.median(p) for p in (_clean(s) for s in process_samples) if p.size]))


def compare_processes(baseline: ProcessSamples, run: ProcessSamples) -> Comparison:
    """Set up the comparison of one case's per-process samples with the baseline's.

    Returns the ratio of the two figures and the pooled within-run variance of the
    log process figures; the test, the interval and the verdict come from
    :func:`decide`, which weighs every case of the comparison together. A side with
    one process leaves the case "inconclusive".
    """
    base, other = _log_figures(baseline), _log_figures(run)
    unstable = estimate(baseline).unstable or estimate(run).unstable
    nan = math.nan
    if base.size == 0 or other.size == 0:
        return Comparison(nan, nan, nan, nan, nan, INCONCLUSIVE, base.size, other.size, nan, unstable, "no figure")
    ratio = math.exp(float(other.mean() - base.mean()))
    if base.size < 2 or other.size < 2:
        return Comparison(
            ratio, nan, nan, nan, nan, INCONCLUSIVE, base.size, other.size, nan, unstable,
            "one process on a side: run-to-run noise unknown (run with --processes 3 or more)",
        )  # fmt: skip
    df = base.size + other.size - 2
    variance = float(((base - base.mean()) ** 2).sum() + ((other - other.mean()) ** 2).sum()) / df
    return Comparison(ratio, nan, nan, nan, nan, NO_DIFFERENCE, base.size, other.size, nan, unstable, "", variance, df)


def trigamma_inverse(x: float) -> float:
    """Solve trigamma(y) = x for y > 0 by Newton's method (Smyth 2004, as limma does)."""
    if x > 1e7:
        return 1.0 / math.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(special.polygamma(1, y))
        step = tri * (1.0 - tri / x) / float(special.polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    return y


def variance_prior(variances: Sequence[float], dfs: Sequence[int]) -> tuple[float, float]:
    """Fit the scaled-inverse-chi-square prior of many cases' variances: (prior df, prior variance).

    The empirical Bayes step of Smyth's moderated t-test (limma): the cases of one
    comparison tell how noisy a case of this harness typically is, and each case's
    own variance, estimated from a handful of processes, is shrunk toward that typical
    value by as much as their spread warrants. Heterogeneous cases give a small prior
    df (little shrinkage); similar cases a large one. Needs three cases with a
    positive variance, else returns (0, NaN): no shrinkage.
    """
    s2 = np.asarray(variances, dtype=float)
    d = np.asarray(dfs, dtype=float)
    usable = np.isfinite(s2) & (s2 > 0) & (d > 0)
    if usable.sum() < 3:
        return 0.0, math.nan
    s2, d = s2[usable], d[usable]
    e = np.log(s2) - special.digamma(d / 2) + np.log(d / 2)
    e_mean = float(e.mean())
    e_var = float(((e - e_mean) ** 2).sum() / (e.size - 1) - special.polygamma(1, d / 2).mean())
    if e_var <= 0:
        return math.inf, math.exp(e_mean)
    d0 = 2.0 * trigamma_inverse(e_var)
    return d0, math.exp(e_mean + float(special.digamma(d0 / 2)) - math.log(d0 / 2))


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Return Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, math.nan)
    known = np.flatnonzero(np.isfinite(p))
    if known.size == 0:
        return q
    order = known[np.argsort(p[known])]
    m = known.size
    scaled = p[order] * m / np.arange(1, m + 1)
    # Step-up: each q is the smallest scaled p at its rank or above.
    q[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return q


def _moderated_test(c: Comparison, d0: float, s0: float, margin: float) -> Comparison:
    """Fill in a case's interval and margin-test p-value from its moderated variance."""
    if d0 == 0.0 or not math.isfinite(s0):
        variance, df = c.variance, float(c.df)
    elif math.isinf(d0):
        variance, df = s0, math.inf
    else:
        variance, df = (d0 * s0 + c.df * c.variance) / (d0 + c.df), d0 + c.df
    diff = math.log(c.ratio)
    se = math.sqrt(variance * (1.0 / c.n_baseline + 1.0 / c.n_run))
    if se == 0.0:
        p = 0.0 if abs(diff) > margin else 1.0
        return replace(c, ci_low=c.ratio, ci_high=c.ratio, p_value=p, noise=0.0)
    half = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    p_slower = float(scipy_stats.t.sf((diff - margin) / se, df))
    p_faster = float(scipy_stats.t.cdf((diff + margin) / se, df))
    return replace(
        c,
        ci_low=math.exp(diff - half),
        ci_high=math.exp(diff + half),
        p_value=min(1.0, 2.0 * min(p_slower, p_faster)),
        noise=half,
    )


def decide(
    comparisons: Sequence[Comparison], *, alpha: float = ALPHA, min_effect: float = DEFAULT_MIN_EFFECT
) -> list[Comparison]:
    """Test every case of one comparison against the margin and give its verdict.

    1. Each case's variance is moderated (:func:`variance_prior`): with three
       processes a side, a variance has 4 degrees of freedom and a t-test almost no
       power; borrowing strength from the other cases restores it without assuming
       they are all equally noisy.
    2. Each case is tested against "the change is within ``min_effect``" (two
       one-sided t-tests, the smaller p doubled).
    3. The p-values are corrected by Benjamini-Hochberg rather than Holm: a
       comparison tests a hundred cases or more, Holm's family-wise control would
       then hide real 20% slowdowns behind three processes' noise, while an upgrade
       that slows many cases at once is exactly when BH's power grows. It holds under
       the positive dependence that cases of one run share (one machine's drift).

    Verdicts: "slower"/"faster" when the corrected test rejects; "inconclusive"
    when nothing can be said: one process on a side, or an interval so wide (past
    ``INCONCLUSIVE_FACTOR`` either way) that it could hide a doubling; "no
    difference" otherwise: no change beyond the margin that the noise (``noise``,
    shown beside it) would let through. An unstable case keeps its mark either way.
    """
    margin = math.log1p(min_effect)
    testable = [c.df > 0 for c in comparisons]
    d0, s0 = variance_prior([c.variance for c in comparisons if c.df > 0], [c.df for c in comparisons if c.df > 0])
    tested = [_moderated_test(c, d0, s0, margin) if ok else c for c, ok in zip(comparisons, testable, strict=True)]
    q_values = benjamini_hochberg([c.p_value for c in tested])
    decided = []
    for c, q, ok in zip(tested, q_values, testable, strict=True):
        if not ok:
            decided.append(c)
            continue
        if q < alpha:
            diff = math.log(c.ratio)
            verdict, reason = (SLOWER if diff > 0 else FASTER), ""
        elif c.ci_high >= INCONCLUSIVE_FACTOR or c.ci_low <= 1.0 / INCONCLUSIVE_FACTOR:
            why = "unstable: its processes disagree, so " if c.unstable else "too noisy: "
            verdict, reason = INCONCLUSIVE, f"{why}the 95% interval could hide a doubling or a halving"
        else:
            verdict, reason = NO_DIFFERENCE, ""
        decided.append(replace(c, q_value=float(q), verdict=verdict, reason=reason))
    return decided


def hierarchical_bootstrap_ci(
    process_samples: ProcessSamples, *, resamples: int = 2000, confidence: float = CONFIDENCE, seed: int = 0
) -> tuple[float, float]:
    """Return the two-level bootstrap interval of the case's figure (for comparison only).

    Resamples processes with replacement, then rounds within each, and takes the
    geometric mean of the resampled process medians. Kept to show, in the tests,
    why the reports use the t-interval instead: with 3 processes it under-covers.
    """
    processes = [p for p in (_clean(s) for s in process_samples) if p.size]
    rng = np.random.default_rng(seed)
    figures = np.empty(resamples)
    for i in range(resamples):
        chosen = rng.integers(0, len(processes), size=len(processes))
        logs = [math.log(np.median(rng.choice(processes[j], size=processes[j].size))) for j in chosen]
        figures[i] = math.exp(sum(logs) / len(logs))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(figures, [tail, 100 - tail])
    return float(low), float(high)
