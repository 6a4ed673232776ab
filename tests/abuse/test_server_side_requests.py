"""Server-side requests (issue 5): SERVICE, FROM/FROM NAMED, default-graph-uri/named-graph-uri and LOAD
pointing at a loopback listener and at a local file. Each is refused with 400 before evaluation, in every
protocol form; the listener sees no connection, the file (a named pipe) is never opened, and the server is
unharmed afterwards."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("nothing_written")
FORMS = ("get", "form", "direct")


def send(client, how: str, query: str, **params):
    if how == "get":
        return client.get("/sparql", params={"query": query, **params})
    if how == "form":
        return client.post("/sparql", data={"query": query, **params})
    return client.post("/sparql", params=params, content=query.encode(),
                       headers={"Content-Type": "application/sparql-query"})


def queries(http: str, file: str) -> list[tuple[str, str]]:
    """(query, word the refusal names) for a URL ``http`` and a file IRI ``file``."""
    return [
        (f"SELECT * {{ SERVICE <{http}sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * {{ SERVICE SILENT <{http}> {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * {{ BIND(<{http}> AS ?svc) SERVICE ?svc {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * {{ VALUES ?svc {{ <{http}> }} SERVICE SILENT ?svc {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"select * {{ service <{http}> {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * {{ \\u0053ERVICE <{http}> {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * {{ SERVICE <{file}> {{ ?s ?p ?o }} }}", "SERVICE"),
        (f"SELECT * FROM <{http}data.ttl> {{ ?s ?p ?o }}", "FROM"),
        (f"SELECT * FROM NAMED <{http}data.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM NAMED"),
        (f"SELECT * FROM <{file}> {{ ?s ?p ?o }}", "FROM"),
        (f"SELECT * FROM NAMED <{file}> {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM NAMED"),
        (f"BASE <{http}> SELECT * FROM <data.ttl> {{ ?s ?p ?o }}", "FROM"),
        (f"PREFIX x: <{http}> SELECT * FROM x:data {{ ?s ?p ?o }}", "FROM"),
        (f"CONSTRUCT {{ ?s ?p ?o }} FROM <{file}> WHERE {{ ?s ?p ?o }}", "FROM"),
        (f"ASK FROM <{http}> {{ ?s ?p ?o }}", "FROM"),
        (f"LOAD <{http}data.ttl>", "LOAD"),
        (f"LOAD SILENT <{file}>", "LOAD"),
        (f"LOAD <{file}> INTO GRAPH <{http}g>", "LOAD"),
        (f"SELECT * {{ ?s ?p ?o }} ; LOAD <{http}>", "LOAD"),
    ]


def ids(n: int) -> list[str]:
    names = ["service", "service-silent", "service-bind", "service-values", "service-lowercase",
             "service-escaped", "service-file", "from-http", "from-named-http", "from-file", "from-named-file",
             "from-relative-to-base", "from-prefixed", "construct-from-file", "ask-from", "load-http",
             "load-silent-file", "load-into-graph", "select-then-load"]
    return names[:n]


@pytest.mark.parametrize("how", FORMS)
@pytest.mark.parametrize("case", range(19), ids=ids(19))
def test_refused_and_nothing_fetched(client, listener, canary, unharmed, how, case):
    query, word = queries(listener.url, canary.iri)[case]
    r = send(client, how, query)
    assert r.status_code == 400, r.text
    assert word in r.text and ("refused" in r.text or "nothing is fetched" in r.text)
    assert "Traceback" not in r.text


@pytest.mark.parametrize("how", FORMS)
@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("target", ["http", "file"])
def test_dataset_parameters_pointing_out(client, listener, canary, unharmed, how, param, target):
    graph = listener.url + "g.ttl" if target == "http" else canary.iri
    r = send(client, how, "SELECT * { ?s ?p ?o } LIMIT 1", **{param: graph})
    assert r.status_code == 400, r.text
    assert "not in this dataset" in r.text and "nothing is fetched" in r.text


def test_describe_of_a_url_does_not_dereference(client, listener, unharmed):
    """DESCRIBE of an outside IRI describes what the store holds about it (nothing); it never fetches."""
    r = client.get("/sparql", params={"query": f"DESCRIBE <{listener.url}thing>"},
                   headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.text.strip() == ""


def test_own_graphs_are_still_selectable(client, settings, unharmed):
    """The refusals are specific: this dataset's own graphs in FROM and default-graph-uri work."""
    graph = settings.base_iri + "graph/assertions"
    r = client.get("/sparql", params={"query": f"ASK FROM <{graph}> {{ ?s ?p ?o }}"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": graph})
    assert r.status_code == 200 and r.json()["boolean"] is True
