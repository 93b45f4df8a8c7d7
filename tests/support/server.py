"""A real HTTP server on 127.0.0.1 for tests and benchmarks.

Register routes with fixed responses or with a handler that writes the response itself (for
trickling, hanging, huge or malformed answers). Every request is logged with its headers.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading server on which a client dropping its kept-alive connection is no error
    (the loopback server of the tests, and the benchmarks' feed server)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that drops a kept-alive connection is normal; anything else is reported.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with outer._lock:
                    outer.requests.append(
                        Request(
                            "GET",
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                        )
                    )
                    route = outer.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self._send(Response(b"not found", 404, {"Content-Type": "text/plain"}))
                elif isinstance(route, Response):
                    self._send(route)
                else:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        route(self)

            def _send(self, r: Response) -> None:
                try:
                    self.send_response(r.status)
                    names = {k.lower() for k in r.headers}
                    for k, v in r.headers.items():
                        self.send_header(k, v)
                    if "content-length" not in names:
                        self.send_header("Content-Length", str(len(r.body)))
                    self.end_headers()
                    if r.body and r.status != 304:
                        self.wfile.write(r.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._httpd = QuietHTTPServer((host, 0), _Handler)
        self.port = self._httpd.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        handler: Handler | None = None,
    ) -> str:
        """Serve ``path``; returns its absolute URL."""
        with self._lock:
            if handler is not None:
                self.routes[path] = handler
            else:
                data = body.encode("utf-8") if isinstance(body, str) else body
                h = dict(headers or {})
                if content_type:
                    h["Content-Type"] = content_type
                self.routes[path] = Response(data, status, h)
        return self.url(path)

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
