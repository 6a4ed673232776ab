"""`kg serve --store URL` (issue 4): the same endpoint, pages and limits over a real Oxigraph server started
here on loopback, loaded by `kg publish`; SPARQLWrapper and httpx as the clients."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from kg.iris import Iris, prefixes
from kg.publish import publish
from kg.sparql.remote import RemoteEngine
from kg.store import read_build
from kg.web.app import create_app
from kg.web.server import server_config
from kg.web.live import free_port


OXIGRAPH = Path(sys.executable).parent / "oxigraph"  # PyPI `oxigraph` (test extras)
RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . "
           "?p ?q ?r . ?s ?t ?u . ?v ?w ?x }")


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str]:
    """`oxigraph serve` on a free loopback port, the union of its graphs as default graph; its origin."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph", "--timeout-s", "5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(origin + "/query", params={"query": "ASK {}"}).status_code == 200:
                return process, origin
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("oxigraph serve did not start")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def store(settings, tmp_path_factory):
    if not OXIGRAPH.is_file():
        pytest.skip("the oxigraph server is not installed (pip install '.[test]')")
    process, origin = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    publish(read_build(settings.dist_dir), origin + "/store")
    yield origin
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def front(settings, store):
    """Our front end over the remote store, with a short time limit and a small row cap."""
    small = replace(settings, max_rows=5, query_timeout=1.5)
    build = read_build(small.dist_dir)
    engine = RemoteEngine(store + "/query", version=build.version, timeout=small.query_timeout,
                          prefixes=prefixes(Iris(build.base_iri)))
    app = create_app(small, engine=engine, build=build, graphs=engine.named_graphs())
    port = free_port()
    server = uvicorn.Server(server_config(app, small, "127.0.0.1", port, "warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_select_through_sparqlwrapper_counts_the_whole_build(front, settings):
    client = SPARQLWrapper(front + "/sparql")
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert int(rows[0]["n"]["value"]) == read_build(settings.dist_dir).triples


def test_construct_as_turtle_with_our_prefixes(front):
    client = SPARQLWrapper(front + "/sparql")
    client.setQuery("CONSTRUCT WHERE { <https://kg.example.org/id/place/jilin> a ?type }")
    client.setReturnFormat(TURTLE)
    body = client.query().convert()
    assert b"@prefix" in body and b"crm:E53_Place" in body


def test_row_cap_applies_to_the_stores_answer(front):
    r = httpx.get(front + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200 and r.headers["KG-Truncated"] == "max-rows=5"
    assert len(r.json()["results"]["bindings"]) == 5 and r.json()["truncated"] is True


def test_guard_refuses_before_the_store_sees_it(front):
    r = httpx.get(front + "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
    assert r.status_code == 400 and "SERVICE" in r.text


def test_syntax_error_is_400_with_the_stores_position(front):
    r = httpx.get(front + "/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400 and "1:" in r.text


def test_wall_clock_limit_is_503(front):
    started = time.monotonic()
    r = httpx.get(front + "/sparql", params={"query": RUNAWAY}, timeout=30)
    assert r.status_code == 503 and "KG_QUERY_TIMEOUT" in r.text
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("suffix,media", [("html", "text/html"), ("ttl", "text/turtle")])
def test_entity_pages_come_from_the_store(front, suffix, media):
    r = httpx.get(f"{front}/doc/id/place/jilin.{suffix}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert "jilin" in r.text


def test_unreachable_store_is_502(settings):
    build = read_build(settings.dist_dir)
    engine = RemoteEngine(f"http://127.0.0.1:{free_port()}/query", version=build.version, timeout=2, prefixes={})
    from kg.sparql.remote import StoreUnavailable
    from kg.sparql.workers import Job

    with pytest.raises(StoreUnavailable) as err:
        engine.run(Job("ASK {}", "json"))
    assert err.value.status == 502
