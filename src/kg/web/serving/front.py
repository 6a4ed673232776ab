"""The layers every HTTP request meets before FastAPI's own: admission control, then the response cache, then
the lookup lane, in that order, and only then FastAPI (its OpenTelemetry check, Starlette's error and
body-limit middleware, CORS and the other header middleware, the router).

Why in front and not among FastAPI's middleware: an answer these layers give themselves (a response-cache
hit, a bounded lookup answered by the lane, a refusal by admission) does not depend on anything FastAPI's
layers do, and going through them was a measurable part of an uncached lookup's time (bench/results/2026-11-readme-runs.md, "Engine
seam"). What a request that reaches FastAPI meets is unchanged.

What it changes for operators: FastAPI's native OpenTelemetry (off unless a tracer, meter or logger
provider is configured) sees the requests that reach FastAPI, not the ones these layers answer; the HTTP
server's or the reverse proxy's access log counts every request. An exception raised in these layers (none
is expected: each leaves to FastAPI what it cannot answer) is answered 500 by the HTTP server, not by
Starlette's error middleware.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ...config import Settings
from .admission import AdmissionControl
from .client_counts import SharedCounts
from .lookup_lane import LookupLane
from .response_cache import ResponseCache

Layer = TypeVar("Layer")


class FrontedApp(FastAPI):
    """FastAPI with ``front`` (``install``) answering HTTP requests first; lifespan events go straight to
    FastAPI."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.front is not None:
            scope["app"] = self  # as Starlette sets it: the layers read the app's state through it
            await self.front(scope, receive, send)
            return
        await self.behind(scope, receive, send)

    async def behind(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI itself, as the innermost of the front's layers calls it."""
        await super().__call__(scope, receive, send)

    def install(self, settings: Settings, counts: SharedCounts | None = None) -> None:
        """Put the front in place, bounded by ``settings`` (the per-client caps, the caches' sizes);
        ``counts``: the admission table shared with the other front-end processes, if any. With
        ``KG_LOOKUP_LANE`` or ``KG_RESPONSE_CACHE`` off that layer is left out; with ``KG_FRONT`` off the
        same layers run as FastAPI's outermost middleware instead (both only to measure what each gains)."""
        inner = self.behind if settings.front else None

        def chain(app: ASGIApp) -> ASGIApp:
            if settings.lookup_lane:
                app = LookupLane(app)
            if settings.response_cache:
                app = ResponseCache(app, max_entries=settings.cache_entries, max_bytes=settings.cache_mb * 2**20)
            return AdmissionControl(app, max_per_client=settings.max_per_client, workers=settings.workers,
                                    counts=counts)

        if inner is not None:
            self.front = chain(inner)
            return
        self._middle = chain  # FastAPI builds its middleware stack on the first request
        self.add_middleware(_Middle, app_of=self)

    def layer(self, kind: type[Layer]) -> Layer:
        """The front's layer of class ``kind`` (for tests and the curious: its counts and caches)."""
        node = self.front if self.front is not None else getattr(self, "_middle_built", None)
        while node is not None and not isinstance(node, kind):
            node = getattr(node, "app", None)
        if node is None:
            raise LookupError(f"no {kind.__name__} in front of this app")
        return node


class _Middle:
    """The front's layers as FastAPI's outermost middleware (``KG_FRONT=0``)."""

    def __init__(self, app: ASGIApp, app_of: FrontedApp):
        self.app = app_of._middle_built = app_of._middle(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
