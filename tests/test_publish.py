"""`kg publish --to URL` (issue 4): a build into a real Oxigraph server (started here on loopback) through
the Graph Store Protocol, graph by graph, replacing each graph on a second publish."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kg.cli import main
from kg.publish import PublishError, publish
from kg.store import read_build

OXIGRAPH = Path(sys.executable).parent / "oxigraph"  # PyPI `oxigraph` (test extras)
G = "http://example.org/graph/"
COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def write_build(dist: Path, version: str, graphs: dict[str, int]) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    quads = [f'<http://example.org/s{i}> <http://example.org/p> "{version} {i}" <{G}{g}> .\n'
             for g, n in graphs.items() for i in range(n)]
    (dist / "dataset.nq").write_text("".join(quads), encoding="utf-8")
    (dist / "build.json").write_text(json.dumps({"version": version, "base_iri": "http://example.org/", "triples": len(quads)}))
    return dist


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    if not OXIGRAPH.is_file():
        pytest.skip("the oxigraph server is not installed (pip install '.[test]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(tmp_path_factory.mktemp("ox")), "--bind",
                                f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(origin + "/query", params={"query": "ASK {}"})
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.05)
    yield origin
    process.terminate()
    process.wait(timeout=10)


def counts(origin: str) -> dict[str, int]:
    rows = httpx.get(origin + "/query", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}).json()
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows["results"]["bindings"]}


def test_every_graph_put_then_replaced(oxigraph, tmp_path):
    first = publish(read_build(write_build(tmp_path / "v1", "v1", {"a": 3, "b": 5})), oxigraph + "/store")
    assert [(p.graph, p.triples) for p in first] == [(G + "a", 3), (G + "b", 5)]
    assert counts(oxigraph) == {G + "a": 3, G + "b": 5}
    publish(read_build(write_build(tmp_path / "v2", "v2", {"a": 2, "b": 4})), oxigraph + "/store")
    assert counts(oxigraph) == {G + "a": 2, G + "b": 4}  # replaced, not added to
    ask = 'ASK { GRAPH ?g { ?s ?p ?o FILTER (STRSTARTS(?o, "v1 ")) } }'
    assert httpx.get(oxigraph + "/query", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False


def test_the_command_reports_each_graph(oxigraph, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_DIST", str(write_build(tmp_path / "dist", "v3", {"c": 7})))
    assert main(["publish", "--to", oxigraph + "/store"]) == 0
    out = capsys.readouterr().out
    assert f"PUT <{G}c>: 7 triples" in out and "1 graphs, 7 triples" in out


def test_a_refusing_store_is_named_with_the_graph(oxigraph, tmp_path):
    with pytest.raises(PublishError, match=r"answered 404 to PUT of <http://example.org/graph/a>"):
        publish(read_build(write_build(tmp_path / "v4", "v4", {"a": 1})), oxigraph + "/no-such-service")
