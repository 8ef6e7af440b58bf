"""A real HTTP server on a free local port that records every POST: what robot channels and webhook subscribers
(对接系统) receive, for the notification tests and the browser journeys alike."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class Recorder(BaseHTTPRequestHandler):
    """Keeps each POST (path, headers, raw body) in ``received`` and answers ``answer`` as JSON."""

    received: ClassVar[list[dict]] = []
    answer: ClassVar[dict] = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        raw = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@contextmanager
def recording_server() -> Iterator[tuple[str, type[Recorder]]]:
    """(origin such as ``http://127.0.0.1:PORT``, Recorder) while the server runs; ``received`` starts empty."""
    Recorder.received = []
    Recorder.answer = {"errcode": 0, "errmsg": "ok"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder
    finally:
        server.shutdown()
        server.server_close()
