"""Running the app: uvicorn on a socket bound here, so ``--port 0`` picks a free port and
the real address is printed (one line on stdout) once requests are accepted.

>>> clock = IdleClock(None)
>>> clock.touch(); clock.expired()
False
"""

from __future__ import annotations

import socket
import time
from typing import Any


class IdleClock:
    """Time since the last request; ``expired()`` after ``timeout_s`` of silence."""

    def __init__(self, timeout_s: float | None) -> None:
        self.timeout_s = timeout_s
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()

    def expired(self) -> bool:
        return self.timeout_s is not None and time.monotonic() - self.last > self.timeout_s


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is) whose connections send
    small writes at once (``TCP_NODELAY``).

    A response goes out as two writes (headers, then body). With Nagle's algorithm the body
    waits for the client to acknowledge the headers, and the client delays that ACK by up to
    40 ms: every request on a keep-alive connection took ~55 ms. asyncio turns Nagle off
    only on sockets whose protocol is ``IPPROTO_TCP`` (a plain ``socket(family,
    SOCK_STREAM)`` says 0), so the protocol is named here, and the option is also set on the
    listening socket, which accepted connections inherit on Linux.

    >>> with bind("127.0.0.1", 0) as sock:
    ...     sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    True
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://HOST:PORT/v1`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def run(app: Any, sock: socket.socket, idle: IdleClock, banner: str) -> None:
    """Serve ``app`` on ``sock`` (see :func:`bind`) until Ctrl-C / SIGTERM, or until ``idle``
    expires."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            idle.touch()
            print(f"{banner} at {url_of(sock)}", flush=True)

        async def on_tick(self, counter: int) -> bool:
            return await super().on_tick(counter) or idle.expired()

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=30)
    _Server(config).run(sockets=[sock])
