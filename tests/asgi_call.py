"""One HTTP request run through an ASGI application in a fresh event loop, for the tests of middleware."""

from __future__ import annotations

import asyncio


def call(app, scope: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The status, headers (in order) and whole body of the answer ``app`` gives the request ``scope``
    (with no body)."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])
