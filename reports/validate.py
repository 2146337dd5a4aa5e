"""Checks that a run's files say something a report can show: a shape, figures, names.

Three checks, each applied where a run is read (`reports.load`):

- `check_manifest`: `run.json` has the shape the runner writes (`models` an object of
  objects, each one's `cases` a list). A manifest of another shape is refused with a
  `ResultFileError` naming the file, because every line the report says about failures
  and skips comes from it.
- `statistics_problem`: a benchmark's figures are measurements. A benchmark whose
  statistics are missing, not finite (NaN, inf), not positive, or outside what a timer
  can measure is *left out* of the report and listed under "Left out of the report" in
  `index.md`, with the file and the reason; the run's other benchmarks are still
  reported. Leaving it out, rather than refusing the whole run, keeps one damaged entry
  from hiding the rest, and nothing is charted from a figure that is not one.
- `KnownNames`: the models and workloads a run recorded. A benchmark naming a model or a
  workload that the run did not record is not charted as a real one; `index.md` lists it
  as unknown. The names come from the run itself (its manifest, else the sessions named
  in its JSON files), never from a list kept here, so a model added later or run on
  another machine is known wherever its run records it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.errors import ResultFileError

#: Statistics of one benchmark that are times of a round, in seconds.
TIME_STATS = ("median", "min", "max", "mean", "q1", "q3")
#: Statistics that are spreads: zero is a valid value (a single round, identical rounds).
SPREAD_STATS = ("stddev", "iqr")
#: The shortest round a report accepts. `time.perf_counter` has a resolution of
#: nanoseconds at best, and calling it costs more than that, so a round timed with it
#: cannot be shorter: a smaller figure is not a measurement.
MIN_ROUND_S = 1e-9
#: The longest round a report accepts: about 11.6 days. Every case of the harness runs
#: under a timeout of minutes, so a longer figure is not a measurement either (and
#: figures near the float limit would overflow the charts' axis limits).
MAX_ROUND_S = 1e6


def check_manifest(path: Path, data: Mapping[str, Any]) -> None:
    """Raise `ResultFileError` naming `path` if the manifest `data` has the wrong shape.

    `models` must be an object mapping each model to an object; a model's `cases`
    (if present) a list of objects; `options` (if present) an object; `models` (if
    present) an object mapping each model to an object.
    """
    options = data.get("options")
    if options is not None and not isinstance(options, Mapping):
        raise ResultFileError(path, f"'options' is {_json_type(options)}; expected an object")
    _objects_by_name(path, data, "models", "each model to what it declares")
    models = _objects_by_name(path, data, "backends", "each model to its status")
    for name, entry in models.items():
        cases = entry.get("cases")
        if cases is not None and not (isinstance(cases, list) and all(isinstance(c, Mapping) for c in cases)):
            raise ResultFileError(path, f"models.{name}.cases is not a list of objects")


def _objects_by_name(path: Path, data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Mapping[str, Any]]:
    """``data[key]`` when it is an object mapping names to objects (empty when absent); else the file's error."""
    found = data.get(key)
    if found is None:
        return {}
    if not isinstance(found, Mapping):
        raise ResultFileError(path, f"'{key}' is {_json_type(found)}; expected an object mapping {what}")
    for name, entry in found.items():
        if not isinstance(entry, Mapping):
            raise ResultFileError(path, f"{key}.{name} is {_json_type(entry)}; expected an object")
    return found


def _json_type(value: object) -> str:
    """Name the JSON type of a parsed value: `a list`, `a string`, `a number`."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else "an object"


def _finite(value: object) -> float | None:
    """Return `value` as a float if it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _is_time(value: object) -> bool:
    """Tell whether `value` is a time a timed round can take, in seconds."""
    seconds = _finite(value)
    return seconds is not None and MIN_ROUND_S <= seconds <= MAX_ROUND_S


def statistics_problem(stats: Mapping[str, Any], extra: Mapping[str, Any]) -> str | None:
    """Return why a benchmark's figures are not measurements, or None if they are.

    Times (`median`, `min`, `max`, `mean`, `q1`, `q3` and every raw sample) must be
    finite and between `MIN_ROUND_S` and `MAX_ROUND_S`; spreads (`stddev`, `iqr`)
    finite and not negative; `ideal_s`, `ops_per_round` and `bytes_per_task`, where
    given, finite and positive; `n_tasks`, where given, a positive integer. Statistics
    other than the median may be missing.
    """
    for key in TIME_STATS:
        value = stats.get(key)
        if (value is not None or key == "median") and not _is_time(value):
            return f"its {key} is {value!r} s, not a time a round can take"
    for key in SPREAD_STATS:
        value = stats.get(key)
        spread = _finite(value)
        if value is not None and (spread is None or spread < 0):
            return f"its {key} is {value!r}, not a spread of times"
    data = stats.get("data")
    if isinstance(data, list):
        for value in data:
            if not _is_time(value):
                return f"a raw sample is {value!r}, not a time a round can take"
    for key in ("ideal_s", "ops_per_round", "bytes_per_task"):
        value = extra.get(key)
        number = _finite(value)
        if value is not None and (number is None or number <= 0):
            return f"its {key} is {value!r}; expected a positive number or null"
    n_tasks = extra.get("n_tasks")
    if n_tasks is not None and (isinstance(n_tasks, bool) or not isinstance(n_tasks, int) or n_tasks <= 0):
        return f"its n_tasks is {n_tasks!r}; expected a positive integer"
    return None


@dataclass(frozen=True)
class KnownNames:
    """The models and the workloads (or micro-costs) a run recorded.

    None means the run records no such names (no `run.json`, or one without them), so
    the names are not checked.
    """

    models: frozenset[str] | None
    cases: frozenset[str] | None

    def problem(self, model: str, case: str) -> str | None:
        """Say why `model` running `case` is not a model and workload of this run, or None."""
        if self.models is not None and model not in self.models:
            return f"model '{model}' is not one this run recorded ({_listed(self.models)})"
        if self.cases is not None and case not in self.cases:
            return f"workload '{case}' is not one this run recorded ({_listed(self.cases)})"
        return None


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def known_names(manifest: Mapping[str, Any] | None, sessions: Iterable[str]) -> KnownNames:
    """Collect the names a run recorded: from its manifest, else from its JSON sessions.

    Models: the manifest's `models` and `options.models`; without them, the model
    each JSON file's `session` says it ran. Workloads: every case's `workload` or
    `micro` in the manifest, and `options.workloads`.
    """
    models: set[str] = set()
    cases: set[str] = set()
    if manifest:
        recorded = manifest.get("backends")
        if isinstance(recorded, Mapping):
            models.update(str(name) for name in recorded)
            entries = [entry for entry in recorded.values() if isinstance(entry, Mapping)]
            for case in (case for entry in entries for case in entry.get("cases") or []):
                for key in ("workload", "micro"):
                    if isinstance(case, Mapping) and case.get(key):
                        cases.add(str(case[key]))
        options = manifest.get("options")
        if isinstance(options, Mapping):
            for key, found in (("backends", models), ("workloads", cases)):
                if isinstance(options.get(key), list):
                    found.update(str(name) for name in options[key])
    if not models:
        models.update(sessions)
    return KnownNames(
        models=frozenset(models) if models else None,
        cases=frozenset(cases) if cases else None,
    )
