"""Lookups answered in the front-end process (kg.sparql.inline) through the real server: the same responses,
headers and bytes, as a server that sends every query to its workers; the lookups counted as answered
inline; the other queries still evaluated by a worker."""

from __future__ import annotations

import httpx
import pytest

from compare_answers import comparable
from kg.sparql.inline import InlineLookups

ID = "https://kg.example.org/id/"
LOOKUPS = [
    f"SELECT ?p ?o WHERE {{ <{ID}place/jilin> ?p ?o }}",
    f"PREFIX place: <{ID}place/>\nSELECT * {{ ?s ?p place:jilin }} LIMIT 20",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
    f"ASK {{ <{ID}place/jilin> ?p ?o }}",
    f"SELECT ?o {{ <{ID}nothing-here> ?p ?o }}",
]
ACCEPT = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
          "text/html"]


def _inline_engine(server) -> InlineLookups:
    engine = server.engine
    while not isinstance(engine, InlineLookups):
        engine = engine.inner
    return engine


@pytest.mark.parametrize("query", LOOKUPS)
@pytest.mark.parametrize("accept", ACCEPT)
def test_a_lookup_answers_as_a_worker_would(server, isolated, query, accept):
    inline = _inline_engine(server)
    before = inline.answered
    params = {"query": query + f"\n# {accept}"}  # a comment: never an answer the result cache already holds
    ours = httpx.get(server.url + "/sparql", params=params, headers={"Accept": accept}, timeout=30)
    theirs = httpx.get(isolated.url + "/sparql", params=params, headers={"Accept": accept}, timeout=30)
    assert ours.status_code == 200, ours.text
    assert comparable(ours, server.url) == comparable(theirs, isolated.url)
    assert inline.answered == before + 1


def test_conditional_and_head_requests_of_a_lookup_are_unchanged(server, isolated):
    params = {"query": LOOKUPS[0] + "\n# conditional"}
    for url in (server.url, isolated.url):
        first = httpx.get(url + "/sparql", params=params, timeout=30)
        again = httpx.get(url + "/sparql", params=params, headers={"If-None-Match": first.headers["etag"]}, timeout=30)
        head = httpx.head(url + "/sparql", params=params, timeout=30)
        assert again.status_code == 304 and head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == first.headers["content-length"]


def test_other_queries_still_go_to_a_worker(server):
    inline = _inline_engine(server)
    before = inline.answered
    query = f"SELECT DISTINCT ?p WHERE {{ <{ID}place/jilin> ?p ?o }}\n# not bounded"
    response = httpx.get(server.url + "/sparql", params={"query": query},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200 and response.json()["results"]["bindings"]
    assert inline.answered == before


def test_errors_of_a_bounded_looking_query_are_the_workers(server, isolated):
    params = {"query": "SELECT ?o { undeclared:x ?p ?o }"}
    ours = httpx.get(server.url + "/sparql", params=params, timeout=30)
    theirs = httpx.get(isolated.url + "/sparql", params=params, timeout=30)
    assert ours.status_code == 400 and "syntax error" in ours.text
    assert comparable(ours, server.url) == comparable(theirs, isolated.url)
