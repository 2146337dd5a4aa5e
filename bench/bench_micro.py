"""Micro-cost benchmarks: every model x micro-cost (spawn, switch, ipc, memory).

Parametrised by ``bench.plugin``'s ``pytest_generate_tests`` from the session's
description (model, profile, selection: ``--workloads`` takes micro-cost names
too); run one model per interpreter through ``python -m bench``. A micro-cost a model cannot measure is
still a case, skipped with the reason.
"""

from __future__ import annotations

from bench.climb import Climb
from bench.micro import MicroCase
from bench.micro.measure import run_micro
from bench.profiles import Profile


def bench_micro(micro_case: MicroCase, benchmark: object, profile: Profile, climb: Climb | None) -> None:
    """Time K operations of one micro-cost per round on one model; every round is checked."""
    run_micro(micro_case, benchmark, profile, climb)
