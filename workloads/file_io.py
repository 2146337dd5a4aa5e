"""file_io: each task reads and checks its own file of ``file_bytes`` bytes.

Before the case, outside the timed region, one temporary directory is made with a
file per task, and every file is read once, so the reads come from the page cache
(recorded as ``page_cache="warm"``; a cold disk is not measured). The directory is
removed after the case.

Forms: the blocking form opens and reads the file. The coroutine form is the
idiomatic ``await asyncio.to_thread(...)``: asyncio has no non-blocking file API,
so each read goes to the loop's default thread pool. There is no generator form: a
scheduler cannot wait for a regular file to become readable (it always is). gevent
runs the blocking form, patched: gevent does not make file reads cooperative, so a
read runs on the hub's thread and blocks every other greenlet until it returns.

Each task returns its byte count and the file's CRC-32, checked against the content
that was written. Ideal: one read (timed in a fresh interpreter, a median) in waves
of ``cores`` reads, ``ceil(N / cores) * one_read``: page-cache reads are memory
copies, which the cores can do side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workloads._base import fresh_calibration
from workloads.protocol import Calibration, Form, Params, Workload, WrongAnswer
from workloads.report_spec import SPEEDUP, BaselineTable, Claim, Named, Note, ReportSpec, Traits

WORKLOAD_NAME = "file_io"
PAGE_CACHE = "warm"


def content(i: int, size: int) -> bytes:
    """The bytes of task ``i``'s file: its index, repeated, cut to ``size``."""
    unit = f"file {i:07d}\n".encode()
    return (unit * (size // len(unit) + 1))[:size]


def path_of(directory: str, i: int) -> str:
    """Where task ``i``'s file lies."""
    return os.path.join(directory, f"{i:07d}.dat")


def read(i: int, params: Params) -> tuple[int, int]:
    """Read task ``i``'s whole file; return (bytes read, CRC-32)."""
    with open(path_of(params["directory"], i), "rb") as handle:
        data = handle.read()
    return len(data), zlib.crc32(data)


async def read_async(i: int, params: Params) -> tuple[int, int]:
    """The idiomatic asyncio form: the blocking read on the loop's default thread pool."""
    return await asyncio.to_thread(read, i, params)


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless every task read its own file whole."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"file_io: {len(results)} results for {n_tasks} tasks")
    size = params["file_bytes"]
    for i, value in enumerate(results):
        if tuple(value) != (size, zlib.crc32(content(i, size))):
            raise WrongAnswer(f"file_io: task {i} returned {value!r}, not the size and CRC-32 of its own file")


@contextlib.contextmanager
def files(n_files: int, size: int) -> Iterator[str]:
    """A new temporary directory holding ``n_files`` files, each read once (warm page cache); removed on exit."""
    directory = tempfile.mkdtemp(prefix="concurrency-bench-file_io-")
    try:
        for i in range(n_files):
            Path(path_of(directory, i)).write_bytes(content(i, size))
        for i in range(n_files):
            Path(path_of(directory, i)).read_bytes()
        yield directory
    finally:
        # Only the directory made above, with the files written into it.
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def prepare(params: Params) -> Iterator[Mapping[str, Any]]:
    """Write one file per task and read each once, outside the timed region."""
    with files(params["n_tasks"], params["file_bytes"]) as directory:
        yield {"directory": directory}


def describe(form: Form, params: Params) -> Mapping[str, Any]:
    """How the form reads a file: recorded as ``file_api``."""
    api = "asyncio.to_thread (the loop's default thread pool)" if form is Form.COROUTINE else "open().read()"
    return {"file_api": api}


def single_key(params: Params) -> str:
    """Calibration key: the workload and one file's size."""
    return f"file_io:{params['file_bytes']}"


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """``ceil(N / cores)`` waves of one warm read each."""
    one = calibration.of(WORKLOAD_NAME).get(single_key(params))
    if one is None:
        return None
    return math.ceil(n_tasks / max(1, calibration.cpu_count)) * one


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One warm read."""
    return calibration.of(WORKLOAD_NAME).get(single_key(params), 0.0)


def measure_single_process_s(file_bytes: int, repeats: int = 51) -> float:
    """Time one warm read of one file in this process: the median of ``repeats``, after a warmup."""
    import statistics
    import time

    with files(1, file_bytes) as directory:
        params = {"directory": directory, "n_tasks": 1, "file_bytes": file_bytes}
        read(0, params)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            read(0, params)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


#: gevent gaining less than this over the baseline model: its reads did not overlap.
NOT_COOPERATIVE_GAIN = 1.2

REPORT = ReportSpec(
    heading="file reads",
    claims=(
        Claim(
            id="gevent_file_reads_not_cooperative",
            sentence="gevent does not make file reads cooperative: N `file_io` reads under gevent gain "
            "under {threshold}x over {baseline}",
            models=Named(("gevent",)),
            figure=SPEEDUP,
            below=NOT_COOPERATIVE_GAIN,
            also=Traits(waits=("thread", "cooperative"), in_parent=True),
        ),
    ),
    tables=(
        Note(
            title="File reads",
            text="Every task reads its own file from the page cache (each file was read once before timing: "
            "`page_cache=warm`; a cold disk is not measured). asyncio has no non-blocking file API: its form "
            "is `asyncio.to_thread`, the loop's default thread pool. gevent's monkey-patching does not "
            "make file reads cooperative: a read runs on the hub's own thread and blocks every other greenlet "
            "until it returns, so N reads under gevent run one after another.",
        ),
        BaselineTable(
            title="File reads against {baseline}, at {n} tasks",
            text="The models whose tasks live in this process, each read's wall time against {baseline}'s.",
            models=Traits(in_parent=True),
        ),
    ),
)

WORKLOAD = Workload(
    name=WORKLOAD_NAME,
    summary="each task reads and checks its own file (warm page cache); asyncio via to_thread",
    blocking=read,
    coroutine=read_async,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    describe=describe,
    fds_per_task=1,
    prepare=prepare,
    params={
        "smoke": {"file_bytes": 4096, "page_cache": PAGE_CACHE},
        "quick": {"file_bytes": 65_536, "page_cache": PAGE_CACHE},
        "full": {"file_bytes": 16_384, "page_cache": PAGE_CACHE},
    },
    calibrate=fresh_calibration(WORKLOAD_NAME, "file_bytes", single_key),
    measure=measure_single_process_s,
    report=REPORT,
)
