"""The W3C SPARQL 1.1 Protocol test suite (rdf-tests, sparql/sparql11/protocol/manifest.ttl), one test
per case, over a real socket.

The suite's graphs http://kasei.us/2009/09/sparql/data/dataN.rdf are not ours, and this endpoint never
fetches or invents graphs: each case runs with dataN mapped onto one of this dataset's named graphs, and
the ASK patterns use a typed resource found only in that graph (so the dataset cases also prove that
graphs outside the protocol dataset are not visible). The update cases are answered with a refusal: the
endpoint is read-only by design (issue 3), which satisfies every bad_update_* case and deliberately
fails the update_* ones; those assert the refusal and that nothing changed.
"""

from __future__ import annotations

import pytest
from urllib.parse import quote

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = BOOLEAN_TYPES + ("text/csv", "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json", "application/trig",
             "application/n-quads")
GRAPHS = ("assertions", "editorial", "metadata")


def ctype(r) -> str:
    return r.headers["content-type"].split(";")[0].strip()


def boolean(r) -> bool:
    assert 200 <= r.status_code < 400, r.text
    assert ctype(r) == "application/sparql-results+json"
    return r.json()["boolean"]


@pytest.fixture(scope="module")
def data(server, settings):
    """dataN -> (graph IRI, subject, type) with `subject a type` in that graph and in no other."""
    import httpx

    base = settings.base_iri
    out = {}
    for n, name in enumerate(GRAPHS, start=1):
        g = f"{base}graph/{name}"
        q = (
            "SELECT ?s ?t WHERE { GRAPH <%s> { ?s a ?t } FILTER NOT EXISTS { GRAPH ?o { ?s a ?t } FILTER(?o != <%s>) } }"
            " ORDER BY ?s ?t LIMIT 1" % (g, g)
        )
        r = httpx.get(server.url + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        rows = r.json()["results"]["bindings"]
        assert rows, f"graph {g} has no typed resource of its own"
        out[n] = (g, rows[0]["s"]["value"], rows[0]["t"]["value"])
    out[0] = out[3]  # data0.rdf: any graph of ours
    return out


def enc(v: str) -> str:
    return quote(v, safe="")


def ask(client, method, path, *, body=None, content_type=None):
    headers = {"Accept": "application/sparql-results+json"}
    if content_type:
        headers["Content-Type"] = content_type
    return client.request(method, path, content=body, headers=headers)


# --- query side ---


def test_query_post_form(client, data):
    r = ask(client, "POST", f"/sparql/?default-graph-uri={enc(data[0][0])}", body="query=ASK%20%7B%7D",
            content_type="application/x-www-form-urlencoded")
    assert boolean(r) is True


def two_typed(data, a, b) -> str:
    return f"ASK {{ <{data[a][1]}> a <{data[a][2]}> . <{data[b][1]}> a <{data[b][2]}> . }}"


def test_query_dataset_default_graphs_get(client, data):
    q = two_typed(data, 1, 2)
    r = ask(client, "GET", f"/sparql/?query={enc(q)}&default-graph-uri={enc(data[1][0])}&default-graph-uri={enc(data[2][0])}")
    assert boolean(r) is True
    only_one = ask(client, "GET", f"/sparql/?query={enc(q)}&default-graph-uri={enc(data[1][0])}")
    assert boolean(only_one) is False


def test_query_dataset_default_graphs_post(client, data):
    q = two_typed(data, 1, 2)
    r = ask(client, "POST", f"/sparql/?default-graph-uri={enc(data[1][0])}&default-graph-uri={enc(data[2][0])}",
            body=q.encode(), content_type="application/sparql-query")
    assert boolean(r) is True
    r = ask(client, "POST", f"/sparql/?default-graph-uri={enc(data[2][0])}", body=q.encode(),
            content_type="application/sparql-query")
    assert boolean(r) is False


def two_named(data) -> str:
    return (f"ASK {{ GRAPH ?g1 {{ <{data[1][1]}> a <{data[1][2]}> }} "
            f"GRAPH ?g2 {{ <{data[2][1]}> a <{data[2][2]}> }} }}")


def test_query_dataset_named_graphs_post(client, data):
    q = two_named(data)
    r = ask(client, "POST", f"/sparql/?named-graph-uri={enc(data[1][0])}&named-graph-uri={enc(data[2][0])}",
            body=q.encode(), content_type="application/sparql-query")
    assert boolean(r) is True
    r = ask(client, "POST", f"/sparql/?named-graph-uri={enc(data[1][0])}", body=q.encode(),
            content_type="application/sparql-query")
    assert boolean(r) is False


def test_query_dataset_named_graphs_get(client, data):
    q = two_named(data)
    r = ask(client, "GET", f"/sparql/?query={enc(q)}&named-graph-uri={enc(data[1][0])}&named-graph-uri={enc(data[2][0])}")
    assert boolean(r) is True


def test_query_dataset_full(client, data):
    q = (f"ASK {{\n  <{data[3][1]}> a <{data[3][2]}>\n  GRAPH ?g1 {{ <{data[1][1]}> a <{data[1][2]}> }}\n"
         f"  GRAPH ?g2 {{ <{data[2][1]}> a <{data[2][2]}> }}\n}}")
    path = (f"/sparql/?default-graph-uri={enc(data[3][0])}&named-graph-uri={enc(data[1][0])}"
            f"&named-graph-uri={enc(data[2][0])}")
    r = ask(client, "POST", path, body=q.encode(), content_type="application/sparql-query")
    assert boolean(r) is True
    # the default graph is data3 alone: data1's resource is not in it
    q2 = f"ASK {{ <{data[1][1]}> a <{data[1][2]}> }}"
    r = ask(client, "POST", path, body=q2.encode(), content_type="application/sparql-query")
    assert boolean(r) is False


def test_query_multiple_dataset(client, data):
    """Protocol dataset wins over FROM in the query. (The manifest's URL percent-encodes the '&' between
    its two named-graph-uri parameters, making one odd IRI; we send the two parameters it means.)"""
    q = (f"ASK FROM <{data[3][0]}> {{ GRAPH ?g1 {{ <{data[1][1]}> a <{data[1][2]}> }} "
         f"GRAPH ?g2 {{ <{data[2][1]}> a <{data[2][2]}> }} }}")
    r = ask(client, "POST", f"/sparql/?named-graph-uri={enc(data[1][0])}&named-graph-uri={enc(data[2][0])}",
            body=q.encode(), content_type="application/sparql-query")
    assert boolean(r) is True


def test_query_get(client, data):
    r = ask(client, "GET", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={enc(data[0][0])}")
    assert boolean(r) is True


def test_query_content_type_select(client, data):
    r = client.post(f"/sparql/?default-graph-uri={enc(data[0][0])}", content=b"SELECT (1 AS ?value) {}",
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200
    assert ctype(r) in TABULAR_TYPES
    assert r.json()["results"]["bindings"][0]["value"]["value"] == "1"


def test_query_content_type_ask(client, data):
    r = client.post(f"/sparql/?default-graph-uri={enc(data[0][0])}", content=b"ASK {}",
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200
    assert ctype(r) in BOOLEAN_TYPES


def test_query_content_type_describe(client, data):
    r = client.post(f"/sparql/?default-graph-uri={enc(data[0][0])}", content=b"DESCRIBE <http://example.org/>",
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200
    assert ctype(r) in RDF_TYPES


def test_query_content_type_construct(client, server, data):
    r = client.post(f"/sparql/?default-graph-uri={enc(data[0][0])}", content=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
                    headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"})
    assert r.status_code == 200
    assert ctype(r) in RDF_TYPES
    # relative IRIs resolve against the endpoint URL (here /sparql/, so <s> is /sparql/s)
    assert r.text.strip() == (f'<{server.url}/sparql/s> <{server.url}/sparql/p> '
                              '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .')


def test_query_post_direct(client):
    r = ask(client, "POST", "/sparql/", body=b"ASK {}", content_type="application/sparql-query")
    assert boolean(r) is True


def test_bad_query_method(client, data):
    r = client.request("PUT", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={enc(data[0][0])}",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST", "HEAD", "OPTIONS"}


def test_bad_multiple_queries(client):
    r = client.get("/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert r.status_code == 400
    assert "2 'query' parameters" in r.text


def test_bad_query_wrong_media_type(client):
    r = client.post("/sparql/", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert "text/plain" in r.text


def test_bad_query_missing_form_type(client):
    r = client.post("/sparql/", content=b"query=ASK%20%7B%7D")
    assert r.status_code == 415


def test_bad_query_missing_direct_type(client):
    r = client.post("/sparql/", content=b"ASK {}")
    assert r.status_code == 415


def test_bad_query_non_utf8(client):
    r = client.post("/sparql/", content="ASK {}".encode("utf-16"),
                    headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert r.status_code == 415
    assert "utf-16" in r.text


def test_bad_query_syntax(client):
    r = client.get("/sparql/?query=ASK%20%7B")
    assert r.status_code == 400
    assert "1:6" in r.text  # line and column of the error


# --- update side: refused by design (read-only); nothing changes ---


@pytest.fixture()
def unchanged(client):
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = client.get("/sparql", params={"query": count}).json()
    yield
    assert client.get("/sparql", params={"query": count}).json() == before


def refused(r):
    assert r.status_code == 400, r.text
    assert "read-only" in r.text


UPDATE_BODY = """PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> {
  <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document } }"""


@pytest.mark.parametrize(
    "params",
    [
        "using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf",  # update_dataset_default_graph
        "using-graph-uri=http%3A%2F%2Fkasei.us%2Fdata1.rdf&using-graph-uri=http%3A%2F%2Fkasei.us%2Fdata2.rdf",  # ..._graphs
        "using-named-graph-uri=http%3A%2F%2Fkasei.us%2Fdata1.rdf",  # update_dataset_named_graphs
        "using-graph-uri=http%3A%2F%2Fkasei.us%2Fdata1.rdf&using-named-graph-uri=http%3A%2F%2Fkasei.us%2Fdata2.rdf",  # full
    ],
    ids=["update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
         "update_dataset_full"],
)
def test_update_dataset_refused(client, unchanged, params):
    refused(client.post(f"/sparql/?{params}", content=UPDATE_BODY.encode(),
                        headers={"Content-Type": "application/sparql-update"}))


def test_update_post_form_refused(client, unchanged):
    refused(client.post("/sparql/", content=b"update=CLEAR+ALL",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}))


def test_update_post_direct_refused(client, unchanged):
    refused(client.post("/sparql/", content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}))


def test_update_base_uri_refused(client, unchanged):
    body = ("CLEAR GRAPH <http://example.org/protocol-base-test/> ;\nINSERT DATA { GRAPH "
            "<http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }")
    refused(client.post("/sparql/", content=body.encode(), headers={"Content-Type": "application/sparql-update"}))


def test_bad_update_get(client, unchanged):
    r = client.get("/sparql/?update=CLEAR%20ALL")
    assert r.status_code == 400


def test_bad_multiple_updates(client, unchanged):
    r = client.post("/sparql/", content=b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400


def test_bad_update_wrong_media_type(client, unchanged):
    r = client.post("/sparql/", content=b"CLEAR NAMED", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_bad_update_missing_form_type(client, unchanged):
    r = client.post("/sparql/", content=b"update=CLEAR%20NAMED")
    assert r.status_code == 415


def test_bad_update_non_utf8(client, unchanged):
    r = client.post("/sparql/", content="CLEAR NAMED".encode("utf-16"),
                    headers={"Content-Type": "application/sparql-update; charset=UTF-16"})
    assert 400 <= r.status_code < 500


def test_bad_update_syntax(client, unchanged):
    r = client.post("/sparql/", content=b"CLEAR XYZ", headers={"Content-Type": "application/sparql-update"})
    assert 400 <= r.status_code < 500


def test_bad_update_dataset_conflict(client, unchanged):
    body = b"PREFIX dc: <http://purl.org/dc/terms/>\nWITH <http://example.org/x>\nDELETE { ?s ?p ?o } USING <http://example.org/y> WHERE { ?s ?p ?o }"
    r = client.post("/sparql/?using-graph-uri=http%3A%2F%2Fexample.org%2Fz", content=body,
                    headers={"Content-Type": "application/sparql-update"})
    assert 400 <= r.status_code < 500


# --- beyond the manifest: the same protocol points over this server's own socket ---


def test_form_post_with_plus_and_dataset_in_body(client, data):
    body = f"query=ASK+%7B+%3C{enc(data[1][1])}%3E+a+%3C{enc(data[1][2])}%3E+%7D&default-graph-uri={enc(data[1][0])}"
    r = ask(client, "POST", "/sparql", body=body.encode(), content_type="application/x-www-form-urlencoded")
    assert boolean(r) is True
    body = f"query=ASK+%7B+%3C{enc(data[1][1])}%3E+a+%3C{enc(data[1][2])}%3E+%7D&default-graph-uri={enc(data[2][0])}"
    r = ask(client, "POST", "/sparql", body=body.encode(), content_type="application/x-www-form-urlencoded")
    assert boolean(r) is False


def test_direct_post_with_explicit_utf8_charset(client):
    r = ask(client, "POST", "/sparql", body='ASK { FILTER("é" = "é") }'.encode("utf-8"),
            content_type="application/sparql-query; charset=UTF-8")
    assert boolean(r) is True


def test_get_with_parameters_but_no_query(client, data):
    r = client.get(f"/sparql?default-graph-uri={enc(data[1][0])}")
    assert r.status_code == 400 and "no 'query'" in r.text
