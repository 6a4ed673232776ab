"""The FastAPI application factory: settings and an engine in, an app with one router per concern out.

Nothing is created at import time. ``create_app(settings)`` opens the build and starts the worker pool
when the app starts; pass ``engine`` (and ``build``) to serve through another engine, such as a remote
store or a result cache wrapped around the pool.
"""

from __future__ import annotations

import warnings
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, RdfFormat, Store
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.datastructures import MutableHeaders
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from ..config import Settings
from ..iris import Iris, prefixes
from ..sparql.formats import NotAcceptable, negotiate
from ..sparql.guard import QueryRefused, QueryTooLarge
from ..sparql.protocol import ProtocolError
from ..sparql.engine import Engine, EngineBusy, EngineError
from ..messages import Said, said, say
from ..sparql.stack import start_pool
from ..store import BuildInfo, read_build
from .linked_data import dumps, harvest, resources, signposting, vocab
from .services import extend, fragments, reconcile, sparql, validation
from .pages import builder, home as pages, workbench
from .serving.client_counts import SharedCounts
from .serving.front import FrontedApp
from .render import Problem, page_language, templates

CORS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
# Every status a route may answer besides 200, documented on every operation of /openapi.json (the error
# bodies are plain text, or an HTML page for browsers; see docs/operations.md, "Limits")
DOCUMENTED = {
    status: {"description": text, "content": {"text/plain": {}, "text/html": {}}}
    for status, text in {
        204: "No Content (OPTIONS: the methods allowed)",
        206: "Partial Content (a byte range of a dump)",
        303: "See Other (a thing's IRI: its document)",
        304: "Not Modified",
        400: "Bad Request: malformed, or refused (SERVICE, LOAD, updates, foreign graphs, nesting)",
        404: "Not Found",
        405: "Method Not Allowed (with Allow)",
        406: "Not Acceptable (lists what is offered)",
        413: "Content Too Large (KG_MAX_QUERY_BYTES)",
        415: "Unsupported Media Type",
        416: "Range Not Satisfiable",
        422: "Unprocessable Content",
        429: "Too Many Requests (KG_MAX_PER_CLIENT, one fewer SPARQL queries than KG_WORKERS; Retry-After)",
        503: "Service Unavailable: a query limit was hit or the workers stayed busy",
    }.items()
}
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, Range",
    "Access-Control-Max-Age": "86400",
}


DISPLAY_LABELS = Path(__file__).with_name("display-labels.ttl")
DISPLAY_GRAPH = NamedNode("urn:x-kg:display-labels")  # never served: labels for pages only


def load_vocab(build: BuildInfo) -> Store:
    """The ontology and the shapes, in memory, for their pages and for labels of our terms; and, in a graph
    of their own, the display labels of other vocabularies' terms (``display-labels.ttl``) in the three
    languages, which only the pages read."""
    store = Store()
    iris = Iris(build.base_iri)
    for name, graph in (("ontology.ttl", iris.ontology), ("shapes.ttl", iris.shapes)):
        path = build.path(name)
        if path.is_file():
            store.load(path=str(path), format=RdfFormat.TURTLE, to_graph=NamedNode(str(graph)))
    store.load(path=str(DISPLAY_LABELS), format=RdfFormat.TURTLE, to_graph=DISPLAY_GRAPH)
    return store


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    build: BuildInfo | None = None,
    graphs: list[str] | None = None,
    counts: SharedCounts | None = None,
) -> FrontedApp:
    """The web application. Without ``engine``, the build in settings.dist_dir is served by a worker pool
    started with the app and stopped with it. ``counts``: the admission table shared with the other
    front-end processes (closed with the app). Raises StoreError naming a missing or malformed build file."""
    build = build or read_build(Path(settings.dist_dir))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = None
        if app.state.engine is None:
            owned, found = start_pool(settings, build)
            app.state.engine = owned
            app.state.graphs = found
        try:
            yield
        finally:
            if owned is not None:
                owned.close()
            if counts is not None:
                counts.close()

    app = FrontedApp(
        title="kg: the 1959 report knowledge graph",
        description="Read-only SPARQL 1.1 endpoint and linked-data server",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses=DOCUMENTED,
    )
    iris = Iris(build.base_iri)
    app.state.settings = settings
    app.state.build = build
    app.state.iris = iris
    app.state.prefixes = prefixes(iris)
    app.state.engine = engine
    app.state.graphs = graphs if graphs is not None else iris.graph_iris()
    app.state.graph_sizes = None
    app.state.source_texts = {}
    app.state.templates = templates()
    app.state.vocab = load_vocab(build)

    sparql.install(app)
    for module in (resources, vocab, dumps, pages, builder, reconcile, extend, fragments):
        app.include_router(module.router)
    workbench.install(app)
    validation.install(app)
    harvest.install(app)
    signposting.install(app)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    _install_errors(app)
    _install_cors(app)
    _install_openapi(app)
    app.install(settings, counts)  # admission, the response cache and the lookup lane, in front of FastAPI
    return app


def _error_response(request: Request, status: int, message: str, headers: dict | None = None,
                    message_lang: str = "en") -> Response:
    """Errors as plain text, or as an escaped HTML page when a browser prefers HTML (``message_lang``: the
    language the message is in)."""
    out = dict(CORS)
    out.update(headers or {})
    out.setdefault("Cache-Control", "no-store")
    out["Vary"] = "Accept, Accept-Language"  # the words are in the reader's language, the page or plain text
    try:
        fmt = negotiate(request.headers.get("accept"), ("html",)) if "html" in request.headers.get("accept", "") else None
    except NotAcceptable:
        fmt = None
    if fmt is not None and request.method != "HEAD":
        env = request.app.state.templates
        body = env.get_template("error.html").render(request=request, status=status, message=message,
                                                     message_lang=message_lang)
        return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=out)
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=out)


def _install_errors(app: FastAPI) -> None:
    # Each answer says what is wrong in the reader's language (page_language: ?lang=, then Accept-Language)
    # where kg/messages.json has the words; a syntax error was explained in it already (kg.sparql.explain).
    @app.exception_handler(Problem)
    async def problem(request: Request, err: Problem):
        lang = page_language(request)
        return _error_response(request, err.status, err.said(lang), err.headers, _language_of(err.words, lang))

    @app.exception_handler(ProtocolError)
    async def protocol(request: Request, err: ProtocolError):
        headers = {"Allow": "GET, HEAD, POST, OPTIONS"} if err.status == 405 else None
        lang = page_language(request)
        return _error_response(request, err.status, err.said(lang), headers, lang)

    @app.exception_handler(QueryRefused)
    async def refused(request: Request, err: QueryRefused):
        lang = page_language(request)
        return _error_response(request, 413 if isinstance(err, QueryTooLarge) else 400,
                               say("refused", lang, message=err.said(lang)), message_lang=lang)

    @app.exception_handler(EngineError)
    async def engine(request: Request, err: EngineError):
        headers = {"Retry-After": "5"} if isinstance(err, EngineBusy) else None  # a timeout: retrying will not help
        lang = page_language(request)
        if err.status != 400:
            return _error_response(request, err.status, said(err, lang), headers, _language_of(err, lang))
        return _error_response(request, 400, say("syntax_error", lang) + str(err), message_lang=lang)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, err: StarletteHTTPException):
        lang = page_language(request)
        words = {404: Said("not_published", path=request.url.path[:300]),
                 405: Said("method_not_allowed", method=request.method)}.get(err.status_code)
        message = said(words, lang) if words else str(err.detail)
        return _error_response(request, err.status_code, message, dict(err.headers or {}), _language_of(words, lang))


def _language_of(words, lang: str) -> str:
    """The language an error's words come in: the reader's when they are a message of kg/messages.json."""
    return lang if isinstance(words, Said) else "en"


def _install_openapi(app: FastAPI) -> None:
    """/openapi.json with one operationId per method: FastAPI gives a route serving several methods one id
    for all of them and warns of each duplicate (an error under the tests), so each id gets its method."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Duplicate Operation ID", UserWarning)
                schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                     routes=app.routes)
            for path, operations in schema.get("paths", {}).items():
                for method, op in operations.items():
                    if isinstance(op, dict) and "operationId" in op:
                        op["operationId"] = f"{op['operationId'].rsplit('_', 1)[0]}_{method}"
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def _allowed_methods(app: FastAPI, scope) -> set[str]:
    """The methods some route accepts at this path (routers nest, so each method is tried)."""
    return {
        method
        for method in ("GET", "HEAD", "POST", "OPTIONS")
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in app.router.routes)
    }


def _install_cors(app: FastAPI) -> None:
    app.add_middleware(Cors)


class Cors:
    """ASGI middleware: CORS for every read route (any origin, no credentials), ``nosniff`` on every answer
    (an echoed error stays text), and OPTIONS answered for every route with the methods it allows."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = _allowed_methods(scope["app"], scope)
            if not methods:
                response = _error_response(Request(scope), 404, f"nothing is published at {scope['path'][:300]}")
            else:
                allow = ", ".join(m for m in ("GET", "HEAD", "POST", "OPTIONS") if m in methods)
                response = Response(status_code=204, headers={**PREFLIGHT, "Allow": allow, "Access-Control-Allow-Methods": allow})
            await response(scope, receive, send)
            return

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in CORS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)
