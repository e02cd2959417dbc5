"""gunicorn's settings for the portal (read from the working directory by default, so `make
bench`, CI and a deployer's `gunicorn covenant.wsgi` from the repository get them).

What gunicorn answers itself — a request line over its 4094-byte limit (414), malformed request
lines or headers (400), oversized headers (431) — comes in the portal's error shape,
`{"error": {"code", "message"}}`, as JSON, instead of gunicorn's HTML page. (Under other
servers the same 4 KB limit is enforced by covenant.guards.RequestGuardMiddleware.)"""

from __future__ import annotations

import json
import socket

from gunicorn import util

limit_request_line = 4094  # gunicorn's default, stated: the portal's 4 KB address limit
limit_request_fields = 100
limit_request_field_size = 8190

_CODES = {
    400: "bad_request",
    403: "permission_denied",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "server_error",
    501: "not_implemented",
}


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    message = f"{reason}: {mesg}" if mesg else reason
    body = json.dumps(
        {"error": {"code": _CODES.get(status_int, "bad_request"), "message": message[:300]}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error  # the workers call util.write_error by name
