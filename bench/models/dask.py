"""dask: dask.distributed, ``Client.map`` then ``Client.gather``, on a cluster.

By default each session starts an embedded ``LocalCluster``: one worker process per
core, one thread each, no dashboard, on 127.0.0.1. It starts before the first case,
outside every timed region, and closes when the session ends. ``--dask-scheduler
ADDRESS`` (or ``DASK_SCHEDULER=``) runs the same cases on an existing cluster
instead, whose workers must be able to import this project. The address must read
``tcp://HOST:PORT`` (or ``HOST:PORT``), and the run fails before any session starts
when that scheduler does not answer dask's handshake within 5 s: refused, silent, or
something else than a scheduler.

A round submits N tasks with ``pure=False`` (so none is served from an earlier
round's result) and gathers them. Every task travels from this process to the
scheduler, to a worker and back, so a task's cost includes those hops and dask's
bookkeeping: the ``spawn`` micro-cost measures it alone, next to ``process_pool``'s.
dask batches the messages on each hop (the client sends at most every 10 ms, the
scheduler to a worker every 5 ms: ``BatchedSend`` intervals in distributed 2024-2026),
so one task at a time takes about 10 ms however little it does; many tasks at once
share those batches.

The cluster's scheduler, workers and cores go into the session's machine info, and
ideals count the cluster's cores, not this machine's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any, ClassVar

from bench.machine import cpu_count
from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._loop import Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from bench.models._base import Model, Task, Traits
from bench.models._by_value import packed, run_packed, send_by_value
from bench.models._skips import NO_LIVE_TASKS, NOT_IPC
from workloads.protocol import Form, Option

#: How long connecting to a scheduler may take before it counts as unreachable.
CONNECT_TIMEOUT_S = 5.0
#: Longest one micro-cost task may take before the case fails.
ROUND_TIMEOUT_S = 120.0


@contextmanager
def cluster(address: str | None) -> Iterator[Any]:
    """A connected ``Client``: to ``address``, or to an embedded ``LocalCluster`` made and closed here."""
    from distributed import Client, LocalCluster

    if address:
        with Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=cpu_count(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        yield client


def cluster_facts(client: Any, embedded: bool) -> dict[str, Any]:
    """The cluster ``client`` is connected to: its scheduler, workers and their threads."""
    try:
        info = client.scheduler_info(n_workers=-1)  # newer releases list 5 workers unless asked for all
    except TypeError:
        info = client.scheduler_info()
    workers = info["workers"]
    return {
        "scheduler": client.scheduler.address,
        "embedded": embedded,
        "workers": len(workers),
        "cores": sum(int(worker["nthreads"]) for worker in workers.values()),
    }


def gathered(client: Any, futures: list[Any]) -> list[Any]:
    """The results of ``futures`` in order; the first task error is raised, and nothing is left running.

    A round that never ends is ended by the session's per-case timeout.
    """
    try:
        return list(client.gather(futures))
    finally:
        client.cancel([future for future in futures if not future.done()])


@contextmanager
def spawn_submits(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K ``submit(...).result()`` round trips, one after another, on the session's cluster.

    Run without a session (``python -m bench.bare_loops``), it makes an embedded
    cluster of its own, outside the timed region.
    """
    with cluster(None) if Dask.current is None else nullcontext(Dask.current) as client:
        client.submit(ran, pure=False).result(ROUND_TIMEOUT_S)  # every connection is made here, untimed

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += client.submit(ran, pure=False).result(ROUND_TIMEOUT_S)
            return done

        yield Loop(one_round, counted(k, "spawn: dask tasks finished"), k)


#: A scheduler's address: ``tcp://HOST:PORT`` or ``HOST:PORT`` (HOST a name, an IPv4 or a bracketed IPv6).
_ADDRESS = re.compile(
    r"^(?:tcp://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(?P<port>\d{1,5})$"
)


def _scheduler_address(text: str) -> str:
    """``--dask-scheduler``: a ``tcp://HOST:PORT`` address, refused in one line when it is not one."""
    address = text.strip()
    found = _ADDRESS.match(address)
    if address and (found is None or not 0 < int(found["port"]) < 65536):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a dask scheduler address; give tcp://HOST:PORT, as the scheduler prints it"
        )
    return address


async def _identity(address: str) -> Mapping[str, Any]:
    """Ask the scheduler at ``address`` who it is, over dask's own protocol."""
    from distributed.comm import connect
    from distributed.core import send_recv

    comm = await connect(address if "://" in address else f"tcp://{address}", timeout=CONNECT_TIMEOUT_S)
    try:
        reply = await send_recv(comm, op="identity")
    finally:
        comm.abort()
    return reply if isinstance(reply, Mapping) else {}


def handshake_problem(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """Why the scheduler at ``address`` cannot be used, or None: the whole handshake takes at most ``timeout_s``.

    A plain TCP connection first (a refused port fails at once), then dask's handshake
    and an ``identity`` request, cut off at the deadline, so a server that accepts and
    says nothing holds the run for ``timeout_s``, not for as long as it likes. No
    ``Client`` is made, so none is left half-built for the interpreter to clean up.
    """
    found = _ADDRESS.match(address)
    if found is None:
        return "not a tcp://HOST:PORT address"
    try:
        socket.create_connection((found["host"].strip("[]"), int(found["port"])), timeout=timeout_s).close()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(address), timeout_s))
    except asyncio.TimeoutError:
        return f"no answer to dask's handshake within {timeout_s:g} s (is it a dask scheduler?)"
    except Exception as exc:  # any failure of the handshake is reported, naming the scheduler
        return " ".join(str(exc).split()) or type(exc).__name__
    if identity.get("type") != "Scheduler":
        return f"it answers as {identity.get('type') or 'something else'}, not as a dask scheduler"
    return None


class Dask(Model):
    """``Client.map`` + ``gather`` of N tasks on a dask.distributed cluster made outside timing."""

    name = "dask"
    form = Form.BLOCKING
    summary = "dask.distributed Client.map + gather (embedded LocalCluster: a worker process per core, 1 thread)"
    traits = Traits(waits="process", parallel_python=True, in_parent=False, fixed_pool=True, own_interpreter=True)
    colour = "#843c39"
    requires = ("distributed",)
    packages = ("dask", "distributed")
    options = (
        Option(
            "--dask-scheduler",
            "run the dask cases on the cluster of this scheduler (tcp://HOST:PORT) instead of an embedded LocalCluster",
            env="DASK_SCHEDULER",
            metavar="ADDR",
            parse=_scheduler_address,
        ),
    )
    #: The session's client while a session is open (micro-cost loops borrow it).
    current: ClassVar[Any] = None

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_submits, "submit + result through the scheduler", PerProfile(quick=20)),
                SWITCH: Skip(
                    "a dask task cannot hand control to another task without blocking a worker; the hand-over between "
                    "two processes is processes' switch"
                ),
                IPC: Skip(NOT_IPC + "dask moves tasks and results between its processes over TCP"),
                MEMORY: Skip(
                    "dask " + NO_LIVE_TASKS + "a fixed set of workers runs the tasks and a queued task is a small item "
                    "in the scheduler; processes' memory is the cost of a process per task"
                ),
            }
        )

    @classmethod
    def preflight(cls, options: Mapping[str, Any]) -> str | None:
        address = options.get("dask_scheduler")
        if not address:
            return None
        reason = handshake_problem(address)
        if reason is None:
            return None
        return f"cannot use the dask scheduler at {address} (--dask-scheduler / DASK_SCHEDULER): {reason}"

    @classmethod
    @contextmanager
    def session(cls, options: Mapping[str, Any]) -> Iterator[Any]:
        address = options.get("dask_scheduler")
        with cluster(address) as client:
            cls.current = client
            try:
                yield {"client": client, **cluster_facts(client, embedded=not address)}
            finally:
                cls.current = None

    @classmethod
    def machine_info(cls, state: Any) -> Mapping[str, Any]:
        return {"dask_cluster": {key: value for key, value in state.items() if key != "client"}}

    @classmethod
    def cores(cls, state: Any) -> int | None:
        return int(state["cores"])

    def capacity(self, n_tasks: int) -> int | None:
        return int(self.session_state["cores"]) if self.session_state else None

    def parameters(self) -> Mapping[str, Any]:
        facts = self.session_state or {}
        return {"workers": facts.get("workers"), "cluster": "embedded" if facts.get("embedded") else "external"}

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        if not self.session_state:
            raise RuntimeError("the dask model runs inside a session, which connects it to its cluster")
        client = self.session_state["client"]
        if send_by_value(task):
            # dask pickles a task's function by reference inside its own task objects,
            # whatever cloudpickle's registry says: a task from a user's file goes packed.
            futures = client.map(run_packed, [packed(task)] * n_tasks, range(n_tasks), pure=False)
        else:
            futures = client.map(task, range(n_tasks), pure=False)
        return gathered(client, futures)
