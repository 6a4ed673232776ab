"""A short way through the server for bounded SPARQL lookups (``kg.sparql.inline``): answered below the
middleware that adds headers and below the router, with the headers that the whole way gave the same request.

Why: an uncached lookup of one IRI answered inline spent more time in the layers around the route (CORS,
signposting, ``Last-Modified``, exception handling, routing, building a Request and a Response) than in
evaluating the query (README, Performance).

How the answer stays the same: the headers of a whole 200 answer to a GET or HEAD of the endpoint are a
function of the request (method, URL, headers, the format parameter) and of the build, never of the
solutions, except two: ``Content-Length``, and ``KG-Truncated`` for an answer the row cap cut. So the lane
never makes headers up. The first bounded lookup with a given method, path, set of request headers, format
parameter and query form goes the whole way, and the lane keeps the headers of its answer when that answer
was 200, whole (with ``Content-Length``) and not cut. A later bounded lookup that matches all of these is
evaluated as the route would (the same ``Job``, the same ``Engine.peek``) and answered here with those
headers, in the same order, and its own ``Content-Length``. The lane keeps headers, never bodies: every
answer is evaluated (or taken from the result cache, as the route would).

Everything else goes the whole way: other paths and methods, a conditional or range request (the
application answers those with 304 or 206), a query string the protocol parser refuses, dataset parameters,
a query that is not bounded or that the guard refuses, an HTML page, and a lookup the engine does not have
at hand (more solutions than ``KG_INLINE_ROWS``, or an error: the route then goes straight to a worker,
without asking the engine a second time). It sits inside admission control and the response cache, so a
lookup answered here still counts against its client's limits.
"""

from __future__ import annotations

from collections import OrderedDict

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..sparql.formats import SOLUTIONS, NotAcceptable, negotiate
from ..sparql.guard import QueryRefused, guard
from ..sparql.inline import bounded
from ..sparql.protocol import ProtocolError, parse_request
from ..sparql.workers import Job
from .links import links_for, url_path
from .response_cache import BYPASS
from .sparql import PATHS, PEEKED, query_job

MAX_KEYS = 256  # request shapes whose answer headers are kept (least recently used dropped first)


class LookupLane:
    """ASGI middleware answering bounded lookups of the endpoint with headers the application gave before."""

    def __init__(self, app: ASGIApp, max_keys: int = MAX_KEYS):
        self.app = app
        self.max_keys = max_keys
        # request shape -> (the answer's headers without Content-Length, where Content-Length stood)
        self._heads: OrderedDict[tuple, tuple[list[tuple[bytes, bytes]], int]] = OrderedDict()
        self.answered = 0  # lookups answered here (for tests and the curious)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lookup = _lookup(scope) if scope["type"] == "http" else None
        if lookup is None:
            await self.app(scope, receive, send)
            return
        key, job = lookup
        head = self._heads.get(key)
        if head is None:
            await self.app(scope, receive, self._recorder(key, send))
            return
        answer = scope["app"].state.engine.peek(job)
        if answer is None:
            scope[PEEKED] = True
            await self.app(scope, receive, send)
            return
        self._heads.move_to_end(key)
        headers, at = head
        headers = list(headers)
        headers.insert(at, (b"content-length", str(len(answer.body)).encode("latin-1")))
        self.answered += 1
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer.body})

    def _recorder(self, key: tuple, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self._keep(key, list(message.get("headers", ())))
            await send(message)

        return sending

    def _keep(self, key: tuple, headers: list[tuple[bytes, bytes]]) -> None:
        names = [name.lower() for name, _ in headers]
        if b"content-length" not in names or b"kg-truncated" in names:
            return  # streamed or cut: a lookup answered here is neither
        at = names.index(b"content-length")
        self._heads[key] = (headers[:at] + headers[at + 1:], at)
        self._heads.move_to_end(key)
        while len(self._heads) > self.max_keys:
            self._heads.popitem(last=False)


def _lookup(scope: Scope) -> tuple[tuple, Job] | None:
    """(the request's shape, the job answering it) for a GET or HEAD of the endpoint asking a bounded
    query, as the route would build them; None for anything the lane leaves to the whole way."""
    if scope["method"] not in ("GET", "HEAD") or scope["path"] not in PATHS or not scope["query_string"]:
        return None
    headers = scope["headers"]
    if any(name in BYPASS for name, _ in headers):
        return None
    state = scope["app"].state
    settings = state.settings
    try:
        req = parse_request(scope["method"], scope["query_string"].decode(), None, b"", settings.max_query_bytes)
    except (ProtocolError, UnicodeDecodeError):
        return None
    if req.query is None or req.has_dataset or not bounded(req.query):
        return None
    request = Request(scope)
    endpoint = links_for(request).url(url_path(scope))
    try:
        guarded = guard(req.query, max_bytes=settings.max_query_bytes, max_nesting=settings.max_nesting,
                        base=endpoint, allowed_graphs=frozenset(state.graphs))
        fmt = negotiate(request.headers.get("accept"), SOLUTIONS, req.format)
    except (QueryRefused, NotAcceptable):
        return None
    if fmt.kind == "html":
        return None
    server = scope.get("server")
    key = (scope["method"], scope["scheme"], tuple(server) if server else None, scope.get("root_path", ""),
           scope["path"], tuple(map(tuple, headers)), req.format, guarded.form)
    return key, query_job(req, guarded, fmt, endpoint, settings.max_rows)
