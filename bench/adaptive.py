"""Spend a run's time where the noise is: more processes for the cases still too wide.

After the profile's processes, the runner asks which cases' figures are still
wider than the precision target allows (``python -m reports precision``, so this
layer imports nothing of the reports), and gives those cases, and only those,
another fresh interpreter per model, interleaved across models as before,
until every case is precise enough, has the profile's ``max_processes``, or the
run has spent its ``budget_s``. This is Kalibera and Jones' dimensioning at the
level where the variance is: the process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.runner import REPO, Run, run_sessions


def add_processes(runs: list[Run], started: float) -> None:
    """Give the cases still wider than the precision target more processes, within the run's budget.

    Each wave asks the reports which cases are imprecise (``python -m reports
    precision``), predicts the wave's time from those cases' durations so far plus
    each session's start-up, and runs one more session per model for just those
    cases, round-robin as before. It stops when no case needs more, the profile's
    ``max_processes`` is reached, or the next wave would overrun ``budget_s``
    (then the widest cases that fit go first).
    """
    first = runs[0]
    profile = first.profile
    precision = first.options.precision if first.options.precision is not None else profile.precision
    record: dict[str, Any] = {"precision": precision, "budget_s": profile.budget_s, "waves": []}
    for run in runs:
        run.manifest.data["adaptive"] = record
    for process in range(first.processes, profile.max_processes):
        # A pair's two runs add the same cases, so process i of one still pairs with process i of the other.
        wanted: dict[str, list[str]] = {}
        needed: dict[str, int] = {}
        # A pair is judged on its paired comparison, where the drift its processes share cancels.
        judged = (
            [imprecise_cases(runs[0].run_dir, precision, runs[1].run_dir)]
            if len(runs) == 2
            else [imprecise_cases(run.run_dir, precision) for run in runs]
        )
        for found in judged:
            for model, cases in found.items():
                wanted.setdefault(model, [])
                for case_id, processes in cases:
                    if case_id not in wanted[model]:
                        wanted[model].append(case_id)
                    needed[case_id] = min(needed.get(case_id, processes), processes)
        left = (profile.budget_s - (time.monotonic() - started)) / len(runs)
        plan = plan_wave(wanted, first.sessions, left, needed)
        record["waves"].append(
            {"process": process, "imprecise": sum(len(c) for c in wanted.values()), "planned": plan, "left_s": left}
        )
        for run in runs:
            run.manifest.write()
        if not plan:
            break
        print(f"  adding process {process + 1} for {sum(len(c) for c in plan.values())} imprecise cases", flush=True)
        for run in runs:
            run.processes = process + 1
        for model in first.options.models:
            if model in plan:
                run_sessions(runs, model, process, tuple(plan[model]))


def imprecise_cases(run_dir: Path, precision: float, pair: Path | None = None) -> dict[str, list[tuple[str, int]]]:
    """The cases, by model, whose figures are still wider than ``precision`` allows.

    Each is its id and the processes it would need to reach the target, nearest first.
    With ``pair`` (the run interleaved with ``run_dir``), the cases whose paired
    comparison is.
    """
    paired = ["--pair", str(pair)] if pair is not None else []
    done = subprocess.run(
        [sys.executable, "-m", "reports", "precision", str(run_dir), "--target", str(precision * 100), *paired],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  note: could not judge the cases' precision ({done.stderr.strip()[-300:]}); no process added")
        return {}
    found = json.loads(done.stdout or "{}")
    return {model: [(c["id"], int(c.get("needed") or 0)) for c in cases] for model, cases in found.items()}


#: Seconds a session takes beyond its cases (interpreter, pytest, a model's pool or cluster), when unknown.
SESSION_OVERHEAD_S = 3.0


def plan_wave(
    wanted: Mapping[str, list[str]],
    sessions: Mapping[str, list[dict[str, Any]]],
    left_s: float,
    needed: Mapping[str, int] | None = None,
) -> dict[str, list[str]]:
    """The cases of the next wave that fit ``left_s``, nearest to the precision target first.

    A case's cost is the longest it took in any session so far; a model's session
    costs its start-up (its first session's time beyond its cases) plus its cases.
    Cases are taken in order of the processes they still need (``needed``, fewest
    first; ties and unknowns in each model's order), across all models, so the
    budget goes where it resolves cases rather than to whichever model runs first;
    a case that does not fit is passed over for cheaper ones.
    """
    order = [(model, case_id) for model, cases in wanted.items() for case_id in cases]
    if needed:
        order.sort(key=lambda item: needed.get(item[1], 0))
    cost: dict[str, float] = {}
    overhead: dict[str, float] = {}
    for model in wanted:
        history = sessions.get(model, [])
        for session in history:
            for case in session.get("cases", []):
                duration = float(case.get("duration_s") or 0.0)
                cost[case["id"]] = max(cost.get(case["id"], 0.0), duration)
        first = history[0] if history else {}
        overhead[model] = max(SESSION_OVERHEAD_S, float(first.get("duration_s") or 0.0) - _cases_s(first))
    plan: dict[str, list[str]] = {}
    spent = 0.0
    for model, case_id in order:
        extra = cost.get(case_id, 1.0) + (0.0 if model in plan else overhead[model])
        if spent + extra > left_s:
            continue
        plan.setdefault(model, []).append(case_id)
        spent += extra
    return {model: plan[model] for model in wanted if model in plan}


def _cases_s(session: Mapping[str, Any]) -> float:
    """The seconds a session spent in its cases (setup, call and teardown)."""
    return sum(float(c.get("duration_s") or 0.0) for c in session.get("cases", []))
