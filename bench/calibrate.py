"""Measure, once per run and before any timing, the facts that ideals depend on.

The runner calibrates in its own process and hands the same file to every
model's interpreter, so every model is held against the same ideal. What is
measured is each workload's own business (its ``calibrate``); this module runs
them, stores what they return under each workload's name, and times a workload's
reference work in a fresh interpreter (``python -m bench.calibrate WORKLOAD SIZE``).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.canary import canary_s
from bench.fresh import last_line
from bench.machine import cpu_count
from bench.results_format import FORMAT_KEY, FORMAT_VERSION
from workloads import WORKLOADS, Calibration, Params, RunContext, Workload

#: Longest a fresh interpreter timing one workload may take.
CALIBRATE_TIMEOUT_S = 300.0
#: The interpreter fresh measurements run under (a pair's runs calibrate each under its own).
PYTHON: list[str] = [sys.executable]
#: The machine-speed canary read around each workload's timing, by workload: the speed its ideal stands at.
CANARY_READINGS: dict[str, float] = {}


def fresh_measure(workload: str, size: int) -> float:
    """The seconds ``WORKLOADS[workload].measure(size)`` gives in a fresh interpreter.

    The results come from fresh interpreters, one per model, so the ideal is timed
    in one too: not in the runner, whose heap and caches differ.
    """
    line = last_line(
        "bench.calibrate",
        workload,
        str(size),
        timeout_s=CALIBRATE_TIMEOUT_S,
        failed=f"calibrating {workload} failed",
        python=PYTHON[0],
    )
    seconds, *canary = line.split()
    if canary:
        CANARY_READINGS[workload] = float(canary[0])
    return float(seconds)


def calibration_params(workload: Workload, profile: str) -> Params:
    """The parameters a workload calibrates with: the profile's, less the grid axes (tuples)."""
    return {key: value for key, value in workload.profile_params(profile).items() if not isinstance(value, tuple)}


def calibrate(profile: str, workloads: Iterable[str], context: RunContext, python: str | None = None) -> Calibration:
    """Run the ``calibrate`` of every workload in ``workloads`` that has one; return the run's calibration.

    Each sees its profile parameters (grid axes left out), resolved against the
    run's ``context``, on which this hands in :func:`fresh_measure` (a workload
    imports nothing of the run). Raises :class:`workloads.CalibrationFailed`
    (naming, say, a URL that fails) before anything is timed. Fresh measurements
    run under ``python`` (default: this interpreter).
    """
    entries: dict[str, Mapping[str, Any]] = {}
    CANARY_READINGS.clear()
    PYTHON[0] = python or sys.executable
    context = replace(context, fresh_measure=fresh_measure)
    try:
        for name in workloads:
            workload = WORKLOADS[name]
            if workload.calibrate is None:
                continue
            params = workload.resolve(calibration_params(workload, profile), context)
            entries[name] = dict(workload.calibrate(params, context))
    finally:
        PYTHON[0] = sys.executable
    return Calibration(cpu_count=cpu_count(), entries=entries)


def save(calibration: Calibration, path: Path) -> None:
    """Write ``calibration`` as JSON: ``cpu_count``, each workload's entries under its name.

    ``canary_s`` maps a workload timed in a fresh interpreter to the machine-speed
    canary read there around its timing (:mod:`bench.canary`): the reports bring a
    figure to that speed before holding it against its ideal.
    """
    data = {
        FORMAT_KEY: FORMAT_VERSION,
        "cpu_count": calibration.cpu_count,
        "workloads": calibration.entries,
        "canary_s": dict(CANARY_READINGS),
    }
    path.write_text(json.dumps(data, indent=2))


def load(path: Path) -> Calibration:
    """Read a calibration written by :func:`save`."""
    data = json.loads(path.read_text())
    return Calibration(cpu_count=int(data["cpu_count"]), entries=data.get("workloads", {}))


def main(argv: list[str]) -> int:
    """``python -m bench.calibrate WORKLOAD SIZE``: print the workload's ``measure(SIZE)`` in seconds."""
    measurable = [name for name, workload in WORKLOADS.items() if workload.measure is not None]
    if len(argv) != 2 or argv[0] not in measurable or not argv[1].isdigit():
        print(
            f"error: expected 'WORKLOAD SIZE' (SIZE a whole number: loop steps or bytes) with WORKLOAD one of "
            f"{', '.join(measurable)}, got {' '.join(argv) or 'nothing'!r}",
            file=sys.stderr,
        )
        return 2
    measure = WORKLOADS[argv[0]].measure
    assert measure is not None
    before = canary_s()
    seconds = measure(int(argv[1]))
    print(seconds, math.sqrt(before * canary_s()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
