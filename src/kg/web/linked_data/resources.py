"""Dereferencing the graph's IRIs, following "Cool URIs for the Semantic Web".

Slash IRIs under the base (``/id/...`` for things, ``/graph/...`` for named graphs) use the 303
pattern: the IRI names the thing, and a request for it is answered ``303 See Other`` pointing to a
document about it, ``/doc/<path>.<suffix>`` in the negotiated format. ``/doc/<path>`` without a suffix
negotiates itself and says which variant it sent in ``Content-Location``; every document lists the
other formats in ``Link: rel=alternate``. Hash IRIs (the ontology's and the shapes' terms) are served by
their documents in ``vocab.py``. Unknown IRIs are 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import Literal, NamedNode

from ...messages import Said
from ...sparql.formats import GRAPH, Format, by_suffix, offered
from ..i18n import OFFERED as LANGUAGES
from ..links import Links, request_links
from ..render import Problem, alternates_header, choose, page_language, render, respond
from ..view import RDF_TYPE, Prop, construct, labels_of, select, to_value
from ..pages.workbench import entity_extras, prefer_language

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"

EXISTS = "SELECT ?s WHERE { { ?s ?p ?o } UNION { ?x ?y ?s } } LIMIT 1"
DOCUMENT = "CONSTRUCT { ?s ?p ?o . ?x ?q ?s } WHERE { { ?s ?p ?o } UNION { ?x ?q ?s } }"
OUTGOING = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?p ?o"
INCOMING = "SELECT ?s ?x ?p ?g WHERE { GRAPH ?g { ?x ?p ?s } } ORDER BY ?p ?x"
EVIDENCE = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?s ?sr ?source ?exact ?prefix ?suffix ?start ?end WHERE {
  { ?s oa:hasSelector ?quote . BIND(?s AS ?sr) }
  UNION
  { ?s prov:wasDerivedFrom ?sr . ?sr oa:hasSelector ?quote }
  ?quote oa:exact ?exact .
  OPTIONAL { ?quote oa:prefix ?prefix }
  OPTIONAL { ?quote oa:suffix ?suffix }
  OPTIONAL { ?sr oa:hasSource ?source }
  OPTIONAL { ?sr oa:hasSelector ?position . ?position oa:start ?start ; oa:end ?end }
} ORDER BY ?sr"""
SOURCE_TEXT = "SELECT ?src ?text WHERE { ?src <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?text } LIMIT 1"


def split_suffix(path: str) -> tuple[str, Format | None]:
    """'person/x.ttl' -> ('person/x', Turtle). Only a format's own suffix counts: IRIs may hold dots
    (the VoID partitions name vocabularies by their host), and none of ours ends in a format suffix."""
    stem, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix:
        fmt = by_suffix(suffix, GRAPH)
        if fmt is not None:
            return stem, fmt
    return path, None


async def _described(request: Request, iri: str) -> str:
    """``iri`` if the dataset has a triple with it as subject or object, else 404."""
    try:
        NamedNode(iri)
    except ValueError:
        raise Problem(404, Said("not_minted")) from None
    if not await select(request, EXISTS, (("s", iri),)):
        raise Problem(404, Said("not_described", iri=iri))
    return iri


def _check_path(path: str) -> None:
    if not path or any(part in ("", ".", "..") for part in path.split("/")) or "\\" in path or "\x00" in path:
        raise Problem(404, Said("nothing_here"))


@router.api_route("/id/{path:path}", methods=READ)
async def thing(path: str, request: Request, links: Links = Depends(request_links)) -> Response:
    return await _see_other("id/", path, request, links)


@router.api_route("/graph/{path:path}", methods=READ)
async def named_graph(path: str, request: Request, links: Links = Depends(request_links)) -> Response:
    return await _see_other("graph/", path, request, links)


async def _see_other(area: str, path: str, request: Request, links: Links) -> Response:
    _check_path(path)
    stem, fmt = split_suffix(path)
    await _described(request, links.iri(area + stem))  # 404 unless the dataset describes it
    fmt = fmt or choose(request, GRAPH)
    location = links.url(f"doc/{area}{stem}.{fmt.suffix}")
    if "lang" in request.query_params:  # the reader's language choice survives the redirect
        location += "?" + urlencode({"lang": request.query_params["lang"]})
    return Response(
        status_code=303,
        headers={"Location": location, "Vary": "Accept", "Cache-Control": "public, max-age=300"},
    )


@router.api_route("/doc/{path:path}", methods=READ)
async def document(path: str, request: Request, links: Links = Depends(request_links)) -> Response:
    """The document about one thing, in one format."""
    _check_path(path)
    stem, fmt = split_suffix(path)
    if not (stem.startswith("id/") or stem.startswith("graph/")):
        raise Problem(404, Said("documents_only"))
    iri = await _described(request, links.iri(stem))
    explicit = fmt is not None
    fmt = fmt or choose(request, GRAPH)
    others = [(links.url(f"doc/{stem}.{f.suffix}"), f) for f in offered(GRAPH) if f != fmt]
    headers = {"Link": alternates_header(others)}
    if not explicit:
        headers["Content-Location"] = links.url(f"doc/{stem}.{fmt.suffix}")
    if fmt.kind == "html":
        body = await resource_page(request, iri, links, others)
    else:
        body = await construct(request, DOCUMENT, (("s", iri),), fmt.name)
    if fmt.kind == "html":  # labels follow the reader's language: one ETag per language
        return respond(request, body, fmt, headers=headers, vary="Accept, Accept-Language", tag=page_language(request))
    return respond(request, body, fmt, headers=headers)


def passage(text: str, start: int, end: int) -> dict:
    """The paragraph (blank-line separated) holding [start, end), split around the quote."""
    if not (0 <= start <= end <= len(text)):
        return {}
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    return {
        "before": text[para_start:start],
        "quote": text[start:end],
        "after": text[end:para_end],
        "start": start,
        "end": end,
    }


async def _source_text(request: Request, source: str) -> str | None:
    cache = request.app.state.source_texts
    if source not in cache:
        rows = await select(request, SOURCE_TEXT, (("src", source),))
        cache[source] = rows[0]["text"].value if rows and isinstance(rows[0]["text"], Literal) else None
    return cache[source]


PARAGRAPHS = 10  # evidence shown in its whole paragraph; further passages show the quote in its context


async def evidence(request: Request, iri: str, links: Links) -> list[dict]:
    out = []
    for row in await select(request, EVIDENCE, (("s", iri),)):
        item = {
            "selector": row["sr"].value if isinstance(row["sr"], NamedNode) else str(row["sr"]),
            "href": links.href(row["sr"].value) if isinstance(row["sr"], NamedNode) else None,
            "exact": row["exact"].value,
            "prefix": row["prefix"].value if "prefix" in row else "",
            "suffix": row["suffix"].value if "suffix" in row else "",
            "source": row["source"].value if "source" in row else None,
            "source_href": links.href(row["source"].value) if "source" in row else None,
            "passage": {},
        }
        if "source" in row and "start" in row and "end" in row and len(out) < PARAGRAPHS:
            text = await _source_text(request, row["source"].value)
            if text is not None:
                item["passage"] = passage(text, int(row["start"].value), int(row["end"].value))
        out.append(item)
    return out


async def resource_page(request: Request, iri: str, links: Links, others: list) -> bytes:
    outgoing = await select(request, OUTGOING, (("s", iri),))
    incoming = await select(request, INCOMING, (("s", iri),))
    iris = {iri}
    for row in outgoing:
        iris.add(row["p"].value)
        if isinstance(row["o"], NamedNode):
            iris.add(row["o"].value)
    for row in incoming:
        iris.add(row["p"].value)
        if isinstance(row["x"], NamedNode):
            iris.add(row["x"].value)
    labels = prefer_language(request, await labels_of(request, iris))
    props: dict[str, Prop] = {}
    for row in outgoing:
        p = row["p"].value
        entry = props.setdefault(p, Prop.of(p, labels, links.href(p)))
        value = to_value(row["o"], labels, links)
        value.note = _graph_name(row["g"].value)
        entry.values.append(value)
    links_in = []
    for row in incoming:
        p = row["p"].value
        links_in.append(
            {
                "from": to_value(row["x"], labels, links),
                "prop": Prop.of(p, labels, links.href(p)),
                "graph": _graph_name(row["g"].value),
            }
        )
    lang, scope_note = page_language(request), str(request.app.state.iris.kg) + "scopeNote"
    for p, entry in props.items():
        if p in PROSE or p == scope_note:
            entry.values = in_reader_language(entry.values, lang)
    ev = await evidence(request, iri, links)
    sources = await labels_of(request, {e["source"] for e in ev if e["source"]})
    for e in ev:
        e["source_label"] = sources.name(e["source"]) if e["source"] else None
    extras = await entity_extras(request, iri, links, labels.all(iri))
    title = extras["title"] or labels.name(iri) or iri
    return render(
        request,
        "resource.html",
        iri=iri,
        title=title,
        labels=labels.all(iri),
        props=sorted(props.values(), key=lambda e: (e.iri != RDF_TYPE, e.label or e.iri)),
        incoming=links_in,
        evidence=ev,
        alternates=others,
        links=links,
        extras=extras,
    )


# kg's prose (notes, definitions) is written in the pages' three languages: a page shows it in the reader's
# (names are shown in every language, as the names a thing has)
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROSE = frozenset((SKOS + "note", SKOS + "definition", SKOS + "scopeNote", SKOS + "editorialNote",
                   "http://purl.org/dc/terms/description", "http://www.w3.org/2000/01/rdf-schema#comment"))
# (and kg:scopeNote, under the configured base)


def in_reader_language(values: list, lang: str) -> list:
    """The values written in ``lang`` when there are any (with those in no language of the pages), else all."""
    def language(v) -> str | None:
        return v.term.language.lower() if isinstance(v.term, Literal) and v.term.language else None
    if not any(language(v) == lang.lower() for v in values):
        return values
    offered = {tag.lower() for tag in LANGUAGES}
    return [v for v in values if language(v) == lang.lower() or language(v) not in offered]


def _graph_name(graph_iri: str) -> str:
    return graph_iri.rstrip("/").rsplit("/", 1)[-1]

