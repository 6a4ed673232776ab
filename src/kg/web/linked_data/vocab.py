"""The ontology and the shapes at their own IRIs (hash namespaces: the document is served directly),
as RDF in every format or as HTML documentation generated from the ontology itself."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import BlankNode, NamedNode

from ...messages import Said
from ...sparql.formats import GRAPH, by_suffix, offered
from ..links import Links, request_links
from ..render import Problem, alternates_header, choose, rdf_bytes, render, respond
from ..view import describe_triples

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
CLASS_TYPES = (OWL + "Class", RDFS + "Class")
PROPERTY_TYPES = (OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property")


@router.api_route("/ontology/kg", methods=READ)
@router.api_route("/ontology/kg.{suffix}", methods=READ)
async def ontology(request: Request, suffix: str | None = None, links: Links = Depends(request_links)) -> Response:
    return await _vocab_document(request, links, "ontology/kg", "ontology.ttl", suffix, "ontology.html")


@router.api_route("/ontology/kg/{version}", methods=READ)
async def ontology_version(request: Request, version: str, links: Links = Depends(request_links)) -> Response:
    """The ontology at its owl:versionIRI (the one version this build holds)."""
    stem, dot, suffix = version.rpartition(".")
    if not dot or by_suffix(suffix, GRAPH) is None:  # "0.1.0" is a version, "0.1.0.ttl" one in Turtle
        stem, suffix = version, None
    graph = NamedNode(links.iri("ontology/kg"))
    held = [q.object for q in request.app.state.vocab.quads_for_pattern(graph, NamedNode(OWL + "versionIRI"), None, graph)]
    try:
        asked = NamedNode(links.iri("ontology/kg/" + stem))
    except ValueError:  # not even an IRI (a backslash, a space): no version of ours
        asked = None
    if asked not in held:
        raise Problem(404, Said("ontology_version", versions=", ".join(h.value for h in held) or "-"))
    return await _vocab_document(request, links, "ontology/kg/" + stem, "ontology.ttl", suffix, "ontology.html",
                                 graph_path="ontology/kg")


@router.api_route("/shapes", methods=READ)
@router.api_route("/shapes.{suffix}", methods=READ)
async def shapes(request: Request, suffix: str | None = None, links: Links = Depends(request_links)) -> Response:
    return await _vocab_document(request, links, "shapes", "shapes.ttl", suffix, "ontology.html")


def _fmt(request: Request, suffix: str | None):
    if suffix is None:
        return choose(request, GRAPH), False
    for f in offered(GRAPH):
        if f.suffix == suffix:
            return f, True
    raise Problem(404, Said("no_suffix", suffix=suffix[:20]))


async def _vocab_document(
    request, links: Links, path: str, filename: str, suffix, template: str, graph_path: str | None = None
) -> Response:
    state = request.app.state
    source = state.build.path(filename)
    if not source.is_file():
        raise Problem(404, f"the build has no {filename}")
    fmt, explicit = _fmt(request, suffix)
    graph = NamedNode(links.iri(graph_path or path))
    others = [(links.url(f"{path}.{f.suffix}"), f) for f in offered(GRAPH) if f != fmt]
    headers = {"Link": alternates_header(others)}
    if not explicit:
        headers["Content-Location"] = links.url(f"{path}.{fmt.suffix}")
    triples = [q.triple for q in state.vocab.quads_for_pattern(None, None, None, graph)]
    if fmt.name == "turtle":
        body = source.read_bytes()
    elif fmt.kind == "html":
        body = await _html(request, links, graph.value, triples, template, others)
    else:
        body = rdf_bytes(triples, fmt, state.prefixes)
    return respond(request, body, fmt, headers=headers)


async def _html(request, links: Links, doc_iri: str, triples, template: str, others) -> bytes:
    subjects = await describe_triples(request, triples)
    by_iri = {s.iri: s for s in subjects}
    types: dict[str, set[str]] = {}
    for t in triples:
        if t.predicate.value == RDF + "type" and isinstance(t.object, NamedNode):
            types.setdefault(str(t.subject) if isinstance(t.subject, BlankNode) else t.subject.value, set()).add(t.object.value)
    header = by_iri.get(doc_iri)
    classes = [s for s in subjects if types.get(s.iri, set()) & set(CLASS_TYPES) and s.iri != doc_iri]
    properties = [s for s in subjects if types.get(s.iri, set()) & set(PROPERTY_TYPES)]
    listed = {id(s) for s in classes + properties} | ({id(header)} if header else set())
    rest = [s for s in subjects if id(s) not in listed]
    return render(
        request,
        template,
        doc_iri=doc_iri,
        header=header,
        classes=classes,
        properties=properties,
        rest=rest,
        alternates=others,
        links=links,
    )
