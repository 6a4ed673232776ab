"""Admission: at most ``KG_MAX_PER_CLIENT`` requests of one client in flight at once, and of those at most
one fewer SPARQL queries *running in a worker* than there are query workers (``KG_WORKERS``), so that one
client's runaway queries never hold every worker while others wait.

The request cap is counted here, as a request arrives. The query cap is counted only when a query needs a
worker: the SPARQL route takes the request's ``QuerySlot`` (in the ASGI scope as ``SLOT``) after the
engine's ``peek`` (the result cache, lookups answered in this process) came back empty. So a client whose
long query holds a worker still gets its cache hits, its bounded lookups and its pages; only a second
query that needs a worker is refused, with 429 and words saying why and when to retry.

One client (one peer address) that opens more requests than that gets ``429 Too Many Requests`` with
``Retry-After`` at once, instead of joining an unbounded queue in front of the query workers. Files that
never touch the query engine (``/static/``, ``/vendor/``, ``/dumps/``) and CORS preflights are not
counted, so a browser loading one page with its assets in parallel is never refused. Behind a reverse
proxy every client shares the proxy's address: set the cap there, or raise it here.

Under ``kg serve --processes N`` the counts are shared by the N front-end processes
(``client_counts.SharedCounts``), so the caps hold for the whole server (exactly within each process;
across processes a client may pass them by one request per other process at one instant).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ...messages import Said, say
from ..i18n import choose_language
from .client_counts import BUSY, QUERIES, REQUESTS, LocalCounts, SharedCounts

UNCOUNTED = ("/static/", "/vendor/", "/dumps/", "/dumps")
RETRY_AFTER = 1  # seconds a refused client is asked to wait
SLOT = "kg.query_slot"  # the scope key of a counted request's QuerySlot


class QuerySlot:
    """One request's claim on its client's query cap, taken at most once (``take``), given back with the
    request when its answer has been sent."""

    def __init__(self, counts, client: str, max_queries: int):
        self.counts = counts
        self.client = client
        self.max_queries = max_queries
        self.taken = False

    def take(self) -> tuple[int, Said] | None:
        """Count this request's query in, or give the status and the words saying why it may not run now."""
        if self.taken:
            return None
        refused = self.counts.acquire_query(self.client, self.max_queries)
        if refused is None:
            self.taken = True
            return None
        if refused == QUERIES:
            return 429, Said("query_cap_one" if self.max_queries == 1 else "query_cap", n=self.max_queries,
                             seconds=RETRY_AFTER)
        return 503, Said("server_busy")


class AdmissionControl:
    """ASGI middleware counting in-flight requests per client address, in this process (``counts`` None)
    or in the table that the front-end processes share."""

    def __init__(self, app: ASGIApp, max_per_client: int, workers: int = 2,
                 counts: LocalCounts | SharedCounts | None = None):
        self.app = app
        self.max_per_client = max_per_client
        self.max_queries = min(max_per_client, max(1, workers - 1))
        self.counts = counts or LocalCounts()

    @property
    def in_flight(self) -> dict[str, int]:
        return self.counts.in_flight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or scope["path"].startswith(UNCOUNTED):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "-"
        refused = self.counts.acquire(client, False, self.max_per_client, self.max_queries)
        if refused == REQUESTS:
            await _refuse(scope, send, 429, Said("too_many_requests", n=self.max_per_client))
            return
        if refused == BUSY:
            await _refuse(scope, send, 503, Said("server_busy"))
            return
        released = False
        slot = scope[SLOT] = QuerySlot(self.counts, client, self.max_queries)

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.counts.release(client, slot.taken)

        async def sending(message) -> None:
            # released before the last bytes go out: a client that sends its next request as soon as it has
            # the answer must find its slot free (the HTTP server may start that request before this task ends)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()


async def _refuse(scope: Scope, send: Send, status: int, why: Said) -> None:
    """Answer at once, in the client's language (Accept-Language), before any route is reached."""
    lang = choose_language(None, Headers(scope=scope).get("accept-language"))
    body = (say("retry_after", lang, message=why.said(lang), seconds=RETRY_AFTER) + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER).encode()),
        (b"cache-control", b"no-store"),
        (b"vary", b"Accept-Language"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
