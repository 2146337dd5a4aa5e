"""The capacity climb (the scale profile): where a model stops, and why, recorded as a result."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.climb import NOT_CLIMBED, STOPPED, Climb, Step, climb_key, failure_reason, parse_memory
from bench.profiles import PROFILES
from reports import capacity

REPO = Path(__file__).resolve().parent.parent


def test_the_scale_profile_climbs_in_steps_of_about_3x_to_100000() -> None:
    scale = PROFILES["scale"]
    assert scale.climb and scale.n_tasks[0] == 1000 and scale.n_tasks[-1] == 100_000
    ratios = [b / a for a, b in zip(scale.n_tasks, scale.n_tasks[1:], strict=False)]
    assert all(3 <= r <= 3.34 for r in ratios), ratios
    assert not PROFILES["quick"].climb


def test_a_step_after_a_stop_is_not_climbed_and_names_the_stop() -> None:
    climb = Climb(max_step_s=10.0, max_memory_bytes=2**30)
    assert climb.refusal("threads-sleep", 1000) is None
    reason = climb.stop("threads-sleep", 30_000, "RuntimeError: can't start new thread")
    assert reason == f"{STOPPED} 30000: RuntimeError: can't start new thread"
    later = climb.refusal("threads-sleep", 100_000)
    assert later is not None and later.startswith(f"{NOT_CLIMBED} 30000")
    assert climb.refusal("asyncio-sleep", 100_000) is None, "another climb goes on"


def test_a_limit_stops_the_climb_at_that_step() -> None:
    climb = Climb(max_step_s=10.0, max_memory_bytes=2**30)
    reason = climb.refusal("threads-http_fetch", 3000, limit="3000 descriptors exceed the open-files limit of 1024")
    assert reason is not None and reason.startswith(f"{STOPPED} 3000: 3000 descriptors")
    assert climb.stopped["threads-http_fetch"][0] == 3000


def test_a_step_predicted_past_the_time_or_memory_cap_is_not_started() -> None:
    climb = Climb(max_step_s=10.0, max_memory_bytes=100 * 2**20)
    climb.record("a", Step(1000, 2.0, 1 * 2**20))
    assert climb.refusal("a", 3000) is None, "6 s and 3 MiB fit"
    slow = climb.refusal("a", 10_000)
    assert slow is not None and "time cap" in slow and "20 s" in slow
    climb.record("b", Step(1000, 0.1, 20 * 2**20))
    big = climb.refusal("b", 10_000)
    assert big is not None and "memory cap" in big and "--max-memory" in big
    assert climb.refusal("c", 1000, predicted_s=60.0) is not None, "the calibration's prediction counts too"


def test_a_recycled_session_resumes_the_stops_its_predecessor_recorded() -> None:
    climb = Climb(max_step_s=10.0, max_memory_bytes=2**30)
    climb.resume(
        [
            {"id": "threads-sleep-n30000", "reason": f"{STOPPED} 30000: RuntimeError: can't start new thread"},
            {"id": "threads-sleep-n100000", "reason": f"{NOT_CLIMBED} 30000: RuntimeError: can't start new thread"},
            {"id": "asyncio-sleep-n1000", "reason": None},
        ]
    )
    assert climb.stopped == {"threads-sleep": (30000, "RuntimeError: can't start new thread")}
    assert climb_key("processes[fork]-http_fetch-minimal-n3000") == "processes[fork]-http_fetch-minimal"


def test_a_failure_reason_names_the_error_and_the_limits() -> None:
    text = failure_reason(
        RuntimeError("can't start new thread"),
        {"open_files_soft": 1024, "open_files_hard": 4096, "processes_soft": None},
    )
    assert text.startswith("RuntimeError: can't start new thread (open files 1024 (hard 4096), ulimit -u unlimited")


@pytest.mark.parametrize(("text", "expected"), [("12G", 12 * 2**30), ("512M", 512 * 2**20), ("2048k", 2 * 2**20)])
def test_memory_sizes_parse(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["0", "-5G", "lots", "10K", ""])
def test_a_bad_memory_size_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a memory size"):
        parse_memory(text)


@pytest.mark.parametrize(
    ("option", "value"), [("--max-memory", "lots"), ("--max-memory", "0"), ("--max-tasks", "0"), ("--max-tasks", "x")]
)
def test_bad_caps_exit_2_with_one_line(option: str, value: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "scale", option, value, "--results", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and option in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir()), "nothing is written for a bad option"


def test_capacity_reads_how_far_each_climb_went_and_why_it_stopped() -> None:
    frame = pd.DataFrame(
        {
            "backend": ["asyncio", "asyncio", "threads"],
            "label": ["asyncio", "asyncio", "threads"],
            "workload": ["sleep", "sleep", "sleep"],
            "n_tasks": [1000, 3000, 1000],
            "median": [1.02, 1.05, 1.4],
            "times_ideal": [1.02, 1.05, 1.4],
            "ideal_s": [1.0, 1.0, 1.0],
            "model_order": [5, 5, 1],
            "model_colour": ["#1", "#1", "#2"],
        }
    )
    manifest = {
        "backends": {
            "threads": {
                "cases": [
                    {"id": "threads-sleep-n1000", "workload": "sleep", "outcome": "passed", "reason": None},
                    {
                        "id": "threads-sleep-n3000",
                        "workload": "sleep",
                        "outcome": "skipped",
                        "reason": f"{STOPPED} 3000: RuntimeError: can't start new thread",
                    },
                ]
            }
        }
    }
    assert capacity.is_climb(frame, manifest)
    found = {c.label: c for c in capacity.climbs(frame, manifest)}
    assert found["asyncio"].reached == 3000 and found["asyncio"].stopped_at is None
    assert found["threads"].reached == 1000 and found["threads"].stopped_at == 3000
    (line,) = capacity.answer_lines(list(found.values()))
    assert "furthest asyncio (1.05x ideal), at 3,000 tasks" in line and "threads stopped at 3,000 (RuntimeError" in line
    assert "RuntimeError: can't start new thread" in capacity.table_markdown(list(found.values()), "sleep")
    assert not capacity.is_climb(frame.drop(columns=[]), {}), "a run without stops or step memory is no climb"


def _low_files(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def test_a_low_open_files_limit_and_a_memory_cap_stop_climbs_and_the_rest_goes_on(tmp_path: Path) -> None:
    """With 128 descriptors (hard: no session can raise it), http_fetch stops at 300 tasks with the open-files
    reason in every model; with a 1 MiB memory cap the memory climb of threads (about 16 KiB a task) stops at
    300 before it starts; the other climbs run, and the report says where each stopped."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "scale", "--models", "threads,asyncio",
         "--workloads", "http_fetch,memory", "--tasks", "10,300", "--max-memory", "1M", "--results", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400, check=False,
        preexec_fn=lambda: _low_files(128),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run,) = (p.parent for p in tmp_path.glob("*/*/run.json"))
    manifest = json.loads((run / "run.json").read_text())
    cases = {c["id"]: c for entry in manifest["backends"].values() for c in entry["cases"]}
    for model in ("threads", "asyncio"):
        assert cases[f"{model}-http_fetch-minimal-n10"]["outcome"] == "passed"
        stop = cases[f"{model}-http_fetch-minimal-n300"]
        assert stop["outcome"] == "skipped" and stop["reason"].startswith(f"{STOPPED} 300: "), stop
        assert "open-files limit of 128" in stop["reason"] and "EMFILE" in stop["reason"], stop
    memory_stop = cases["threads-memory-n300"]
    assert memory_stop["reason"].startswith(f"{STOPPED} 300: memory cap"), memory_stop
    assert cases["asyncio-memory-n300"]["outcome"] == "passed", "a climb under the cap goes on"
    assert manifest["options"]["max_memory_bytes"] == 2**20
    index = (run / "report" / "index.md").read_text()
    assert "## Capacity" in index and "memory cap" in index and (run / "report" / "capacity-http_fetch.png").exists()


@pytest.mark.parametrize("model", ["asyncio", "greenlet"])
def test_the_independent_memory_script_holds_and_releases_every_task(model: str) -> None:
    proc = subprocess.run(
        [sys.executable, "examples/hold_tasks.py", model, "2000"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    per_task = float(proc.stdout.split(" bytes per task")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert 100 < per_task < 100_000, proc.stdout
    bad = subprocess.run([sys.executable, "examples/hold_tasks.py", "threads", "10"], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=False)  # fmt: skip
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
