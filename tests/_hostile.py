"""Small hostile HTTP servers on 127.0.0.1 for the tests, started and stopped by them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: How long a hanging server holds a connection before giving up on its own.
HANG_S = 20.0


@contextmanager
def hostile_server(reply: bytes | None, max_connections: int = 50) -> Iterator[str]:
    """Serve ``reply`` (then close) to every connection; ``None``: accept and never answer.

    Yields the server's base URL. Each connection's request head is read first; at
    most ``max_connections`` are served, and everything stops when the block ends.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve_one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                if reply is None:
                    stop.wait(HANG_S)
                    return
                conn.sendall(reply.replace(b"{port}", str(port).encode()))
            except OSError:
                return

    def accept_loop() -> None:
        served = 0
        while not stop.is_set() and served < max_connections:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            served += 1
            held.append(conn)
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in held:
            conn.close()


MID_BODY_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + b"y" * 40
NOT_HTTP = b"SSH-2.0-OpenSSH_9.6\r\n\r\n"
REDIRECT = b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:{port}/elsewhere\r\nContent-Length: 0\r\n\r\n"
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
)
CLOSE_DELIMITED = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"z" * 3000
