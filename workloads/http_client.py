"""The minimal HTTP/1.1 client: one request, one response parser, every form.

Every model that runs ``client=minimal`` sends the same request bytes
(:func:`request_bytes`) and reads the answer with the same parser
(:class:`ResponseParser`); only the way a task waits differs:

- :func:`exchange_blocking`: a blocking socket (sequential, threads, pools,
  processes, and gevent once patched);
- :func:`exchange_generator`: a non-blocking socket that yields ``Writable`` and
  ``Readable`` requests to its scheduler (the yield scheduler; the greenlet hub
  drives the same generator);
- :func:`exchange_async`: ``loop.sock_connect`` / ``sock_sendall`` / ``sock_recv``
  on the running event loop (asyncio, uvloop).

The host is resolved once per process and cached (an IP literal is never resolved),
so no form pays a resolver per request. Each exchange has one deadline for the
whole request; past it the task raises :class:`RequestTimeout` naming the URL.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import re
import socket
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from urllib.parse import urlsplit

from workloads.protocol import Readable, Wait, Writable, WrongAnswer

_RECV = 65536
#: The longest response head (status line and headers) the parser accepts.
MAX_HEAD_BYTES = 65536
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?")


class BadResponse(WrongAnswer):
    """The server's answer is not a well-formed HTTP/1.1 response."""


class RequestTimeout(TimeoutError):
    """No complete answer within the request's timeout: names the URL."""


@dataclass(frozen=True)
class Response:
    """A whole response: status, headers (lower-case names) and the decoded body."""

    status: int
    headers: dict[str, str]
    body: bytes


def request_bytes(url: str) -> bytes:
    """The GET request for ``url``; ``Connection: close``, as urlopen sends."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "User-Agent: concurrency-bench\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


@functools.lru_cache(maxsize=64)
def address(url: str) -> tuple[socket.AddressFamily, str, int]:
    """Resolve ``url``'s host once per process: (family, IP, port).

    Raises ValueError for anything but a plain ``http://`` URL with a valid port.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url}: the minimal client speaks plain http:// only")
    port = parts.port or 80
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        family, _, _, _, sockaddr = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)[0]
        return family, str(sockaddr[0]), port
    return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip), port


class ResponseParser:
    """Reads one HTTP/1.1 response fed in pieces and says when it is complete.

    The body ends where the response says: after ``Content-Length`` bytes, after the
    last chunk of a ``Transfer-Encoding: chunked`` body, or at EOF when neither is
    given. :meth:`feed` returns True once the response is complete; :meth:`eof`
    raises :class:`WrongAnswer` if the connection closed before that.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._body = bytearray()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self._mode = ""  # "length", "chunked" or "close" once the head is read
        self._remaining = 0
        self.done = False

    def feed(self, data: bytes) -> bool:
        """Take the next bytes read from the socket; return True once complete."""
        if self.done:
            return True
        self._buffer += data
        if self.status is None and not self._read_head():
            return False
        if self._mode == "length":
            take = self._buffer[: self._remaining]
            self._body += take
            self._remaining -= len(take)
            del self._buffer[: len(take)]
            self.done = self._remaining == 0
        elif self._mode == "chunked":
            self.done = self._read_chunks()
        else:
            self._body += self._buffer
            self._buffer.clear()
        return self.done

    def eof(self) -> None:
        """The peer closed the connection: complete a close-delimited body, or fail."""
        if self.done:
            return
        if self.status is None:
            raise BadResponse(f"http_fetch: the connection closed after {len(self._buffer)} bytes, before a full head")
        if self._mode == "close":
            self.done = True
            return
        if self._mode == "length":
            raise WrongAnswer(
                f"http_fetch: body of {len(self._body)} bytes, Content-Length {self.headers['content-length']}"
            )
        raise WrongAnswer(f"http_fetch: the connection closed inside a chunked body ({len(self._body)} bytes read)")

    def response(self) -> Response:
        """The complete response (call once :meth:`feed` returned True or :meth:`eof` passed)."""
        if not self.done or self.status is None:
            raise WrongAnswer("http_fetch: the response is not complete")
        return Response(self.status, self.headers, bytes(self._body))

    def _read_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            start = bytes(self._buffer[:5])
            if len(self._buffer) > MAX_HEAD_BYTES or not b"HTTP/".startswith(start):
                raise BadResponse(f"http_fetch: not an HTTP response: {bytes(self._buffer[:40])!r}")
            return False
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        match = _STATUS_LINE.fullmatch(lines[0])
        if match is None:
            raise BadResponse(f"http_fetch: not an HTTP status line: {lines[0][:40]!r}")
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise BadResponse(f"http_fetch: malformed header line {line[:40]!r}")
            self.headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        del self._buffer[: end + 4]
        self.status = int(match.group(1))
        if self.status in (204, 304) or 100 <= self.status < 200:
            self._mode, self._remaining = "length", 0
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in self.headers:
            try:
                self._remaining = int(self.headers["content-length"])
            except ValueError:
                raise BadResponse(f"http_fetch: Content-Length {self.headers['content-length']!r}") from None
            self._mode = "length"
        else:
            self._mode = "close"
        return True

    def _read_chunks(self) -> bool:
        while True:
            if self._remaining > 0:  # inside a chunk's data
                take = self._buffer[: self._remaining]
                self._body += take
                self._remaining -= len(take)
                del self._buffer[: len(take)]
                if self._remaining:
                    return False
                self._remaining = -2  # its CRLF is next
            if self._remaining == -2:
                if len(self._buffer) < 2:
                    return False
                if self._buffer[:2] != b"\r\n":
                    raise BadResponse("http_fetch: a chunk does not end with CRLF")
                del self._buffer[:2]
                self._remaining = 0
            if self._remaining == -1:  # after the last chunk: optional trailers, then CRLF
                if self._buffer[:2] == b"\r\n":
                    return True
                return self._buffer.find(b"\r\n\r\n") >= 0
            eol = self._buffer.find(b"\r\n")
            if eol < 0:
                return False
            try:
                size = int(bytes(self._buffer[:eol]).split(b";")[0], 16)
            except ValueError:
                raise BadResponse(f"http_fetch: bad chunk size {bytes(self._buffer[:eol][:20])!r}") from None
            del self._buffer[: eol + 2]
            self._remaining = size if size else -1


def parse_response(raw: bytes) -> Response:
    """Parse a whole response read to EOF with :class:`ResponseParser`."""
    parser = ResponseParser()
    if not parser.feed(raw):
        parser.eof()
    return parser.response()


def _timed_out(url: str, timeout_s: float) -> RequestTimeout:
    return RequestTimeout(f"http_fetch: no complete answer from {url} within {timeout_s:g} s")


# -- the forms ---------------------------------------------------------------------


def exchange_blocking(url: str, timeout_s: float) -> Response:
    """One GET on a blocking socket; gevent's patch makes it cooperative."""
    family, host, port = address(url)
    deadline = time.monotonic() + timeout_s
    parser = ResponseParser()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect((host, port))
        sock.sendall(request_bytes(url))
        while True:
            data = sock.recv(_RECV)
            if not data:
                parser.eof()
                break
            if parser.feed(data):
                break
            if time.monotonic() > deadline:
                raise _timed_out(url, timeout_s)
    except RequestTimeout:
        raise
    except TimeoutError as exc:
        raise _timed_out(url, timeout_s) from exc
    finally:
        sock.close()
    return parser.response()


def exchange_generator(url: str, timeout_s: float) -> Generator[Wait, None, Response]:
    """One GET on a non-blocking socket, yielding to the scheduler for each wait."""
    family, host, port = address(url)
    deadline = time.monotonic() + timeout_s
    parser = ResponseParser()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        error = sock.connect_ex((host, port))
        if error not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            raise ConnectionError(error, f"connect to {host}:{port} failed: {errno.errorcode.get(error, error)}")
        yield Writable(sock, deadline)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise ConnectionError(error, f"connect to {host}:{port} failed: {errno.errorcode.get(error, error)}")
        if time.monotonic() >= deadline:
            raise _timed_out(url, timeout_s)
        pending = memoryview(request_bytes(url))
        while pending:
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _timed_out(url, timeout_s) from None
                yield Writable(sock, deadline)
        while True:
            try:
                data = sock.recv(_RECV)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _timed_out(url, timeout_s) from None
                yield Readable(sock, deadline)
                continue
            if not data:
                parser.eof()
                break
            if parser.feed(data):
                break
    finally:
        sock.close()
    return parser.response()


async def _exchange_async(url: str) -> Response:
    loop = asyncio.get_running_loop()
    family, host, port = address(url)
    parser = ResponseParser()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        await loop.sock_sendall(sock, request_bytes(url))
        while True:
            data = await loop.sock_recv(sock, _RECV)
            if not data:
                parser.eof()
                break
            if parser.feed(data):
                break
    finally:
        sock.close()
    return parser.response()


async def exchange_async(url: str, timeout_s: float) -> Response:
    """One GET with the running loop's ``sock_*`` calls, bounded by ``timeout_s``."""
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(timeout_s):
                return await _exchange_async(url)
        return await asyncio.wait_for(_exchange_async(url), timeout_s)
    except (TimeoutError, asyncio.TimeoutError) as exc:
        raise _timed_out(url, timeout_s) from exc
