"""A short way through the server for bounded SPARQL lookups (``kg.sparql.inline``): answered below the
middleware that adds headers and below the router, with the headers that the whole way gave the same request.

Why: an uncached lookup of one IRI answered inline spent more time in the layers around the route (CORS,
signposting, ``Last-Modified``, exception handling, routing, building a Request and a Response) than in
evaluating the query (bench/results/2026-11-readme-runs.md).

How the answer stays the same: the headers of a whole 200 answer to a GET or HEAD of the endpoint are a
function of the request and of the build, never of the solutions, except two: ``Content-Length``, and
``KG-Truncated`` for an answer the row cap cut. So the lane never makes headers up. It keeps the headers of
answers that went the whole way, by the rules the response cache (and any shared HTTP cache, RFC 9111)
relies on: one answer's headers stand for every request with the same method, scheme, host, path and
format parameter whose request headers named in the answer's ``Vary`` are the same (here ``Accept``; a
client's own headers, such as the ``X-Forwarded-For`` a proxy adds, do not count), and only answers a
shared cache may keep (``public`` with a ``max-age``, whole, with no ``Set-Cookie``) and that were not cut.
The query's form (SELECT or ASK) is part of the match. A bounded lookup that matches kept headers is
evaluated as the route would (the same ``Job``, the same ``Engine.peek``) and answered here with those
headers, in the same order, and its own ``Content-Length``. The lane keeps headers, never bodies: every
answer is evaluated (or taken from the result cache, as the route would).

Everything else goes the whole way: other paths and methods, a conditional or range request (the
application answers those with 304 or 206), a query string the protocol parser refuses, dataset parameters,
a query that is not bounded or that the guard refuses, an HTML page, a lookup the engine does not have at
hand (more solutions than ``KG_INLINE_ROWS``, or an error: the route then goes straight to a worker, without
asking the engine a second time), and one whose answer at hand the row cap cut (the result cache keeps cut
answers; the route sends them with ``KG-Truncated``). It sits inside admission control and the response
cache, so a lookup answered here still counts against its client's limits.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...sparql.formats import SOLUTIONS, NotAcceptable, negotiate
from ...sparql.guard import QueryRefused, guard
from ...sparql.inline import bounded
from ...sparql.protocol import ProtocolError, parse_request
from ...sparql.engine import Job
from ..links import links_for, url_path
from .response_cache import BYPASS, storable, vary_values
from ..services.sparql import PATHS, PEEKED, query_job

MAX_KEYS = 256  # request shapes whose answer headers are kept (least recently used dropped first)
MAX_VARIANTS = 8  # headers kept per request shape, one per set of values of the headers they vary on
MAX_MATCH_BYTES = 1024  # a request whose Host or varied-on headers are longer is never kept or matched
MAX_PLANS = 512  # requests whose plan (``_plan``) is remembered (least recently used dropped first)
MAX_PLAN_BYTES = 2048  # a request whose query string, Host or Accept is longer is planned afresh each time


@dataclass(frozen=True)
class Kept:
    vary: tuple[bytes, ...]  # request header names, lower case
    values: tuple[bytes | None, ...]  # their values in the request that went the whole way
    headers: list[tuple[bytes, bytes]]  # the answer's, without Content-Length
    at: int  # where Content-Length stood


class LookupLane:
    """ASGI middleware answering bounded lookups of the endpoint with headers the application gave before."""

    def __init__(self, app: ASGIApp, max_keys: int = MAX_KEYS):
        self.app = app
        self.max_keys = max_keys
        # request shape -> the headers kept for it, one per set of values of the headers they vary on
        self._heads: OrderedDict[tuple, list[Kept]] = OrderedDict()
        # what _plan found for a request, by everything it reads of the request
        self._plans: OrderedDict[tuple, tuple[tuple, Job] | None] = OrderedDict()
        self.answered = 0  # lookups answered here (for tests and the curious)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lookup = self._plan(scope) if scope["type"] == "http" else None
        if lookup is None:
            await self.app(scope, receive, send)
            return
        key, job = lookup
        kept = self._find(key, scope["headers"])
        if kept is None:
            await self.app(scope, receive, self._recorder(key, scope["headers"], send))
            return
        answer = scope["app"].state.engine.peek(job)
        # not at hand, or cut by the row cap (the result cache keeps cut answers): the route answers with KG-Truncated
        if answer is None or answer.truncated:
            scope[PEEKED] = True
            await self.app(scope, receive, send)
            return
        headers = list(kept.headers)
        headers.insert(kept.at, (b"content-length", str(len(answer.body)).encode("latin-1")))
        self.answered += 1
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer.body})

    def _plan(self, scope: Scope) -> tuple[tuple, Job] | None:
        """``_lookup`` of a GET or HEAD of the endpoint with a query string, remembered for up to ``MAX_PLANS`` requests by everything it reads of the
        request: method, scheme, server address, root path, path, query string, and the first Host and
        Accept headers (the ones the route reads), provided no header sends the request the whole way
        (``BYPASS``). The app's settings and graphs, the rest of what it reads, do not change while it
        serves. Parsing, guarding and negotiating are remembered on their own too; this spares building
        the request's links, key and job again for a lookup asked before."""
        if scope["method"] not in ("GET", "HEAD") or scope["path"] not in PATHS or not scope["query_string"]:
            return None
        host = accept = None
        for name, value in scope["headers"]:
            if name in BYPASS:
                return None
            if name == b"host" and host is None:
                host = value
            elif name == b"accept" and accept is None:
                accept = value
        query = scope["query_string"]
        if max(len(query), len(host or b""), len(accept or b"")) > MAX_PLAN_BYTES:
            return _lookup(scope, host, accept)
        server = scope.get("server")
        memo = (scope["method"], scope["scheme"], tuple(server) if server else None, scope.get("root_path", ""),
                scope["path"], query, host, accept)
        try:
            plan = self._plans[memo]
        except KeyError:
            plan = self._plans[memo] = _lookup(scope, host, accept)
            if len(self._plans) > MAX_PLANS:
                self._plans.popitem(last=False)
            return plan
        self._plans.move_to_end(memo)
        return plan

    def _find(self, key: tuple, headers) -> Kept | None:
        for kept in self._heads.get(key, ()):
            if vary_values(headers, kept.vary) == kept.values:
                self._heads.move_to_end(key)
                return kept
        return None

    def _recorder(self, key: tuple, request_headers, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._keep(key, request_headers, message)
            await send(message)

        return sending

    def _keep(self, key: tuple, request_headers, start: Message) -> None:
        ttl, vary = storable(start)
        headers = list(start.get("headers", ()))
        names = [name.lower() for name, _ in headers]
        if ttl is None or b"kg-truncated" in names:
            return  # not one a shared cache may keep (an error, streamed, private), or cut
        at = names.index(b"content-length")
        values = vary_values(request_headers, vary)
        if sum(len(v) for v in values if v) > MAX_MATCH_BYTES:
            return  # memory bounded whatever the requests' headers hold
        variants = [k for k in self._heads.get(key, ()) if (k.vary, k.values) != (vary, values)]
        self._heads[key] = variants[-(MAX_VARIANTS - 1):] + [Kept(vary, values, headers[:at] + headers[at + 1:], at)]
        self._heads.move_to_end(key)
        while len(self._heads) > self.max_keys:
            self._heads.popitem(last=False)


def _lookup(scope: Scope, host: bytes | None, accept: bytes | None) -> tuple[tuple, Job] | None:
    """(the request's shape, the job answering it) for a GET or HEAD of the endpoint with a query string
    and no header in ``BYPASS`` (``LookupLane._plan`` has checked those), whose first Host and Accept
    headers are ``host`` and ``accept``, when it asks a bounded query, as the route would build them; None
    for anything else the lane leaves to the whole way."""
    state = scope["app"].state
    settings = state.settings
    try:
        req = parse_request(scope["method"], scope["query_string"].decode(), None, b"", settings.max_query_bytes)
    except (ProtocolError, UnicodeDecodeError):
        return None
    if req.query is None or req.has_dataset or not bounded(req.query):
        return None
    endpoint = links_for(Request(scope)).url(url_path(scope))
    try:
        guarded = guard(req.query, max_bytes=settings.max_query_bytes, max_nesting=settings.max_nesting,
                        base=endpoint, allowed_graphs=frozenset(state.graphs))
        fmt = negotiate(None if accept is None else accept.decode("latin-1"), SOLUTIONS, req.format)
    except (QueryRefused, NotAcceptable):
        return None
    if fmt.kind == "html":
        return None
    if host is not None and len(host) > MAX_MATCH_BYTES:
        return None
    server = scope.get("server")
    key = (scope["method"], scope["scheme"], tuple(server) if server else None, scope.get("root_path", ""),
           scope["path"], host, req.format, guarded.form)
    return key, query_job(req, guarded, fmt, endpoint, settings.max_rows)
