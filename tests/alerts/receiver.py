"""A webhook receiver on 127.0.0.1 standing in for Slack and its kin (Apprise ``json://`` URLs):
it keeps every message it answered 200 to; ``mode`` makes it fail (HTTP 500) or hang."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | fail | hang
        self.hang_s = 3.0
        self.messages: list[dict] = []
        self.gets: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._answer(self, json.loads(body or b"{}"))

            def do_GET(self) -> None:  # noqa: N802
                receiver._answer(self, None)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler, message: dict | None) -> None:
        mode = self.mode
        if mode == "hang":
            time.sleep(self.hang_s)
            return  # the connection is closed without an answer
        if mode == "fail":
            handler.send_response(500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        with self._lock:
            if message is None:
                self.gets.append(handler.path)
            else:
                self.messages.append(message)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        with self._lock:
            return [m.get("title", "") for m in self.messages]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
