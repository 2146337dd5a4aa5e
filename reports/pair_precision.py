"""Which cases of an interleaved pair are not yet precise enough: ``python -m reports precision A --pair B``.

An interleaved pair (``python -m bench --python A --python B``) is judged on the
differences of its processes, pair by pair (:func:`reports.stats.compare_paired`):
a drift that slowed both processes of a pair cancels there, while each run's own
interval keeps it. So the pair's time goes to the cases whose *paired* interval is
still wider than the precision target, not to the ones whose runs look noisy
alone. The rule reads the comparison's half-width, never its ratio or verdict:
adding processes until a case reads slower would be optional stopping.
"""

from __future__ import annotations

import math
from pathlib import Path

from reports.compare_runs import combined_frame, label_runs
from reports.compare_stats import ratio_table
from reports.load import load_run
from reports.precision import Imprecise, add_case, nearest_first, processes_needed


def imprecise_pair(run_dir: Path, partner: Path, target: float) -> Imprecise:
    """The cases of ``run_dir`` whose comparison with ``partner`` is wider than ``target``, by model.

    Each has its id, the comparison's 95% half-width (a fraction; NaN with fewer than
    two pairs), its pairs, and the pairs it would need (:func:`processes_needed`);
    nearest to the target first.
    """
    runs = [load_run(run_dir), load_run(partner)]
    compared = label_runs(runs, runs[0])
    frame = combined_frame(compared)
    ratios = ratio_table(frame, compared[0].label, paired_with={compared[1].label})
    if ratios.empty:
        return {}
    names = {row["case_key"]: str(row["name"]) for row in frame[frame["run"] == compared[0].label].to_dict("records")}
    found: Imprecise = {}
    for row in ratios.to_dict("records"):
        pairs = int(min(row["n_baseline"], row["n_run"]))
        half = math.expm1(float(row["noise"])) if math.isfinite(float(row["noise"])) else math.nan
        if math.isfinite(half) and half <= target:
            continue
        if not math.isfinite(half) and pairs >= 2:
            continue
        needed = processes_needed(half, pairs, target) if math.isfinite(half) else 2
        add_case(found, str(row["backend"]), names[row["case_key"]], half, pairs, needed)
    return nearest_first(found)
