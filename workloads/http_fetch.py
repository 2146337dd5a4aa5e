"""http_fetch: N concurrent HTTP GETs, as in the classic gevent ``urlopen`` example.

By default every task fetches ``/delay/<ms>/bytes/<n>`` from the local server
(:mod:`workloads.http_server`, started in its own processes on 127.0.0.1); with
``--http-url`` every task fetches that URL instead.

The ``client`` parameter says which HTTP client the tasks use:

- ``minimal``: :mod:`workloads.http_client`, the same request bytes and the same
  response parser in every form (a blocking socket, a generator on a non-blocking
  socket, the event loop's ``sock_*`` calls), so that between models only the model
  differs;
- ``idiomatic``: what people write: ``urllib.request.urlopen`` in the blocking form
  (gevent patches it), one ``aiohttp.ClientSession`` per event loop in the coroutine
  form. The generator form has no HTTP library of its own and uses the minimal
  client; every case records the library it used as ``http_library``.

The difference between the two is the client library's cost, urllib's
``getaddrinfo`` call per request (gevent's resolver thread pool) included.

Every response's status and byte count are checked. Ideal: one request, or what the
local server's measured CPU per request allows on its cores, whichever is longer
(see :func:`ideal_s`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Imported here, not in the timed region of the first aiohttp round.
import aiohttp

from workloads.http_client import exchange_async, exchange_blocking, exchange_generator
from workloads.protocol import (
    Calibration,
    CalibrationFailed,
    Environment,
    Form,
    Meter,
    Option,
    Params,
    RunContext,
    TaskGenerator,
    Workload,
    WrongAnswer,
)
from workloads.report_spec import (
    A_WAIT_PER_TASK,
    TIMES_IDEAL,
    Claim,
    PairTable,
    Reading,
    ReadingsTable,
    ReportSpec,
    Traits,
)
from workloads.server_cpu import EXTERNAL_REASON, SERVER_BOUND_SHARE, RoundMeter, ServerCpu, unmeasured

WORKLOAD_NAME = "http_fetch"
CLIENTS = ("minimal", "idiomatic")
#: Every form gives up on one request after this long (a hung server fails the
#: case after one request's timeout, not the whole case's).
REQUEST_TIMEOUT_S = 30.0


class UnreachableURL(CalibrationFailed):
    """The URL to fetch failed before any timing: names the URL and the cause."""


def local_url(base: str, latency_s: float, body_bytes: int) -> str:
    """Build the local server's URL for a latency and body size."""
    return f"{base.rstrip('/')}/delay/{round(latency_s * 1000)}/bytes/{body_bytes}"


def parse_url(text: str) -> str:
    """Check ``--http-url``: an http:// URL with a host and a valid port, nothing to percent-encode."""
    parts = urlsplit(text)
    if parts.scheme != "http" or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http:// URL (the minimal client, which every model can run, speaks plain HTTP)"
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise argparse.ArgumentTypeError(f"{text!r} contains a space or a control character; percent-encode it")
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} has no valid port: give a number from 1 to 65535") from None
    if parts.port == 0:
        raise argparse.ArgumentTypeError(f"{text!r} has no valid port: give a number from 1 to 65535")
    return text


def parse_workers(text: str) -> int:
    """Check ``--http-server-workers``: a whole number from 1 to 64."""
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a worker count; give a whole number from 1 to 64")
    return int(text)


HTTP_URL = Option("--http-url", "fetch this URL instead of the local server", metavar="URL", parse=parse_url)
SERVER_WORKERS = Option(
    "--http-server-workers",
    "worker processes of the local HTTP server (default: one per core, at most 8)",
    metavar="N",
    parse=parse_workers,
)


def _client(params: Params) -> str:
    client = params.get("client", "minimal")
    if client not in CLIENTS:
        raise ValueError(f"http_fetch: unknown client {client!r}; valid: {', '.join(CLIENTS)}")
    return str(client)


def _timeout(params: Params) -> float:
    return float(params.get("request_timeout_s") or REQUEST_TIMEOUT_S)


# -- the idiomatic clients -------------------------------------------------------


def urlopen_get(url: str, timeout_s: float) -> tuple[int, bytes]:
    """GET ``url`` with ``urllib.request.urlopen``; return (status, body)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.status, response.read()


#: One aiohttp session per event loop: (the async generator that owns it, the session).
_SESSIONS: dict[asyncio.AbstractEventLoop, tuple[Any, Any]] = {}


async def _session_scope(loop: asyncio.AbstractEventLoop) -> AsyncIterator[Any]:
    # An async generator owns the session so that the loop's shutdown_asyncgens()
    # (which every event-loop model calls on close) closes it too.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        yield session
    finally:
        _SESSIONS.pop(loop, None)
        await session.close()


async def _session() -> Any:
    """This loop's ``aiohttp.ClientSession``, made on first use and kept for the loop."""
    loop = asyncio.get_running_loop()
    held = _SESSIONS.get(loop)
    if held is None:
        scope = _session_scope(loop)
        # Creating a session never suspends, so no other task can race this one.
        held = _SESSIONS[loop] = (scope, await scope.__anext__())
    return held[1]


async def aiohttp_get(url: str, timeout_s: float) -> tuple[int, bytes]:
    """GET ``url`` with the loop's ``aiohttp.ClientSession``; return (status, body).

    The session has no connection limit (aiohttp's default of 100 would make a
    thousand tasks wait in line for a connection, which is not the library's cost).
    """
    session = await _session()
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
            return response.status, await response.read()
    except asyncio.TimeoutError as exc:
        # Before Python 3.11 asyncio's TimeoutError is not the builtin one; every client raises the builtin.
        if isinstance(exc, TimeoutError):
            raise
        raise TimeoutError(f"aiohttp: no answer from {url} within {timeout_s} s") from exc


# -- the forms -------------------------------------------------------------------


def fetch_blocking(i: int, params: Params) -> tuple[int, int]:
    """GET the URL, blocking: the minimal client, or urlopen; return (status, bytes read)."""
    if _client(params) == "idiomatic":
        status, body = urlopen_get(params["url"], _timeout(params))
        return status, len(body)
    response = exchange_blocking(params["url"], _timeout(params))
    return response.status, len(response.body)


async def fetch_async(i: int, params: Params) -> tuple[int, int]:
    """GET the URL on the running loop: the minimal client, or aiohttp."""
    if _client(params) == "idiomatic":
        status, body = await aiohttp_get(params["url"], _timeout(params))
        return status, len(body)
    response = await exchange_async(params["url"], _timeout(params))
    return response.status, len(response.body)


def fetch_generator(i: int, params: Params) -> TaskGenerator:
    """GET the URL on a non-blocking socket (the minimal client, whatever ``client`` says)."""
    _client(params)
    response = yield from exchange_generator(params["url"], _timeout(params))
    return response.status, len(response.body)


_LIBRARIES: Mapping[tuple[Form, str], str] = {
    (Form.BLOCKING, "minimal"): "minimal client, blocking socket",
    (Form.GENERATOR, "minimal"): "minimal client, non-blocking socket",
    (Form.COROUTINE, "minimal"): "minimal client, loop.sock_*",
    (Form.BLOCKING, "idiomatic"): "urllib.request.urlopen",
    (Form.COROUTINE, "idiomatic"): "aiohttp.ClientSession",
    (Form.GENERATOR, "idiomatic"): "minimal client, non-blocking socket (no HTTP library for this model)",
}


def describe(form: Form, params: Params) -> Mapping[str, Any]:
    """The HTTP library a form uses for this case's client: recorded as ``http_library``."""
    return {"http_library": _LIBRARIES[(form, _client(params))]}


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless every task got status 200 and the expected number of bytes."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"http_fetch: {len(results)} results for {n_tasks} tasks")
    expected = params.get("body_bytes")
    for i, (status, n_bytes) in enumerate(results):
        if status != 200:
            raise WrongAnswer(f"http_fetch: task {i} got HTTP {status} from {params['url']}")
        if expected is not None and n_bytes != expected:
            raise WrongAnswer(f"http_fetch: task {i} read {n_bytes} bytes, expected {expected}")


def url_facts(calibration: Calibration, workload: str, url: str) -> Mapping[str, Any]:
    """What ``workload``'s calibration measured of ``url`` (empty if nothing)."""
    found: Mapping[str, Any] = calibration.of(workload).get(url) or {}
    return found


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """The wall time no model can beat: the longer of two lower bounds.

    One request (all N in flight at once), measured with the minimal client as the
    median of several; and, for the local server, the CPU the server needs for N
    requests spread over the cores it can use, min(workers, cores). A server given
    by URL has no CPU figure, so its ideal is one request.
    """
    found = url_facts(calibration, WORKLOAD_NAME, params["url"])
    one = found.get("request_s")
    if one is None:
        return None
    per_request = found.get("server_cpu_per_request_s")
    workers = found.get("server_workers")
    if per_request is None or not workers:
        return float(one)
    cores = max(1, min(workers, calibration.cpu_count))
    return max(float(one), n_tasks * per_request / cores)


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One request alone."""
    one = url_facts(calibration, WORKLOAD_NAME, params["url"]).get("request_s")
    return float(one if one is not None else params.get("latency_s") or 0.0)


# -- the run: the local server, the URL, calibration and the server's CPU --------------


def local_server_facts(context: RunContext) -> Mapping[str, Any] | None:
    """The local server's facts (base, pid, workers), or None when the run has none."""
    return context.facts.get(LOCAL_SERVER_KEY)


def resolve(params: Params, context: RunContext) -> Params:
    """Set ``url``: the user's URL (latency and body size then unknown), else the local server's.

    The one place the local URL is built: calibration and every case resolve here,
    so the URL an ideal was measured for is the URL the case fetches.
    """
    user_url = context.options.get(HTTP_URL.dest)
    if user_url:
        return {**params, "url": user_url, "latency_s": None, "body_bytes": None}
    server = local_server_facts(context)
    if server is None:
        raise RuntimeError(f"{WORKLOAD_NAME} needs the local server or {HTTP_URL.flag}")
    return {**params, "url": local_url(server["base"], params["latency_s"], params["body_bytes"])}


def calibrate_url(url: str, context: RunContext, local: bool) -> dict[str, Any]:
    """Measure ``url``: one request's time, its body's size, and the local server's CPU per request.

    The server's CPU is measured only when ``local`` (a server given by URL runs
    elsewhere). Raises :class:`UnreachableURL` naming a URL that fails.
    """
    from workloads import http_calibrate

    server = local_server_facts(context) if local else None
    found = http_calibrate.calibrate_url(url, server["pid"] if server else None)
    return {
        "request_s": found.request_s,
        "body_bytes": found.body_bytes,
        "server_cpu_per_request_s": found.server_cpu_per_request_s,
        "server_workers": server["workers"] if server else None,
    }


def calibrate(params: Params, context: RunContext) -> Mapping[str, Any]:
    """The URL's facts, keyed by the URL (see :func:`calibrate_url`)."""
    return {params["url"]: calibrate_url(params["url"], context, local=not context.options.get(HTTP_URL.dest))}


def recorded(params: Params, calibration: Calibration) -> Mapping[str, Any]:
    """For a server given by URL, the body size calibration saw (the check holds each response to its own)."""
    if params.get("body_bytes") is not None:
        return {}
    return {"body_bytes": url_facts(calibration, WORKLOAD_NAME, params["url"]).get("body_bytes")}


@dataclass
class ServerMeter:
    """The local server's CPU over every round; a server given by URL is recorded as unmeasured, with the reason."""

    rounds: RoundMeter | None
    workers: int | None

    def before(self) -> None:
        """Read the server's CPU before a round."""
        if self.rounds is not None:
            self.rounds.before()

    def after(self) -> None:
        """Read it again after the round."""
        if self.rounds is not None:
            self.rounds.after()

    def extra_info(self) -> Mapping[str, Any]:
        """The server's figures over the rounds (``server_cpu_s``, ``server_busy_share``, ...)."""
        if self.rounds is None:
            return unmeasured(EXTERNAL_REASON)
        return self.rounds.extra_info(self.workers)


def meter(params: Params, context: RunContext) -> Meter:
    """A meter of the local server's CPU, or an unmeasured one for a server given by URL."""
    server = None if context.options.get(HTTP_URL.dest) else local_server_facts(context)
    if server is None:
        return ServerMeter(None, None)
    return ServerMeter(RoundMeter(ServerCpu(server["pid"])), server["workers"])


# -- the local server --------------------------------------------------------------


@dataclass(frozen=True)
class LocalServer:
    """A running local server: its base URL, its supervisor's pid, its worker count."""

    base: str
    pid: int
    workers: int


def default_server_workers() -> int:
    """One server worker per core this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


@contextmanager
def local_server(workers: int | None = None, start_timeout_s: float = 30.0) -> Iterator[LocalServer]:
    """Start :mod:`workloads.http_server` with ``workers`` processes; yield it.

    The server's processes are stopped on exit, also when the body raises or is
    interrupted; they also exit by themselves if this process dies.
    """
    workers = workers or default_server_workers()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workloads.http_server", "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + start_timeout_s
        line = ""
        while time.monotonic() < deadline and not line.startswith("READY"):
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"the local HTTP server exited with code {proc.returncode}")
        if not line.startswith("READY"):
            raise RuntimeError(f"the local HTTP server did not start within {start_timeout_s} s")
        yield LocalServer(base=line.split()[1], pid=proc.pid, workers=workers)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


#: The key of the local server's facts in a run's environment.
LOCAL_SERVER_KEY = "local_http_server"


@contextmanager
def _serve(options: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    with local_server(options.get(SERVER_WORKERS.dest)) as server:
        yield {"base": server.base, "pid": server.pid, "workers": server.workers}


#: The local server, shared by every workload that names it: started once per run.
LOCAL_SERVER = Environment(LOCAL_SERVER_KEY, _serve)


def environment(options: Mapping[str, Any]) -> Environment | None:
    """The local server, unless the user gave a URL."""
    return None if options.get(HTTP_URL.dest) else LOCAL_SERVER


#: What every case records of the server over its rounds (see :mod:`workloads.server_cpu`).
SERVER_READINGS = (
    Reading("server_cpu_s", "server CPU per round", "seconds"),
    Reading("server_busy_share", "server busy (cores)", "cores"),
    Reading("server_bound", "server-bound", "flag"),
    Reading("server_workers", "server workers", "count"),
    Reading("server_cpu_reason", "why no server CPU", "text"),
    Reading("tcp_accepted", "connections accepted (machine)", "count"),
    Reading("listen_overflows", "listen queue overflows", "count"),
)

REPORT = ReportSpec(
    heading="client library cost and server load",
    claims=(
        Claim(
            id="http_fetch_waits_overlap",
            sentence=(
                "I/O (HTTP fetches from the local server, the client alike in every model; gevent switches on "
                "I/O by itself once patched): {models}, each task a wait of its own, overlap {n} fetches, each "
                "within {threshold}x ideal"
            ),
            models=A_WAIT_PER_TASK,
            figure=TIMES_IDEAL,
            below=3.0,
            at_most_n=100,
            also=Traits(waits=("none",)),
        ),
    ),
    readings=SERVER_READINGS,
    tables=(
        PairTable(
            title="Client library cost at {n} tasks",
            text="Each model with the minimal client (one HTTP/1.1 exchange, the same bytes and parser in every "
            "model) and with its idiomatic library; the difference is the **client library cost**, the "
            "library's own work and its resolver path (urllib calls `getaddrinfo` on every request, which "
            "gevent sends to a thread pool) included. A model with no HTTP library of its own runs the "
            "minimal client in both columns.",
            parameter="client",
            first="minimal",
            second="idiomatic",
            difference="client library cost",
            detail="http_library",
            detail_name="idiomatic library",
            dearest="The dearest library here is",
            same_detail="minimal",
        ),
        ReadingsTable(
            title="What the HTTP server took, at {n} tasks",
            text="The local server runs on this machine and takes its CPU from the models it serves; every round "
            "records the CPU it used (the median over rounds) and that over the round's wall time, in cores. "
            f"A case is **server-bound** when the server kept at least {SERVER_BOUND_SHARE:g} of a core busy: "
            "its clients then wait for the server, not for their model.",
            readings=("server_cpu_s", "server_busy_share", "server_workers", "tcp_accepted", "listen_overflows"),
            parameters=("client",),
            reason="server_cpu_reason",
            flag="server_bound",
            flag_name="server-bound",
        ),
    ),
)

WORKLOAD = Workload(
    name=WORKLOAD_NAME,
    summary="N concurrent HTTP GETs (a minimal client in every form, or urlopen / aiohttp)",
    blocking=fetch_blocking,
    coroutine=fetch_async,
    generator=fetch_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    describe=describe,
    fds_per_task=1,
    waits=True,
    params={
        "smoke": {"latency_s": 0.01, "body_bytes": 1024, "client": CLIENTS},
        "quick": {"latency_s": 0.05, "body_bytes": 16_384, "client": CLIENTS},
        "full": {"latency_s": 0.05, "body_bytes": 65_536, "client": CLIENTS},
        # The climb measures the model: the minimal client only, small bodies.
        "scale": {"latency_s": 0.05, "body_bytes": 1024, "client": ("minimal",)},
    },
    options=(HTTP_URL, SERVER_WORKERS),
    environment=environment,
    resolve=resolve,
    calibrate=calibrate,
    recorded=recorded,
    meter=meter,
    report=REPORT,
)
