"""Which runs a comparison reads, and how they are named and stacked.

A command-line path is a run directory, a machine directory or a results root
(`expand`); the baseline is chosen among the runs (`discover_runs`); each run is
labelled by machine, run id and interpreter and grouped by machine fingerprint
(`label_runs`); their tidy frames are stacked with a key that identifies a case
across runs (`combined_frame`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from bench.layout import COMPARE_DIR, ResultsTree
from reports.errors import ReportInputError, RunDirError
from reports.load import RunData, add_case_columns, fmt_param, param_columns
from reports.models import unify_models

FINGERPRINT_FIELDS = ("cpu_model", "cpu_count", "memory_bytes", "os", "python_build")


@dataclass(frozen=True)
class Compared:
    """A run in a comparison: its data, label and machine fingerprint."""

    run: RunData
    label: str
    fingerprint: str


def fingerprint(machine: dict[str, Any]) -> str:
    """Return a short id of the machine from the fields that do not change between runs.

    CPU model, core count, memory, OS and Python build; the node name, CPU frequency
    and load are left out, so two runs on one machine with one Python share a
    fingerprint, and a run under another Python (another build) gets another.
    """
    identity = json.dumps([machine.get(key) for key in FINGERPRINT_FIELDS], default=str)
    return hashlib.sha256(identity.encode()).hexdigest()[:10]


def expand(path: Path) -> tuple[list[Path], bool]:
    """Turn one command-line path into run directories; say if it named a run itself.

    A run directory is taken as is. A machine directory (`results/<machine-id>`) gives
    its newest run, a results root (`results/`) the newest run of every machine under
    it, or, when it holds one machine only, that machine's two newest runs (before and
    after an upgrade); run ids sort by time, so the newest is the last by name.
    """
    if not path.exists():
        raise RunDirError(path, "no such directory; give run directories or a results root such as results/")
    if not path.is_dir():
        raise RunDirError(path, "is not a directory; give run directories or a results root such as results/")
    tree = ResultsTree(path)
    if tree.is_run():
        return [path], True
    runs_here = tree.runs_here()
    if runs_here:
        return [runs_here[-1]], False
    per_machine = tree.runs_per_machine()
    if len(per_machine) == 1:
        return per_machine[0][-2:], False
    if not per_machine:
        raise RunDirError(path, "holds no run with results (expected <root>/<machine-id>/<run-id>/*.json)")
    return [runs[-1] for runs in per_machine], False


def discover_runs(paths: Sequence[Path], baseline: Path | None = None) -> tuple[list[Path], Path]:
    """Return the run directories to compare and the baseline among them.

    The baseline is `baseline` if given (added if it is not among the runs), else the
    first path if it named a run directory, else the oldest run by run id.
    """
    runs: list[Path] = []
    first_explicit = False
    for index, path in enumerate(paths):
        found, explicit = expand(path)
        first_explicit = first_explicit or (index == 0 and explicit)
        runs += [run for run in found if run.resolve() not in {r.resolve() for r in runs}]
    chosen: Path | None = None
    if baseline is not None:
        expanded, _ = expand(baseline)
        if len(expanded) != 1:
            raise ReportInputError(f"--baseline {baseline}: give one run directory, not a directory of machines")
        chosen = next((r for r in runs if r.resolve() == expanded[0].resolve()), None)
        if chosen is None:
            chosen = expanded[0]
            runs.insert(0, chosen)
    if len(runs) < 2:
        raise ReportInputError(
            f"need at least two runs to compare, found {len(runs)} ({', '.join(str(r) for r in runs) or 'none'}); "
            "give two or more run directories, or a results root with runs of two machines"
        )
    if chosen is not None:
        base = chosen
    elif first_explicit:
        base = runs[0]
    else:
        base = min(runs, key=lambda r: r.name)
    return runs, base


def interpreter_of(machine: Mapping[str, Any]) -> str | None:
    """The interpreter a run measured, as labels name it: `CPython 3.12.1`, `CPython 3.13.0 free-threaded, GIL off`.

    None when the run's files do not say.
    """
    build, version = machine.get("python_build"), machine.get("python_version")
    if not build and not version:
        return None
    name = str(build).split(" (")[0] if build else f"Python {version}"
    return name + (", GIL off" if machine.get("gil_enabled") is False else "")


def label_runs(runs: Sequence[RunData], base: RunData) -> list[Compared]:
    """Label each run `machine_id/run_id (interpreter)` and order them: baseline first, machines together.

    The interpreter is in the label so that two runs of one machine under two Pythons
    read apart in every table and chart.
    """
    groups: list[str] = []
    compared: list[Compared] = []
    used: set[str] = set()
    for run in [base, *[r for r in runs if r is not base]]:
        # A run copied under a new directory name keeps its recorded run_id: tell the
        # two apart by the directory name, and by a number as a last resort.
        interpreter = interpreter_of(run.machine)
        python = f" ({interpreter})" if interpreter else ""
        label = f"{run.machine_id}/{run.run_id}{python}"
        if label in used:
            label = f"{run.machine_id}/{run.path.name}{python}"
        number = 1
        while label in used:
            number += 1
            label = f"{run.machine_id}/{run.run_id} ({number}){python}"
        used.add(label)
        print_id = fingerprint(run.machine)
        if print_id not in groups:
            groups.append(print_id)
        compared.append(Compared(run=run, label=label, fingerprint=print_id))
    return [compared[0], *sorted(compared[1:], key=lambda c: groups.index(c.fingerprint))]


def combined_frame(compared: Sequence[Compared]) -> pd.DataFrame:
    """Stack the runs' tidy frames with `run`, `run_order` and `case_key` columns.

    `case_key` identifies a case across runs: model, variant, case, n_tasks and every
    parameter that is set. `config` and `series` are recomputed over all runs, and a
    model keeps the order and colour of the first run that has it
    (`reports.models.unify_models`).
    """
    frames = [c.run.frame.assign(run=c.label, run_order=i, fingerprint=c.fingerprint) for i, c in enumerate(compared)]
    frame = unify_models(add_case_columns(pd.concat(frames, ignore_index=True)))
    params = param_columns(frame)
    frame["params"] = (
        [
            ", ".join(f"{p}={fmt_param(v)}" for p, v in zip(params, values, strict=True) if pd.notna(v))
            for values in frame[params].itertuples(index=False)
        ]
        if params
        else ""
    )
    frame["case_key"] = [
        json.dumps([b, None if pd.isna(v) else v, c, None if pd.isna(n) else int(n), p])
        for b, v, c, n, p in zip(
            frame["backend"], frame["variant"], frame["case"], frame["n_tasks"], frame["params"], strict=True
        )
    ]
    return frame


def interleaved_with(compared: Sequence[Compared]) -> set[str]:
    """The labels of the runs that ran interleaved with the baseline, as their manifests say (``pair``)."""
    base = compared[0].run
    partner = (base.manifest or {}).get("pair", {})
    found = set()
    for c in compared[1:]:
        theirs = (c.run.manifest or {}).get("pair", {})
        if (
            isinstance(partner, dict)
            and isinstance(theirs, dict)
            and partner.get("with") == c.run.run_id
            and theirs.get("with") == base.run_id
        ):
            found.add(c.label)
    return found


def default_out(compared: Sequence[Compared], now: datetime | None = None) -> Path:
    """Return `<results>/compare/<timestamp>/`, results being the runs' common grandparent."""
    roots = {c.run.path.resolve().parent.parent for c in compared}
    root = roots.pop() if len(roots) == 1 else compared[0].run.path.resolve().parent.parent
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    out = root / COMPARE_DIR / stamp
    suffix = 1
    while out.exists():
        suffix += 1
        out = root / COMPARE_DIR / f"{stamp}-{suffix}"
    return out
