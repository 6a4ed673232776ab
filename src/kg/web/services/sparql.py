"""The SPARQL endpoint route: protocol → guard → negotiation → worker pool → response."""

from __future__ import annotations

import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from ...sparql.formats import GRAPH, SOLUTIONS, Format
from ...sparql.guard import Guarded, guard
from ...sparql.protocol import QueryRequest, parse_request
from ...sparql.engine import Job, QuerySyntaxError, Streamed, collect
from ...sparql.explain import explain
from ..links import Links, links_for, url_path
from ..render import Problem, choose, page_language, rdf_bytes, render, respond
from ..serving.admission import RETRY_AFTER, SLOT
from .service_description import service_description
from ..view import describe_triples, graph_sizes

router = APIRouter()
METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
PATHS = ("/sparql", "/sparql/")
PEEKED = "kg.peeked"  # in a request's ASGI scope: the engine was asked for this query's answer at hand (peek)


def install(app: FastAPI) -> None:
    """The endpoint as documented (``router``, in /openapi.json) and, in front of it, served by plain
    Starlette routes to the same function: FastAPI's request handling (solving the route's dependencies,
    its own exception wrapping) cost about a fifth of an uncached lookup answered inline (bench/results/2026-11-readme-runs.md,
    Performance). The same exception handlers answer errors either way."""
    app.include_router(router)
    app.router.routes[:0] = [Route(path, sparql, methods=METHODS, include_in_schema=False) for path in PATHS]


async def read_body(request: Request, limit: int, setting: str = "KG_MAX_QUERY_BYTES") -> bytes:
    """The request body, refusing (413) anything over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, f"Content-Length {declared[:40]!r} is not a number")
        if int(declared) > limit:
            raise Problem(413, f"request body of {declared} bytes is larger than the limit of {limit} bytes ({setting})")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"request body larger than the limit of {limit} bytes ({setting})")
        chunks.append(chunk)
    return b"".join(chunks)


@router.api_route(PATHS[0], methods=METHODS)
@router.api_route(PATHS[1], methods=METHODS, include_in_schema=False)
async def sparql(request: Request) -> Response:
    links = links_for(request)  # not a dependency: FastAPI's solving of one cost 8% of an uncached lookup
    state = request.app.state
    settings = state.settings
    body = await read_body(request, settings.max_query_bytes) if request.method == "POST" else b""
    scope = request.scope  # not request.url: building the whole URL cost more than reading its parts
    req = parse_request(
        request.method, scope["query_string"].decode(), request.headers.get("content-type"), body,
        settings.max_query_bytes,
    )
    endpoint = links.url(url_path(scope))
    if req.query is None:
        return await _service_description(request, links, endpoint)
    allowed = frozenset(state.graphs)
    for graph in req.default_graphs + req.named_graphs:
        if graph not in allowed:
            raise Problem(
                400,
                f"graph <{graph[:300]}> is not in this dataset; default-graph-uri and named-graph-uri select among "
                f"{', '.join(sorted(allowed))} (nothing is fetched)",
            )
    guarded = guard(
        req.query,
        max_bytes=settings.max_query_bytes,
        max_nesting=settings.max_nesting,
        base=endpoint,
        allowed_graphs=allowed,
    )
    graph_form = guarded.form in ("CONSTRUCT", "DESCRIBE")
    fmt = choose(request, GRAPH if graph_form else SOLUTIONS, req.format)
    job = query_job(req, guarded, fmt, endpoint, settings.max_rows)
    # a lookup the lane (``lookup_lane``) asked the engine for already, and that was not at hand
    peeked = scope.get(PEEKED, False)
    try:
        answer = None if peeked else state.engine.peek(job)
        if answer is None:  # a worker must evaluate it: the client's query cap counts it now (admission)
            slot = scope.get(SLOT)
            refused = slot.take() if slot is not None else None
            if refused is not None:
                status, why = refused
                raise Problem(status, why, {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"})
            answer = await run_in_threadpool(state.engine.stream, job)
    except QuerySyntaxError as err:  # the parser's words, read again for what a newcomer got wrong
        lang = page_language(request)  # the editor sends the page's language as Accept-Language
        raise QuerySyntaxError(explain(req.query, str(err), state.prefixes, lang)) from None
    headers = {"KG-Truncated": f"max-rows={settings.max_rows}"} if answer.truncated else {}
    if fmt.kind != "html":
        return respond(request, answer.chunks if isinstance(answer, Streamed) else answer.body, fmt, headers=headers)
    body = (await run_in_threadpool(collect, answer)).body
    context = {"query": req.query, "truncated": answer.truncated, "max_rows": settings.max_rows, "links": links}
    if graph_form:
        context["subjects"] = await describe_triples(request, body)
    else:
        context["results"] = json.loads(body)
    return respond(request, render(request, "results.html", **context), fmt, headers=headers)


def query_job(req: QueryRequest, guarded: Guarded, fmt: Format, endpoint: str, max_rows: int) -> Job:
    """The job that answers a protocol request in ``fmt`` (an HTML page is made from JSON results or
    N-Triples)."""
    graph_form = guarded.form in ("CONSTRUCT", "DESCRIBE")
    return Job(
        query=req.query,
        format=fmt.name if fmt.kind != "html" else ("ntriples" if graph_form else "json"),
        base_iri=endpoint,
        default_graphs=req.default_graphs if req.has_dataset else None,
        named_graphs=req.named_graphs if req.has_dataset else None,
        union_default=not guarded.declares_dataset,
        max_rows=max_rows,
    )


async def _service_description(request: Request, links: Links, endpoint: str) -> Response:
    state = request.app.state
    fmt = choose(request, GRAPH, None)
    sizes = await graph_sizes(request)
    triples = service_description(endpoint, links, state.settings, sizes, state.iris.dataset)
    if fmt.kind == "html":
        subjects = await describe_triples(request, triples)
        body = render(
            request, "sparql.html", links=links, endpoint=endpoint, subjects=subjects, settings=state.settings, sizes=sizes
        )
    else:
        body = rdf_bytes(triples, fmt, state.prefixes)
    return respond(request, body, fmt, tag="sd")
