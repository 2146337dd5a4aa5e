"""http_fetch: the local server, every client form, and servers we did not write."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.models.generators import run_generators
from bench.models.greenlet import Greenlet
from workloads import WrongAnswer, http_calibrate, http_fetch

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with http_fetch.local_server() as started:
        yield started.base


def params_for(base: str, n_tasks: int, latency_s: float = 0.0, body_bytes: int = 2048) -> dict[str, object]:
    url = http_fetch.local_url(base, latency_s, body_bytes)
    return {"url": url, "latency_s": latency_s, "body_bytes": body_bytes, "n_tasks": n_tasks}


def _connections(proc: psutil.Process) -> list[Any]:
    # psutil 6 renamed Process.connections to net_connections.
    method = getattr(proc, "net_connections", None) or proc.connections
    return list(method("tcp"))


def test_server_listens_on_loopback_only() -> None:
    with http_fetch.local_server(workers=2) as started:
        port = int(started.base.rsplit(":", 1)[1])
        processes = [psutil.Process(started.pid), *psutil.Process(started.pid).children(recursive=True)]
        listening = [c for p in processes for c in _connections(p) if c.status == psutil.CONN_LISTEN]
    assert len(listening) == 2  # one socket per worker, sharing the port
    assert {(c.laddr.ip, c.laddr.port) for c in listening} == {("127.0.0.1", port)}


def test_server_holds_1000_concurrent_requests(server: str) -> None:
    n_tasks = 1000
    params = params_for(server, n_tasks, body_bytes=4096)

    async def all_at_once() -> list[tuple[int, int]]:
        return list(await asyncio.gather(*(http_fetch.fetch_async(i, params) for i in range(n_tasks))))

    results = asyncio.run(all_at_once())
    http_fetch.check(results, n_tasks, params)
    assert all(result == (200, 4096) for result in results)


def new_child(before: set[int]) -> psutil.Process:
    children = [p for p in psutil.Process().children() if p.pid not in before]
    assert len(children) == 1
    return children[0]


def test_server_process_is_gone_after_its_session() -> None:
    before = {p.pid for p in psutil.Process().children()}
    with http_fetch.local_server(workers=2) as started:
        port = int(started.base.rsplit(":", 1)[1])
        server_proc = new_child(before)
        workers = server_proc.children()
        assert len(workers) == 2
    for proc in [server_proc, *workers]:
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    listening = [c for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port and c.status == "LISTEN"]
    assert listening == []


def test_server_stops_when_the_session_fails() -> None:
    before = {p.pid for p in psutil.Process().children()}
    with pytest.raises(RuntimeError, match="boom"), http_fetch.local_server():
        server_proc = new_child(before)
        raise RuntimeError("boom")
    assert not server_proc.is_running() or server_proc.status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("client", http_fetch.CLIENTS)
def test_blocking_form_checks_bytes(server: str, client: str) -> None:
    params = {**params_for(server, 3, latency_s=0.01, body_bytes=100), "client": client}
    results = [http_fetch.fetch_blocking(i, params) for i in range(3)]
    http_fetch.check(results, 3, params)
    with pytest.raises(WrongAnswer, match="expected 101"):
        http_fetch.check(results, 3, {**params, "body_bytes": 101})


def test_generator_form_overlaps_requests(server: str) -> None:
    n_tasks, latency_s = 20, 0.2
    params = params_for(server, n_tasks, latency_s=latency_s)
    start = time.perf_counter()
    results = run_generators([http_fetch.fetch_generator(i, params) for i in range(n_tasks)])
    elapsed = time.perf_counter() - start
    http_fetch.check(results, n_tasks, params)
    assert elapsed < n_tasks * latency_s / 2


def test_greenlet_hub_overlaps_requests(server: str) -> None:
    n_tasks, latency_s = 20, 0.2
    params = params_for(server, n_tasks, latency_s=latency_s)
    start = time.perf_counter()
    with Greenlet() as model:
        results = model.run(partial(http_fetch.fetch_generator, params=params), n_tasks)
    elapsed = time.perf_counter() - start
    http_fetch.check(results, n_tasks, params)
    assert elapsed < n_tasks * latency_s / 2


def test_unreachable_url_is_named() -> None:
    with pytest.raises(http_fetch.UnreachableURL, match=r"127\.0\.0\.1:1/"):
        http_calibrate.gate("http://127.0.0.1:1/")


def test_fetches_from_a_server_we_did_not_write(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "page.bin").write_bytes(b"z" * 12_345)
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(served)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
        port = int(line.split(" port ")[1].split()[0])
        url = f"http://127.0.0.1:{port}/page.bin"
        results = tmp_path / "results"
        proc = subprocess.run(
            [
                sys.executable, "-m", "bench", "--profile", "smoke", "--workloads", "http_fetch",
                "--backends", "threads,generators,asyncio", "--http-url", url, "--results", str(results), "--no-report",
            ],
            cwd=REPO, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for model in ("threads", "generators", "asyncio"):
        data = json.loads(next(results.glob(f"*/*/{model}.0.json")).read_text())
        infos = [b["extra_info"] for b in data["benchmarks"]]
        assert infos, model
        assert all(info["url"] == url and info["body_bytes"] == 12_345 for info in infos), infos
        assert {info["client"] for info in infos} == set(http_fetch.CLIENTS)
        assert all(info["server_cpu_s"] is None and info["server_cpu_reason"] for info in infos), infos
