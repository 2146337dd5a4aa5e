"""Processes added where the noise is, and the interleaved pair: real runs, small sizes."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench import adaptive, prepare
from bench.profiles import PROFILES
from bench.runner import RunOptions, execute
from reports.pair_precision import imprecise_pair
from reports.precision import RUN_SHARE, imprecise, processes_needed
from tests._broken import write_broken
from workloads import WORKLOADS


@pytest.fixture
def sigterm_kept() -> Iterator[None]:
    """The runner installs a SIGTERM handler; give the test process its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def history(*cases: tuple[str, float], total: float) -> list[dict[str, Any]]:
    return [{"duration_s": total, "cases": [{"id": i, "duration_s": d} for i, d in cases]}]


def test_a_wave_takes_the_widest_cases_that_fit_the_budget_with_each_session_start_up() -> None:
    sessions = {
        "threads": history(("t-a", 2.0), ("t-b", 1.0), total=8.0),  # 5 s of start-up beyond its cases
        "asyncio": history(("a-a", 1.0), total=4.0),
    }
    wanted = {"threads": ["t-a", "t-b"], "asyncio": ["a-a"]}
    assert adaptive.plan_wave(wanted, sessions, left_s=100) == wanted
    # 5 + 2 = 7 s fits 8 s, the next case (1 s) would not; asyncio's start-up alone is then over.
    assert adaptive.plan_wave(wanted, sessions, left_s=7.5) == {"threads": ["t-a"]}
    assert adaptive.plan_wave(wanted, sessions, left_s=1.0) == {}


def test_a_short_budget_goes_first_to_the_cases_nearest_their_target_whatever_their_model() -> None:
    sessions = {
        "threads": history(("t-a", 2.0), ("t-b", 1.0), total=8.0),
        "asyncio": history(("a-a", 1.0), total=4.0),
    }
    wanted = {"threads": ["t-a", "t-b"], "asyncio": ["a-a"]}
    # a-a needs one more process, t-a forty: asyncio's start-up and case (4 s) go first.
    needed = {"t-a": 40, "t-b": 12, "a-a": 3}
    assert adaptive.plan_wave(wanted, sessions, left_s=7.5, needed=needed) == {"asyncio": ["a-a"]}
    assert adaptive.plan_wave(wanted, sessions, left_s=11.0, needed=needed) == {
        "threads": ["t-b"],
        "asyncio": ["a-a"],
    }


def test_a_case_needs_processes_in_proportion_to_the_square_of_its_width() -> None:
    assert processes_needed(0.04, 3, 0.02) == 12
    assert processes_needed(0.021, 3, 0.02) == 4
    assert processes_needed(0.2, 2, 0.02) > 150


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> list[Path]:
    """A smoke run of sequential and threads on sleep, with 2 processes and room for a third."""
    monkeypatch.setitem(PROFILES, "smoke", replace(PROFILES["smoke"], processes=2, max_processes=3, budget_s=120.0))
    code = execute(
        RunOptions(
            profile="smoke",
            models=["sequential", "threads"],
            workloads=["sleep"],
            results=tmp_path,
            report=False,
            **options,
        )
    )
    assert code == 0
    return sorted(p.parent for p in tmp_path.glob("*/*/run.json"))


@pytest.mark.timeout(180)
def test_only_the_cases_still_too_wide_get_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_kept: None
) -> None:
    asked: list[Path] = []

    def one_noisy_case(run_dir: Path, precision: float) -> dict[str, list[tuple[str, int]]]:
        asked.append(run_dir)
        return {"threads": [("threads-sleep-n10", 3)]} if len(asked) == 1 else {}

    monkeypatch.setattr(adaptive, "imprecise_cases", one_noisy_case)
    (run_dir,) = run(tmp_path, monkeypatch)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert [w["planned"] for w in manifest["adaptive"]["waves"]] == [{"threads": ["threads-sleep-n10"]}]
    third = json.loads((run_dir / "threads.2.json").read_text())
    assert [b["param"] for b in third["benchmarks"]] == ["threads-sleep-n10"]
    assert not (run_dir / "sequential.2.json").exists()
    sessions = manifest["backends"]["threads"]["sessions"]
    assert [s["only_cases"] for s in sessions] == [None, None, ["threads-sleep-n10"]]
    assert all(c["duration_s"] > 0 for c in sessions[0]["cases"] if c["outcome"] == "passed")


@pytest.mark.timeout(180)
def test_the_precision_check_names_cases_wider_than_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_kept: None
) -> None:
    monkeypatch.setattr(adaptive, "imprecise_cases", lambda run_dir, precision: {})
    (run_dir,) = run(tmp_path, monkeypatch)
    everything = imprecise(run_dir, 1e-9)
    assert {c["id"] for cases in everything.values() for c in cases} >= {"threads-sleep-n1", "threads-sleep-n10"}
    assert all(c["half_width"] > RUN_SHARE * 1e-9 and c["processes"] == 2 for cs in everything.values() for c in cs)
    assert all(c["needed"] > 2 for cs in everything.values() for c in cs)
    assert imprecise(run_dir, 1e6) == {}


@pytest.mark.timeout(240)
def test_an_interleaved_pair_runs_alternately_and_is_compared_process_by_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_kept: None
) -> None:
    asked: list[tuple[Path, Path | None]] = []

    def none_imprecise(run_dir: Path, precision: float, pair: Path | None = None) -> dict[str, list]:
        asked.append((run_dir, pair))
        return {}

    monkeypatch.setattr(adaptive, "imprecise_cases", none_imprecise)
    first, second = run(tmp_path, monkeypatch, pythons=[sys.executable, sys.executable])
    # A pair is judged once, on its paired comparison.
    assert asked == [(first, second)]
    a, b = (json.loads((d / "run.json").read_text()) for d in (first, second))
    assert a["pair"] == {"with": second.name, "role": "A"} and b["pair"] == {"with": first.name, "role": "B"}
    sessions = [
        (run_id, name, s, directory)
        for run_id, manifest, directory in (("A", a, first), ("B", b, second))
        for name, entry in manifest["backends"].items()
        for s in entry["sessions"]
    ]
    # Each model's process i ran under both interpreters at once, in lockstep, the side
    # that goes first counterbalanced: A for process 0, B for process 1.
    assert sorted((r, n, s["process"], s["lockstep"]) for r, n, s, _ in sessions) == sorted(
        (r, n, p, "first" if (r == "A") == (p == 0) else "second")
        for r in "AB"
        for n in {n for _, n, _, _ in sessions}
        for p in (0, 1)
    )
    # Neither side ever waited in vain for the other.
    assert not any("going on alone" in (d / s["log"]).read_text() for _, _, s, d in sessions)
    from reports.compare import run_compare

    out = tmp_path / "cmp"
    assert run_compare([first, second], baseline=first, out=out) == 0
    ratios = pd.read_csv(out / "ratios.csv")
    assert len(ratios) == 4 and (ratios["n_baseline"] == 2).all() and ratios["paired"].all()
    assert "interleaved pair" in (out / "index.md").read_text()
    # The pair's precision: every case is wider than a target of nothing, none than a huge one.
    everything = imprecise_pair(first, second, 1e-9)
    assert {c["id"] for cases in everything.values() for c in cases} == set(
        ratios["backend"] + "-sleep-n" + ratios["n_tasks"].astype(str)
    )
    assert all(c["processes"] == 2 and c["needed"] > 2 for cs in everything.values() for c in cs)
    assert imprecise_pair(first, second, 1e6) == {}


@pytest.mark.timeout(240)
def test_when_one_side_of_a_pair_dies_the_other_goes_on_and_its_rest_runs_alone_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_kept: None
) -> None:
    monkeypatch.setattr(adaptive, "imprecise_cases", lambda run_dir, precision, pair=None: {})
    # B's interpreter: this one, with a marker that makes the broken workload's tasks exit.
    wrapper = tmp_path / "b-python"
    wrapper.write_text(f'#!/bin/sh\nCB_TEST_SIDE=B exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    broken = write_broken(tmp_path, "osexit_in_b")
    monkeypatch.setitem(PROFILES, "smoke", replace(PROFILES["smoke"], processes=1))
    # The workload file registers itself in this process: the later tests must not meet it.
    monkeypatch.setattr(prepare, "_LOADED", {})
    known = set(WORKLOADS)
    started = time.monotonic()
    try:
        execute(
            RunOptions(
                profile="smoke",
                models=["threads"],
                workloads=["sleep", str(broken)],
                results=tmp_path / "results",
                report=False,
                pythons=[sys.executable, str(wrapper)],
            )
        )
    finally:
        for name in set(WORKLOADS) - known:
            del WORKLOADS[name]
    # Nobody waited out the baton's limit (twice the case time-out and half a minute).
    assert time.monotonic() - started < 2 * PROFILES["smoke"].case_timeout_s + 30
    first, second = sorted(p.parent for p in (tmp_path / "results").glob("*/*/run.json"))
    a, b = (json.loads((d / "run.json").read_text()) for d in (first, second))
    (session_a,) = a["backends"]["threads"]["sessions"]
    (session_b,) = b["backends"]["threads"]["sessions"]
    outcomes_a = {c["id"]: c["outcome"] for c in session_a["cases"]}
    outcomes_b = {c["id"]: c["outcome"] for c in session_b["cases"]}
    assert set(outcomes_a.values()) == {"passed"}
    assert "failed" in outcomes_b.values() and "passed" in outcomes_b.values()
    # B's first session died, and fresh ones ran its rest alone (no baton), after A had finished.
    assert len(session_b["attempts"]) >= 2
    assert session_a["lockstep"] == "first" and session_b["lockstep"] == "second"
    assert json.loads((first / session_a["json"]).read_text())["lockstep"]["role"] == "first"
    # The description of B's last session (a fresh one) has no baton.
    assert json.loads((second / "logs" / "threads.0.session.json").read_text())["baton"] is None
