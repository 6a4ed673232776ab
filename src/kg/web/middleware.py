"""The shape shared by our ASGI middleware that edit GET and HEAD answers on their way out.

Plain ASGI wrappers of ``send``, not Starlette's BaseHTTPMiddleware: that one runs every request through
an extra task and memory stream, which measured as half the event loop's time per cached query.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send


class ReadAnswerMiddleware:
    """Passes everything but GET and HEAD straight through; for those, wraps ``send`` with ``sender``."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.sender(Request(scope), send))

    def sender(self, request: Request, send: Send) -> Send:
        raise NotImplementedError
