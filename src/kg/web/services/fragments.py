"""Linked Data Fragments: a Triple Pattern Fragments interface (https://linkeddatafragments.org/specification/
triple-pattern-fragments/) at ``/fragments``, so that a client such as Comunica answers SPARQL over the
dataset's triples (the union of its named graphs) without the SPARQL endpoint.

``/fragments?subject=&predicate=&object=&page=N``: IRIs as they are, literals in the explicit
representation (``"text"@en``, ``"5"^^http://www.w3.org/2001/XMLSchema#integer``). A page holds up to
``PAGE_SIZE`` matching triples in a fixed order, with the metadata (``void:triples`` and
``hydra:totalItems``, the exact count) and the Hydra controls (the search template with its three
mappings, ``hydra:first``/``hydra:previous``/``hydra:next``) in the graph ``<page URL#metadata>`` in quad
formats (TriG by default for such clients, N-Quads, JSON-LD), next to the data in triple formats. Patterns go
to the engine as SPARQL whose terms pyoxigraph serializes, with the endpoint's limits.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse, serialize

from ..links import Links, request_links
from ..render import CACHE_CONTROL, Problem, choose
from ..view import construct, select

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
PAGE_SIZE = 100
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
QUAD_FORMATS = ("trig", "nquads", "jsonld")


def parse_term(value: str, position: str):
    """A term of the pattern, or None for a variable (empty, or starting with ? or _:)."""
    value = value.strip()
    if not value or value.startswith(("?", "_:")):
        return None
    if value.startswith('"'):
        if position != "object":
            raise Problem(400, f"a literal cannot be the {position}")
        end = value.rfind('"')
        if end == 0:
            raise Problem(400, f"unterminated literal in {position}: {value[:80]!r}")
        text, rest = value[1:end], value[end + 1:]
        if rest.startswith("@") and len(rest) > 1:
            try:
                return Literal(text, language=rest[1:])
            except ValueError:
                raise Problem(400, f"language tag {rest[1:40]!r} is not well-formed") from None
        if rest.startswith("^^"):
            dt = rest[2:].strip("<>")
            try:
                return Literal(text, datatype=NamedNode(dt))
            except ValueError:
                raise Problem(400, f"datatype {dt[:80]!r} is not an IRI") from None
        if rest:
            raise Problem(400, f"cannot read the literal {value[:80]!r}")
        return Literal(text)
    try:
        return NamedNode(value.strip("<>"))
    except ValueError:
        raise Problem(400, f"{position} {value[:80]!r} is not an IRI or a literal") from None


def _explicit(term) -> str:
    if isinstance(term, Literal):
        if term.language:
            return f'"{term.value}"@{term.language}'
        if term.datatype.value != XSD_STRING:
            return f'"{term.value}"^^{term.datatype.value}'
        return f'"{term.value}"'
    return term.value


def _pattern(s, p, o) -> tuple[str, str]:
    """(VALUES clauses, triple pattern) with every bound term serialized by pyoxigraph."""
    values = "".join(f"VALUES ?{v} {{ {t} }} " for v, t in (("s", s), ("p", p), ("o", o)) if t is not None)
    return values, "?s ?p ?o"


@router.api_route("/fragments", methods=READ)
async def fragment(request: Request, links: Links = Depends(request_links)) -> Response:
    qp = request.query_params
    s, p, o = (parse_term(qp.get(k, ""), k) for k in ("subject", "predicate", "object"))
    try:
        page = int(qp.get("page", "1") or 1)
    except ValueError:
        raise Problem(400, "'page' must be a whole number") from None
    if page < 1:
        raise Problem(400, "'page' starts at 1")
    fmt = choose(request, ("rdf",), qp.get("format"))
    values, triple = _pattern(s, p, o)
    count_rows = await select(request, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {values}{triple} }} }}")
    total = int(count_rows[0]["n"].value) if count_rows else 0
    offset = (page - 1) * PAGE_SIZE
    data = b""
    if offset < total:
        data = await construct(request, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {values}{triple} }} "
                                         f"ORDER BY ?s ?p ?o LIMIT {PAGE_SIZE} OFFSET {offset} }} }}")
    triples = list(parse(data, format=RdfFormat.N_TRIPLES)) if data else []

    def url(**extra) -> str:
        params = {k: _explicit(t) for k, t in (("subject", s), ("predicate", p), ("object", o)) if t is not None}
        params.update({k: str(v) for k, v in extra.items() if v is not None})
        return links.url("fragments") + ("?" + urlencode(params) if params else "")

    query = request.url.query
    this = NamedNode(links.url("fragments") + ("?" + query if query else ""))  # the page is the URL asked for
    dataset = NamedNode(links.url("fragments") + "#dataset")
    meta_graph = NamedNode(this.value + "#metadata")
    graph = meta_graph if fmt.name in QUAD_FORMATS else DefaultGraph()
    meta = []

    def add(subj, pred, obj):
        meta.append(Quad(subj, NamedNode(pred), obj, graph))

    integer = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    add(this, RDF + "type", NamedNode(HYDRA + "PartialCollectionView"))
    add(this, VOID + "subset", this)
    add(this, VOID + "triples", Literal(str(total), datatype=integer))
    add(this, HYDRA + "totalItems", Literal(str(total), datatype=integer))
    add(this, HYDRA + "itemsPerPage", Literal(str(PAGE_SIZE), datatype=integer))
    add(this, HYDRA + "first", NamedNode(url(page=None)))
    if page > 1:
        add(this, HYDRA + "previous", NamedNode(url(page=page - 1 if page > 2 else None)))
    if offset + PAGE_SIZE < total:
        add(this, HYDRA + "next", NamedNode(url(page=page + 1)))
    add(dataset, RDF + "type", NamedNode(VOID + "Dataset"))
    add(dataset, RDF + "type", NamedNode(HYDRA + "Collection"))
    add(dataset, VOID + "subset", this)
    add(dataset, VOID + "uriLookupEndpoint", Literal(links.url("fragments") + "{?subject,predicate,object}"))
    search = NamedNode(links.url("fragments") + "#search")
    add(dataset, HYDRA + "search", search)
    add(search, HYDRA + "template", Literal(links.url("fragments") + "{?subject,predicate,object}"))
    add(search, HYDRA + "variableRepresentation", NamedNode(HYDRA + "ExplicitRepresentation"))
    for var, prop in (("subject", "subject"), ("predicate", "predicate"), ("object", "object")):
        m = NamedNode(links.url("fragments") + f"#mapping-{var}")
        add(search, HYDRA + "mapping", m)
        add(m, HYDRA + "variable", Literal(var))
        add(m, HYDRA + "property", NamedNode(RDF + prop))
    quads = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples] + meta
    if fmt.name in QUAD_FORMATS:
        body = serialize(quads, format=fmt.rdf_format, prefixes={"hydra": HYDRA, "void": VOID} if fmt.name == "trig" else None)
    else:
        body = serialize([q.triple for q in quads], format=fmt.rdf_format,
                         prefixes={"hydra": HYDRA, "void": VOID} if fmt.name == "turtle" else None)
    headers = {"Vary": "Accept", "Cache-Control": CACHE_CONTROL,
               "ETag": f'"{request.app.state.build.version}-{fmt.name}-fragment"'}
    match = request.headers.get("if-none-match", "")
    if match and headers["ETag"] in [m.strip() for m in match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=fmt.header, headers=headers)


__all__ = ["router", "parse_term", "PAGE_SIZE"]
