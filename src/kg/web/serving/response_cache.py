"""A cache of whole HTTP answers in front of the application, for GET and HEAD.

The result cache (``kg.sparql.cache``) spares a worker the evaluation of a repeated query; the request
still goes through routing, the protocol parser, the guard, negotiation and every middleware, which
measured as most of the time of a cached answer. This cache keeps the answer as it left the application
(status, headers, body) and sends it again, byte for byte, to the next request for the same URL whose
headers the answer said it varies on (``Vary``) are the same: the rules of a shared HTTP cache (RFC 9111),
kept inside the server.

Stored: answers 200 to GET or HEAD, whole (with ``Content-Length``), marked ``public`` with a
``max-age`` (every read answer is; errors are ``no-store``) and kept no longer than that ``max-age``, with
no ``Set-Cookie`` and no ``Vary: *``. Not used: requests with a conditional or range header (the
application answers those, with 304 or 206), and every other method. Bounded by entries and bytes like
the result cache and by the same settings (``KG_CACHE_ENTRIES``, 0 turning both off, and ``KG_CACHE_MB``);
an answer larger than a quarter of the byte budget is passed on and not kept.

It sits inside admission control, so a cached answer still counts against its client's limits.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BYPASS = (b"if-none-match", b"if-modified-since", b"if-match", b"if-unmodified-since", b"if-range", b"range",
          b"authorization", b"cookie")
MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*(\d+)")


@dataclass(frozen=True)
class Stored:
    vary: tuple[bytes, ...]  # request header names, lower case
    values: tuple[bytes | None, ...]  # their values in the request that was answered
    start: Message
    body: bytes
    expires: float
    size: int


class ResponseCache:
    """ASGI middleware answering repeated GET and HEAD requests from memory."""

    def __init__(self, app: ASGIApp, *, max_entries: int, max_bytes: int, clock=time.monotonic):
        self.app = app
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        # (method, scheme, host, path, query) -> the variants stored for that URL, least recently used first
        self._entries: OrderedDict[tuple, list[Stored]] = OrderedDict()
        self._count = 0
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.max_entries < 1 or scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")):
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if any(name in BYPASS for name, _ in headers):
            await self.app(scope, receive, send)
            return
        key = (scope["method"], scope["scheme"], header(headers, b"host"), scope.get("root_path", ""),
               scope["path"], scope["query_string"])
        stored = self._find(key, headers)
        if stored is not None:
            self.hits += 1
            await send({**stored.start, "headers": list(stored.start["headers"])})
            await send({"type": "http.response.body", "body": stored.body})
            return
        self.misses += 1
        await self.app(scope, receive, self._recorder(key, headers, send))

    def _find(self, key: tuple, headers) -> Stored | None:
        variants = self._entries.get(key)
        if not variants:
            return None
        now = self.clock()
        for stored in variants:
            if stored.expires <= now:
                self._drop(key, stored)
                return None
            if vary_values(headers, stored.vary) == stored.values:
                self._entries.move_to_end(key)
                return stored
        return None

    def _recorder(self, key: tuple, request_headers, send: Send) -> Send:
        limit = self.max_bytes // 4
        start: Message | None = None
        parts: list[bytes] = []
        size = 0
        ttl = None
        vary: tuple[bytes, ...] = ()

        async def sending(message: Message) -> None:
            nonlocal start, size, ttl, vary
            if message["type"] == "http.response.start":
                ttl, vary = storable(message)
                if ttl is not None:
                    start = message
            elif message["type"] == "http.response.body" and start is not None:
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    start = None
                    parts.clear()
                else:
                    parts.append(body)
                    if not message.get("more_body", False):
                        values = vary_values(request_headers, vary)
                        self._store(key, Stored(vary, values, start, b"".join(parts), self.clock() + ttl,
                                                size + _header_bytes(start)))
                        start = None
            await send(message)

        return sending

    def _store(self, key: tuple, stored: Stored) -> None:
        if stored.size > self.max_bytes // 4:
            return
        variants = self._entries.setdefault(key, [])
        for old in [v for v in variants if v.vary == stored.vary and v.values == stored.values]:
            self._drop(key, old)
            variants = self._entries.setdefault(key, [])
        variants.append(stored)
        self._entries.move_to_end(key)
        self._count += 1
        self._bytes += stored.size
        while self._count > self.max_entries or self._bytes > self.max_bytes:
            oldest_key, oldest = next(iter(self._entries.items()))
            self._drop(oldest_key, oldest[0])

    def _drop(self, key: tuple, stored: Stored) -> None:
        variants = self._entries.get(key)
        if variants is None or stored not in variants:
            return
        variants.remove(stored)
        self._count -= 1
        self._bytes -= stored.size
        if not variants:
            del self._entries[key]

    def __len__(self) -> int:
        return self._count


def header(headers, name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def vary_values(headers, vary: tuple[bytes, ...]) -> tuple[bytes | None, ...]:
    """A request's values of the headers an answer varies on (``Vary``), None for each it lacks: two requests
    with the same values get the same answer (RFC 9111, 4.1)."""
    return tuple(header(headers, name) for name in vary)


def _header_bytes(start: Message) -> int:
    return sum(len(k) + len(v) for k, v in start.get("headers", ()))


def storable(start: Message) -> tuple[int | None, tuple[bytes, ...]]:
    """(seconds it may be kept, the request headers it varies on) for an answer's start, or (None, ())."""
    if start["status"] != 200:
        return None, ()
    names = {k.lower(): v for k, v in start.get("headers", ())}
    if b"content-length" not in names or b"set-cookie" in names:
        return None, ()
    control = names.get(b"cache-control", b"").decode("latin-1").lower()
    if "public" not in control or "no-store" in control or "private" in control or "no-cache" in control:
        return None, ()
    match = MAX_AGE.search(control)
    if match is None or int(match.group(1)) <= 0:
        return None, ()
    vary = tuple(sorted({v.strip().lower().encode("latin-1")
                         for v in names.get(b"vary", b"").decode("latin-1").split(",") if v.strip()}))
    if b"*" in vary:
        return None, ()
    return int(match.group(1)), vary
