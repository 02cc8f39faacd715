"""The listening socket: connections accepted on it send small writes at once."""

from __future__ import annotations

import asyncio
import socket

from mmbench.serve.server import IdleClock, bind, url_of


def test_accepted_connections_have_nagle_off():
    """As uvicorn serves it (``loop.create_server(sock=...)``): a response written in two
    pieces must not wait for the client's delayed ACK (the ~40 ms per request of #15)."""

    async def accepted_nodelay() -> list[int]:
        seen: list[int] = []

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                conn = transport.get_extra_info("socket")
                seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        sock = bind("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            host, port = sock.getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            for _ in range(1000):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()
        return seen

    seen = asyncio.run(accepted_nodelay())
    assert len(seen) == 1 and seen[0] != 0


def test_a_plain_accept_inherits_nodelay_too():
    with bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        with socket.create_connection(sock.getsockname()[:2]):
            conn, _ = sock.accept()
            with conn:
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert url_of(sock).startswith("http://127.0.0.1:")


def test_idle_clock():
    never = IdleClock(None)
    assert not never.expired()
    at_once = IdleClock(0.0)
    at_once.last -= 1.0
    assert at_once.expired()
    at_once.touch()
    assert not IdleClock(3600.0).expired()
