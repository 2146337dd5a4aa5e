"""Profiles: the parameter grids, as data. ``smoke`` for CI, ``quick`` by default.

A case runs one warmup round (checked, untimed) when ``warmup`` is set, then as many
timed rounds as fit ``target_case_s``, within [``min_rounds``, ``max_rounds``]. A
case whose round is predicted to take longer than ``max_round_s`` (a sequential
model waiting N x T, say) is skipped with that reason instead of attempted.

A workload parameter given as a tuple is a grid axis: every case runs once per value
(http_fetch's ``client``: the minimal client, then the idiomatic library).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workloads.http_fetch import CLIENTS


@dataclass(frozen=True)
class Profile:
    """One parameter grid and its timing policy."""

    name: str
    n_tasks: tuple[int, ...]
    workloads: Mapping[str, Mapping[str, Any]]
    start_methods: tuple[str, ...]
    warmup: bool
    min_rounds: int
    max_rounds: int
    target_case_s: float
    max_round_s: float
    case_timeout_s: float
    session_timeout_s: float


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        n_tasks=(1, 10),
        workloads={
            "cpu_spin": {"work_units": 20_000},
            "sleep": {"sleep_s": 0.01},
            "http_fetch": {"latency_s": 0.01, "body_bytes": 1024, "client": CLIENTS},
        },
        start_methods=("fork",),
        warmup=False,
        min_rounds=1,
        max_rounds=1,
        target_case_s=0.0,
        max_round_s=5.0,
        case_timeout_s=60.0,
        session_timeout_s=120.0,
    ),
    "quick": Profile(
        name="quick",
        n_tasks=(1, 10, 100, 1000),
        workloads={
            "cpu_spin": {"work_units": 3_000_000},
            "sleep": {"sleep_s": 0.05},
            "http_fetch": {"latency_s": 0.05, "body_bytes": 16_384, "client": CLIENTS},
        },
        start_methods=("fork",),
        warmup=True,
        min_rounds=3,
        max_rounds=20,
        target_case_s=1.0,
        max_round_s=6.0,
        case_timeout_s=180.0,
        session_timeout_s=900.0,
    ),
    "full": Profile(
        name="full",
        n_tasks=(1, 10, 100, 1000, 10_000),
        workloads={
            "cpu_spin": {"work_units": 10_000_000},
            "sleep": {"sleep_s": 0.1},
            "http_fetch": {"latency_s": 0.05, "body_bytes": 65_536, "client": CLIENTS},
        },
        start_methods=("fork", "forkserver", "spawn"),
        warmup=True,
        min_rounds=5,
        max_rounds=50,
        target_case_s=5.0,
        max_round_s=30.0,
        case_timeout_s=600.0,
        session_timeout_s=5400.0,
    ),
}

DEFAULT_PROFILE = "quick"
