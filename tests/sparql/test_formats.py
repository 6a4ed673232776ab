"""The one content-negotiation table, as one parametrized table of cases."""

from __future__ import annotations

import pytest

from kg.sparql.formats import GRAPH, REPORT, SOLUTIONS, NotAcceptable, negotiate

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept, kinds, explicit, expected",
    [
        (None, SOLUTIONS, None, "json"),
        ("*/*", SOLUTIONS, None, "json"),
        ("", GRAPH, None, "turtle"),
        ("*/*", GRAPH, None, "turtle"),
        ("application/sparql-results+xml", SOLUTIONS, None, "xml"),
        ("text/csv", SOLUTIONS, None, "csv"),
        ("text/tab-separated-values", SOLUTIONS, None, "tsv"),
        ("application/sparql-results+json,application/json,text/javascript,application/javascript", SOLUTIONS, None, "json"),
        ("application/n-triples", GRAPH, None, "ntriples"),
        ("application/ld+json,application/x-json+ld", GRAPH, None, "jsonld"),
        ("application/rdf+xml", GRAPH, None, "rdfxml"),
        ("application/trig", GRAPH, None, "trig"),
        ("application/n-quads", GRAPH, None, "nquads"),
        ("application/turtle,text/turtle", GRAPH, None, "turtle"),
        (BROWSER, GRAPH, None, "html"),
        (BROWSER, SOLUTIONS, None, "html"),
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", GRAPH, None, "rdfxml"),
        ("text/*;q=0.9, application/n-triples;q=0.8", GRAPH, None, "turtle"),
        ("application/*;q=0.2, text/csv;q=0.1", SOLUTIONS, None, "json"),
        ("text/turtle;q=0, */*;q=0.1", GRAPH, None, "ntriples"),
        ("garbage, text/csv", SOLUTIONS, None, "csv"),
        ("application/json", SOLUTIONS, None, "json"),
        ("application/xml", SOLUTIONS, None, "xml"),
        ("application/json", GRAPH, None, "jsonld"),
        ("text/plain", GRAPH, None, "ntriples"),
        ("application/xhtml+xml", GRAPH, None, "html"),
        ("text/csv", SOLUTIONS, "json", "json"),
        (None, SOLUTIONS, "xml", "xml"),
        (None, GRAPH, "xml", "rdfxml"),
        (None, GRAPH, "ttl", "turtle"),
        (None, GRAPH, "json-ld", "jsonld"),
        (None, GRAPH, "n3", "turtle"),
        ("*/*", REPORT, None, "turtle"),
        ("application/json", REPORT, None, "report-json"),  # plain JSON named exactly beats JSON-LD's alias
        ("application/ld+json", REPORT, None, "jsonld"),
        ("*/*, application/n-triples", GRAPH, None, "ntriples"),  # equal q: the type named outranks */*
        (BROWSER, REPORT, None, "html"),
        (None, REPORT, "json", "report-json"),
    ],
)
def test_negotiate(accept, kinds, explicit, expected):
    assert negotiate(accept, kinds, explicit).name == expected


@pytest.mark.parametrize(
    "accept, kinds, explicit",
    [
        ("image/png", SOLUTIONS, None),
        ("text/turtle", SOLUTIONS, None),
        ("application/sparql-results+json", GRAPH, None),
        ("text/csv;q=0", SOLUTIONS, None),
        (None, SOLUTIONS, "turtle"),
        (None, GRAPH, "pdf"),
    ],
)
def test_not_acceptable(accept, kinds, explicit):
    with pytest.raises(NotAcceptable):
        negotiate(accept, kinds, explicit)
