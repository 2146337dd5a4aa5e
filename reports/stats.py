"""Statistics of a comparison: ratio of medians, its bootstrap CI, Mann-Whitney U.

A case of run R is compared with the same case of the baseline B from their raw
per-round samples:

- ratio = median(R) / median(B): above 1 means R is slower;
- a 95% confidence interval of that ratio, by bootstrap: both sides are resampled
  with replacement (2000 times, a seeded RNG, so the same inputs always give the same
  interval) and the ratio of the resampled medians is taken each time;
- a two-sided Mann-Whitney U test (`scipy.stats.mannwhitneyu`), which needs no
  normality and takes unequal sample counts.

The verdict is "significant" only if p < 0.05 AND the interval excludes 1, otherwise
"not significant"; with fewer than 3 samples on either side it is "too few samples".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

RESAMPLES = 2000
SEED = 20_240_229
ALPHA = 0.05
CONFIDENCE = 0.95
MIN_SAMPLES = 3

SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not significant"
TOO_FEW = "too few samples"


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one case's samples with the baseline's."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str
    n_baseline: int
    n_run: int

    @property
    def slower(self) -> bool:
        """Tell whether the run is significantly slower (ratio above 1) than the baseline."""
        return self.verdict == SIGNIFICANT and self.ratio > 1.0


def bootstrap_ratio_ci(
    baseline: Sequence[float] | np.ndarray,
    run: Sequence[float] | np.ndarray,
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> tuple[float, float]:
    """Return the bootstrap confidence interval of median(run) / median(baseline).

    Vectorised: every resample of a side is one row of an index matrix, so 2000
    resamples cost two `np.median(..., axis=1)` calls.
    """
    base = np.asarray(baseline, dtype=float)
    other = np.asarray(run, dtype=float)
    rng = np.random.default_rng(seed)
    base_medians = np.median(base[rng.integers(0, base.size, size=(resamples, base.size))], axis=1)
    run_medians = np.median(other[rng.integers(0, other.size, size=(resamples, other.size))], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = run_medians / base_medians
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.nanpercentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def mann_whitney_p(baseline: Sequence[float] | np.ndarray, run: Sequence[float] | np.ndarray) -> float:
    """Return the two-sided Mann-Whitney U p-value of the two samples (1.0 if undefined).

    All-equal samples leave the test undefined (no ranks to tell apart); that is no
    evidence of a difference, so it reads as p = 1.
    """
    result = scipy_stats.mannwhitneyu(
        np.asarray(run, dtype=float), np.asarray(baseline, dtype=float), alternative="two-sided"
    )
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else p


def compare_samples(
    baseline: Sequence[float] | np.ndarray, run: Sequence[float] | np.ndarray, *, seed: int = SEED
) -> Comparison:
    """Compare `run` with `baseline` (raw per-round samples, same unit) and give a verdict."""
    base = np.asarray(baseline, dtype=float)
    other = np.asarray(run, dtype=float)
    base = base[np.isfinite(base)]
    other = other[np.isfinite(other)]
    if base.size == 0 or other.size == 0:
        return Comparison(math.nan, math.nan, math.nan, math.nan, TOO_FEW, int(base.size), int(other.size))
    ratio = float(np.median(other) / np.median(base)) if np.median(base) != 0 else math.nan
    if base.size < MIN_SAMPLES or other.size < MIN_SAMPLES:
        return Comparison(ratio, math.nan, math.nan, math.nan, TOO_FEW, int(base.size), int(other.size))
    low, high = bootstrap_ratio_ci(base, other, seed=seed)
    p = mann_whitney_p(base, other)
    significant = p < ALPHA and not (low <= 1.0 <= high)
    return Comparison(
        ratio, low, high, p, SIGNIFICANT if significant else NOT_SIGNIFICANT, int(base.size), int(other.size)
    )


def compare_values(baseline: float, run: float) -> Comparison:
    """Compare two single values (e.g. bytes per task): a ratio, never a verdict."""
    ratio = run / baseline if baseline else math.nan
    return Comparison(ratio, math.nan, math.nan, math.nan, TOO_FEW, 1, 1)
