"""A loopback HTTP server speaking Kannel's sendsms interface: answers `202 0: Accepted for
delivery`, and counts messages by our id (carried in dlr-url), so a resend after a crash is
acknowledged but delivered once. Also runnable from a checkout as
`python -m tests.support.emulators.sms.http_sink PORT FILE`."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def message_id(params: dict[str, str]) -> str:
    dlr = params.get("dlr-url", "")
    query = parse_qs(urlsplit(dlr).query)
    ident = (query.get("id") or [params.get("id") or ""])[0]
    part = (query.get("part") or [""])[0]
    return f"{ident}#{part}" if part else ident


class SinkState:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.messages: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.fail_next = 0  # answer this many requests with 503

    def accept(self, params: dict[str, str]) -> int:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            mid = message_id(params)
            self.requests[mid] += 1
            self.messages.setdefault(mid, params)
            return 202

    @property
    def unique(self) -> int:
        return len(self.messages)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle/delayed-ACK stalls

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}
        status = self.server.state.accept(params)
        body = b"0: Accepted for delivery" if status == 202 else b"Service temporarily unavailable"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], state: SinkState) -> None:
        super().__init__(addr, _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-request (the crash test does that on purpose)


class HttpSink:
    """`with HttpSink() as sink: ... sink.url, sink.state.unique`"""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = SinkState()
        self.server = _Server((host, port), self.state)
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-sink", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/cgi-bin/sendsms"

    def __enter__(self) -> HttpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def dump(self) -> dict[str, Any]:
        with self.state.lock:
            return {"requests": dict(self.state.requests), "unique": self.state.unique}


if __name__ == "__main__":
    import sys

    with HttpSink(port=int(sys.argv[1])) as sink:
        print(sink.url, flush=True)
        try:
            threading.Event().wait()
        finally:
            print(json.dumps(sink.dump()))
