"""The W3C SPARQL 1.1 Service Description tests (rdf-tests sparql/sparql11/service-description), plus
what issue 3 asks the description to say."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, VOID

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def description(client, path="/sparql", accept="text/turtle") -> Graph:
    r = client.get(path, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == accept
    g = Graph()
    g.parse(data=r.content, format=RDF_FORMATS[accept])
    return g


@pytest.mark.parametrize("path", ["/sparql", "/sparql/"])
def test_has_endpoint_triple(client, server, path):
    g = description(client, path)
    endpoint = URIRef(server.url + path)
    assert (None, SD.endpoint, endpoint) in g


@pytest.mark.parametrize("accept", sorted(RDF_FORMATS))
def test_returns_rdf(client, accept):
    g = description(client, accept=accept)
    assert len(g) > 20


def test_conforms_to_schema(client, server):
    """Every sd:Service has an sd:endpoint; the default dataset has a default graph and named graphs
    with sd:name; the terms used are those of the Service Description vocabulary."""
    g = description(client)
    services = list(g.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    svc = services[0]
    assert g.value(svc, SD.endpoint) is not None
    assert (svc, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (svc, SD.feature, SD.UnionDefaultGraph) in g
    formats = set(g.objects(svc, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    ds = g.value(svc, SD.defaultDataset)
    assert (ds, RDF.type, SD.Dataset) in g
    dg = g.value(ds, SD.defaultGraph)
    assert (dg, RDF.type, SD.Graph) in g
    names = {g.value(n, SD.name) for n in g.objects(ds, SD.namedGraph)}
    assert {str(n).rsplit("/", 1)[-1] for n in names} == {"assertions", "editorial", "metadata"}
    for n in g.objects(ds, SD.namedGraph):
        assert (n, RDF.type, SD.NamedGraph) in g
        assert int(g.value(g.value(n, SD.graph), VOID.triples)) > 0
    sd_terms = {p for p in g.predicates() if str(p).startswith(str(SD))} | {
        o for o in g.objects(None, RDF.type) if str(o).startswith(str(SD))}
    known = {SD[t] for t in ("endpoint", "supportedLanguage", "feature", "resultFormat", "defaultDataset",
                             "defaultGraph", "namedGraph", "name", "graph", "defaultEntailmentRegime",
                             "Service", "Dataset", "Graph", "NamedGraph")}
    assert sd_terms <= known


def test_limits_and_void_link(client, server, settings):
    g = description(client)
    svc = URIRef(server.url + "/sparql")
    timeout = g.value(svc, URIRef(server.url + "/sparql#queryTimeout"))
    assert float(timeout) == settings.query_timeout
    assert int(g.value(svc, URIRef(server.url + "/sparql#maxRows"))) == settings.max_rows
    assert int(g.value(svc, URIRef(server.url + "/sparql#maxQueryBytes"))) == settings.max_query_bytes
    assert int(g.value(svc, URIRef(server.url + "/sparql#maxNesting"))) == settings.max_nesting
    assert (URIRef(server.url + "/sparql#queryTimeout"), RDFS.comment, None) in g
    assert (svc, RDFS.seeAlso, URIRef(server.url + "/.well-known/void")) in g


def test_html_when_browser_prefers_it(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<form method="get"' in r.text and 'name="query"' in r.text
    assert not re.search(r'<script(?![^>]*type="application/ld\+json")', r.text)  # data islands only


def test_default_is_turtle(client):
    r = client.get("/sparql")
    assert r.headers["content-type"].startswith("text/turtle")
