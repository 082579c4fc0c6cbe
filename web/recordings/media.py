"""Streaming a stored recording with HTTP range requests (what an HTML5 <audio> element asks for)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request


def ranged(svc: Any, rec: Any, *, attachment: str | None = None) -> tuple[Response, int]:
    """A 200 or 206 response for `rec`; returns (response, first byte) so the caller can audit."""
    size = int(rec.size_bytes or 0)
    start, end = 0, size - 1
    status = 200
    rng = request.range
    if rng is not None and rng.units == "bytes" and len(rng.ranges) == 1:
        bounds = rng.range_for_length(size)
        if bounds is None:
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{size}"
            return response, 0
        start, stop = bounds
        end, status = stop - 1, 206
    length = end - start + 1
    body: Iterator[bytes] = svc.open(rec, start, length)
    response = Response(body, status=status, mimetype=svc.mime(rec), direct_passthrough=True)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Length"] = str(length)
    response.headers["Cache-Control"] = "private, no-store"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if attachment:
        response.headers["Content-Disposition"] = f'attachment; filename="{attachment}"'
    return response, start
