"""gunicorn's sync worker with its own error answers in the APIs' JSON shape.

gunicorn answers a request it cannot parse (a request line over ``limit_request_line``:
414, too many or too large headers: 431, a malformed request line: 400) itself, before
Django sees it, with an HTML page. Its path is not known then (the request line is what
failed), and such requests come from programs, not browsers: every one of these answers
is JSON in the one error shape (core/errors.py), so a client of /api/ reads a 414 like
any other error of the API. Django's own answers are untouched.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn.workers.sync import SyncWorker

# Each status gunicorn answers itself, named as the API names it (core/api_errors.py).
CODES = {
    400: "bad_request",
    403: "permission_denied",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
}


class _JsonErrorSocket:
    """The client socket as gunicorn's error writer sees it: the page it writes (status
    line, headers, HTML) goes out as the same status with a JSON body."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        status_line = data.partition(b"\r\n")[0].decode("latin-1")
        _, status, reason = (status_line.split(" ", 2) + ["", ""])[:3]
        code = CODES.get(int(status), "error") if status.isdigit() else "error"
        body = json.dumps({"error": {"code": code, "message": reason}}).encode()
        head = (
            f"{status_line}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self._sock.sendall(head.encode("latin-1") + body)


class JsonErrorSyncWorker(SyncWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, _JsonErrorSocket(client), addr, exc)
