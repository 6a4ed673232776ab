"""For harvesters: ``/robots.txt``, ``/sitemap.xml``, the change log between releases (``/changes``), and
``Last-Modified`` with conditional GET (``If-Modified-Since``) on every read answer.

Everything the server sends is a function of the build it serves, so the build's release time is every
answer's ``Last-Modified``; ``If-None-Match`` (the ETags) takes precedence over ``If-Modified-Since``, as
RFC 9110 says.
"""

from __future__ import annotations

import json
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pyoxigraph import Literal as OxLiteral
from starlette.datastructures import MutableHeaders

from ...build.changelog import changes, released_at
from ...messages import Said
from ..links import Links, request_links
from ..middleware import ReadAnswerMiddleware
from ..render import CACHE_CONTROL, Problem
from ..view import select

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# pages that are not about one resource, in the order a sitemap lists them
PAGES = ("", "reader", "examples", "editor", "dumps/", "ontology/kg", "shapes", ".well-known/void", "sparql",
         "validate", "changes")
SUBJECTS = "SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && STRSTARTS(STR(?s), {base})) }} ORDER BY ?s"


def last_modified(request: Request) -> float:
    state = request.app.state
    if getattr(state, "released", None) is None:
        state.released = released_at(state.build.dist)
    return state.released


@lru_cache(maxsize=64)  # every answer of a build has the same Last-Modified
def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def install(app: FastAPI) -> None:
    """The harvesting routes, and Last-Modified / If-Modified-Since on every GET and HEAD answered 200."""
    app.include_router(router)

    app.add_middleware(ConditionalGet)


KEEP_ON_304 = ("etag", "cache-control", "vary", "last-modified", "content-location", "link", "access-control-allow-origin")


class ConditionalGet(ReadAnswerMiddleware):
    """``Last-Modified`` on every GET and HEAD answered 200 (a dump keeps its file's time), and 304 for
    ``If-Modified-Since`` when no ``If-None-Match`` came (that one takes precedence)."""

    def sender(self, request: Request, send):
        dropping = False

        async def sending(message) -> None:
            nonlocal dropping
            if dropping:
                return  # the body of an answer replaced by 304
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                if "last-modified" in headers:  # a dump's file time
                    modified = parsedate_to_datetime(headers["last-modified"]).timestamp()
                else:
                    modified = last_modified(request)
                    headers["Last-Modified"] = http_date(modified)
                if _unchanged_since(request, modified):
                    dropping = True
                    kept = [(k, v) for k, v in message["headers"] if k.decode("latin-1").lower() in KEEP_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await send(message)

        return sending


def _unchanged_since(request: Request, modified: float) -> bool:
    since = request.headers.get("if-modified-since")
    if not since or "if-none-match" in request.headers:
        return False
    try:
        return int(modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # an unreadable date is ignored (RFC 9110 13.1.3)


def _text(body: str, media: str, request: Request) -> Response:
    return Response(body, media_type=media, headers={"Cache-Control": CACHE_CONTROL,
                                                      "ETag": f'"{request.app.state.build.version}-{media.split(";")[0]}"'})


@router.api_route("/robots.txt", methods=READ)
async def robots(request: Request, links: Links = Depends(request_links)) -> Response:
    """Crawl the pages and dumps; leave the query endpoints and the validator to people and their scripts."""
    body = (
        "# kg: crawl every page and dump; the endpoints below run queries and validations, not pages\n"
        "User-agent: *\n"
        "Allow: /\n"
        "Disallow: /sparql\n"
        "Disallow: /validate\n"
        "Disallow: /reconcile\n"
        "Disallow: /fragments\n"
        "Disallow: /editor?\n"
        f"Sitemap: {links.url('sitemap.xml')}\n"
    )
    return _text(body, "text/plain; charset=utf-8", request)


@router.api_route("/sitemap.xml", methods=READ)
async def sitemap(request: Request, links: Links = Depends(request_links)) -> Response:
    """Every page, and the document about every IRI the dataset describes under its base (HTML by
    negotiation), each with the release date."""
    base = request.app.state.build.base_iri
    rows = await select(request, SUBJECTS.format(base=OxLiteral(base + "id/")))  # serialized by pyoxigraph
    lastmod = formatdate_iso(last_modified(request))
    urls = [links.url(p) for p in PAGES]
    urls += [links.url("doc/" + r["s"].value[len(base):]) for r in rows]
    entries = "".join(f"<url><loc>{escape(u)}</loc><lastmod>{lastmod}</lastmod></url>\n" for u in urls)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{entries}</urlset>\n'
    return _text(body, "application/xml", request)


def formatdate_iso(ts: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(request: Request, data) -> Response:
    body = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return Response(body, media_type="application/json", headers={
        "Cache-Control": CACHE_CONTROL, "ETag": f'"{request.app.state.build.version}-changes"'})


@router.api_route("/changes", methods=READ)
async def change_log(request: Request, links: Links = Depends(request_links)) -> Response:
    """The releases this server knows, newest first: version, the version before, when, how many quads
    were added and removed, and where the quads themselves are."""
    log = changes(request.app.state.build.dist)
    return _json(request, {
        "dataset": str(request.app.state.iris.dataset),
        "served": request.app.state.build.version,
        "note": "quads of dataset.nq added and removed from each release to the next; the oldest release this "
                "server keeps lists all its quads as added",
        "releases": [{
            "version": c.version,
            "versionIRI": f"{request.app.state.iris.dataset}/version/{c.version}",
            "previous": c.previous,
            "released": formatdate_iso(c.released),
            "added": len(c.added),
            "removed": len(c.removed),
            "changes": links.url(f"changes/{c.version}"),
        } for c in log],
    })


@router.api_route("/changes/{version}", methods=READ)
async def change(version: str, request: Request) -> Response:
    """The quads one release added and removed, as N-Quads lines."""
    for c in changes(request.app.state.build.dist):
        if c.version == version:
            return _json(request, {"version": c.version, "previous": c.previous,
                                   "released": formatdate_iso(c.released),
                                   "added": list(c.added), "removed": list(c.removed)})
    raise Problem(404, Said("no_release", version=version[:40]))
