"""`hazardloop run` keeps an idle client connection longer than its proxy does (nginx's upstream
keepalive_timeout, 60 s): a server that closes first races the next request sent on that connection, which
then fails (nginx answers 502 and never repeats a POST; Playwright's reads got ECONNRESET)."""

from __future__ import annotations

import http.client
import select
import time
from urllib.parse import urlsplit

from tests.web.conftest import LiveServer

IDLE_S = 4  # twice gunicorn's default keep-alive (2 s), which closed such connections


def test_an_idle_connection_is_still_open_for_the_next_request(live_server: LiveServer) -> None:
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/api/v1/health")
    first = connection.getresponse()
    first.read()
    assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
    sock = connection.sock
    idle_until = time.monotonic() + IDLE_S
    while time.monotonic() < idle_until:  # idle, watching for the server's close (the socket turns readable)
        readable, _, _ = select.select([sock], [], [], 0.2)
        assert not readable, "服务器在空闲连接上提前关闭了连接"
    connection.request("GET", "/api/v1/health")
    second = connection.getresponse()
    second.read()
    assert second.status == 200 and connection.sock is sock  # the same connection answered
    connection.close()
