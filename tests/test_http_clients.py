"""http_fetch's two clients: the minimal client's parser and forms, the idiomatic
libraries, the server's CPU, the ideal as a bound, and the gate against bad servers."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop

from bench.models._reactor import Reactor
from bench.models.generators import run_generators
from bench.models.greenlet import Greenlet
from tests._hostile import CHUNKED, CLOSE_DELIMITED, MID_BODY_CLOSE, NOT_HTTP, REDIRECT, hostile_server
from workloads import Calibration, WrongAnswer, http_calibrate, http_fetch
from workloads._base import Readable, Sleep, drive
from workloads.http_client import (
    BadResponse,
    RequestTimeout,
    ResponseParser,
    exchange_async,
    exchange_blocking,
    exchange_generator,
    parse_response,
)
from workloads.server_cpu import RoundMeter, ServerCpu

REPO = Path(__file__).resolve().parent.parent
BODY = 20_000


@pytest.fixture(scope="module")
def server() -> Iterator[http_fetch.LocalServer]:
    with http_fetch.local_server(workers=2) as started:
        yield started


def feed_in_pieces(raw: bytes, size: int) -> ResponseParser:
    parser = ResponseParser()
    for start in range(0, len(raw), size):
        if parser.feed(raw[start : start + size]):
            break
    else:
        parser.eof()
    return parser


# -- the parser ------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_parser_stops_at_content_length_whatever_the_pieces(piece: int) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
    parser = ResponseParser()
    done_at = [i for i in range(0, len(raw), piece) if parser.feed(raw[i : i + piece])]
    assert done_at, "the parser never said the response was complete"
    assert done_at[0] + piece >= len(raw)  # complete only once the last byte arrived
    assert parser.response().body == b"hello world"


@pytest.mark.parametrize("piece", [1, 3, 4096])
def test_parser_decodes_chunked_bodies_with_extensions_and_trailers(piece: int) -> None:
    response = feed_in_pieces(CHUNKED, piece).response()
    assert response.status == 200
    assert response.body == b"hello world"


def test_parser_reads_a_close_delimited_body_until_eof() -> None:
    parser = ResponseParser()
    assert not parser.feed(CLOSE_DELIMITED)  # no length given: only EOF ends it
    parser.eof()
    assert parser.response().body == b"z" * 3000


def test_short_body_is_a_wrong_answer() -> None:
    with pytest.raises(WrongAnswer, match="Content-Length 100"):
        parse_response(MID_BODY_CLOSE)


def test_chunked_body_cut_short_is_a_wrong_answer() -> None:
    with pytest.raises(WrongAnswer, match="chunked"):
        parse_response(CHUNKED[: CHUNKED.index(b"6\r\n world")])


@pytest.mark.parametrize("raw", [NOT_HTTP, b"HTTP/1.1 2x0 OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n"])
def test_bytes_that_are_not_http_are_a_bad_response(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_response(raw)


# -- the same bytes from every client --------------------------------------------


def test_every_client_and_form_gets_the_same_bytes(server: http_fetch.LocalServer) -> None:
    url = http_fetch.local_url(server.base, 0.0, BODY)
    bodies: dict[str, bytes] = {}
    bodies["minimal, blocking"] = exchange_blocking(url, 10).body
    bodies["minimal, generator"] = run_generators([exchange_generator(url, 10)])[0].body
    with Greenlet() as hub:
        bodies["minimal, greenlet hub"] = hub.run(lambda i: exchange_generator(url, 10), 1)[0].body
    bodies["minimal, asyncio"] = asyncio.run(exchange_async(url, 10)).body
    bodies["minimal, uvloop"] = uvloop.run(exchange_async(url, 10)).body
    bodies["urlopen"] = http_fetch.urlopen_get(url, 10)[1]

    async def with_aiohttp() -> bytes:
        return (await http_fetch.aiohttp_get(url, 10))[1]

    loop = asyncio.new_event_loop()
    try:
        bodies["aiohttp"] = loop.run_until_complete(with_aiohttp())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    assert len(bodies["urlopen"]) == BODY
    assert {name: body == bodies["urlopen"] for name, body in bodies.items()} == dict.fromkeys(bodies, True)


@pytest.mark.parametrize("client", http_fetch.CLIENTS)
def test_both_clients_pass_the_check_in_every_form(server: http_fetch.LocalServer, client: str) -> None:
    params = {"url": http_fetch.local_url(server.base, 0.0, BODY), "body_bytes": BODY, "client": client}
    results = [http_fetch.fetch_blocking(0, params)]
    results.append(run_generators([http_fetch.fetch_generator(1, params)])[0])
    loop = asyncio.new_event_loop()
    try:
        results.append(loop.run_until_complete(http_fetch.fetch_async(2, params)))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    http_fetch.check(results, 3, params)


def test_a_loops_aiohttp_session_closes_with_the_loop(server: http_fetch.LocalServer) -> None:
    url = http_fetch.local_url(server.base, 0.0, 10)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(http_fetch.aiohttp_get(url, 10))
    session = http_fetch._SESSIONS[loop][1]
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    assert session.closed
    assert loop not in http_fetch._SESSIONS


def test_generator_form_records_that_it_has_no_library_of_its_own() -> None:
    from workloads import Form

    for client in http_fetch.CLIENTS:
        assert "minimal" in http_fetch.describe(Form.GENERATOR, {"client": client})["http_library"]
    assert http_fetch.describe(Form.BLOCKING, {"client": "idiomatic"})["http_library"] == "urllib.request.urlopen"
    assert http_fetch.describe(Form.COROUTINE, {"client": "idiomatic"})["http_library"] == "aiohttp.ClientSession"


# -- a hung server costs one request's timeout, in every form ---------------------


def _hung_forms(url: str, timeout_s: float) -> dict[str, Any]:
    async def aiohttp_once() -> Any:
        return await http_fetch.aiohttp_get(url, timeout_s)

    def on_loop(make: Any) -> Any:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(make())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def on_hub() -> Any:
        with Greenlet() as hub:
            return hub.run(lambda i: exchange_generator(url, timeout_s), 1)

    return {
        "minimal, blocking": lambda: exchange_blocking(url, timeout_s),
        "minimal, generator": lambda: run_generators([exchange_generator(url, timeout_s)]),
        "minimal, greenlet hub": on_hub,
        "minimal, asyncio": lambda: asyncio.run(exchange_async(url, timeout_s)),
        "urlopen": lambda: http_fetch.urlopen_get(url, timeout_s),
        "aiohttp": lambda: on_loop(aiohttp_once),
    }


@pytest.mark.parametrize(
    "form",
    ["minimal, blocking", "minimal, generator", "minimal, greenlet hub", "minimal, asyncio", "urlopen", "aiohttp"],
)
def test_a_hung_server_times_out_after_the_request_timeout(form: str) -> None:
    timeout_s = 0.5
    with hostile_server(None) as base:
        fetch = _hung_forms(base + "/", timeout_s)[form]
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            fetch()
        elapsed = time.monotonic() - start
    assert timeout_s * 0.9 <= elapsed < timeout_s + 5.0


def test_the_minimal_timeout_names_the_url() -> None:
    with hostile_server(None) as base, pytest.raises(RequestTimeout, match=f"{base}/slow"):
        run_generators([exchange_generator(base + "/slow", 0.3)])


def test_reactor_hands_back_a_socket_wait_at_its_deadline_and_ignores_a_stale_one() -> None:
    reactor: Reactor[str] = Reactor()
    left, right = socket.socketpair()
    try:
        reactor.park("silent", Readable(left, time.monotonic() + 0.2))
        start = time.monotonic()
        assert reactor.wake() == ["silent"]
        assert 0.15 <= time.monotonic() - start < 5.0
        # A wait that ended before its deadline leaves a stale deadline behind:
        # a later wait on the same socket, without one, must not be cut short by it.
        reactor.park("answered", Readable(left, time.monotonic() + 0.2))
        right.send(b"x")
        assert reactor.wake() == ["answered"]
        left.recv(1)
        reactor.park("waits on", Readable(left))
        reactor.park("timer", Sleep(0.5))
        assert reactor.wake() == ["timer"]
        assert reactor.pending == 1
    finally:
        reactor.close()
        left.close()
        right.close()


def test_drive_passes_deadlines_to_the_hub() -> None:
    seen: list[object] = []
    with hostile_server(None) as base, pytest.raises(RequestTimeout):
        drive(exchange_generator(base + "/", 0.2), lambda request: (seen.append(request), time.sleep(0.25)))
    assert seen
    assert all(getattr(request, "deadline", None) is not None for request in seen)


# -- the server's CPU --------------------------------------------------------------


def test_server_cpu_is_positive_and_at_most_wall_times_cores(server: http_fetch.LocalServer) -> None:
    url = http_fetch.local_url(server.base, 0.0, BODY)
    meter = RoundMeter(ServerCpu(server.pid))
    assert len(meter.server.processes) == 1 + server.workers

    async def burst() -> None:
        await asyncio.gather(*(exchange_async(url, 10) for _ in range(200)))

    for _ in range(3):
        meter.before()
        asyncio.run(burst())
        meter.after()
    info = meter.extra_info(server.workers)
    cores = len(__import__("os").sched_getaffinity(0))
    for cpu, wall in zip(meter.cpu_s, meter.wall_s, strict=True):
        assert 0 < cpu <= wall * cores
    assert 0 < info["server_busy_share"] <= cores
    assert info["server_workers"] == server.workers


def test_calibration_measures_the_servers_cpu_per_request(server: http_fetch.LocalServer) -> None:
    url = http_fetch.local_url(server.base, 0.0, 1000)
    found = http_calibrate.calibrate_url(url, server.pid, repeats=3)
    assert found.body_bytes == 1000
    assert found.server_cpu_per_request_s is not None
    # More than nothing, and less than the wall time of one request alone.
    assert 0 < found.server_cpu_per_request_s < max(found.request_s, 0.05)


# -- the ideal is a lower bound ---------------------------------------------------


def test_ideal_is_the_longer_of_one_request_and_the_servers_cpu_on_its_cores() -> None:
    url = "http://127.0.0.1:1/delay/50/bytes/10"
    calibration = Calibration(
        cpu_count=2,
        entries={"http_fetch": {url: {"request_s": 0.05, "server_cpu_per_request_s": 0.001, "server_workers": 4}}},
    )
    params = {"url": url}
    assert http_fetch.ideal_s(1, params, calibration) == pytest.approx(0.05)
    assert http_fetch.ideal_s(100, params, calibration) == pytest.approx(0.05)  # 100 x 1 ms / 2 cores = 50 ms
    assert http_fetch.ideal_s(1000, params, calibration) == pytest.approx(0.5)  # workers capped at the 2 cores
    external = Calibration(cpu_count=2, entries={"http_fetch": {url: {"request_s": 0.05}}})
    assert http_fetch.ideal_s(1000, params, external) == pytest.approx(0.05)


# -- the gate: bad servers and bad URLs fail fast, naming them --------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [(MID_BODY_CLOSE, "Content-Length 100"), (NOT_HTTP, "not an HTTP"), (REDIRECT, "redirects .*/elsewhere")],
    ids=["closes-mid-body", "not-http", "redirect"],
)
def test_gate_refuses_a_bad_server_naming_the_url(reply: bytes, expected: str) -> None:
    with hostile_server(reply) as base, pytest.raises(http_fetch.UnreachableURL, match=expected) as caught:
        http_calibrate.gate(base + "/page", timeout_s=5)
    assert base + "/page" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_gate_accepts_a_chunked_body_both_clients_read_alike() -> None:
    with hostile_server(CHUNKED) as base:
        assert http_calibrate.gate(base + "/", timeout_s=5) == len(b"hello world")


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("reply", [MID_BODY_CLOSE, NOT_HTTP, REDIRECT], ids=["closes-mid-body", "not-http", "redirect"])
def test_a_bad_server_at_calibration_exits_2_and_finishes_the_manifest(tmp_path: Path, reply: bytes) -> None:
    with hostile_server(reply) as base:
        url = base + "/page"
        proc = bench(
            "--profile", "smoke", "--workloads", "http_fetch", "--backends", "threads",
            "--http-url", url, "--results", str(tmp_path), "--no-report",
        )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and url in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    manifest = json.loads(next(tmp_path.glob("*/*/run.json")).read_text())
    assert manifest["status"] == "error"
    assert url in manifest["error"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:99999/", "valid port"),
        ("http://127.0.0.1:abc/", "valid port"),
        ("http://127.0.0.1:8000/a b", "space"),
        ("https://127.0.0.1:8000/", "http:// URL"),
    ],
    ids=["port-99999", "port-not-a-number", "space", "https"],
)
def test_a_bad_url_exits_2_naming_it_before_anything_is_created(tmp_path: Path, url: str, expected: str) -> None:
    proc = bench("--workloads", "http_fetch", "--http-url", url, "--results", str(tmp_path / "results"))
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and url in errors[0] and expected in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()


def test_server_workers_must_be_a_count(tmp_path: Path) -> None:
    proc = bench("--workloads", "http_fetch", "--http-server-workers", "0", "--results", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "1 to 64" in proc.stderr
    assert not (tmp_path / "r").exists()


# -- end to end: a run records both clients and the server's CPU; its report reads them


def test_a_run_records_both_clients_and_plausible_server_cpu(tmp_path: Path) -> None:
    models = ("threads", "generators", "asyncio")
    proc = bench(
        "--profile", "smoke", "--workloads", "http_fetch", "--backends", ",".join(models),
        "--http-server-workers", "2", "--results", str(tmp_path), "--no-report",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = next(tmp_path.glob("*/*/run.json")).parent
    cores = json.loads((run_dir / "calibration.json").read_text())["cpu_count"]
    for model in models:
        data = json.loads((run_dir / f"{model}.0.json").read_text())
        benchmarks = data["benchmarks"]
        assert {b["extra_info"]["client"] for b in benchmarks} == set(http_fetch.CLIENTS), model
        for bench_ in benchmarks:
            info, stats = bench_["extra_info"], bench_["stats"]
            assert info["http_library"], info
            assert info["server_workers"] == 2
            rounds = info["server_cpu_s_rounds"]
            assert len(rounds) == stats["rounds"]
            for cpu, wall in zip(rounds, stats["data"], strict=True):
                assert 0 < cpu <= wall * cores * 1.1 + 0.005, (model, info)
            assert 0 < info["server_busy_share"] <= cores * 1.1
            assert isinstance(info["server_bound"], bool)
            assert info["ideal_s"] > 0
    from reports.index import build_report

    index = (build_report(run_dir) / "index.md").read_text()
    assert "client library cost" in index
    assert "#### What the HTTP server took" in index
    server = index.split("#### What the HTTP server took", 1)[1].split("\n\n#", 1)[0]
    table = [line.strip("|").split(" | ") for line in server.splitlines() if line.startswith("| ")]
    column = [cell.strip() for cell in table[0]].index("server workers")
    assert len(table) > 2 and all(row[column].strip() == "2" for row in table[2:]), server


# -- the report's marks, on synthetic runs with known answers ----------------------


def _benchmark(model: str, client: str, n: int, median: float, ideal: float, **extra: Any) -> dict[str, Any]:
    data = [median * 0.98, median, median * 1.02]
    library = {"threads": "urllib.request.urlopen", "asyncio": "aiohttp.ClientSession"}.get(model, "minimal client")
    return {
        "name": f"bench_workload[{model}-http_fetch-{client}-n{n}]",
        "stats": {
            "median": median, "q1": data[0], "q3": data[2], "iqr": data[2] - data[0], "mean": median,
            "min": data[0], "max": data[2], "stddev": 0.01 * median, "rounds": 3, "data": data,
        },
        "extra_info": {
            "backend": model, "variant": None, "workload": "http_fetch", "n_tasks": n, "ideal_s": ideal,
            "profile": "quick", "latency_s": 0.05, "body_bytes": 16384, "client": client,
            "url": "http://127.0.0.1:5000/delay/50/bytes/16384",
            "http_library": library if client == "idiomatic" else "minimal client",
            "server_cpu_s": 0.01, "server_busy_share": 0.2, "server_bound": False, "server_workers": 2,
            "server_cpu_reason": None, **extra,
        },
    }  # fmt: skip


def _write_run(tmp_path: Path, benchmarks: list[dict[str, Any]]) -> Path:
    run_dir = tmp_path / "machine-x" / "20261125T000000Z"
    run_dir.mkdir(parents=True)
    machine = {"machine_id": "machine-x", "cpu_model": "Test CPU", "cpu_count": 2}
    by_model: dict[str, list[dict[str, Any]]] = {}
    for item in benchmarks:
        by_model.setdefault(item["extra_info"]["backend"], []).append(item)
    for model, items in by_model.items():
        (run_dir / f"{model}.json").write_text(json.dumps({"machine_info": machine, "benchmarks": items}))
    return run_dir


def http_markdown(frame: Any) -> list[str]:
    """The tables http_fetch declares, as the report renders them."""
    from reports.workload_readings import workload_markdown

    return workload_markdown("http_fetch", http_fetch.REPORT.to_json(), frame)


def test_client_library_cost_pairs_each_models_two_clients(tmp_path: Path) -> None:
    from reports import load_run
    from reports.case_tables import pairs

    run = load_run(
        _write_run(
            tmp_path,
            [
                _benchmark("threads", "minimal", 1000, 0.100, 0.06),
                _benchmark("threads", "idiomatic", 1000, 0.250, 0.06),
                _benchmark("asyncio", "minimal", 1000, 0.080, 0.06),
                _benchmark("asyncio", "idiomatic", 1000, 0.090, 0.06),
            ],
        )
    )
    (table,) = [t for t in http_fetch.REPORT.to_json()["tables"] if t["kind"] == "pair"]
    found = pairs(run.frame, table).set_index("label")
    assert found.loc["threads", "cost"] == pytest.approx(0.150)
    assert found.loc["threads", "ratio"] == pytest.approx(2.5)
    assert found.loc["asyncio", "detail"] == "aiohttp.ClientSession"
    text = "\n".join(http_markdown(run.frame))
    assert "| threads | 100 ms | 250 ms | urllib.request.urlopen | +150 ms | 2.50x |" in text
    assert "dearest library here is **threads**" in text


def test_server_bound_and_below_ideal_cases_are_marked_and_never_ranked_best(tmp_path: Path) -> None:
    from reports import charts, load_run, readings
    from reports.marks import BELOW_IDEAL
    from reports.units import fmt_ratio

    run = load_run(
        _write_run(
            tmp_path,
            [
                _benchmark("threads", "minimal", 1000, 0.300, 0.06, server_busy_share=0.95, server_bound=True),
                _benchmark("generators", "minimal", 1000, 0.030, 0.06),  # half its ideal: the bound fails
                _benchmark("asyncio", "minimal", 1000, 0.090, 0.06),
            ],
        )
    )
    text = "\n".join(http_markdown(run.frame))
    threads_row = next(line for line in text.splitlines() if line.startswith("| threads |"))
    assert threads_row.endswith("| server-bound |")
    assert f"{BELOW_IDEAL.capitalize()}: generators at 1000" in text
    reading = readings.heatmap_reading(run.frame)
    assert "**asyncio** is closest to ideal" in reading
    assert f"**generators** ({fmt_ratio(0.5)}): {BELOW_IDEAL}" in reading
    texts = [t.get_text() for t in charts.heatmap_figure(run.frame).axes[0].texts]
    assert fmt_ratio(5.0) + "\nserver-bound" in texts
    assert fmt_ratio(0.5) + "\nbelow ideal" in texts


def test_an_external_server_says_why_it_has_no_cpu_figure(tmp_path: Path) -> None:
    from reports import load_run

    unmeasured = {"server_cpu_s": None, "server_busy_share": None, "server_bound": None, "server_workers": None}
    reason = "a server given by URL runs elsewhere: its CPU time is not measured"
    run = load_run(
        _write_run(
            tmp_path,
            [_benchmark("threads", "minimal", 10, 0.1, 0.05, **unmeasured, server_cpu_reason=reason)],
        )
    )
    assert f"Not measured: {reason}." in "\n".join(http_markdown(run.frame))


def test_bars_mark_a_median_below_its_ideal(tmp_path: Path) -> None:
    from reports import charts, load_run

    run = load_run(
        _write_run(
            tmp_path,
            [
                _benchmark("generators", "minimal", 1000, 0.030, 0.06),
                _benchmark("asyncio", "minimal", 1000, 0.09, 0.06),
            ],
        )
    )
    texts = [t.get_text() for t in charts.bars_figure(run.frame).axes[0].texts]
    assert any(text.endswith("ideal · below ideal") and text.startswith("30.0 ms") for text in texts), texts
    assert not any("below ideal" in text for text in texts if text.startswith("90.0 ms")), texts


def test_server_figures_of_several_processes_pool_into_one_row(tmp_path: Path) -> None:
    from reports import load_run

    run_dir = tmp_path / "machine-x" / "20261125T000000Z"
    run_dir.mkdir(parents=True)
    machine = {"machine_id": "machine-x", "cpu_model": "Test CPU", "cpu_count": 2}
    figures = [(0.10, 0.9, True), (0.20, 0.95, True), (0.30, 0.5, False)]
    for process, (cpu, share, bound) in enumerate(figures):
        item = _benchmark(
            "threads", "minimal", 1000, 0.2, 0.06, server_cpu_s=cpu, server_busy_share=share, server_bound=bound
        )
        document = {"machine_info": machine, "benchmarks": [item]}
        (run_dir / f"threads.{process}.json").write_text(json.dumps(document))
    row = load_run(run_dir).frame.iloc[0]
    assert row["server_cpu_s"] == pytest.approx(0.20)
    assert row["server_busy_share"] == pytest.approx(0.9)
    assert bool(row["server_bound"])  # two processes of three
