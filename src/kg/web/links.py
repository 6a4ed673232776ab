"""The one mapping between canonical IRIs (under the configured base) and URLs on this server.

The graph's IRIs stay canonical (``KG_BASE_IRI``); wherever the server runs, ``Links.href`` maps an IRI
under the base onto the server's own origin and ``Links.iri`` maps a request path back. Every route and
template goes through these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fastapi import Request
from starlette.datastructures import URL

from ..config import Settings

LINK_SCHEMES = ("http", "https", "urn", "mailto")  # the schemes an IRI from the data may be linked with


@dataclass(frozen=True)
class Links:
    base: str  # canonical base IRI, ends with "/"
    origin: str  # e.g. http://127.0.0.1:8000 (no trailing slash)

    def href(self, iri: str) -> str:
        """The URL on this server for an IRI under the base; other IRIs unchanged, unless their scheme could
        run code in a browser (javascript:, data:, ...): those become an inert "#" (data may hold any IRI)."""
        if iri.startswith(self.base):
            return self.origin + "/" + iri[len(self.base):]
        if iri.split(":", 1)[0].lower() not in LINK_SCHEMES:
            return "#"
        return iri

    def iri(self, path: str) -> str:
        """The canonical IRI for a path on this server (path without the leading slash is fine)."""
        return self.base + path.lstrip("/")

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return self.origin + "/" + path.lstrip("/")

    @property
    def endpoint(self) -> str:
        return self.url("sparql")

    def owns(self, iri: str) -> bool:
        """An IRI of this dataset or a URL of this server (not an outside link)."""
        return iri.startswith(self.base) or iri.startswith(self.origin + "/")


def origin_of(settings: Settings, request: Request) -> str:
    if settings.public_url:
        return settings.public_url
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    return _origin(scope["scheme"], host, tuple(server) if server else None)


@lru_cache(maxsize=256)
def _origin(scheme: str, host: bytes | None, server: tuple[str, int] | None) -> str:
    """The origin of Starlette's ``base_url`` for a request with this scheme, Host header and server address
    (Starlette validates the header and falls back on the address), worked out once for each."""
    headers = [] if host is None else [(b"host", host)]
    parts = URL(scope={"type": "http", "scheme": scheme, "server": server, "path": "/", "root_path": "",
                       "query_string": b"", "headers": headers}).components
    return f"{parts.scheme}://{parts.netloc}"


def links_for(request: Request) -> Links:
    """The links of this deployment as seen by this request, worked out once per request (kept in its ASGI
    scope, which the route and the middleware that add headers share)."""
    links = request.scope.get(SCOPE_KEY)
    if links is None:
        settings: Settings = request.app.state.settings
        links = request.scope[SCOPE_KEY] = Links(request.app.state.build.base_iri, origin_of(settings, request))
    return links


SCOPE_KEY = "kg.links"


def url_path(scope) -> str:
    """The request's path as Starlette's ``request.url.path`` spells it (``?``, ``#`` and ``\\`` escaped),
    without building the whole URL."""
    return scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


async def request_links(request: Request) -> Links:
    """``links_for`` as a FastAPI dependency: a coroutine, so FastAPI runs it on the event loop instead of
    sending it to the thread pool (a hop that cost every request about as much as a cached answer)."""
    return links_for(request)
