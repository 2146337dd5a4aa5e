"""A workload is one module plus one registry line: nothing in the runner, harness or profiles names it.

The throwaway workloads below live in a temporary directory. Their registry line
(``WORKLOADS[name] = ...``) runs in every interpreter of the run through a
``sitecustomize`` module on ``PYTHONPATH``, as the line in ``workloads/__init__.py``
would; the run then parses their option, starts their shared environment once,
calibrates them, and every session resolves their parameters from the facts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.description import write_description

REPO = Path(__file__).resolve().parent.parent

#: Two workloads sharing one environment (by key), an option, a calibration and an ideal.
MODULE = """
import os
from contextlib import contextmanager

from workloads.protocol import Option
from workloads import Environment, Workload, WrongAnswer

SCALE = Option("--throwaway-scale", "multiply every answer by this", metavar="K", parse=int)


@contextmanager
def _start(options):
    with open(os.environ["THROWAWAY_STARTS"], "a") as starts:
        starts.write(f"{os.getpid()}\\n")
    yield {"token": f"token-{os.getpid()}"}


SHARED = Environment("throwaway_environment", _start)


def resolve(params, context):
    return {**params, "token": context.facts["throwaway_environment"]["token"],
            "scale": context.options.get("throwaway_scale") or 1}


def task(i, params):
    return [params["token"], i * params["scale"]]


def check(results, n_tasks, params):
    if results != [[params["token"], i * params["scale"]] for i in range(n_tasks)]:
        raise WrongAnswer(f"throwaway: wrong answers {results[:2]}")


def make(name):
    return Workload(
        name=name, summary="returns its index, scaled, and the environment's token", blocking=task, check=check,
        params={"smoke": {"size": 1}, "quick": {"size": 2}, "full": {"size": 3}},
        options=(SCALE,), environment=lambda options: SHARED, resolve=resolve,
        calibrate=lambda params, context: {"one": 0.25 * params["size"]},
        ideal_s=lambda n_tasks, params, calibration: calibration.of(name)["one"],
    )


FIRST, SECOND = make("throwaway_a"), make("throwaway_b")
"""

#: The registry lines, run in every interpreter started with the directory on PYTHONPATH.
REGISTRY_LINES = """
from workloads import WORKLOADS
import throwaway_workloads
WORKLOADS["throwaway_a"] = throwaway_workloads.FIRST
WORKLOADS["throwaway_b"] = throwaway_workloads.SECOND
"""


@pytest.fixture
def registered(tmp_path: Path) -> dict[str, str]:
    """An environment whose interpreters have the throwaway workloads registered."""
    where = tmp_path / "registered"
    where.mkdir()
    (where / "throwaway_workloads.py").write_text(MODULE)
    (where / "sitecustomize.py").write_text(REGISTRY_LINES)
    path = os.pathsep.join(p for p in (str(where), str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "THROWAWAY_STARTS": str(tmp_path / "starts.txt")}


def _benchmarks(run: Path) -> list[dict[str, Any]]:
    return [b for f in sorted(run.glob("*.json")) if f.name not in ("run.json", "calibration.json")
            for b in json.loads(f.read_text())["benchmarks"]]  # fmt: skip


def test_a_registered_workload_runs_with_its_option_environment_and_calibration(
    tmp_path: Path, registered: dict[str, str]
) -> None:
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "sequential,threads",
         "--workloads", "throwaway_a,throwaway_b", "--throwaway-scale", "3", "--results", str(results), "--no-report"],
        cwd=REPO, env=registered, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (p.parent for p in results.glob("*/*/run.json"))
    # Both workloads name the same environment: the runner started it once, for the whole run.
    starts = (tmp_path / "starts.txt").read_text().split()
    assert len(starts) == 1, starts
    token = f"token-{starts[0]}"
    calibration = json.loads((run / "calibration.json").read_text())
    assert calibration["workloads"] == {"throwaway_a": {"one": 0.25}, "throwaway_b": {"one": 0.25}}
    cases = {(b["extra_info"]["backend"], b["extra_info"]["workload"], b["extra_info"]["n_tasks"]): b["extra_info"]
             for b in _benchmarks(run)}  # fmt: skip
    expected = {(m, w, n) for m in ("sequential", "threads") for w in ("throwaway_a", "throwaway_b") for n in (1, 10)}
    assert set(cases) == expected
    for info in cases.values():
        assert info["token"] == token and info["scale"] == 3 and info["size"] == 1
        assert info["ideal_s"] == pytest.approx(0.25)
    description = json.loads((run / "logs" / "threads.0.session.json").read_text())
    assert description["environment"] == {"throwaway_environment": {"token": token}}
    assert description["workload_options"]["throwaway_scale"] == 3


def test_a_session_run_alone_starts_the_environment_itself(tmp_path: Path, registered: dict[str, str]) -> None:
    session = write_description(
        tmp_path / "alone.session.json", "threads", "smoke", "throwaway_a", outcomes=str(tmp_path / "outcomes.json")
    )
    data = tmp_path / "threads.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.session", "--session", str(session), "--benchmark-json", str(data), "-q"],
        cwd=REPO, env=registered, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (start,) = (tmp_path / "starts.txt").read_text().split()
    benchmarks = json.loads(data.read_text())["benchmarks"]
    assert {b["extra_info"]["n_tasks"] for b in benchmarks} == {1, 10}
    assert all(b["extra_info"]["token"] == f"token-{start}" for b in benchmarks)
    # The session calibrated itself: the workload's own entries gave the ideal.
    assert all(b["extra_info"]["ideal_s"] == pytest.approx(0.25) for b in benchmarks)
    outcomes = json.loads((tmp_path / "outcomes.json").read_text())
    assert {o["outcome"] for o in outcomes} == {"passed"}
