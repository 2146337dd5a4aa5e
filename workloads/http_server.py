"""The local HTTP/1.1 server that http_fetch talks to, run in its own process.

``GET /delay/<ms>/bytes/<n>`` waits ``ms`` milliseconds, then answers 200 with an
``n``-byte body, a Content-Length and ``Connection: close`` (as urlopen expects);
``GET /delay/<ms>/json/<n>`` answers the same way with the ``n``-byte JSON document
of :mod:`workloads.json_document` (for fetch_parse).
Built on aiohttp (on uvloop where installed) so that it holds thousands of
concurrent connections and answers a zero-latency request in well under a
millisecond. It listens on 127.0.0.1 only.

The server is a supervisor process and ``--workers W`` worker processes, each with
its own listening socket on the same port (``SO_REUSEPORT``), so the kernel spreads
connections over them and the server can use up to W cores. The supervisor only
starts, watches and stops them; the client side measures the CPU time of all of them.

Run as ``python -m workloads.http_server [--workers W] [PORT]``: it prints
``READY <base-url>`` once every worker listens, and exits when its parent dies or on
SIGTERM/SIGINT, taking its workers with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time

from aiohttp import web

from workloads._process import POLL_S, parent_gone
from workloads.json_document import document

HOST = "127.0.0.1"
MAX_DELAY_MS = 60_000
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
_CHUNK = b"x" * 65536


def _body(n: int) -> bytes:
    reps, rest = divmod(n, len(_CHUNK))
    return _CHUNK * reps + _CHUNK[:rest]


async def _delay_bytes(request: web.Request) -> web.Response:
    try:
        delay_ms = int(request.match_info["ms"])
        n_bytes = int(request.match_info["n"])
    except ValueError:
        raise web.HTTPBadRequest(text="ms and n must be integers") from None
    if not (0 <= delay_ms <= MAX_DELAY_MS and 0 <= n_bytes <= MAX_BODY_BYTES):
        raise web.HTTPBadRequest(text=f"0 <= ms <= {MAX_DELAY_MS}, 0 <= n <= {MAX_BODY_BYTES}")
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    response = web.Response(body=_body(n_bytes), content_type="application/octet-stream")
    response.force_close()
    return response


async def _delay_json(request: web.Request) -> web.Response:
    try:
        delay_ms = int(request.match_info["ms"])
        n_bytes = int(request.match_info["n"])
    except ValueError:
        raise web.HTTPBadRequest(text="ms and n must be integers") from None
    if not (0 <= delay_ms <= MAX_DELAY_MS and 0 <= n_bytes <= MAX_JSON_BYTES):
        raise web.HTTPBadRequest(text=f"0 <= ms <= {MAX_DELAY_MS}, 0 <= n <= {MAX_JSON_BYTES}")
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    response = web.Response(body=document(n_bytes), content_type="application/json")
    response.force_close()
    return response


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    # Watchdog: the server must not outlive the process that started it.
    while not stop.is_set():
        if parent_gone(parent):
            stop.set()
            return
        await asyncio.sleep(POLL_S)


async def serve(port: int = 0, reuse_port: bool = False) -> None:
    """Serve until SIGTERM/SIGINT or the parent's death; print READY with the URL."""
    app = web.Application()
    app.router.add_get("/delay/{ms}/bytes/{n}", _delay_bytes)
    app.router.add_get("/delay/{ms}/json/{n}", _delay_json)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, backlog=4096, reuse_address=True, reuse_port=reuse_port or None)
    await site.start()
    bound_port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watchdog = asyncio.create_task(_watch_parent(os.getppid(), stop))
    print(f"READY http://{HOST}:{bound_port}", flush=True)
    try:
        await stop.wait()
    finally:
        watchdog.cancel()
        await runner.cleanup()


def _run_worker(port: int) -> None:
    """One worker: serve on ``port``, sharing it with the others (SO_REUSEPORT)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port, reuse_port=True))
    else:
        uvloop.run(serve(port, reuse_port=True))


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            proc.terminate()
    for proc in workers:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(n_workers: int, port: int = 0, start_timeout_s: float = 30.0) -> int:
    """Start ``n_workers`` workers on one port, print READY, watch them; return an exit code.

    A socket bound with ``SO_REUSEPORT`` but never listening holds the port for the
    workers (it takes no connections itself).
    """
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind((HOST, port))
    port = holder.getsockname()[1]
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    parent = os.getppid()
    command = [sys.executable, "-m", "workloads.http_server", "--worker", str(port)]
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True) for _ in range(n_workers)
    ]
    try:
        deadline = time.monotonic() + start_timeout_s
        for proc in workers:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("READY") or time.monotonic() > deadline:
                print(f"a server worker did not start (exit code {proc.poll()})", file=sys.stderr, flush=True)
                return 1
            proc.stdout.close()
        print(f"READY http://{HOST}:{port} workers={n_workers}", flush=True)
        # Watchdog: the server must not outlive the process that started it, and
        # is no server once a worker has died.
        while not stop and not parent_gone(parent) and all(proc.poll() is None for proc in workers):
            time.sleep(POLL_S)
        return 0
    finally:
        _stop(workers)
        holder.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point: raise the open-files limit, then supervise workers (or be one)."""
    parser = argparse.ArgumentParser(prog="python -m workloads.http_server", description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes sharing the port (default 1)")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.worker is not None:
        _run_worker(args.worker)
        return
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, not {args.workers}")
    sys.exit(supervise(args.workers, args.port))


if __name__ == "__main__":
    main()
