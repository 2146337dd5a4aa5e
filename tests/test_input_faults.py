"""What a user types that the tool must take as text: make variables and a dask scheduler's address.

The Makefile is run for real, with a stand-in interpreter that records the arguments
it is given; `python -m bench` is run for real against a refused port and against a
TCP server that accepts and never answers (`tests._hostile`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.models import unavailable
from tests._hostile import hostile_server

REPO = Path(__file__).resolve().parent.parent


def _fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A venv whose python records its arguments, one per line; return (venv, the record)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    argv_file = tmp_path / "argv.txt"
    fake = venv / "bin" / "python"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{argv_file}"\n')
    fake.chmod(0o755)
    (venv / ".installed").touch()
    return venv, argv_file


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("target", "variable", "value"),
    [
        ("bench", "WORKLOADS", "$(touch {marker})"),
        ("bench", "RESULTS", "results$(shell touch {marker})x"),
        ("bench", "BACKENDS", "threads`touch {marker}`"),
        ("bench", "WORKLOADS", "sleep\n$(touch {marker})"),
        ("compare", "RUNS", "a ${{shell touch {marker}}}"),
    ],
    ids=["command-substitution", "make-shell", "backtick", "newline", "make-brace"],
)
def test_make_refuses_a_value_holding_a_command_in_one_line_and_runs_nothing(
    tmp_path: Path, target: str, variable: str, value: str
) -> None:
    venv, argv_file = _fake_venv(tmp_path)
    marker = tmp_path / "ran"
    proc = _make(target, f"VENV={venv}", f"{variable}={value.format(marker=marker)}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and variable in proc.stderr, proc.stderr
    assert not marker.exists(), "a command in a value was run"
    assert not argv_file.exists(), "the tool was started with a value it should have refused"


def test_make_passes_dollar_signs_and_escaped_commas_as_written(tmp_path: Path) -> None:
    venv, argv_file = _fake_venv(tmp_path)
    workloads = "my$x.py,dir\\,1/w$$.py"
    proc = _make("bench", f"VENV={venv}", f"WORKLOADS={workloads}", "MODELS=threads")
    assert proc.returncode == 0, proc.stderr
    argv = argv_file.read_text().splitlines()
    assert argv[argv.index("--workloads") + 1] == workloads


# --- a dask scheduler that is not one -----------------------------------------------------


def _bench_with_scheduler(tmp_path: Path, address: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "dask", "--workloads", "sleep",
         "--results", str(tmp_path / "results"), "--dask-scheduler", address],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return proc, time.monotonic() - start


@pytest.mark.skipif(unavailable("dask") is not None, reason="dask.distributed is not installed")
@pytest.mark.parametrize(
    ("address", "what"),
    [
        ("not a url;$(id)", "not a dask scheduler address"),
        ("http://127.0.0.1:1", "not a dask scheduler address"),
        ("tcp://127.0.0.1:1", "refused"),
        ("silent", "no answer"),
    ],
    ids=["garbage", "http", "refused", "silent"],
)
def test_a_dask_scheduler_that_is_not_one_is_one_line_within_seconds(tmp_path: Path, address: str, what: str) -> None:
    if address == "silent":
        with hostile_server(None) as url:
            proc, took = _bench_with_scheduler(tmp_path, url.replace("http://", "tcp://"))
    else:
        proc, took = _bench_with_scheduler(tmp_path, address)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert what in proc.stderr, proc.stderr
    assert took < 60, "the handshake is bounded to 5 s"
    assert not (tmp_path / "results").exists()
