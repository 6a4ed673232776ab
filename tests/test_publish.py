"""`kg publish --to URL` (issue 4): a build into real stores started here on loopback (Oxigraph's own server,
and Virtuoso, which asks for a Digest login) through the Graph Store Protocol, graph by graph, replacing
each graph on a second publish; the login, large graphs, and the ways a store or a URL can fail."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from stores import Store, start_oxigraph, start_virtuoso

from kg.cli import main
from kg.publish import PublishError, graph_url, publish
from kg.store import read_build

G = "http://example.org/graph/"
COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def write_build(dist: Path, version: str, graphs: dict[str, int]) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    quads = [f'<http://example.org/s{i}> <http://example.org/p> "{version} {i}" <{G}{g}> .\n'
             for g, n in graphs.items() for i in range(n)]
    (dist / "dataset.nq").write_text("".join(quads), encoding="utf-8")
    (dist / "build.json").write_text(json.dumps({"version": version, "base_iri": "http://example.org/", "triples": len(quads)}))
    return dist


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    running = start_oxigraph(folder) if request.param == "oxigraph" else start_virtuoso(folder)
    yield running
    running.stop()


def ask(store: Store, query: str):
    return httpx.get(store.query, params={"query": query}, headers={"Accept": "application/sparql-results+json"}).json()


def counts(store: Store, *names: str) -> dict[str, int]:
    """Triples per graph of ours, or of the graphs ``names`` only (the store is shared by this module's tests,
    and may hold graphs of its own: Virtuoso's system graphs)."""
    rows = ask(store, COUNT)["results"]["bindings"]
    wanted = {G + n for n in names}
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows
            if r["g"]["value"].startswith(G) and (not names or r["g"]["value"] in wanted)}


def put(store: Store, dist: Path):
    return publish(read_build(dist), store.graph_store, user=store.user, password=store.password)


def test_every_graph_put_then_replaced(store, tmp_path):
    first = put(store, write_build(tmp_path / "v1", "v1", {"a": 3, "b": 5}))
    assert [(p.graph, p.triples) for p in first] == [(G + "a", 3), (G + "b", 5)]
    assert counts(store, "a", "b") == {G + "a": 3, G + "b": 5}
    put(store, write_build(tmp_path / "v2", "v2", {"a": 2, "b": 4}))
    assert counts(store, "a", "b") == {G + "a": 2, G + "b": 4}  # replaced, not added to
    old = 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://example.org/p> ?o FILTER (STRSTARTS(?o, "v1 ")) } }'
    assert ask(store, old)["results"]["bindings"][0]["n"]["value"] == "0"


def test_the_command_reports_each_graph(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_DIST", str(write_build(tmp_path / "dist", "v3", {"c": 7})))
    args = ["publish", "--to", store.graph_store]
    if store.user:
        monkeypatch.setenv("KG_PUBLISH_PASSWORD", store.password)
        args += ["--user", store.user]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"PUT <{G}c>: 7 triples" in out and "1 graphs, 7 triples" in out
    assert counts(store)[G + "c"] == 7


def test_a_graph_of_several_megabytes_arrives_whole(store, tmp_path):
    """Over 4 MB, an upload sent before the login was settled had Virtuoso drop the connection midway."""
    published = put(store, write_build(tmp_path / "big", "big", {"big": 120_000}))
    assert published[0].triples == 120_000 and (tmp_path / "big" / "dataset.nq").stat().st_size > 5 * 2**20
    assert counts(store)[G + "big"] == 120_000


def test_a_refusing_store_is_named_with_the_graph(store, tmp_path):
    with pytest.raises(PublishError, match=r"answered (404|501) to PUT of <http://example.org/graph/a>"):  # Virtuoso: 501
        publish(read_build(write_build(tmp_path / "v4", "v4", {"a": 1})), store.origin + "/no-such-service",
                user=store.user, password=store.password)


def test_a_wrong_password_is_401_saying_so(tmp_path):
    (tmp_path / "v").mkdir()
    store = start_virtuoso(tmp_path / "v")
    try:
        with pytest.raises(PublishError, match=r"refused the login of dba \(Digest\): the user or password is wrong"):
            publish(read_build(write_build(tmp_path / "v5", "v5", {"a": 1})), store.graph_store, user="dba", password="not-it")
        with pytest.raises(PublishError, match=r"answered 401 .*wants a login: --user"):
            publish(read_build(write_build(tmp_path / "v6", "v6", {"a": 1})), store.graph_store)
        assert G + "a" not in counts(store)
    finally:
        store.stop()


def test_a_store_that_never_answers_is_named_with_the_graph_and_the_wait(tmp_path):
    """A store that takes the upload and then says nothing (Virtuoso with a graph too large for it)."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []

    def swallow():
        conn, _ = listener.accept()
        held.append(conn)
        while conn.recv(65536):
            pass

    threading.Thread(target=swallow, daemon=True).start()
    try:
        with pytest.raises(PublishError, match=r"did not answer the PUT of <http://example.org/graph/a> \(\d+ bytes\) within 0.5 s"):
            publish(read_build(write_build(tmp_path / "v8", "v8", {"a": 3})),
                    f"http://127.0.0.1:{listener.getsockname()[1]}/store", timeout=0.5)
    finally:
        listener.close()
        for conn in held:
            conn.close()


@pytest.mark.parametrize("url,said", [("notaurl", "is not the http(s) URL"), ("ftp://x/store", "is not the http(s) URL"),
                                      ("http://[::1/store", "is not a URL")])
def test_a_malformed_store_url_exits_2_saying_so(url, said, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_DIST", str(write_build(tmp_path / "dist", "v9", {"c": 1})))
    assert main(["publish", "--to", url]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_the_graph_joins_the_stores_own_query_parameters():
    url = graph_url("http://h:7200/rdf-graphs/service?repository=kg&x=a%20b", "https://kg.example.org/graph/a b")
    assert url.params.get_list("repository") == ["kg"] and url.params["x"] == "a b"
    assert url.params["graph"] == "https://kg.example.org/graph/a b"


def test_user_without_password_is_refused_before_anything_is_sent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_DIST", str(write_build(tmp_path / "dist", "v7", {"c": 1})))
    monkeypatch.delenv("KG_PUBLISH_PASSWORD", raising=False)
    assert main(["publish", "--to", "http://127.0.0.1:9/store", "--user", "dba"]) == 2
    assert "KG_PUBLISH_PASSWORD" in capsys.readouterr().err
