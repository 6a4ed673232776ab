"""SPARQLWrapper, the design card's client, against the running endpoint in every result format."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.Wrapper import GET, RDFXML

LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?label WHERE { ?s skos:prefLabel ?label FILTER(langMatches(lang(?label), "zh-Hans")) } ORDER BY ?s LIMIT 5"""
CONSTRUCT = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?s skos:prefLabel ?label } WHERE { ?s skos:prefLabel ?label } ORDER BY ?s ?label LIMIT 9"""


def wrapper(server, fmt, method=GET) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", [GET, POST])
def test_select_json(server, method):
    sw = wrapper(server, JSON, method)
    sw.setQuery(LABELS)
    rows = sw.query().convert()["results"]["bindings"]
    assert len(rows) == 5
    # pyoxigraph normalizes language tags to lower case (BCP 47 tags are case-insensitive)
    assert all(r["label"]["xml:lang"].lower() == "zh-hans" for r in rows)


def test_select_xml(server):
    sw = wrapper(server, XML)
    sw.setQuery(LABELS)
    doc = sw.query().convert()
    results = doc.getElementsByTagName("result")
    assert len(results) == 5


def test_select_csv(server):
    sw = wrapper(server, CSV)
    sw.setQuery(LABELS)
    rows = list(csv.reader(io.StringIO(sw.query().convert().decode("utf-8"))))
    assert rows[0] == ["s", "label"] and len(rows) == 6


def test_select_tsv(server):
    sw = wrapper(server, TSV)
    sw.setQuery(LABELS)
    lines = sw.query().convert().decode("utf-8").splitlines()
    assert lines[0] == "?s\t?label" and len(lines) == 6
    assert lines[1].lower().endswith("@zh-hans")


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_ask(server, fmt):
    sw = wrapper(server, fmt)
    sw.setQuery("ASK { ?s ?p ?o }")
    result = sw.query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    elif fmt == XML:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"
    else:
        assert result.strip() == b"true"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_construct(server, fmt):
    sw = wrapper(server, fmt)
    sw.setQuery(CONSTRUCT)
    response = sw.query()  # SPARQLWrapper picks Accept and format parameters; rdflib parses the bytes
    assert response.response.headers["content-type"].split(";")[0] == {
        TURTLE: "text/turtle", N3: "text/turtle", RDFXML: "application/rdf+xml", JSONLD: "application/ld+json"}[fmt]
    g = Graph()
    g.parse(data=response.response.read(), format={TURTLE: "turtle", N3: "turtle", RDFXML: "xml", JSONLD: "json-ld"}[fmt])
    assert len(g) == 9


def test_describe(server, settings):
    sw = wrapper(server, TURTLE)
    sw.setQuery(f"DESCRIBE <{settings.base_iri}id/dataset/kg-1959>")
    g = Graph()
    g.parse(data=sw.query().convert(), format="turtle")
    assert len(g) > 5
