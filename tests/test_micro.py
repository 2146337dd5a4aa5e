"""Tests of the micro-cost loops: right answers, caught corruption, nothing left behind.

No speed targets here: every assertion is about behaviour (counts, checksums, tallies,
positive memory figures, cleanup), with sizes small enough to keep the file fast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench import bare_loops
from bench.description import write_description
from bench.micro import (
    MICROS,
    PLACED_PAYLOAD,
    MicroCase,
    default_start_method,
    hooks,
    ipc,
    micro_cases,
)
from bench.micro._children import ran
from bench.micro._loop import Loop, WrongAnswer, counted, nothing_left_behind
from bench.micro.costs import IPC, SPAWN, SWITCH
from bench.micro.hooks import (
    IpcChannel,
    MemoryHook,
    MicroHooks,
    MicroLoop,
    PerProfile,
    Skip,
    hook_for,
    hooks_of,
)
from bench.micro.measure import run_micro
from bench.micro.plan import open_loop, ops_per_round, why_not
from bench.micro.sizes import SIZES, sizes_for
from bench.models import MODELS, Model, generators, threads
from bench.models import asyncio as asyncio_model
from bench.models import greenlet as greenlet_model
from bench.models.processes import _ipc as processes_ipc
from bench.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[1]
FORK = "fork" if "fork" in multiprocessing.get_all_start_methods() else default_start_method()
PROCESS_CHANNELS = ("queue", "pipe", "shared_memory")


def _flip_middle_byte(payload: bytes) -> bytes:
    middle = len(payload) // 2
    return payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1 :]


def _run_rounds(loop: Loop, rounds: int = 2) -> None:
    for _ in range(rounds):
        loop.check(loop.round())


def _no_children_left() -> None:
    assert multiprocessing.active_children() == []
    with nothing_left_behind("the test"):
        pass


class FakeBenchmark:
    """Just enough of pytest-benchmark's fixture for ``run_micro``: pedantic with setup and teardown."""

    def __init__(self) -> None:
        self.group: str | None = None
        self.extra_info: dict[str, Any] = {}
        self.rounds_run = 0

    def pedantic(
        self,
        target: Callable[[], None],
        setup: Callable[[], None],
        teardown: Callable[[], None],
        rounds: int,
        warmup_rounds: int,
        iterations: int,
    ) -> None:
        for _ in range(warmup_rounds + rounds):
            setup()
            target()
            teardown()
            self.rounds_run += 1


# -- the hooks: every model states a loop or a reason --------------------------------


def _loop_of(case: MicroCase) -> Any:
    """The loop factory ``case`` runs, as its model's module states it (not a skip)."""
    hook = hook_for(case)
    assert not isinstance(hook, (Skip, MemoryHook)), hook
    return hook.loop


def _open_channel(case: MicroCase, messages: int, tamper: ipc.Tamper | None = None) -> Any:
    """The ipc channel loop of ``case``, with ``tamper`` altering what is sent."""
    return _loop_of(case)(case, messages, tamper=tamper)


@pytest.mark.parametrize("micro", MICROS)
def test_every_model_has_a_loop_or_a_reason(micro: str) -> None:
    for model in MODELS:
        cases = [case for case in micro_cases(PROFILES["quick"], model, [micro]) if case.micro == micro]
        assert cases, model
        for case in cases:
            hook = hook_for(case)
            if isinstance(hook, Skip):
                assert hook.reason.strip() and why_not(case) == hook.reason, case.id
            else:
                assert hook.mechanism.strip(), case.id
                assert isinstance(hook, MemoryHook) == (micro == "memory"), case.id


class Hookless(Model):
    """A model whose module states no micro-cost hooks at all."""

    name = "hookless"


class SpawnOnly(Model):
    """A model that states a spawn loop, its own reason for switch, and nothing else."""

    name = "spawn_only"

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(_spawn_calls, "a plain call", PerProfile(quick=400), {"big": PerProfile(quick=4_000)}),
                SWITCH: Skip("spawn_only tasks never wait for each other"),
            }
        )


@contextmanager
def _spawn_calls(case: MicroCase, k: int) -> Iterator[Loop]:
    yield Loop(lambda: sum(ran() for _ in range(k)), counted(k, "calls"), k)


@pytest.fixture
def toy_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register :class:`Hookless` and :class:`SpawnOnly` as models for the test."""
    monkeypatch.setitem(MODELS, "hookless", f"{__name__}:Hookless")
    monkeypatch.setitem(MODELS, "spawn_only", f"{__name__}:SpawnOnly")
    hooks_of.cache_clear()
    yield
    hooks_of.cache_clear()


def test_a_model_that_states_no_hooks_gets_skipped_cases_naming_it(toy_models: None) -> None:
    cases = micro_cases(PROFILES["quick"], "hookless", list(MICROS))
    assert [case.id for case in cases] == ["hookless-spawn", "hookless-switch", "hookless-ipc", "hookless-memory"]
    for case in cases:
        assert why_not(case) == f"hookless's module gives no {case.micro} hook"
        with pytest.raises(pytest.skip.Exception, match=f"hookless's module gives no {case.micro} hook"):
            run_micro(case, FakeBenchmark(), PROFILES["smoke"])


def test_a_model_states_its_loop_and_its_reasons_in_its_own_module(toy_models: None) -> None:
    spawn, switch_case, ipc_case, memory_case = micro_cases(PROFILES["smoke"], "spawn_only", list(MICROS))
    assert why_not(switch_case) == "spawn_only tasks never wait for each other"
    assert why_not(ipc_case) == "spawn_only's module gives no ipc hook"
    assert memory_case.n_tasks is None and why_not(memory_case) == "spawn_only's module gives no memory hook"
    assert why_not(spawn) is None
    benchmark = FakeBenchmark()
    run_micro(spawn, benchmark, PROFILES["smoke"])
    assert benchmark.extra_info["mechanism"] == "a plain call"
    assert benchmark.extra_info["ops_per_round"] == 20  # quick 400, smoke a twentieth
    assert ops_per_round(MicroCase("spawn_only", "big", "spawn"), sizes_for("quick")) == 4_000


def test_sizes_default_from_quick_and_may_be_stated_per_profile() -> None:
    assert [PerProfile(quick=400).of(p) for p in ("smoke", "quick", "full")] == [20, 400, 400]
    assert PerProfile(quick=10).of("smoke") == 1  # never an empty round
    assert [PerProfile(quick=20, smoke=4, full=200).of(p) for p in ("smoke", "quick", "full")] == [4, 20, 200]
    with pytest.raises(KeyError, match="smoke, quick, full"):
        PerProfile(quick=10).of("huge")


def test_an_unknown_ipc_channel_is_a_skip_naming_the_channels_the_model_gives() -> None:
    reason = why_not(MicroCase("threads", None, "ipc", payload_bytes=64, channel="carrier_pigeon"))
    assert reason and "carrier_pigeon" in reason and "thread_queue" in reason


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_model_gets_a_case_of_every_micro_with_a_size(profile: str) -> None:
    sizes = sizes_for(profile)
    for model in MODELS:
        cases = micro_cases(PROFILES[profile], model, list(MICROS))
        assert {case.micro for case in cases} == set(MICROS)
        assert len({case.id for case in cases}) == len(cases)
        for case in cases:
            if why_not(case) is None:
                ops = ops_per_round(case, sizes)
                assert ops > 0
                assert case.micro != "switch" or ops % 2 == 0


def test_processes_cases_carry_start_methods_and_ipc_channels() -> None:
    cases = micro_cases(PROFILES["quick"], "processes", list(MICROS))
    spawn_methods = {case.variant for case in cases if case.micro == "spawn"}
    assert FORK in spawn_methods and len(spawn_methods) >= 2
    ipc_cases = [case for case in cases if case.micro == "ipc"]
    assert {case.channel for case in ipc_cases} == set(PROCESS_CHANNELS)
    unpinned = [case for case in ipc_cases if case.placement == "os"]
    assert len(unpinned) == len(PROCESS_CHANNELS) * len(SIZES["quick"].payloads)
    pinned = {(case.channel, case.placement, case.payload_bytes) for case in ipc_cases if case.placement != "os"}
    assert pinned == {
        (channel, placement, PLACED_PAYLOAD)
        for channel in PROCESS_CHANNELS
        for placement in ("same-core", "cross-core")
    }


def test_a_profile_without_sizes_is_an_error_that_names_the_table() -> None:
    with pytest.raises(KeyError, match=r"bench/micro/sizes\.py"):
        sizes_for("nonexistent")


# -- spawn and switch: right counts and checksums -------------------------------------

IN_PROCESS = ["sequential", "generators", "greenlet", "asyncio", "threads", "thread_pool"]


@pytest.mark.parametrize("model", IN_PROCESS)
def test_spawn_loops_count_every_task(model: str) -> None:
    case = MicroCase(model, None, "spawn")
    with nothing_left_behind("spawn"), _loop_of(case)(case, 50) as loop:
        assert loop.ops_per_round == 50
        assert loop.round() == 50
        loop.check(50)
        with pytest.raises(WrongAnswer):
            loop.check(49)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("model", ["process_pool", "processes"])
def test_spawn_loops_of_process_models_count_every_task(model: str) -> None:
    variant = FORK if model == "processes" else None
    case = MicroCase(model, variant, "spawn")
    with nothing_left_behind("spawn"), _loop_of(case)(case, 3) as loop:
        assert loop.round() == 3
    _no_children_left()


def test_producer_consumer_and_greenlet_ping_pong_pass_every_value() -> None:
    assert generators.produce(1000) == sum(range(1000))
    assert greenlet_model.ping_pong_greenlets(1000) == sum(range(1000))
    assert asyncio.run(asyncio_model.ping_pong_tasks(1000)) == sum(range(1000))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("model", ["generators", "greenlet", "asyncio", "threads", "processes"])
def test_switch_loops_check_their_checksum(model: str) -> None:
    case = MicroCase(model, FORK if model == "processes" else None, "switch")
    with nothing_left_behind("switch"), _loop_of(case)(case, 201) as loop:
        assert loop.ops_per_round == 200  # whole round trips only
        answer = loop.round()
        assert answer == sum(range(100))
        loop.check(answer)
        with pytest.raises(WrongAnswer):
            loop.check(answer - 1)
    _no_children_left()


# -- ipc: bytes arrive intact, corruption fails the case ------------------------------

CHANNEL_CASES = [("processes", channel) for channel in PROCESS_CHANNELS] + [("threads", "thread_queue")]


def _ipc_case(model: str, channel: str, size: int) -> MicroCase:
    variant = FORK if model == "processes" else None
    return MicroCase(model, variant, "ipc", payload_bytes=size, channel=channel)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("model", "channel"), CHANNEL_CASES)
def test_ipc_channels_deliver_every_byte(model: str, channel: str) -> None:
    for size in (64, 65536):
        case = _ipc_case(model, channel, size)
        with nothing_left_behind(case.id), _open_channel(case, 20) as loop:
            answer = loop.round()
            assert answer == (20, 20 * size)
            _run_rounds(loop)
    _no_children_left()


def _truncate(payload: bytes) -> bytes:
    return payload[:-1]


# A shared-memory slot always holds a whole payload: there is nothing to truncate.
TAMPER_CASES = [
    (model, channel, tamper)
    for model, channel in CHANNEL_CASES
    for tamper in (_flip_middle_byte, _truncate)
    if not (channel == "shared_memory" and tamper is _truncate)
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("model", "channel", "tamper"), TAMPER_CASES)
def test_ipc_corrupted_payloads_fail_the_check(model: str, channel: str, tamper: ipc.Tamper) -> None:
    case = _ipc_case(model, channel, 4096)
    with pytest.raises(WrongAnswer, match="arrived altered"), _open_channel(case, 10, tamper=tamper) as loop:
        loop.check(loop.round())
    _no_children_left()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("channel", PROCESS_CHANNELS)
def test_a_receiver_that_dies_fails_the_case_and_leaves_nothing(channel: str) -> None:
    threads_before = threading.active_count()
    with pytest.raises((EOFError, OSError)), _open_channel(_ipc_case("processes", channel, 2**20), 20) as loop:
        loop.check(loop.round())
        for receiver in multiprocessing.active_children():
            receiver.kill()
            receiver.join()
        loop.round()  # 20 MiB cannot fit any pipe buffer: the sender must notice the receiver is gone
    _no_children_left()
    assert threading.active_count() == threads_before


@pytest.mark.timeout(60)
def test_a_corrupted_ipc_case_fails_under_the_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    def tampered(case: MicroCase, messages: int) -> Any:
        return processes_ipc.pipe_channel(case, messages, tamper=_flip_middle_byte)

    real = hooks_of("processes")
    pipe = IpcChannel("pipe", tampered, "a tampered pipe", processes_ipc.MESSAGES)
    tampered_hooks = dataclasses.replace(real, hooks={**real.hooks, IPC: (pipe,)})
    monkeypatch.setattr(hooks, "hooks_of", lambda model: tampered_hooks)
    benchmark = FakeBenchmark()
    with pytest.raises(WrongAnswer):
        run_micro(_ipc_case("processes", "pipe", 64), benchmark, PROFILES["smoke"])
    _no_children_left()


@pytest.mark.timeout(60)
def test_run_micro_records_the_contract_keys() -> None:
    benchmark = FakeBenchmark()
    run_micro(_ipc_case("threads", "thread_queue", 4096), benchmark, PROFILES["smoke"])
    info = benchmark.extra_info
    for key in ("backend", "variant", "micro", "n_tasks", "ideal_s", "profile", "ops_per_round", "channel"):
        assert key in info
    assert info["payload_bytes"] == 4096 and info["ideal_s"] is None and info["ops_per_round"] > 0
    assert benchmark.group and "ipc" in benchmark.group
    assert benchmark.rounds_run == SIZES["smoke"].rounds + SIZES["smoke"].warmup_rounds
    # One machine-speed reading per timed round, none for the warmup rounds.
    assert len(info["canary_s"]) == SIZES["smoke"].rounds
    assert all(0 < c < 1 for c in info["canary_s"])


def test_skipped_micro_cases_skip_with_their_reason() -> None:
    with pytest.raises(pytest.skip.Exception, match="no second live task"):
        run_micro(MicroCase("sequential", None, "switch"), FakeBenchmark(), PROFILES["smoke"])


# -- memory: a positive figure, every held task released ------------------------------


def test_greenlet_memory_is_positive_and_every_greenlet_is_released() -> None:
    case = MicroCase("greenlet", None, "memory", n_tasks=2000)
    with open_loop(case, sizes_for("smoke")) as loop:
        assert loop.recorded["bytes_per_task"] > 0
        held = loop.round()
        assert len(held) == 2000 and not any(task.dead for task in held)
        loop.check(held)
        assert all(task.dead for task in held)


@pytest.mark.parametrize("model", ["generators", "asyncio", "threads"])
def test_memory_loops_hold_and_release_every_task(model: str) -> None:
    case = MicroCase(model, None, "memory", n_tasks=50)
    with open_loop(case, sizes_for("smoke")) as loop:
        assert isinstance(loop.recorded["bytes_per_task"], float)
        _run_rounds(loop)


@pytest.mark.timeout(60)
def test_process_memory_is_the_childrens_uss_and_they_all_exit() -> None:
    case = MicroCase("processes", FORK, "memory", n_tasks=3)
    with open_loop(case, sizes_for("smoke")) as loop:
        assert loop.recorded["bytes_per_task"] > 0
        held = loop.round()
        assert len(held.processes) == 3 and all(proc.is_alive() for proc in held.processes)
        loop.check(held)
    _no_children_left()


def test_thread_limit_refuses_what_no_machine_holds() -> None:
    assert threads.thread_limit(10) is None
    reason = threads.thread_limit(10**9)
    assert reason and "threads" in reason


# -- the guard against leftovers -----------------------------------------------------


def test_a_thread_left_running_fails_the_case() -> None:
    release = threading.Event()
    leaked = threading.Thread(target=release.wait, args=(30,), daemon=True)
    try:
        with pytest.raises(RuntimeError, match="left 1 thread"), nothing_left_behind("a leaky case"):
            leaked.start()
    finally:
        release.set()
        leaked.join(30)


# -- bare loops ----------------------------------------------------------------------


def test_bare_loop_times_the_same_round() -> None:
    row = bare_loops.time_case(MicroCase("greenlet", None, "switch"), "smoke")
    stated = hook_for(MicroCase("greenlet", None, "switch"))
    assert isinstance(stated, MicroLoop) and row["ops_per_round"] == stated.ops_per_round("smoke", None)
    assert 0 < row["min_per_op_s"] <= row["per_op_s"]
    skipped = bare_loops.time_case(MicroCase("greenlet", None, "ipc"), "smoke")
    assert skipped["skipped"]


def test_comparison_flags_rows_beyond_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    common = {"backend": "threads", "variant": None, "channel": None, "payload_bytes": None, "n_tasks": None}
    bare = [
        {**common, "micro": "spawn", "per_op_s": 1.0, "min_per_op_s": 1.0},
        {**common, "micro": "switch", "per_op_s": 1.0, "min_per_op_s": 1.0},
    ]
    harness = [
        {**common, "micro": "spawn", "per_op_s": 1.05, "min_per_op_s": 1.05},
        {**common, "micro": "switch", "per_op_s": 1.3, "min_per_op_s": 1.3},
    ]
    assert bare_loops.print_comparison(bare, harness, threshold=15) == 1
    out = capsys.readouterr().out
    assert "+30.0%" in out and out.count("beyond 15%") == 1


def test_bare_loops_refuse_a_missing_run_dir(tmp_path: Path) -> None:
    assert bare_loops.main(["--compare", str(tmp_path / "missing")]) == 2


# -- end to end: a session per model, every micro passed or skipped with a reason ----


@pytest.fixture(scope="module")
def smoke_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, list[Any], Any]]]:
    out = tmp_path_factory.mktemp("micro-sessions")
    results: dict[str, tuple[int, list[Any], Any]] = {}
    for model in ("processes", "threads", "gevent"):
        outcomes, data = out / f"{model}.outcomes.json", out / f"{model}.json"
        session = write_description(
            out / f"{model}.session.json", model, "smoke", list(MICROS), outcomes=str(outcomes), case_timeout_s=120
        )
        done = subprocess.run(
            [sys.executable, "-m", "bench.session", "--session", str(session), "--benchmark-json", str(data), "-q"],
            cwd=ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        results[model] = (done.returncode, json.loads(outcomes.read_text()), json.loads(data.read_text()))
    yield results


@pytest.mark.timeout(300)
@pytest.mark.parametrize("model", ["processes", "threads", "gevent"])
def test_a_smoke_session_runs_or_skips_every_micro_with_a_reason(
    smoke_sessions: dict[str, tuple[int, list[Any], Any]], model: str
) -> None:
    _, outcomes, data = smoke_sessions[model]
    micro = [entry for entry in outcomes if entry.get("micro")]
    assert {entry["micro"] for entry in micro} == set(MICROS)
    for entry in micro:
        assert entry["outcome"] in ("passed", "skipped"), entry
        if entry["outcome"] == "skipped":
            assert entry["reason"] and entry["reason"].strip()
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        assert info["backend"] == model and info["ops_per_round"] > 0 and info["ideal_s"] is None
        assert info["micro"] != "memory" or info["bytes_per_task"] is not None
        assert model != "processes" or info["start_method"] == info["variant"]
