"""The visual query builder: Sparnatural (npm ``sparnatural``, served from ``node_modules`` under ``/vendor/``)
configured from our shapes (``kg.query_builder``), in the reader's language, running its queries on our own
endpoint and showing the rows in the page, with the SPARQL one click away in the editor.

- ``GET /builder``: the page;
- ``GET /builder/config.ttl``: the Sparnatural configuration, made from the shapes, the labels and what the
  graph holds (the same bytes for the same build).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode

from ...query_builder import LANGUAGES, OFFERED, PATHS_QUERY, USAGE_QUERY, Usage, configuration, local_name, turtle
from ..links import Links, request_links
from ..render import choose, page_language, render, respond
from ..view import select
from .workbench import VENDOR, node_modules

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
TURTLE = "text/turtle; charset=utf-8"
LABELS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE { GRAPH ?g { ?term rdfs:label ?label } }
"""


def installed(request: Request) -> bool:
    return (node_modules(request) / VENDOR["sparnatural"] / "sparnatural.js").is_file()


@router.api_route("/builder", methods=READ)
async def builder(request: Request, links: Links = Depends(request_links)) -> Response:
    fmt = choose(request, ("html",))
    lang = page_language(request).lower()  # as the store gives tags back, which Sparnatural compares with
    labels = term_labels(request)
    # Sparnatural names a result column after the kind of thing (E7_Activity_1): the page heads it with its name
    columns = {local_name(c).replace("-", "_"): (labels.get(c, {}).get(lang) or labels.get(c, {}).get("en") or local_name(c))
               for c in OFFERED}
    body = render(request, "builder.html", links=links, installed=installed(request), builder_lang=lang,
                  config_url=links.url("builder/config.ttl"), columns=columns)
    return respond(request, body, fmt)


@router.api_route("/builder/config.ttl", methods=READ)
async def builder_config(request: Request, links: Links = Depends(request_links)) -> Response:
    body = await config_turtle(request, links)
    return Response(body, media_type=TURTLE, headers={"Cache-Control": "public, max-age=300"})


async def config_turtle(request: Request, links: Links) -> bytes:
    state = request.app.state
    shapes = str(state.iris.shapes)
    paths = [(r["cls"].value, r["path"].value, r["datatype"].value if r["datatype"] else None)
             for r in state.vocab.query(PATHS_QUERY, default_graph=[NamedNode(shapes)])]
    usage = [Usage(r["cls"].value, r["predicate"].value, r["range"].value, r["literal"].value == "true")
             for r in await select(request, USAGE_QUERY)]
    return turtle(configuration(paths, usage, term_labels(request), links.iri("builder/config.ttl#")))


def term_labels(request: Request) -> dict[str, dict[str, str]]:
    """{term IRI: {language: label}}: kg's terms from the ontology, others from the pages' display labels."""
    labels: dict[str, dict[str, str]] = {}
    for r in request.app.state.vocab.query(LABELS_QUERY):
        lang = r["label"].language
        if lang in LANGUAGES:
            labels.setdefault(r["term"].value, {}).setdefault(lang, r["label"].value)
    return labels
