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
#: The largest prior df a variance prior may take: no case's own variance is ever ignored.
MAX_PRIOR_DF = 50.0
#: A group of cases fits its own variance prior from this many stable cases up.
MIN_GROUP_CASES = 8
#: The power at which a case's detectable change is stated.
DETECT_POWER = 0.9
#: A median of m normal values has a standard error about 1.2533 sigma / sqrt(m).
_MEDIAN_EFFICIENCY = 1.2533
#: The interquartile range of a normal distribution is 1.349 sigma.
_IQR_PER_SIGMA = 1.349

SLOWER = "slower"
FASTER = "faster"
NO_DIFFERENCE = "no difference"
NOT_RESOLVED = "not resolved"
INCONCLUSIVE = "inconclusive"

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
class Side:
    """One side of a comparison: the log process figures' mean, variance, count and rounds per process.

    ``round_variance`` is what the rounds alone predict for the variance of one
    process figure: the pooled within-process variance of log rounds over the rounds
    per process (NaN where no process has two rounds). The variance prior's trend
    (:func:`fit_prior`) reads it, so a case whose rounds are quiet is moderated
    toward a small variance and a noisy one toward a large one.
    """

    mean: float
    variance: float
    processes: int
    rounds: int
    round_variance: float = math.nan


@dataclass(frozen=True)
class Comparison:
    """One case of a run against the same case of the baseline.

    ``ratio`` is run / baseline (above 1: the run is slower). ``ci_low``/``ci_high``
    is the interval that decided the verdict, at ``level`` (0.95 for a case not
    resolved; the false-coverage-adjusted level of the Benjamini-Hochberg selection
    for "slower", "faster" and "no difference", so that the interval shown always
    agrees with the verdict beside it). ``p_value`` tests "the change is within the
    margin", ``q_value`` is it corrected over the comparison; ``p_equivalent`` and
    ``q_equivalent`` test "the change is beyond the margin" (TOST). ``noise`` is the
    95% half-width in log terms (0.05: about +/-5%), ``detectable`` the smallest
    change (0.2: 20%) the case would have judged slower or faster 90% of the time.
    ``base``/``run`` hold what each side gave the test; ``variance``/``df`` the
    variance of the difference's log per unit and its degrees of freedom once
    :func:`decide` has moderated them.
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
    df: float = 0.0
    base: Side | None = None
    run: Side | None = None
    level: float = CONFIDENCE
    p_equivalent: float = math.nan
    q_equivalent: float = math.nan
    detectable: float = math.nan
    se: float = math.nan
    #: Process i of the run measured next to process i of the baseline (an interleaved pair):
    #: the test is on the n differences, whose variance ``variance`` the machine's drift mostly cancels.
    paired: bool = False

    @property
    def slower(self) -> bool:
        """Tell whether the run is slower than the baseline beyond the margin."""
        return self.verdict == SLOWER


def _log_figures(process_samples: ProcessSamples) -> np.ndarray:
    return np.log(np.array([np.median(p) for p in (_clean(s) for s in process_samples) if p.size]))


def round_variance(process_samples: ProcessSamples) -> float:
    """The variance of one process figure that its rounds' noise alone predicts (see :class:`Side`)."""
    processes = [np.log(p) for p in (_clean(s) for s in process_samples) if p.size >= 2]
    if not processes:
        return math.nan
    pooled = sum(float(((p - p.mean()) ** 2).sum()) for p in processes) / sum(p.size - 1 for p in processes)
    return pooled / float(np.mean([p.size for p in processes]))


def _side(process_samples: ProcessSamples) -> Side:
    logs = _log_figures(process_samples)
    rounds = [p.size for p in (_clean(s) for s in process_samples) if p.size]
    variance = float(logs.var(ddof=1)) if logs.size >= 2 else math.nan
    return Side(
        float(logs.mean()) if logs.size else math.nan,
        variance,
        int(logs.size),
        min(rounds, default=0),
        round_variance(process_samples),
    )


def compare_processes(baseline: ProcessSamples, run: ProcessSamples) -> Comparison:
    """Set up the comparison of one case's per-process samples with the baseline's.

    Returns the ratio of the two figures and each side's variance of log process
    figures; the tests, the interval and the verdict come from :func:`decide`, which
    weighs every case of the comparison together. A side with one process leaves the
    case "inconclusive".
    """
    base, other = _side(baseline), _side(run)
    unstable = estimate(baseline).unstable or estimate(run).unstable
    nan = math.nan
    if base.processes == 0 or other.processes == 0:
        return Comparison(
            nan, nan, nan, nan, nan, INCONCLUSIVE, base.processes, other.processes, nan, unstable, "no figure"
        )
    ratio = math.exp(other.mean - base.mean)
    if base.processes < 2 or other.processes < 2:
        return Comparison(
            ratio, nan, nan, nan, nan, INCONCLUSIVE, base.processes, other.processes, nan, unstable,
            "one process on a side: run-to-run noise unknown (run with --processes 3 or more)",
        )  # fmt: skip
    df = base.processes + other.processes - 2
    pooled = ((base.processes - 1) * base.variance + (other.processes - 1) * other.variance) / df
    return Comparison(
        ratio, nan, nan, nan, nan, NOT_RESOLVED, base.processes, other.processes, nan, unstable, "",
        pooled, df, base, other,
    )  # fmt: skip


def compare_paired(baseline: ProcessSamples, run: ProcessSamples) -> Comparison:
    """Set up the comparison of an interleaved pair: process i of each side ran next to the other's.

    Both sides list their processes in the same order (process i with process i);
    the test is on the differences of their log figures, so a drift that slowed both
    processes of a pair cancels. Fewer than two pairs leave the case "inconclusive".
    """
    base_logs, run_logs = _log_figures(baseline), _log_figures(run)
    unstable = estimate(baseline).unstable or estimate(run).unstable
    n = min(base_logs.size, run_logs.size)
    nan = math.nan
    if n == 0:
        return Comparison(
            nan, nan, nan, nan, nan, INCONCLUSIVE, base_logs.size, run_logs.size, nan, unstable, "no figure"
        )
    differences = run_logs[:n] - base_logs[:n]
    ratio = math.exp(float(differences.mean()))
    if n < 2:
        return Comparison(
            ratio, nan, nan, nan, nan, INCONCLUSIVE, n, n, nan, unstable,
            "one pair of processes: run-to-run noise unknown (run with --processes 3 or more)",
        )  # fmt: skip
    variance = float(differences.var(ddof=1))
    # Both sides' round noise enters each difference of process figures.
    side = Side(0.0, variance, n, 0, round_variance(baseline) + round_variance(run))
    return Comparison(
        ratio, nan, nan, nan, nan, NOT_RESOLVED, n, n, nan, unstable, "", variance, float(n - 1), side, side,
        paired=True,
    )  # fmt: skip


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


def _prior_df(excess: float) -> float:
    """The prior df whose log-variance spread is ``excess`` (the spread beyond sampling noise), capped."""
    return MAX_PRIOR_DF if excess <= 0 else min(MAX_PRIOR_DF, 2.0 * trigamma_inverse(excess))


def _to_scale(log_centre: float, d0: float) -> float:
    """The prior variance whose log, corrected for a chi-square's skew at ``d0``, is ``log_centre``."""
    return math.exp(log_centre + float(special.digamma(d0 / 2)) - math.log(d0 / 2))


@dataclass(frozen=True)
class Prior:
    """A scaled-inverse-chi-square prior of case variances: its df and its variance.

    ``scale`` is the one prior variance of every case (``df`` its df). Where the
    cases' own rounds predict their variance (:attr:`Side.round_variance`), a trend
    may be fitted too: ``log s0 = intercept + slope * log(round variance)`` with
    ``trend_df``; a case with a round variance then takes the trend's prior (see
    :meth:`at`), one without takes the flat one.
    """

    df: float = 0.0
    scale: float = math.nan
    trend_df: float = 0.0
    intercept: float = math.nan
    slope: float = 0.0

    def at(self, covariate: float = math.nan) -> tuple[float, float]:
        """(prior df, prior variance) for a case whose rounds predict ``covariate`` (NaN: unknown)."""
        if self.trend_df > 0 and math.isfinite(self.intercept) and covariate > 0 and math.isfinite(covariate):
            return self.trend_df, _to_scale(self.intercept + self.slope * math.log(covariate), self.trend_df)
        return self.df, self.scale


NO_PRIOR = Prior()


def fit_prior(variances: Sequence[float], dfs: Sequence[float], covariates: Sequence[float] | None = None) -> Prior:
    """Fit the scaled-inverse-chi-square prior of many cases' variances (Smyth 2004, as limma does).

    The empirical Bayes step of the moderated t-test: the cases of one comparison
    tell how noisy a case of this harness typically is, and each case's own
    variance, estimated from a handful of processes, is shrunk toward that typical
    value by as much as their spread warrants. Heterogeneous cases give a small prior
    df (little shrinkage); similar cases a large one, capped at :data:`MAX_PRIOR_DF`
    so that no case's own variance is ever ignored. Needs three cases with a
    positive variance, else no shrinkage.

    With ``covariates`` (each case's :attr:`Side.round_variance`), the prior's centre
    may follow them, as limma-trend lets it follow a gene's expression (Kalibera and
    Jones' two levels: a process figure's variance is the process-to-process part
    plus its rounds' noise over their number, and the rounds, many more than the
    processes, measure the second part well). The log variances are regressed on the
    log covariates (slope within [0, 1]: the rounds' share can at most be all of it);
    the trend is kept when it leaves a smaller spread than the flat prior (a larger
    prior df), which the data decide: where the rounds say nothing about a case's
    process-to-process noise, the slope is 0 and the flat prior stays.
    """
    s2 = np.asarray(variances, dtype=float)
    d = np.asarray(dfs, dtype=float)
    usable = np.isfinite(s2) & (s2 > 0) & (d > 0)
    if usable.sum() < 3:
        return NO_PRIOR
    # log s2 - E[log chi2_d / d]: an unbiased estimate of each case's log variance.
    e = np.log(s2[usable]) - special.digamma(d[usable] / 2) + np.log(d[usable] / 2)
    sampling = special.polygamma(1, d[usable] / 2)
    d0 = _prior_df(float(((e - e.mean()) ** 2).sum() / (e.size - 1) - sampling.mean()))
    flat = Prior(df=d0, scale=_to_scale(float(e.mean()), d0))
    if covariates is None:
        return flat
    x_all = np.asarray(covariates, dtype=float)[usable]
    has_x = np.isfinite(x_all) & (x_all > 0)
    if has_x.sum() < MIN_GROUP_CASES:
        return flat
    x, ex, sx = np.log(x_all[has_x]), e[has_x], sampling[has_x]
    spread = float(((x - x.mean()) ** 2).sum())
    if spread <= 0:
        return flat
    slope = min(1.0, max(0.0, float(((x - x.mean()) * (ex - ex.mean())).sum() / spread)))
    intercept = float((ex - slope * x).mean())
    residual = ex - intercept - slope * x
    trend_d0 = _prior_df(float((residual**2).sum() / (residual.size - 2) - sx.mean()))
    if trend_d0 <= d0:
        return flat
    # The trend's centre is a mean of log variances, corrected at its own df in :meth:`Prior.at`.
    return replace(flat, trend_df=trend_d0, intercept=intercept, slope=slope)


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


#: One case's contribution to a variance prior: (variance, df) or (variance, df, round variance).
PriorPoint = tuple[float, ...]


def group_priors(
    groups: Sequence[str], variances: Sequence[Sequence[PriorPoint]], usable: Sequence[bool]
) -> dict[str, Prior]:
    """One variance prior per group of cases: each case's (variance, df[, round variance]) points, the usable fitted.

    A group is a path, coarse to fine: ``"workload/<name>"`` is one workload's
    family inside the workloads. Each group gets the prior of its finest level
    with at least :data:`MIN_GROUP_CASES` usable cases, else of the next coarser
    one, else of all cases together. A family's cases share how they are noisy (a
    timed wait is quiet, a process hand-over is not), so a prior per family moderates
    each case toward cases like it, where one prior for quiet and noisy families
    together would widen the quiet ones and narrow the noisy ones.
    """
    kept = [(g, v) for g, v, ok in zip(groups, variances, usable, strict=True) if ok]

    def fit(members: list[Sequence[PriorPoint]]) -> Prior:
        points = [point for case in members for point in case]
        covariates = [point[2] if len(point) > 2 else math.nan for point in points]
        return fit_prior([pt[0] for pt in points], [pt[1] for pt in points], covariates)

    overall = fit([v for _, v in kept])
    fitted: dict[str, Prior] = {}

    def prior_of(group: str) -> Prior:
        if group not in fitted:
            members = [v for g, v in kept if g == group or g.startswith(group + "/")]
            own = fit(members) if len(members) >= MIN_GROUP_CASES else NO_PRIOR
            parent = group.rpartition("/")[0]
            fitted[group] = own if own.df > 0.0 else (prior_of(parent) if parent else overall)
        return fitted[group]

    return {group: prior_of(group) for group in set(groups)}


def _priors(comparisons: Sequence[Comparison], groups: Sequence[str]) -> dict[str, Prior]:
    """The variance prior of each group of a comparison's cases (:func:`group_priors`).

    Unstable cases are left out of every fit: an unstable case is bimodal, not
    noisy, and its variance would drag the prior's df down and take every other
    case's power with it.
    """

    def points(c: Comparison) -> list[PriorPoint]:
        sides = [c.base] if c.paired else [c.base, c.run]
        return [
            (side.variance, float(side.processes - 1), side.round_variance)
            for side in sides
            if side is not None and side.processes >= 2
        ]

    return group_priors(groups, [points(c) for c in comparisons], [c.df > 0 and not c.unstable for c in comparisons])


def _moderate(variance: float, own_df: float, prior: Prior, covariate: float) -> tuple[float, float]:
    """A variance of one log process figure, shrunk toward the prior, and its degrees of freedom."""
    d0, s0 = prior.at(covariate)
    if d0 == 0.0 or not math.isfinite(s0):
        return variance, own_df
    return (d0 * s0 + own_df * variance) / (d0 + own_df), d0 + own_df


def _standard_error(c: Comparison, prior: Prior) -> tuple[float, float]:
    """The standard error of the log ratio and its degrees of freedom.

    Pooled over the two sides when they ran alike (as many processes and rounds);
    otherwise Welch's unpooled form with Satterthwaite's degrees of freedom (a
    quick run against a full one, or two machines).
    """
    assert c.base is not None and c.run is not None
    if c.paired:
        variance, df = _moderate(c.variance, c.df, prior, c.base.round_variance)
        return math.sqrt(variance / c.base.processes), df
    if c.base.processes == c.run.processes and c.base.rounds == c.run.rounds:
        covariate = (c.base.round_variance + c.run.round_variance) / 2
        variance, df = _moderate(c.variance, c.base.processes + c.run.processes - 2, prior, covariate)
        return math.sqrt(variance * (1.0 / c.base.processes + 1.0 / c.run.processes)), df
    vb, db = _moderate(c.base.variance, c.base.processes - 1, prior, c.base.round_variance)
    vr, dr = _moderate(c.run.variance, c.run.processes - 1, prior, c.run.round_variance)
    ub, ur = vb / c.base.processes, vr / c.run.processes
    total = ub + ur
    df = total**2 / (ub**2 / db + ur**2 / dr) if ub > 0 and ur > 0 else db + dr
    return math.sqrt(total), df


def _tests(c: Comparison, se: float, df: float, margin: float) -> Comparison:
    """Fill in the margin test, the equivalence test (TOST), the 95% interval and the detectable change."""
    diff = math.log(c.ratio)
    p_slower = float(scipy_stats.t.sf((diff - margin) / se, df))
    p_faster = float(scipy_stats.t.cdf((diff + margin) / se, df))
    p_equivalent = max(
        float(scipy_stats.t.sf((diff + margin) / se, df)), float(scipy_stats.t.cdf((diff - margin) / se, df))
    )
    half = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    return replace(
        c,
        ci_low=math.exp(diff - half),
        ci_high=math.exp(diff + half),
        p_value=min(1.0, 2.0 * min(p_slower, p_faster)),
        p_equivalent=p_equivalent,
        noise=half,
        se=se,
        df=df,
        variance=se**2,
    )


def interval(c: Comparison, level: float) -> tuple[float, float]:
    """The case's interval of the ratio at ``level`` (0.95: its 95% interval)."""
    diff, half = math.log(c.ratio), float(scipy_stats.t.ppf(0.5 + level / 2, c.df)) * c.se
    return math.exp(diff - half), math.exp(diff + half)


def detectable_change(se: float, df: float, margin: float, alpha: float, power: float = DETECT_POWER) -> float:
    """The smallest change (0.2: 20%) judged beyond ``margin`` with probability ``power`` at level ``alpha``."""
    if not (se > 0 and math.isfinite(se)):
        return math.nan
    t = float(scipy_stats.t.ppf(1 - alpha / 2, df)) + float(scipy_stats.t.ppf(power, df))
    return math.expm1(margin + t * se)


def decide(
    comparisons: Sequence[Comparison],
    *,
    alpha: float = ALPHA,
    min_effect: float = DEFAULT_MIN_EFFECT,
    groups: Sequence[str] | None = None,
) -> list[Comparison]:
    """Test every case of one comparison against the margin, both ways, and give its verdict.

    1. Each side's variance is moderated (:func:`fit_prior`, one prior per
       group of cases in ``groups``, unstable cases left out of the fit): with three
       processes a side, a variance has 2 degrees of freedom and a t-test almost no
       power; borrowing strength from similar cases restores it without assuming
       that all cases are equally noisy.
    2. Each case gets two tests against the margin ``min_effect``: "the change is
       within the margin" (rejected: slower or faster) and, as an equivalence test
       (two one-sided tests, TOST), "the change is beyond the margin" (rejected: no
       difference).
    3. Each family of p-values is corrected by Benjamini-Hochberg: with a hundred
       cases or more, Holm would hide real 20% slowdowns, while an upgrade that
       slows many cases at once is where BH gains power. The interval shown beside a
       selected case is the false-coverage-adjusted one (Benjamini and Yekutieli
       2005) at level ``1 - alpha * R / m`` (R selected of m; ``1 - 2 alpha R / m``
       for equivalence), which lies beyond or inside the margin exactly when the
       case is selected.

    Verdicts: "slower"/"faster"; "no difference" (an equivalence shown, not a
    rejection that failed); "not resolved" (the 95% interval straddles the margin:
    the range it could be is shown); "inconclusive" (one process on a side, or no
    spread at all between processes and nothing to borrow one from).
    """
    margin = math.log1p(min_effect)
    kinds = list(groups) if groups is not None else ["all"] * len(comparisons)
    priors = _priors(comparisons, kinds)
    tested: list[Comparison] = []
    for c, kind in zip(comparisons, kinds, strict=True):
        if c.df <= 0 or c.base is None or c.run is None:
            tested.append(c)
            continue
        se, df = _standard_error(c, priors[kind])
        if not (se > 0 and math.isfinite(se)):
            tested.append(
                replace(c, verdict=INCONCLUSIVE, df=0.0, reason="no spread between processes and no other case to "
                        "borrow one from: the noise is unknown")
            )  # fmt: skip
            continue
        tested.append(_tests(c, se, df, margin))
    testable = [c.df > 0 for c in tested]
    q_diff = benjamini_hochberg([c.p_value if ok else math.nan for c, ok in zip(tested, testable, strict=True)])
    q_eq = benjamini_hochberg([c.p_equivalent if ok else math.nan for c, ok in zip(tested, testable, strict=True)])
    m = max(1, sum(testable))
    selected_diff = int(np.nansum(q_diff < alpha))
    selected_eq = int(np.nansum(q_eq < alpha))
    decided = []
    for c, qd, qe, ok in zip(tested, q_diff, q_eq, testable, strict=True):
        if not ok:
            decided.append(c)
            continue
        detect = detectable_change(c.se, c.df, margin, alpha * max(selected_diff, 1) / m)
        if qd < alpha:
            level = 1.0 - alpha * selected_diff / m
            verdict = SLOWER if c.ratio > 1 else FASTER
            reason = ""
        elif qe < alpha:
            level = 1.0 - 2.0 * alpha * selected_eq / m
            verdict, reason = NO_DIFFERENCE, ""
        else:
            level, verdict = CONFIDENCE, NOT_RESOLVED
            low95, high95 = interval(c, CONFIDENCE)
            reason = ("unstable: its processes disagree; " if c.unstable else "") + (
                f"could be anywhere from {_percent(low95)} to {_percent(high95)}"
            )
        low, high = interval(c, level)
        decided.append(
            replace(
                c, q_value=float(qd), q_equivalent=float(qe), verdict=verdict, reason=reason, level=level,
                ci_low=low, ci_high=high, detectable=detect,
            )
        )  # fmt: skip
    return decided


def _percent(ratio: float) -> str:
    """A ratio as a signed change: 1.38 -> "+38%", 0.97 -> "-3%"."""
    change = (ratio - 1.0) * 100
    return f"{change:+.0f}%" if abs(change) >= 1 else f"{change:+.1f}%"


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
