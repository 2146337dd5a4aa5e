"""http_fetch: N concurrent HTTP GETs, as in the classic gevent ``urlopen`` example.

By default every task fetches ``/delay/<ms>/bytes/<n>`` from the local server
(:mod:`workloads.http_server`, started in its own process on 127.0.0.1); with
``--http-url`` every task fetches that URL instead. Forms:

- blocking: ``urllib.request.urlopen``, as in that example (gevent patches it);
- coroutine: HTTP/1.1 over ``asyncio`` streams;
- generator: a non-blocking socket that yields ``Writable``/``Readable`` requests.

Every response's status and byte count are checked. Ideal: one request's latency
plus its transfer, measured once before timing (all N requests in flight at once).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from workloads._base import (
    Calibration,
    Params,
    Readable,
    TaskGenerator,
    Workload,
    Writable,
    WrongAnswer,
)

REQUEST_TIMEOUT_S = 30.0
_RECV = 65536


class UnreachableURL(RuntimeError):
    """The URL to fetch failed before any timing: names the URL and the cause."""


def local_url(base: str, latency_s: float, body_bytes: int) -> str:
    """Build the local server's URL for a latency and body size."""
    return f"{base.rstrip('/')}/delay/{round(latency_s * 1000)}/bytes/{body_bytes}"


# -- the HTTP/1.1 exchange, shared by the coroutine and generator forms ----------


def request_bytes(url: str) -> bytes:
    """The GET request for ``url``; ``Connection: close`` so the body ends at EOF."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "User-Agent: concurrency-bench\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2


def parse_response(raw: bytes) -> tuple[int, int]:
    """Parse a whole response read to EOF: return (status, body length).

    Raises :class:`WrongAnswer` when the body is shorter than its Content-Length.
    """
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise WrongAnswer(f"http_fetch: incomplete response ({len(raw)} bytes)")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    length = headers.get("content-length")
    if length is not None and int(length) != len(body):
        raise WrongAnswer(f"http_fetch: body of {len(body)} bytes, Content-Length {length}")
    return status, len(body)


def _address(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    return parts.hostname or "127.0.0.1", parts.port or (443 if tls else 80), tls


# -- the forms -------------------------------------------------------------------


def fetch_blocking(i: int, params: Params) -> tuple[int, int]:
    """GET the URL with ``urllib.request.urlopen``; return (status, bytes read)."""
    with urllib.request.urlopen(params["url"], timeout=REQUEST_TIMEOUT_S) as response:
        body = response.read()
        return response.status, len(body)


async def fetch_async(i: int, params: Params) -> tuple[int, int]:
    """GET the URL over asyncio streams (HTTP/1.1, read to EOF)."""
    host, port, tls = _address(params["url"])
    reader, writer = await asyncio.open_connection(host, port, ssl=ssl.create_default_context() if tls else None)
    try:
        writer.write(request_bytes(params["url"]))
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    return parse_response(raw)


def fetch_generator(i: int, params: Params) -> TaskGenerator:
    """GET the URL on a non-blocking socket, yielding for writability and data."""
    host, port, tls = _address(params["url"])
    if tls:
        raise UnreachableURL(f"{params['url']}: the generator form speaks plain HTTP only")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.connect_ex((host, port))
        yield Writable(sock)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise ConnectionError(error, f"connect to {host}:{port} failed")
        pending = memoryview(request_bytes(params["url"]))
        while pending:
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                yield Writable(sock)
        chunks = []
        while True:
            try:
                data = sock.recv(_RECV)
            except BlockingIOError:
                yield Readable(sock)
                continue
            if not data:
                break
            chunks.append(data)
    finally:
        sock.close()
    return parse_response(b"".join(chunks))


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


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """One request's latency plus its transfer: all N in flight at once."""
    return calibration.request_s.get(params["url"])


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One request alone."""
    return calibration.request_s.get(params["url"], float(params.get("latency_s") or 0.0))


def measure_request(url: str, repeats: int = 5) -> tuple[float, int]:
    """Fetch ``url`` ``repeats`` times with urlopen: return (median seconds, body bytes).

    Raises :class:`UnreachableURL`, naming the URL, when it cannot be fetched.
    """
    times = []
    n_bytes = 0
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                n_bytes = len(response.read())
                status = response.status
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise UnreachableURL(f"cannot fetch {url}: {exc}") from exc
        if status != 200:
            raise UnreachableURL(f"cannot fetch {url}: HTTP {status}")
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], n_bytes


@contextmanager
def local_server(start_timeout_s: float = 20.0) -> Iterator[str]:
    """Start :mod:`workloads.http_server` in its own process; yield its base URL.

    The server process is stopped on exit, also when the body raises or is
    interrupted; it also exits by itself if this process dies.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "workloads.http_server"],
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
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


WORKLOAD = Workload(
    name="http_fetch",
    summary="N concurrent HTTP GETs (urlopen; asyncio streams; non-blocking sockets)",
    blocking=fetch_blocking,
    coroutine=fetch_async,
    generator=fetch_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    fds_per_task=1,
)
