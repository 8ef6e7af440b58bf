"""Web Push in the tests: a local push service that verifies the VAPID token and decrypts what it gets, as a
browser vendor's would, and a message delivered to the app's service worker through the DevTools protocol."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(raw: bytes) -> str:
    """Base64url without padding, as Web Push writes keys."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Base64url with or without its padding, decoded."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_claims(token: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """An ES256 JWT's claims after checking its signature (raw r‖s, RFC 7518 §3.4); raises if it is forged."""
    header, claims, signature = token.split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(unb64(header))["alg"] == "ES256"
    return json.loads(unb64(claims))


@dataclass
class PushService:
    """A browser's push service: keeps the decrypted messages; ``status`` is what it answers."""

    url: str = ""
    status: int = 201
    received: list[dict[str, Any]] = field(default_factory=list)
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = b"0123456789abcdef"

    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                            serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64(public), "auth": b64(self.auth)}


@contextmanager
def serve_push_service(status: int = 201) -> Iterator[PushService]:
    """The push service on a free local port, answering ``status`` to every message, until the block ends."""
    state = PushService(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            scheme, _, params = self.headers["Authorization"].partition(" ")
            fields = dict(p.strip().split("=", 1) for p in params.split(","))
            vapid_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
            claims = verified_claims(fields["t"], vapid_key)
            plain = http_ece.decrypt(body, private_key=state.private_key, auth_secret=state.auth, version="aes128gcm")
            state.received.append({"scheme": scheme, "claims": claims, "ttl": self.headers["TTL"],
                                   "encoding": self.headers["Content-Encoding"], "payload": json.loads(plain)})
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def push_to_service_worker(phone: Any, page: Any, notice: dict[str, Any], timeout_s: float = 15) -> None:
    """Deliver ``notice`` as a push message to the page's service worker (DevTools' ServiceWorker domain), once
    the worker's registration is known to DevTools."""
    cdp = phone.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    origin = page.evaluate("location.origin")
    deadline = time.monotonic() + timeout_s
    while not (mine := [r for r in registrations if r["scopeURL"] == origin + "/" and not r["isDeleted"]]):
        assert time.monotonic() < deadline, "DevTools 未报告本站的 Service Worker 注册"
        page.wait_for_timeout(100)  # Playwright delivers DevTools events only while it waits
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": mine[0]["registrationId"],
                                                   "data": json.dumps(notice, ensure_ascii=False)})
