"""Outgoing addresses: robots only on their official https hosts, webhooks never to this machine or the intranet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from hazardloop.notifications.channels import CHANNELS, AddressRefused, DeliveryFailed
from tests.conftest import assert_problem


class Receiver(BaseHTTPRequestHandler):
    """A local server an attacker would like the worker to reach; ``/redirect`` sends it elsewhere."""

    hits: ClassVar[list[tuple[str, str]]] = []

    def _answer(self) -> None:
        self.hits.append((self.command, self.path))
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/internal-admin")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        raw = json.dumps({"errcode": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def set_robot(client, channel: str, address: str):
    return client.client.put("/api/v1/notifications/preferences", headers={"X-CSRF-Token": client.csrf},
                             json={"channel": channel, "address": address})


@pytest.mark.parametrize("address", [
    "file:///etc/passwd",
    "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",  # not https
    "https://127.0.0.1:6379/",
    "https://169.254.169.254/latest/meta-data/",
    "https://evil.example.com/cgi-bin/webhook/send",
    "https://qyapi.weixin.qq.com.evil.example.com/send",
    "https://qyapi.weixin.qq.com@127.0.0.1/send",
    "https://qyapi.weixin.qq.com:8443/send",
    "gopher://qyapi.weixin.qq.com/",
    "not a url at all",
])
@pytest.mark.parametrize("channel", ["wecom", "dingtalk"])
def test_robot_addresses_must_be_https_on_the_robots_official_hosts(login, make_user, channel, address):
    user = login(make_user("admin"))
    body = assert_problem(set_robot(user, channel, address), 422, "address_refused")
    assert "https://" in body["detail"] and "qyapi.weixin.qq.com" in body["detail"]
    assert body["errors"][0]["field"] == "address"
    assert user.get("/api/v1/notifications/preferences").get_json() == []


@pytest.mark.parametrize(("channel", "address"), [
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc#SEC0123456789"),
])
def test_the_official_robot_addresses_are_accepted_and_kept(login, make_user, channel, address):
    user = login(make_user("admin"))
    response = set_robot(user, channel, address)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["address"] == address
    assert_problem(set_robot(user, channel, "http://127.0.0.1:8080/robot/send"), 422, "address_refused")
    assert [p["address"] for p in user.get("/api/v1/notifications/preferences").get_json()] == [address]


def test_a_robot_address_is_checked_again_when_sending(app, receiver, monkeypatch):
    # A row written before the check existed (or by hand) still never reaches this machine or a file.
    for address in (f"{receiver}/robot/send?key=abc", "file:///etc/passwd"):
        for channel in ("wecom", "dingtalk"):
            with pytest.raises(AddressRefused):
                CHANNELS[channel].send(address, title="t", body="b", key="k")
    assert Receiver.hits == []
    # An intranet relay is allowed only when configured, by its exact origin.
    monkeypatch.setitem(app.config, "ROBOT_HOSTS", [*app.config["ROBOT_HOSTS"], receiver])
    CHANNELS["wecom"].send(f"{receiver}/robot/send?key=abc", title="t", body="b", key="k")
    assert Receiver.hits == [("POST", "/robot/send?key=abc")]


PRIVATE_URLS = [
    "http://127.0.0.1:9/hooks",
    "http://localhost/hooks",
    "http://10.0.0.5/hooks",
    "http://172.16.3.4/hooks",
    "https://192.168.1.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://0.0.0.0/hooks",
    "http://100.64.0.1/hooks",
    "http://224.0.0.1/hooks",
    "http://2130706433/hooks",  # 127.0.0.1 written as one number
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_webhook_subscribers_may_not_point_at_this_machine_or_the_intranet(login, make_user, url):
    admin = login(make_user("admin"))
    body = assert_problem(admin.post("/api/v1/webhooks", json={"name": "城市平台", "url": url}), 422,
                          "address_refused")
    assert "内网" in body["detail"] and body["errors"][0]["field"] == "url"
    assert admin.get("/api/v1/webhooks").get_json() == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://93.184.215.14/x", "gopher://93.184.215.14/",
                                 "dict://93.184.215.14:11211/"])
def test_webhooks_are_http_or_https_only(app, db, login, make_user, url, monkeypatch):
    from hazardloop.notifications.webhooks import deliver_webhook

    admin = login(make_user("admin"))
    assert_problem(admin.post("/api/v1/webhooks", json={"name": "城市平台", "url": url}), 422)
    # Never opened at sending either, even with private addresses allowed.
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    with pytest.raises(AddressRefused):
        deliver_webhook(_subscriber(db, url).id, "evt-0", {"type": "ping"})


def test_an_ipv4_address_inside_ipv6_is_seen_through(app):
    from hazardloop.notifications.channels import webhook_url_problem

    assert "内网" in webhook_url_problem("http://[::ffff:127.0.0.1]/hooks")
    assert "内网" in webhook_url_problem("http://[::ffff:10.0.0.1]:8080/hooks")
    assert webhook_url_problem("https://93.184.215.14/hooks") is None


def test_a_subscriber_cannot_be_moved_into_the_intranet_later(login, make_user):
    admin = login(make_user("admin"))
    created = admin.post("/api/v1/webhooks", json={"name": "城市平台", "url": "https://93.184.215.14/hooks"})
    assert created.status_code == 201, created.get_json()
    moved = admin.patch(f"/api/v1/webhooks/{created.get_json()['id']}", json={"url": "http://127.0.0.1:6379/"})
    assert_problem(moved, 422, "address_refused")
    assert admin.get(f"/api/v1/webhooks/{created.get_json()['id']}").get_json()["url"] == "https://93.184.215.14/hooks"


def _subscriber(db, url: str):
    from hazardloop.notifications.models import WebhookSubscription

    subscription = WebhookSubscription(name="城市平台", url=url, secret="s" * 64, event_kinds=[])
    db.session.add(subscription)
    db.session.commit()
    return subscription


def test_a_webhook_is_checked_again_when_sending(db, receiver):
    # Registered when the name pointed elsewhere (DNS changes), or written directly: the worker refuses.
    from hazardloop.notifications.webhooks import deliver_webhook

    subscription = _subscriber(db, f"{receiver}/hooks")
    with pytest.raises(AddressRefused):
        deliver_webhook(subscription.id, "evt-1", {"type": "ping"})
    assert Receiver.hits == []


def test_webhooks_follow_no_redirect(app, db, receiver, monkeypatch):
    from hazardloop.notifications.webhooks import deliver_webhook

    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)  # an intranet receiver, allowed on purpose
    subscription = _subscriber(db, f"{receiver}/redirect")
    with pytest.raises(DeliveryFailed, match="302"):
        deliver_webhook(subscription.id, "evt-2", {"type": "ping"})
    assert Receiver.hits == [("POST", "/redirect")]  # /internal-admin was never asked for

    subscription.url = f"{receiver}/hooks"
    db.session.commit()
    deliver_webhook(subscription.id, "evt-3", {"type": "ping"})
    assert Receiver.hits[-1] == ("POST", "/hooks")
