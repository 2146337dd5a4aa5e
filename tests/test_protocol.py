"""What the run hands a workload through the protocol, and the registry that loads workloads on first read."""

from __future__ import annotations

import pytest

from bench import calibrate
from workloads import Registry, RunContext, Workload, cpu_spin
from workloads.protocol import WrongAnswer


def test_a_fresh_calibration_times_through_what_the_run_hands_in() -> None:
    calls: list[tuple[str, int]] = []

    def fresh_measure(workload: str, size: int) -> float:
        calls.append((workload, size))
        return 0.25

    assert cpu_spin.WORKLOAD.calibrate is not None
    found = cpu_spin.WORKLOAD.calibrate({"work_units": 1000}, RunContext(fresh_measure=fresh_measure))
    assert calls == [("cpu_spin", 1000)]
    assert found == {cpu_spin.single_key({"work_units": 1000}): 0.25}


def test_outside_calibration_there_is_no_fresh_interpreter_to_time_in() -> None:
    assert cpu_spin.WORKLOAD.calibrate is not None
    with pytest.raises(RuntimeError, match="cpu_spin"):
        cpu_spin.WORKLOAD.calibrate({"work_units": 1000}, RunContext())


def test_the_run_calibrates_with_its_fresh_interpreter_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calibrate, "fresh_measure", lambda workload, size: float(size) / 1e6)
    found = calibrate.calibrate("smoke", ["cpu_spin"], RunContext())
    units = cpu_spin.WORKLOAD.profile_params("smoke")["work_units"]
    assert found.of("cpu_spin") == {cpu_spin.single_key({"work_units": units}): units / 1e6}


def _workload(name: str) -> Workload:
    def check(results: list[object], n_tasks: int, params: object) -> None:
        if len(results) != n_tasks:
            raise WrongAnswer(name)

    return Workload(name=name, summary=name, blocking=lambda i, params: i, check=check)


def test_the_registry_keeps_its_order_and_loads_a_workload_once() -> None:
    registry = Registry({"sleep": "workloads.sleep:WORKLOAD", "cpu_spin": "workloads.cpu_spin:WORKLOAD"})
    registry["mine"] = _workload("mine")
    assert list(registry) == ["sleep", "cpu_spin", "mine"]
    assert registry["cpu_spin"] is registry["cpu_spin"] is cpu_spin.WORKLOAD
    del registry["sleep"]
    assert list(registry) == ["cpu_spin", "mine"]
    assert registry.get("sleep") is None


def test_a_registry_line_that_names_another_workload_is_refused() -> None:
    registry = Registry({"sleep": "workloads.cpu_spin:WORKLOAD"})
    with pytest.raises(TypeError, match="is not the Workload named 'sleep'"):
        registry["sleep"]
