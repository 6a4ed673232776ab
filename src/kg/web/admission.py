"""Admission: at most ``KG_MAX_PER_CLIENT`` requests of one client in flight at once.

One client (one peer address) that opens more requests than that gets ``429 Too Many Requests`` with
``Retry-After`` at once, instead of joining an unbounded queue in front of the query workers. Files that
never touch the query engine (``/static/``, ``/vendor/``, ``/dumps/``) and CORS preflights are not
counted, so a browser loading one page with its assets in parallel is never refused. Behind a reverse
proxy every client shares the proxy's address: set the cap there, or raise it here.
"""

from __future__ import annotations

from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

UNCOUNTED = ("/static/", "/vendor/", "/dumps/", "/dumps")
RETRY_AFTER = 1  # seconds a refused client is asked to wait


class AdmissionControl:
    """ASGI middleware counting in-flight requests per client address."""

    def __init__(self, app: ASGIApp, max_per_client: int):
        self.app = app
        self.max_per_client = max_per_client
        self.in_flight: Counter[str] = Counter()  # one event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or scope["path"].startswith(UNCOUNTED):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "-"
        if self.in_flight[client] >= self.max_per_client:
            await _too_many(send, self.max_per_client)
            return
        self.in_flight[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[client] -= 1
            if not self.in_flight[client]:
                del self.in_flight[client]


async def _too_many(send: Send, limit: int) -> None:
    body = (
        f"too many requests at once from your address: at most {limit} may be in flight (KG_MAX_PER_CLIENT); "
        f"retry after {RETRY_AFTER} s\n"
    ).encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER).encode()),
        (b"cache-control", b"no-store"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
