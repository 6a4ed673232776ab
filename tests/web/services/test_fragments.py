"""Triple Pattern Fragments (issue 7): every page's data, exact counts, the Hydra search form and paging,
checked against the SPARQL endpoint over the same build."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, SKOS, VOID

HYDRA = "http://www.w3.org/ns/hydra/core#"
COMUNICA = Path(__file__).parents[3] / "node_modules" / ".bin" / "comunica-sparql"
QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
SELECT ?place ?en ?ko WHERE {
  ?place a crm:E53_Place ; skos:prefLabel ?en , ?ko .
  FILTER(LANG(?en) = "en" && LANG(?ko) = "ko")
}"""
TRIG = {"Accept": "application/trig"}


def fetch(client, url: str, **params):
    r = client.get(url, params=params or None, headers=TRIG)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/trig")
    ds = Dataset()
    ds.parse(data=r.text, format="trig")
    page = URIRef(str(r.url))
    meta = ds.graph(URIRef(str(r.url) + "#metadata"))
    data = {(s, p, o) for s, p, o, g in ds.quads((None, None, None, None)) if g != meta.identifier}
    return page, meta, data


def sparql_rows(client, query: str) -> list[dict]:
    return client.get("/sparql", params={"query": query}).json()["results"]["bindings"]


def test_paging_covers_every_match_exactly(client, server):
    url = server.url + "/fragments"
    page, meta, data = fetch(client, url, predicate=str(SKOS.prefLabel))
    total = int(meta.value(page, URIRef(HYDRA + "totalItems")))
    assert int(meta.value(page, VOID.triples)) == total
    expected = sparql_rows(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?o WHERE { "
                                   "?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o } }")
    assert total == int(expected[0]["n"]["value"]) > 100
    seen = set(data)
    assert len(data) == 100
    nxt = meta.value(page, URIRef(HYDRA + "next"))
    pages = 1
    while nxt is not None:
        page, meta, data = fetch(client, str(nxt))
        assert meta.value(page, URIRef(HYDRA + "previous")) is not None
        assert not seen & data
        seen |= data
        nxt = meta.value(page, URIRef(HYDRA + "next"))
        pages += 1
    assert len(seen) == total and pages == -(-total // 100)
    assert all(p == SKOS.prefLabel for _, p, _ in seen)


def test_the_hydra_search_form(client, server):
    page, meta, _ = fetch(client, server.url + "/fragments")
    dataset = URIRef(server.url + "/fragments#dataset")
    assert (dataset, VOID.subset, page) in meta
    search = meta.value(dataset, URIRef(HYDRA + "search"))
    assert str(meta.value(search, URIRef(HYDRA + "template"))) == server.url + "/fragments{?subject,predicate,object}"
    mappings = {(str(meta.value(m, URIRef(HYDRA + "variable"))), meta.value(m, URIRef(HYDRA + "property")))
                for m in meta.objects(search, URIRef(HYDRA + "mapping"))}
    assert mappings == {("subject", RDF.subject), ("predicate", RDF.predicate), ("object", RDF.object)}
    build = client.get("/dumps/build.json").json()
    distinct = sparql_rows(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert int(meta.value(page, URIRef(HYDRA + "totalItems"))) == int(distinct[0]["n"]["value"]) <= build["quads"]


@pytest.mark.parametrize("params,expected", [
    ({"subject": "https://kg.example.org/id/place/jilin", "predicate": str(SKOS.prefLabel)},
     {Literal("Jilin Province", lang="en"), Literal("吉林省", lang="zh-hans"), Literal("지린성", lang="ko")}),
    ({"predicate": str(SKOS.prefLabel), "object": '"吉林省"@zh-Hans'}, {Literal("吉林省", lang="zh-hans")}),
    ({"object": '"no such label"@en'}, set()),
])
def test_bound_terms(client, server, params, expected):
    page, meta, data = fetch(client, server.url + "/fragments", **params)
    assert {o for _, _, o in data} == expected
    assert int(meta.value(page, URIRef(HYDRA + "totalItems"))) == len(expected)
    assert meta.value(page, URIRef(HYDRA + "next")) is None


@pytest.mark.parametrize("params", [{"subject": '"x"'}, {"object": '"open'}, {"page": "0"}, {"page": "x"},
                                    {"predicate": "not an iri"}, {"object": '"x"@--'}, {"object": '"x"^^'}])
def test_bad_patterns_are_400(client, params):
    assert client.get("/fragments", params=params).status_code == 400


def test_comunica_answers_sparql_over_the_fragments(client, server):
    """Comunica (from the npm registry, package.json) is given only the fragments URL and answers a SPARQL
    query with joins and a filter exactly as our endpoint does."""
    if not COMUNICA.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Comunica is missing: `make setup` runs npm ci")
        pytest.skip("Comunica is not installed (`make setup` runs npm ci)")
    run = subprocess.run([str(COMUNICA), server.url + "/fragments", QUERY, "-t", "application/sparql-results+json"],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    answer = json.loads(run.stdout)
    assert answer["metadata"]["httpRequests"] > 1

    def rows(bindings):
        return {tuple((k, b[k]["value"], b[k].get("xml:lang")) for k in sorted(b)) for b in bindings}

    expected = sparql_rows(client, QUERY)
    assert len(expected) >= 5
    assert rows(answer["results"]["bindings"]) == rows(expected)
