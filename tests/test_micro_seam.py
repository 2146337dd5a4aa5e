"""A micro-cost is one descriptor plus the hooks of the models that measure it.

The throwaway micro-cost below (``call``: one plain call of a function) is one file in
a temporary directory: its descriptor, and a hook for one model (sequential, whose
module would gain that one entry). Both are loaded in every interpreter of the run
through a ``sitecustomize`` module on ``PYTHONPATH``. Nothing else is edited: the case
list, the runner's ``run.json`` and the report learn the micro-cost from its
descriptor, and every other model gets a case that skips with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.micro.costs import MICRO_COSTS
from bench.runner import micro_costs_section

REPO = Path(__file__).resolve().parent.parent

#: The descriptor of the throwaway micro-cost, and its hook on one model.
MODULE = """
from contextlib import contextmanager

from bench.models.sequential import Sequential
from bench.micro._children import ran
from bench.micro._loop import Loop, counted
from bench.micro.costs import MicroChart, MicroCost, register
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile

CALL = register(MicroCost("call", operation="call", chart=MicroChart("per_op", "call of a function returning 1")))


@contextmanager
def calls(case, k):
    yield Loop(lambda: sum(ran() for _ in range(k)), counted(k, "call: calls that returned"), k)


class SequentialWithCall(Sequential):
    @classmethod
    def micro_hooks(cls):
        stated = super().micro_hooks()
        return MicroHooks({**stated.hooks, CALL: MicroLoop(calls, "a plain function call", PerProfile(quick=1_000))})
"""

SITECUSTOMIZE = """
import throwaway_micro
from bench.models import MODELS
MODELS["sequential"] = "throwaway_micro:SequentialWithCall"
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smoke run of sequential and threads on the throwaway micro-cost and spawn, with its report."""
    where = tmp_path_factory.mktemp("micro")
    (where / "throwaway_micro.py").write_text(MODULE)
    (where / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(p for p in (str(where), str(REPO), os.environ.get("PYTHONPATH")) if p)
    results = where / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "sequential,threads",
         "--workloads", "spawn,call", "--results", str(results)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (p.parent for p in results.glob("*/*/run.json"))
    return run


def _outcomes(run: Path, model: str) -> dict[str, dict[str, Any]]:
    cases = json.loads((run / "logs" / f"{model}.0.outcomes.json").read_text())
    return {case["id"]: case for case in cases}


def test_the_throwaway_micro_cost_is_planned_for_every_model_and_run_by_the_one_that_measures_it(
    run_dir: Path,
) -> None:
    assert _outcomes(run_dir, "sequential")["sequential-call"]["outcome"] == "passed"
    skipped = _outcomes(run_dir, "threads")["threads-call"]
    assert skipped["outcome"] == "skipped"
    assert skipped["reason"] == "threads's module gives no call hook"
    (call,) = [
        b
        for b in json.loads((run_dir / "sequential.0.json").read_text())["benchmarks"]
        if b["extra_info"]["micro"] == "call"
    ]
    assert call["group"] == "call (per call)"
    assert call["extra_info"]["mechanism"] == "a plain function call"
    assert call["extra_info"]["ops_per_round"] == 50  # quick 1000, smoke a twentieth


def test_the_manifest_records_what_the_report_needs_of_it(run_dir: Path) -> None:
    declared = json.loads((run_dir / "run.json").read_text())["micro_costs"]
    assert list(declared) == ["spawn", "call"]  # registry order: the throwaway comes last
    assert declared["call"]["operation"] == "call"
    assert declared["call"]["chart"] == "per_op"
    assert declared["call"]["chart_operation"] == "call of a function returning 1"
    assert declared["call"]["order"] > declared["spawn"]["order"]


def test_the_report_charts_it_from_its_declaration(run_dir: Path) -> None:
    report = run_dir / "report"
    index = (report / "index.md").read_text()
    assert "Cost of one `call` (call of a function returning 1), cheapest first: **sequential" in index
    assert "(call-cost.png)" in index and (report / "call-cost.png").is_file()
    assert index.index("### spawn") < index.index("### call")
    # The spawn chart still names its own operation, from the same section of run.json.
    assert "Cost of one `spawn` (task created and finished)" in index


def test_the_section_lists_the_selected_micro_costs_in_registry_order() -> None:
    section = micro_costs_section(["sleep", *reversed(MICRO_COSTS)])
    assert list(section) == list(MICRO_COSTS)
    assert [entry["order"] for entry in section.values()] == list(range(len(MICRO_COSTS)))
    assert micro_costs_section(["sleep", "cpu_spin"]) == {}
