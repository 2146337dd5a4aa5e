"""Spend a run's time where the noise is: more processes for the cases still too wide.

After the profile's processes, the runner asks which cases' figures are still
wider than the precision target allows (``python -m reports precision``, so this
layer imports nothing of the reports), and gives those cases, and only those,
another fresh interpreter per backend, interleaved across models as before,
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

from bench.runner import REPO, Run


def add_processes(runs: list[Run], started: float) -> None:
    """Give the cases still wider than the precision target more processes, within the run's budget.

    Each wave asks the reports which cases are imprecise (``python -m reports
    precision``), predicts the wave's time from those cases' durations so far plus
    each session's start-up, and runs one more session per backend for just those
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
        for run in runs:
            for backend, cases in imprecise_cases(run.run_dir, precision).items():
                wanted.setdefault(backend, [])
                wanted[backend] += [c for c in cases if c not in wanted[backend]]
        left = (profile.budget_s - (time.monotonic() - started)) / len(runs)
        plan = plan_wave(wanted, first.sessions, left)
        record["waves"].append(
            {"process": process, "imprecise": sum(len(c) for c in wanted.values()), "planned": plan, "left_s": left}
        )
        for run in runs:
            run.manifest.write()
        if not plan:
            break
        print(f"  adding process {process + 1} for {sum(len(c) for c in plan.values())} imprecise cases", flush=True)
        for backend in first.options.backends:
            for run in runs:
                run.processes = process + 1
                if backend in plan:
                    run.session(backend, process, tuple(plan[backend]))


def imprecise_cases(run_dir: Path, precision: float) -> dict[str, list[str]]:
    """The case ids, by backend, whose figures are still wider than ``precision`` allows (widest first)."""
    done = subprocess.run(
        [sys.executable, "-m", "reports", "precision", str(run_dir), "--target", str(precision * 100)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  note: could not judge the cases' precision ({done.stderr.strip()[-300:]}); no process added")
        return {}
    found = json.loads(done.stdout or "{}")
    return {backend: [c["id"] for c in cases] for backend, cases in found.items()}


#: Seconds a session takes beyond its cases (interpreter, pytest, a model's pool or cluster), when unknown.
SESSION_OVERHEAD_S = 3.0


def plan_wave(
    wanted: Mapping[str, list[str]], sessions: Mapping[str, list[dict[str, Any]]], left_s: float
) -> dict[str, list[str]]:
    """The cases of the next wave that fit ``left_s``: each backend's widest first, its start-up counted.

    A case's cost is the longest it took in any session so far; a backend's session
    costs its start-up (its first session's time beyond its cases) plus its cases.
    """
    plan: dict[str, list[str]] = {}
    spent = 0.0
    for backend, cases in wanted.items():
        history = sessions.get(backend, [])
        cost: dict[str, float] = {}
        for session in history:
            for case in session.get("cases", []):
                duration = float(case.get("duration_s") or 0.0)
                cost[case["id"]] = max(cost.get(case["id"], 0.0), duration)
        first = history[0] if history else {}
        overhead = max(
            SESSION_OVERHEAD_S,
            float(first.get("duration_s") or 0.0)
            - sum(float(c.get("duration_s") or 0.0) for c in first.get("cases", [])),
        )
        chosen: list[str] = []
        need = overhead
        for case_id in cases:
            extra = cost.get(case_id, 1.0)
            if spent + need + extra > left_s:
                break
            chosen.append(case_id)
            need += extra
        if chosen:
            plan[backend] = chosen
            spent += need
    return plan


def _cases_s(session: Mapping[str, Any]) -> float:
    """The seconds a session spent in its cases (setup, call and teardown)."""
    return sum(float(c.get("duration_s") or 0.0) for c in session.get("cases", []))
