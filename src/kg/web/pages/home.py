"""The home page and the VoID/DCAT description at /.well-known/void."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import RdfFormat, parse

from ...sparql.formats import GRAPH, offered
from ..links import Links, request_links
from ..render import Problem, alternates_header, choose, rdf_bytes, render, respond
from ..view import describe_triples
from .workbench import home_extras

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]


@router.api_route("/", methods=READ)
async def home(request: Request, links: Links = Depends(request_links)) -> Response:
    """The home page; an RDF client is sent to the dataset's VoID description."""
    fmt = choose(request, ("html", "rdf"))
    if fmt.kind == "rdf":
        return Response(status_code=303, headers={"Location": links.url(f".well-known/void?format={fmt.name}"),
                                                  "Vary": "Accept"})
    state = request.app.state
    extras = await home_extras(request, links)
    body = render(request, "home.html", links=links, build=state.build, iris=state.iris, settings=state.settings,
                  extras=extras)
    return respond(request, body, fmt, vary="Accept, Accept-Language", tag=extras["lang"])


@router.api_route("/.well-known/void", methods=READ)
async def void(request: Request, links: Links = Depends(request_links)) -> Response:
    """VoID and DCAT description of the dataset, as the build wrote it, in any format."""
    path = request.app.state.build.path("void.ttl")
    if not path.is_file():
        raise Problem(404, "the build has no void.ttl")
    fmt = choose(request, GRAPH, request.query_params.get("format"))
    others = [(links.url(f".well-known/void?format={f.name}"), f) for f in offered(GRAPH) if f != fmt]
    headers = {"Link": alternates_header(others)}
    if fmt.name == "turtle":
        body = path.read_bytes()
    else:
        triples = [t for t in parse(path=str(path), format=RdfFormat.TURTLE)]
        if fmt.kind == "html":
            subjects = await describe_triples(request, triples)
            body = render(request, "graph.html", title="VoID and DCAT description", subjects=subjects, links=links,
                          alternates=others)
        else:
            body = rdf_bytes(triples, fmt, request.app.state.prefixes)
    return respond(request, body, fmt, headers=headers)
