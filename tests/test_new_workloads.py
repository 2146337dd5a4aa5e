"""cpu_release, file_io and fetch_parse: their forms give the right answers, their checks catch wrong ones."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.harness import profile_params
from bench.profiles import PROFILES
from workloads import Calibration, WrongAnswer, cpu_release, fetch_parse, file_io, http_fetch
from workloads.json_document import document


def run_all(form: Any, n: int, params: dict[str, Any]) -> list[Any]:
    return [form(i, {**params, "n_tasks": n}) for i in range(n)]


# -- cpu_release -------------------------------------------------------------------


def test_cpu_release_answers_pass_their_check() -> None:
    params = {"total_bytes": 64 * 1024, "n_tasks": 7}
    cpu_release.check(run_all(cpu_release.digest, 7, params), 7, params)


def test_cpu_release_check_catches_a_wrong_digest() -> None:
    params = {"total_bytes": 64 * 1024, "n_tasks": 4}
    results = run_all(cpu_release.digest, 4, params)
    results[2] = results[1]
    with pytest.raises(WrongAnswer, match="task 2"):
        cpu_release.check(results, 4, params)


def test_cpu_release_check_catches_a_lost_task() -> None:
    params = {"total_bytes": 64 * 1024, "n_tasks": 4}
    with pytest.raises(WrongAnswer, match="3 results for 4 tasks"):
        cpu_release.check(run_all(cpu_release.digest, 4, params)[:3], 4, params)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_cpu_release_slices_are_large_enough_to_release_the_gil(profile: str) -> None:
    chosen = PROFILES[profile]
    total = profile_params(chosen, "cpu_release")["total_bytes"]
    assert total // max(chosen.n_tasks) > cpu_release.GIL_RELEASE_BYTES


@pytest.mark.parametrize(("n", "waves"), [(1, 1), (2, 1), (3, 2), (10, 5)])
def test_cpu_release_ideal_is_whole_waves_on_the_cores(n: int, waves: int) -> None:
    params = {"total_bytes": 1024}
    calibration = Calibration(cpu_count=2, entries={"cpu_release": {cpu_release.single_key(params): 1.0}})
    assert cpu_release.ideal_s(n, params, calibration) == pytest.approx(waves / n)


# -- file_io -----------------------------------------------------------------------


@pytest.fixture
def prepared_files() -> Iterator[dict[str, Any]]:
    params = {"file_bytes": 5000, "n_tasks": 5, "page_cache": file_io.PAGE_CACHE}
    with file_io.prepare(params) as extra:
        yield {**params, **extra}


def test_file_io_forms_read_their_own_files(prepared_files: dict[str, Any]) -> None:
    file_io.check(run_all(file_io.read, 5, prepared_files), 5, prepared_files)

    async def all_at_once() -> list[Any]:
        return list(await asyncio.gather(*(file_io.read_async(i, prepared_files) for i in range(5))))

    file_io.check(asyncio.run(all_at_once()), 5, prepared_files)


def test_file_io_check_catches_a_changed_file(prepared_files: dict[str, Any]) -> None:
    Path(file_io.path_of(prepared_files["directory"], 3)).write_bytes(b"y" * 5000)
    with pytest.raises(WrongAnswer, match="task 3"):
        file_io.check(run_all(file_io.read, 5, prepared_files), 5, prepared_files)


def test_file_io_check_catches_a_short_read(prepared_files: dict[str, Any]) -> None:
    results = run_all(file_io.read, 5, prepared_files)
    results[0] = (4999, results[0][1])
    with pytest.raises(WrongAnswer, match="task 0"):
        file_io.check(results, 5, prepared_files)


def test_file_io_directory_is_removed_after_the_case() -> None:
    with file_io.prepare({"file_bytes": 100, "n_tasks": 3}) as extra:
        directory = extra["directory"]
        assert sorted(os.listdir(directory)) == [os.path.basename(file_io.path_of(directory, i)) for i in range(3)]
    assert not os.path.exists(directory)


def test_file_io_has_no_generator_form() -> None:
    assert file_io.WORKLOAD.generator is None


# -- fetch_parse -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with http_fetch.local_server(workers=1) as started:
        yield started.base


def test_the_json_document_is_the_size_asked_for() -> None:
    for size in (1024, 16_384, 100_000):
        assert len(document(size)) == size


def test_fetch_parse_forms_get_the_documents_answer(server: str) -> None:
    params = {"latency_s": 0.0, "body_bytes": 4096, "url": fetch_parse.local_url(server, 0.0, 4096)}
    fetch_parse.check(run_all(fetch_parse.fetch_parse_blocking, 3, params), 3, params)

    async def all_at_once() -> list[Any]:
        return list(await asyncio.gather(*(fetch_parse.fetch_parse_async(i, params) for i in range(3))))

    fetch_parse.check(asyncio.run(all_at_once()), 3, params)


def test_fetch_parse_check_catches_a_wrong_total() -> None:
    params = {"body_bytes": 4096, "url": "http://127.0.0.1:1/"}
    items, total = fetch_parse.expected(4096)
    with pytest.raises(WrongAnswer, match="task 1"):
        fetch_parse.check([(200, items, total), (200, items, total + 1)], 2, params)


def test_fetch_parse_check_catches_a_bad_status() -> None:
    params = {"body_bytes": 4096, "url": "http://127.0.0.1:1/"}
    items, total = fetch_parse.expected(4096)
    with pytest.raises(WrongAnswer, match="HTTP 404"):
        fetch_parse.check([(404, items, total)], 1, params)


def test_fetch_parse_ideal_grows_with_the_parses_cpu() -> None:
    params = {"body_bytes": 4096, "url": "u"}
    calibration = Calibration(
        cpu_count=2,
        entries={
            "fetch_parse": {
                fetch_parse.parse_key(params): 0.001,
                "u": {"request_s": 0.05, "server_cpu_per_request_s": 0.001},
            }
        },
    )
    assert fetch_parse.ideal_s(1, params, calibration) == pytest.approx(0.051)
    # 1000 requests and parses of 2 ms of CPU on 2 cores: 1 s, far over one request.
    assert fetch_parse.ideal_s(1000, params, calibration) == pytest.approx(1.0)
