"""The statistics of reports/stats.py, on synthetic two-level data whose truth is known.

A synthetic case is R processes of m rounds: every process draws its own offset
(process-to-process noise, log sd ``between``), every round its own noise (log sd
``within``) around the case's true figure. The defaults are of the size a quick run
on a 2-core machine shows (README, "Noise"): a few percent at both levels, and cases
that differ from each other in how noisy they are.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from reports.stats import (
    CONFIDENCE,
    FASTER,
    INCONCLUSIVE,
    MAX_PRIOR_DF,
    NO_DIFFERENCE,
    NOT_RESOLVED,
    SLOWER,
    benjamini_hochberg,
    compare_processes,
    decide,
    estimate,
    fit_prior,
    hierarchical_bootstrap_ci,
    interval,
    is_unstable,
)

BETWEEN, WITHIN = 0.03, 0.03


def two_level(
    rng: np.random.Generator,
    truth: float,
    *,
    processes: int = 3,
    rounds: int = 5,
    between: float = BETWEEN,
    within: float = WITHIN,
) -> list[list[float]]:
    """Per-process rounds of one synthetic case around ``truth``."""
    return [
        list(truth * math.exp(rng.normal(0.0, between)) * np.exp(rng.normal(0.0, within, rounds)))
        for _ in range(processes)
    ]


def family(rng: np.random.Generator, cases: int, slowed: int, factor: float) -> tuple[list[bool], list[str]]:
    """Compare ``cases`` synthetic cases of two runs, the first ``slowed`` of them ``factor`` slower.

    Cases differ in their noise (a log-normal factor with sd log 1.5 on both levels)
    and in their size, as the cases of a real run do.
    """
    truth, results = [], []
    for i in range(cases):
        scale = math.exp(rng.normal(0.0, math.log(1.5)))
        figure = 10 ** rng.uniform(-6, 0)
        noise = {"between": BETWEEN * scale, "within": WITHIN * scale}
        base = two_level(rng, figure, **noise)
        run = two_level(rng, figure * (factor if i < slowed else 1.0), **noise)
        results.append(compare_processes(base, run))
        truth.append(i < slowed)
    return truth, [c.verdict for c in decide(results)]


def test_interval_covers_the_truth_95_percent_with_3_processes_of_5_rounds() -> None:
    rng = np.random.default_rng(11)
    trials = 2000
    covered = sum(e.low <= 1.0 <= e.high for e in (estimate(two_level(rng, 1.0)) for _ in range(trials)))
    assert covered / trials >= 0.93


def test_a_two_level_bootstrap_would_under_cover_with_3_processes() -> None:
    # The reason the reports use a t-interval over processes: resampling 3 processes
    # gives at most 10 distinct sets, and the interval is too narrow.
    rng = np.random.default_rng(12)
    trials = 300
    cases = [two_level(rng, 1.0, between=0.05, within=0.02) for _ in range(trials)]
    boot = sum(
        lo <= 1.0 <= hi for lo, hi in (hierarchical_bootstrap_ci(c, resamples=300, seed=i) for i, c in enumerate(cases))
    )
    t_interval = sum(e.low <= 1.0 <= e.high for e in map(estimate, cases))
    assert boot / trials < 0.9 < t_interval / trials


def test_one_process_gives_a_figure_but_no_interval() -> None:
    figure = estimate([[1.0, 1.1, 0.9]])
    assert figure.value == pytest.approx(1.0)
    assert math.isnan(figure.low) and math.isnan(figure.high)
    assert figure.processes == 1 and not figure.unstable


def test_the_figure_is_the_geometric_mean_of_the_process_medians() -> None:
    figure = estimate([[1.0, 2.0, 3.0], [4.0, 4.0], [9.0]])
    assert figure.process_medians == (2.0, 4.0, 9.0)
    assert figure.value == pytest.approx((2.0 * 4.0 * 9.0) ** (1 / 3))
    assert figure.rounds == 6


def test_non_positive_and_non_finite_rounds_are_left_out() -> None:
    figure = estimate([[1.0, -1.0, math.nan], [1.0, 0.0, math.inf]])
    assert figure.rounds == 2 and figure.value == 1.0


def test_processes_that_disagree_far_beyond_their_rounds_are_unstable() -> None:
    # Two threads on one core hand over in ~6 us, on two cores in ~40 us.
    rng = np.random.default_rng(13)
    bimodal = [list(m * np.exp(rng.normal(0.0, 0.03, 5))) for m in (6e-6, 41e-6, 6.2e-6)]
    figure = estimate(bimodal)
    assert figure.unstable
    assert sorted(figure.process_medians)[-1] / sorted(figure.process_medians)[0] > 5


def test_ordinary_noise_is_not_unstable() -> None:
    rng = np.random.default_rng(14)
    marked = sum(estimate(two_level(rng, 1.0)).unstable for _ in range(1000))
    assert marked / 1000 < 0.01


def test_noisy_rounds_excuse_a_spread_between_processes() -> None:
    # 1.6x between process medians, but the rounds themselves vary that much.
    assert is_unstable([1.0, 1.6], within=0.0, rounds_per_process=5)
    assert not is_unstable([1.0, 1.6], within=0.5, rounds_per_process=5)


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(15).uniform(0, 0.2, 40)
    assert np.allclose(benjamini_hochberg(p), scipy_stats.false_discovery_control(p))
    with_nan = benjamini_hochberg([0.01, math.nan, 0.04])
    assert math.isnan(with_nan[1])
    assert np.allclose(with_nan[[0, 2]], scipy_stats.false_discovery_control([0.01, 0.04]))


def test_variance_prior_recovers_a_known_prior() -> None:
    # Case variances drawn from a scaled inverse chi-square with d0 = 8, s0^2 = 0.001,
    # each then estimated with 4 degrees of freedom: the fit must find them again.
    rng = np.random.default_rng(16)
    true_var = 8 * 0.001 / rng.chisquare(8, 4000)
    observed = true_var * rng.chisquare(4, 4000) / 4
    prior = fit_prior(observed, [4] * 4000)
    assert 6 < prior.df < 11
    assert prior.scale == pytest.approx(0.001, rel=0.15)


def test_equal_variances_give_the_capped_prior_and_unequal_ones_a_small_one() -> None:
    rng = np.random.default_rng(17)
    same = 0.001 * rng.chisquare(4, 500) / 4
    # All equally noisy: as much shrinkage as allowed, never so much that a case's own variance is ignored.
    assert fit_prior(same, [4] * 500).df == MAX_PRIOR_DF
    wild = same * np.exp(rng.normal(0, 2.0, 500))
    assert fit_prior(wild, [4] * 500).df < 3


def test_a_run_against_the_same_distribution_raises_no_alarm() -> None:
    rng = np.random.default_rng(18)
    for _ in range(5):
        _, verdicts = family(rng, cases=150, slowed=0, factor=1.0)
        assert sum(v in (SLOWER, FASTER) for v in verdicts) / len(verdicts) <= 0.05


def test_a_20_percent_slowdown_is_flagged_and_the_rest_are_not() -> None:
    rng = np.random.default_rng(19)
    truth, verdicts = family(rng, cases=150, slowed=30, factor=1.2)
    slowed = [v for t, v in zip(truth, verdicts, strict=True) if t]
    others = [v for t, v in zip(truth, verdicts, strict=True) if not t]
    assert sum(v == SLOWER for v in slowed) / len(slowed) >= 0.9
    assert sum(v in (SLOWER, FASTER) for v in others) / len(others) <= 0.05


def test_a_speedup_is_faster() -> None:
    rng = np.random.default_rng(20)
    truth, verdicts = family(rng, cases=60, slowed=20, factor=1 / 1.3)
    assert sum(v == FASTER for t, v in zip(truth, verdicts, strict=True) if t) >= 18


def test_a_change_inside_the_margin_is_no_difference() -> None:
    # A real 3% change measured with little noise: shown to lie within the 5% margin;
    # with a 1% margin it is slower.
    rng = np.random.default_rng(21)
    pairs = [
        (two_level(rng, 1.0, between=0.003, within=0.003), two_level(rng, 1.03, between=0.003, within=0.003))
        for _ in range(20)
    ]
    at_5 = decide([compare_processes(b, r) for b, r in pairs], min_effect=0.05)
    at_1 = decide([compare_processes(b, r) for b, r in pairs], min_effect=0.01)
    assert all(c.verdict == NO_DIFFERENCE for c in at_5)
    assert all(c.verdict == SLOWER for c in at_1)


def test_one_process_on_a_side_is_inconclusive() -> None:
    rng = np.random.default_rng(22)
    base = two_level(rng, 1.0, processes=1)
    run = two_level(rng, 2.0, processes=3)
    (result,) = decide([compare_processes(base, run)])
    assert result.verdict == INCONCLUSIVE
    assert result.ratio == pytest.approx(2.0, rel=0.2)
    assert "one process" in result.reason


def test_a_comparison_whose_interval_straddles_the_margin_is_not_resolved_with_its_range() -> None:
    rng = np.random.default_rng(24)
    cases = [compare_processes(two_level(rng, 1.0), two_level(rng, 1.0)) for _ in range(30)]
    noisy = two_level(rng, 1.0, between=0.15, within=0.01)
    cases.append(compare_processes(noisy, two_level(rng, 1.0, between=0.15, within=0.01)))
    decided = decide(cases)
    last = decided[-1]
    assert last.verdict == NOT_RESOLVED
    assert last.ci_low < 1 / 1.05 < last.ci_high or last.ci_low < 1.05 < last.ci_high
    assert "could be anywhere from" in last.reason and "%" in last.reason


def test_no_difference_is_said_only_where_the_deciding_interval_lies_inside_the_margin() -> None:
    rng = np.random.default_rng(25)
    cases = []
    for i in range(200):
        noise = {"between": 0.003 + 0.03 * (i % 10) / 10, "within": 0.01}
        cases.append(compare_processes(two_level(rng, 1.0, **noise), two_level(rng, 1.0 + 0.01 * (i % 7), **noise)))
    decided = decide(cases)
    equivalent = [c for c in decided if c.verdict == NO_DIFFERENCE]
    assert equivalent, "some cases are precise enough to be shown equivalent"
    assert all(c.ci_low >= 1 / 1.05 and c.ci_high <= 1.05 for c in equivalent)
    # The interval shown beside any verdict agrees with it.
    assert all(c.ci_low > 1.05 for c in decided if c.verdict == SLOWER)


def test_zero_variance_with_nothing_to_borrow_gives_no_certain_verdict() -> None:
    same = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    slower = [[1.5, 1.5], [1.5, 1.5], [1.5, 1.5]]
    decided = decide([compare_processes(same, slower), compare_processes(same, same)])
    assert all(c.verdict == INCONCLUSIVE for c in decided)
    assert "noise is unknown" in decided[0].reason


def test_welch_when_the_sides_ran_differently() -> None:
    # A quick run (3 processes) against a full one (8): the unpooled form, whose
    # interval is wider than pooling would claim when the 3 are noisier.
    rng = np.random.default_rng(26)
    base = two_level(rng, 1.0, processes=3, between=0.08)
    run = two_level(rng, 1.0, processes=8, between=0.01)
    (result,) = decide([compare_processes(base, run)])
    assert result.base is not None and result.run is not None
    pooled_se = math.sqrt(result.base.variance * 2 / 8 + result.run.variance * 7 / 8) * math.sqrt(1 / 3 + 1 / 8)
    assert result.se > pooled_se


def test_an_unstable_case_stays_out_of_the_variance_prior() -> None:
    # A bimodal case would drag the prior's df down and every other case's power with it.
    rng = np.random.default_rng(27)
    quiet = [(two_level(rng, 1.0), two_level(rng, 1.25 if i == 0 else 1.0)) for i in range(60)]
    bimodal = [[[6e-6] * 3, [41e-6] * 3, [6.2e-6] * 3], [[6.1e-6] * 3, [40e-6] * 3, [39e-6] * 3]]
    with_bimodal = decide([compare_processes(b, r) for b, r in quiet] + [compare_processes(*bimodal)] * 3)
    assert with_bimodal[0].verdict == SLOWER


def test_an_unstable_case_is_inconclusive_unless_the_change_is_clear() -> None:
    rng = np.random.default_rng(23)
    bimodal = [[6e-6] * 3, [41e-6] * 3, [6.2e-6] * 3]
    cases = [compare_processes(two_level(rng, 1.0), two_level(rng, 1.0)) for _ in range(30)]
    cases.append(compare_processes(bimodal, [[6.1e-6] * 3, [40e-6] * 3, [39e-6] * 3]))
    decided = decide(cases)
    assert decided[-1].unstable and decided[-1].verdict == NOT_RESOLVED
    assert "unstable" in decided[-1].reason


def heterogeneous_cases(rng: np.random.Generator, slowed: int | None = None) -> tuple[list[float], list]:
    """120 cases whose noise ranges from 1% to 15% a round, mostly round noise: 2 processes of 4 rounds a side."""
    truths, cases = [], []
    for i in range(120):
        within = math.exp(rng.uniform(math.log(0.01), math.log(0.15)))
        truth = 1.25 if i == slowed else 1.0
        base = two_level(rng, 1.0, processes=2, rounds=4, between=0.3 * within, within=within)
        run = two_level(rng, truth, processes=2, rounds=4, between=0.3 * within, within=within)
        truths.append(truth)
        cases.append(compare_processes(base, run))
    return truths, cases


def test_a_prior_trend_on_the_rounds_noise_is_found_where_the_rounds_predict_the_variance() -> None:
    rng = np.random.default_rng(41)
    _, cases = heterogeneous_cases(rng)
    sides = [side for c in cases for side in (c.base, c.run) if side is not None]
    variances, dfs = [s.variance for s in sides], [1.0] * len(sides)
    prior = fit_prior(variances, dfs, [s.round_variance for s in sides])
    flat = fit_prior(variances, dfs)
    assert prior.trend_df > flat.df
    assert prior.slope > 0.6
    # The quietest case's prior variance is far below the flat one, the noisiest's above it.
    quiet = min(s.round_variance for s in sides)
    noisy = max(s.round_variance for s in sides)
    assert prior.at(quiet)[1] < flat.scale / 10 < flat.scale * 10 < prior.at(noisy)[1]
    # Without round variances the flat prior stands.
    assert prior.at(math.nan) == (flat.df, flat.scale)


def test_a_prior_trend_resolves_quiet_cases_keeps_its_coverage_and_its_false_alarms() -> None:
    covered = total = flagged = untouched = caught = quiet_resolved = quiet = 0
    simulations = 20
    for seed in range(simulations):
        rng = np.random.default_rng(300 + seed)
        truths, cases = heterogeneous_cases(rng, slowed=seed % 20)
        for truth, c in zip(truths, decide(cases), strict=True):
            low, high = interval(c, CONFIDENCE)
            covered += low <= truth <= high
            total += 1
            if truth == 1.0:
                untouched += 1
                flagged += c.verdict in (SLOWER, FASTER)
                if c.run is not None and c.run.round_variance < 0.02**2 / 4:
                    quiet += 1
                    quiet_resolved += c.verdict == NO_DIFFERENCE
            else:
                caught += c.verdict == SLOWER
    assert covered / total >= 0.93
    assert flagged / untouched <= 0.05
    # The slowed cases are noisy or quiet alike (1-15% a round): most are caught.
    assert caught / simulations >= 0.4
    # Cases with rounds quieter than 2% are shown to be within the 5% margin.
    assert quiet_resolved / quiet >= 0.75
