"""The SPARQL 1.1 Service Description of the endpoint, as triples (served at GET /sparql)."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from ...config import Settings
from ...sparql.formats import FORMAT_IRIS
from ..links import Links

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

LIMITS = (
    ("queryTimeout", "query_timeout", "decimal", "wall-clock limit per query, in seconds (KG_QUERY_TIMEOUT); "
     "a query that runs longer is stopped and answered with HTTP 503"),
    ("maxRows", "max_rows", "integer", "rows (or triples) per result (KG_MAX_ROWS); longer results are cut and "
     "marked with the KG-Truncated header and, where the format allows, a note in the body; "
     "answers over 64 KB stream (chunked transfer)"),
    ("maxQueryBytes", "max_query_bytes", "integer", "largest query or request body in bytes "
     "(KG_MAX_QUERY_BYTES); larger ones are answered with HTTP 413"),
    ("maxNesting", "max_nesting", "integer", "deepest nesting of brackets in a query (KG_MAX_NESTING); deeper "
     "queries are refused with HTTP 400 before parsing"),
    ("workers", "workers", "integer", "query worker processes (KG_WORKERS)"),
    ("workerMemoryMB", "worker_memory_mb", "integer", "address space of one query worker in MB "
     "(KG_WORKER_MEMORY_MB); a query that needs more stops its worker and is answered with HTTP 503"),
    ("maxPerClient", "max_per_client", "integer", "requests of one client address in flight at once "
     "(KG_MAX_PER_CLIENT); more are answered at once with HTTP 429 and Retry-After"),
)


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def service_description(
    endpoint: str, links: Links, settings: Settings, graph_sizes: dict[str, int], dataset_iri: str
) -> list[Triple]:
    """Triples describing the service at ``endpoint`` (the exact URL it was reached at)."""
    svc = _n(endpoint)
    ds = _n(endpoint + "#dataset")
    dg = _n(endpoint + "#default-graph")
    t = [
        Triple(svc, RDF_TYPE, _n(SD + "Service")),
        Triple(svc, _n(SD + "endpoint"), svc),
        Triple(svc, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        Triple(svc, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        Triple(svc, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple")),
        Triple(svc, _n(DCT + "title"), Literal("SPARQL endpoint of the 1959 report knowledge graph", language="en")),
        Triple(svc, _n(RDFS + "seeAlso"), _n(links.url(".well-known/void"))),
        Triple(svc, _n(SD + "defaultDataset"), ds),
        Triple(ds, RDF_TYPE, _n(SD + "Dataset")),
        Triple(ds, _n(DCT + "source"), _n(links.href(dataset_iri))),
        Triple(ds, _n(SD + "defaultGraph"), dg),
        Triple(dg, RDF_TYPE, _n(SD + "Graph")),
        Triple(dg, _n(RDFS + "comment"), Literal("the union of all named graphs", language="en")),
        Triple(dg, _n(VOID + "triples"), Literal(str(sum(graph_sizes.values())), datatype=_n(XSD + "integer"))),
    ]
    for fmt_iri in FORMAT_IRIS.values():
        t.append(Triple(svc, _n(SD + "resultFormat"), _n(fmt_iri)))
    for graph, size in sorted(graph_sizes.items()):
        named = _n(endpoint + "#graph-" + graph.rstrip("/").rsplit("/", 1)[-1])
        g = _n(endpoint + "#graph-" + graph.rstrip("/").rsplit("/", 1)[-1] + "-content")
        t += [
            Triple(ds, _n(SD + "namedGraph"), named),
            Triple(named, RDF_TYPE, _n(SD + "NamedGraph")),
            Triple(named, _n(SD + "name"), _n(graph)),
            Triple(named, _n(SD + "graph"), g),
            Triple(g, RDF_TYPE, _n(SD + "Graph")),
            Triple(g, _n(VOID + "triples"), Literal(str(size), datatype=_n(XSD + "integer"))),
        ]
    for local, attr, datatype, comment in LIMITS:
        prop = _n(endpoint + "#" + local)
        t += [
            Triple(svc, prop, Literal(str(getattr(settings, attr)), datatype=_n(XSD + datatype))),
            Triple(prop, RDF_TYPE, _n("http://www.w3.org/1999/02/22-rdf-syntax-ns#Property")),
            Triple(prop, _n(RDFS + "label"), Literal(local, language="en")),
            Triple(prop, _n(RDFS + "comment"), Literal(comment, language="en")),
        ]
    return t
