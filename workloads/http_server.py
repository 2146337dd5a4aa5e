"""The local HTTP/1.1 server that http_fetch talks to, run in its own process.

``GET /delay/<ms>/bytes/<n>`` waits ``ms`` milliseconds, then answers 200 with an
``n``-byte body, a Content-Length and ``Connection: close`` (as urlopen expects).
Built on aiohttp (on uvloop where installed) so that it holds thousands of
concurrent connections and answers a zero-latency request in well under a
millisecond. It listens on 127.0.0.1 only.

Run as ``python -m workloads.http_server``: it prints ``READY <base-url>`` once
listening, and exits when its parent dies or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys

from aiohttp import web

from bench.parent_watch import POLL_S, parent_gone

HOST = "127.0.0.1"
MAX_DELAY_MS = 60_000
MAX_BODY_BYTES = 64 * 1024 * 1024
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


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    # Watchdog: the server must not outlive the process that started it.
    while not stop.is_set():
        if parent_gone(parent):
            stop.set()
            return
        await asyncio.sleep(POLL_S)


async def serve(port: int = 0) -> None:
    """Serve until SIGTERM/SIGINT or the parent's death; print READY with the URL."""
    app = web.Application()
    app.router.add_get("/delay/{ms}/bytes/{n}", _delay_bytes)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, backlog=4096, reuse_address=True)
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


def main() -> None:
    """Entry point: raise the open-files limit, pick uvloop if present, serve."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port))
    else:
        uvloop.run(serve(port))


if __name__ == "__main__":
    main()
