"""fetch_parse: fetch a JSON document over HTTP, parse it, compute over it (holding the GIL).

Every task GETs ``/delay/<ms>/json/<n>`` from the local server (a deterministic
``n``-byte document, :mod:`workloads.json_document`), then ``json.loads`` it and runs
a small Python loop over its items. The fetch waits; the parse and the loop hold
the GIL and, on an event loop or a hub, hold up every other task: this is where
event loops stall and threads contend.

Every form uses the minimal client of http_fetch (:mod:`workloads.http_client`:
a blocking socket, a generator on a non-blocking socket, the loop's ``sock_*``
calls), so between models only the model differs; the case records it as
``client`` and ``http_library``. The local server is always used, as the check
needs the document's content. Each task returns (status, items, total), checked
against the same computation done outside the timed region.

Ideal: the longer of one request plus one parse (all N in flight at once), and
the CPU that N requests and N parses need spread over the machine's cores.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from workloads.http_client import exchange_async, exchange_blocking, exchange_generator
from workloads.http_fetch import LOCAL_SERVER, SERVER_WORKERS, calibrate_url, local_server_facts, url_facts
from workloads.json_document import document, summarise
from workloads.protocol import Calibration, Form, Params, RunContext, TaskGenerator, Workload, WrongAnswer
from workloads.report_spec import MEDIAN, BesideTable, ReportSpec

WORKLOAD_NAME = "fetch_parse"
#: Every form gives up on one request after this long.
REQUEST_TIMEOUT_S = 30.0


def local_url(base: str, latency_s: float, body_bytes: int) -> str:
    """Build the local server's URL of a JSON document of ``body_bytes`` after ``latency_s``."""
    return f"{base.rstrip('/')}/delay/{round(latency_s * 1000)}/json/{body_bytes}"


def parse(status: int, body: bytes) -> tuple[int, int, int]:
    """Parse a response body and compute over it (Python-level, holding the GIL)."""
    items, total = summarise(json.loads(body))
    return status, items, total


def fetch_parse_blocking(i: int, params: Params) -> tuple[int, int, int]:
    """GET the document on a blocking socket, then parse it."""
    response = exchange_blocking(params["url"], REQUEST_TIMEOUT_S)
    return parse(response.status, response.body)


async def fetch_parse_async(i: int, params: Params) -> tuple[int, int, int]:
    """GET the document with the loop's ``sock_*`` calls, then parse it on the loop."""
    response = await exchange_async(params["url"], REQUEST_TIMEOUT_S)
    return parse(response.status, response.body)


def fetch_parse_generator(i: int, params: Params) -> TaskGenerator:
    """GET the document on a non-blocking socket, yielding for each wait, then parse it."""
    response = yield from exchange_generator(params["url"], REQUEST_TIMEOUT_S)
    return parse(response.status, response.body)


_LIBRARIES: Mapping[Form, str] = {
    Form.BLOCKING: "minimal client, blocking socket",
    Form.GENERATOR: "minimal client, non-blocking socket",
    Form.COROUTINE: "minimal client, loop.sock_*",
}


def describe(form: Form, params: Params) -> Mapping[str, Any]:
    """The client every form uses: recorded as ``client`` and ``http_library``."""
    return {"client": "minimal", "http_library": _LIBRARIES[form]}


@functools.lru_cache(maxsize=8)
def expected(body_bytes: int) -> tuple[int, int]:
    """The right (items, total) of the document, computed outside the timed region."""
    return summarise(json.loads(document(body_bytes)))


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless every task got status 200 and the document's own items and total."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"fetch_parse: {len(results)} results for {n_tasks} tasks")
    items, total = expected(params["body_bytes"])
    for i, (status, got_items, got_total) in enumerate(results):
        if status != 200:
            raise WrongAnswer(f"fetch_parse: task {i} got HTTP {status} from {params['url']}")
        if (got_items, got_total) != (items, total):
            raise WrongAnswer(
                f"fetch_parse: task {i} computed {got_items} items, total {got_total}; expected {items}, {total}"
            )


def parse_key(params: Params) -> str:
    """Calibration key of one parse: the workload and the document's size."""
    return f"fetch_parse:{params['body_bytes']}"


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """max(one request + one parse, N x (server CPU per request + parse) / cores).

    The server and the parses share the machine's cores, so their CPU bounds the
    wall time from below once N is large; without the server's CPU figure the
    second bound counts the parses alone.
    """
    found = url_facts(calibration, WORKLOAD_NAME, params["url"])
    one = found.get("request_s")
    parse_s = calibration.of(WORKLOAD_NAME).get(parse_key(params))
    if one is None or parse_s is None:
        return None
    server = found.get("server_cpu_per_request_s") or 0.0
    return max(one + parse_s, n_tasks * (server + parse_s) / max(1, calibration.cpu_count))


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One request and one parse alone."""
    one = url_facts(calibration, WORKLOAD_NAME, params["url"]).get("request_s")
    if one is None:
        one = float(params.get("latency_s") or 0.0)
    return float(one) + calibration.of(WORKLOAD_NAME).get(parse_key(params), 0.0)


def resolve(params: Params, context: RunContext) -> Params:
    """Set ``url`` to the local server's document: the one place its URL is built."""
    server = local_server_facts(context)
    if server is None:
        raise RuntimeError(f"{WORKLOAD_NAME} needs the local server's base URL")
    return {**params, "url": local_url(server["base"], params["latency_s"], params["body_bytes"])}


def calibrate(params: Params, context: RunContext) -> Mapping[str, Any]:
    """One parse, timed in a fresh interpreter, and the document's URL (one request, the server's CPU)."""
    return {
        parse_key(params): context.fresh_measure(WORKLOAD_NAME, int(params["body_bytes"])),
        params["url"]: calibrate_url(params["url"], context, local=True),
    }


def measure_single_process_s(body_bytes: int, repeats: int = 21) -> float:
    """Time one parse and computation of the document in this process: the median of ``repeats``."""
    import statistics
    import time

    body = document(body_bytes)
    parse(200, body)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        parse(200, body)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


REPORT = ReportSpec(
    heading="fetch then parse",
    tables=(
        BesideTable(
            title="Fetch then parse, beside the fetch alone, at {n} tasks",
            text="`http_fetch` with the minimal client, and `fetch_parse`: the same client fetching a JSON document, "
            "then `json.loads` and a Python loop over it, which hold the GIL (and an event loop or a hub) while "
            "they run.",
            other="http_fetch",
            figure=MEDIAN,
            other_where=(("client", "minimal"),),
        ),
    ),
)

WORKLOAD = Workload(
    name=WORKLOAD_NAME,
    summary="HTTP GET of a JSON document, then json.loads and a Python loop over it (the minimal client)",
    blocking=fetch_parse_blocking,
    coroutine=fetch_parse_async,
    generator=fetch_parse_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    describe=describe,
    fds_per_task=1,
    params={
        "smoke": {"latency_s": 0.01, "body_bytes": 4096},
        "quick": {"latency_s": 0.05, "body_bytes": 16_384},
        "full": {"latency_s": 0.05, "body_bytes": 65_536},
    },
    options=(SERVER_WORKERS,),
    environment=lambda options: LOCAL_SERVER,
    resolve=resolve,
    calibrate=calibrate,
    measure=measure_single_process_s,
    report=REPORT,
)
