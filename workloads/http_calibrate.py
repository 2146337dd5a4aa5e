"""Calibrate http_fetch before anything is timed: the gate, one request, the server's CPU.

:func:`calibrate_url` first makes sure the URL answers as every form will need it
to: status 200 from the minimal client (a redirect is refused, naming its target,
since the clients would not all follow it), and the same body from urlopen. Any
failure raises :class:`~workloads.http_fetch.UnreachableURL` with a one-line message
naming the URL. Then it measures, with the minimal client and the same estimator as
the results (the median):

- one request's wall time;
- for the local server, its CPU time per request, over bursts of requests all in
  flight at once.
"""

from __future__ import annotations

import asyncio
import http.client
import statistics
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from workloads._process import free_descriptors
from workloads.http_client import Response, exchange_async, exchange_blocking
from workloads.http_fetch import UnreachableURL, urlopen_get
from workloads.protocol import WrongAnswer
from workloads.server_cpu import ServerCpu

T = TypeVar("T")
CALIBRATION_TIMEOUT_S = 10.0
#: What a request can raise on a bad URL or a bad server, from either client.
FETCH_ERRORS = (OSError, ValueError, OverflowError, WrongAnswer, http.client.HTTPException, urllib.error.URLError)


@dataclass(frozen=True)
class HttpCalibration:
    """What the ideal of one URL is computed from."""

    request_s: float
    body_bytes: int
    server_cpu_per_request_s: float | None


def _fetch(url: str, what: Callable[[], T]) -> T:
    try:
        return what()
    except FETCH_ERRORS as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UnreachableURL(f"cannot fetch {url}: {type(exc).__name__}" + (f": {text}" if text else "")) from exc


def gate(url: str, timeout_s: float = CALIBRATION_TIMEOUT_S) -> int:
    """Check that ``url`` answers 200 to both clients with one body; return its size.

    Raises :class:`UnreachableURL` naming the URL (and a redirect's target).
    """
    response: Response = _fetch(url, lambda: exchange_blocking(url, timeout_s))
    if 300 <= response.status < 400:
        target = response.headers.get("location", "(no Location header)")
        raise UnreachableURL(
            f"{url} redirects (HTTP {response.status}) to {target}; redirects are refused, "
            "so that every client fetches the same thing: give the final URL"
        )
    if response.status != 200:
        raise UnreachableURL(f"cannot fetch {url}: HTTP {response.status}")
    status, body = _fetch(url, lambda: urlopen_get(url, timeout_s))
    if status != 200 or len(body) != len(response.body):
        raise UnreachableURL(
            f"cannot fetch {url}: urlopen got HTTP {status} and {len(body)} bytes, "
            f"the minimal client HTTP {response.status} and {len(response.body)} bytes"
        )
    return len(response.body)


def request_s(url: str, repeats: int = 5, timeout_s: float = CALIBRATION_TIMEOUT_S) -> float:
    """The median wall time of one request with the minimal client, over ``repeats``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _fetch(url, lambda: exchange_blocking(url, timeout_s))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def server_cpu_per_request_s(
    url: str, server_pid: int, burst: int = 256, bursts: int = 3, timeout_s: float = CALIBRATION_TIMEOUT_S
) -> float:
    """The server's median CPU time per request, over ``bursts`` of ``burst`` concurrent requests.

    The requests come from the minimal client on one asyncio loop, all in flight at
    once as in a large case: a server answering many connections at a time spends
    less CPU on each than one answering a few, so a small burst would overstate it
    and the ideal built on it would no longer be a lower bound.
    """
    server = ServerCpu(server_pid)
    # One socket per request: under a low open-files limit ('ulimit -n 256') the
    # burst shrinks to what fits rather than failing with EMFILE.
    free = free_descriptors()
    if free is not None:
        burst = max(1, min(burst, free))

    async def all_at_once() -> None:
        await asyncio.gather(*(exchange_async(url, timeout_s) for _ in range(burst)))

    per_request = []
    for _ in range(bursts):
        before = server.cpu_s()
        _fetch(url, lambda: asyncio.run(all_at_once()))
        per_request.append((server.cpu_s() - before) / burst)
    return statistics.median(per_request)


def calibrate_url(url: str, server_pid: int | None = None, repeats: int = 5) -> HttpCalibration:
    """Gate ``url``, then measure one request and (given the server's pid) its CPU per request."""
    body_bytes = gate(url)
    one = request_s(url, repeats)
    cpu = server_cpu_per_request_s(url, server_pid) if server_pid is not None else None
    return HttpCalibration(request_s=one, body_bytes=body_bytes, server_cpu_per_request_s=cpu)
