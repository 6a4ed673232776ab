"""The worker pool over a small store, on disk and in memory: formats, row cap, wall-clock limit, kill and replace."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from xml.etree import ElementTree

import pytest
from pyoxigraph import parse

from kg.sparql.engine import (
    CHUNK_BYTES,
    Answer,
    Job,
    QuerySyntaxError,
    QueryTimeout,
    Streamed,
    WorkerCrashed,
    WrongFormError,
)
from kg.sparql.workers import WorkerPool
from kg.sparql.evaluate import bound_query
from kg.sparql.formats import BY_NAME

G = "http://example.org/graph/"  # the graphs of the store_path fixture (conftest.py): G + "a", G + "b"

RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . "
           "?p ?q ?r . ?s ?t ?u . ?v ?w ?x . ?y ?z ?aa . ?bb ?cc ?dd }")


@pytest.fixture(params=["on disk", "in memory"])
def pool(request, store_path, store_nquads):
    nquads = store_nquads if request.param == "in memory" else None
    p = WorkerPool(store_path, size=2, timeout=3.0, version="test1", prefixes={"ex": "http://example.org/"},
                   nquads=nquads)
    yield p
    p.close()


def test_select_in_every_result_format(pool):
    q = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 2"
    body = json.loads(pool.run(Job(q, "json")).body)
    assert body["head"]["vars"] == ["s", "o"]
    assert body["results"]["bindings"][0]["o"] == {"type": "literal", "value": "v0", "xml:lang": "en"}
    assert b'<literal xml:lang="en">v0</literal>' in pool.run(Job(q, "xml")).body
    assert pool.run(Job(q, "csv")).body.startswith(b"s,o\r\nhttp://example.org/s0,v0\r\n")
    assert pool.run(Job(q, "tsv")).body.startswith(b'?s\t?o\n<http://example.org/s0>\t"v0"@en\n')


def test_construct_in_turtle_with_prefixes(pool):
    body = pool.run(Job("CONSTRUCT WHERE { <http://example.org/s1> ?p ?o }", "turtle")).body
    assert b"@prefix ex: <http://example.org/>" in body
    assert b'ex:s1 ex:p "v1"@en' in body


def test_row_cap_is_explicit(pool):
    answer = pool.run(Job("SELECT * WHERE { ?s ?p ?o }", "json", max_rows=5))
    doc = json.loads(answer.body)
    assert answer.truncated and len(doc["results"]["bindings"]) == 5 and doc["truncated"] is True
    answer = pool.run(Job("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples", max_rows=5))
    assert answer.truncated and answer.body.startswith(b"# results truncated after 5")
    assert not pool.run(Job("SELECT * WHERE { ?s ?p ?o }", "json", max_rows=40)).truncated


CROSS = "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # 40^3 rows
CROSS_GRAPH = ("CONSTRUCT { ?a <http://example.org/near> ?note } WHERE { ?a ?p ?x . ?b ?q ?y "
               'BIND(CONCAT(STR(?b), " lies near ", STR(?a), " in the example data") AS ?note) }')  # 1,600 triples


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_large_select_streams_in_chunks_and_is_whole(pool, fmt):
    answer = pool.stream(Job(CROSS, fmt, max_rows=5000))
    assert isinstance(answer, Streamed) and answer.truncated and answer.rows == 5000
    chunks = list(answer.chunks)
    assert len(chunks) > 2 and all(len(c) <= 2 * CHUNK_BYTES for c in chunks)
    body = b"".join(chunks)
    if fmt == "json":
        doc = json.loads(body)
        assert len(doc["results"]["bindings"]) == 5000 and doc["truncated"] is True
    elif fmt == "xml":
        root = ElementTree.fromstring(body)
        assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 5000
        assert b"<!-- results truncated after 5000 rows" in body
    else:
        assert body.count(b"\n") == 5001  # the header line and 5,000 rows


@pytest.mark.parametrize("fmt", ["ntriples", "turtle", "nquads", "rdfxml", "jsonld", "trig"])
def test_large_graph_streams_and_parses(pool, fmt):
    answer = pool.stream(Job(CROSS_GRAPH, fmt, max_rows=1500))
    assert isinstance(answer, Streamed) and answer.truncated and answer.rows == 1500
    body = b"".join(answer.chunks)
    parsed = list(parse(body, format=BY_NAME[fmt].rdf_format, base_iri="http://example.org/"))
    assert len(parsed) == 1500


def test_small_answer_comes_whole(pool):
    assert isinstance(pool.stream(Job("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "json")), Answer)


def test_worker_is_free_before_the_client_reads(store_path):
    one = WorkerPool(store_path, size=1, timeout=5.0, version="test1", prefixes={})
    try:
        slow = one.stream(Job(CROSS, "json"))  # nobody reads it yet
        assert isinstance(slow, Streamed)
        started = time.monotonic()
        assert b"true" in one.run(Job("ASK {}", "json")).body  # the only worker answers meanwhile
        assert time.monotonic() - started < 4.0
        assert len(json.loads(b"".join(slow.chunks))["results"]["bindings"]) == 10_000
    finally:
        one.close()


def test_dataset_selection(pool):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    n = lambda job: json.loads(pool.run(job).body)["results"]["bindings"][0]["n"]["value"]  # noqa: E731
    assert n(Job(count, "json")) == "40"  # union default graph
    assert n(Job(count, "json", default_graphs=(G + "a",), named_graphs=())) == "20"
    assert n(Job(count, "json", default_graphs=(), named_graphs=(G + "a",))) == "0"


def test_syntax_error_has_line_and_column(pool):
    with pytest.raises(QuerySyntaxError) as err:
        pool.run(Job("SELECT * WHERE {\n  ?s ?p }", "json"))
    assert "2:" in str(err.value)


def test_wrong_form_for_format(pool):
    with pytest.raises(WrongFormError):
        pool.run(Job("ASK {}", "turtle"))


def test_runaway_is_killed_and_replaced(pool):
    before = set(pool.pids())
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as err:
        pool.run(Job(RUNAWAY, "json"))
    assert 3.0 <= time.monotonic() - started < 8.0
    assert "KG_QUERY_TIMEOUT" in str(err.value)
    after = set(pool.pids())
    assert len(after) == 2 and after != before
    assert pool.run(Job("ASK {}", "json")).body.find(b"true") >= 0


def test_runaway_does_not_block_other_worker(pool):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("e", pytest.raises(QueryTimeout, pool.run, Job(RUNAWAY, "json"))))
    thread.start()
    wait_busy(pool)
    started = time.monotonic()
    assert b"true" in pool.run(Job("ASK { ?s ?p ?o }", "json")).body
    assert time.monotonic() - started < 1.5
    thread.join()


def wait_busy(pool, within: float = 30.0) -> list[int]:
    deadline = time.monotonic() + within
    while not pool.busy_pids():
        assert time.monotonic() < deadline, "the query never started"
        time.sleep(0.05)
    time.sleep(0.2)  # let the worker get into the query
    return pool.busy_pids()


def test_worker_killed_mid_query_costs_only_that_query(pool):
    errors = []

    def runaway():
        try:
            pool.run(Job(RUNAWAY, "json"))
        except WorkerCrashed as err:
            errors.append(err)

    thread = threading.Thread(target=runaway)
    thread.start()
    busy = wait_busy(pool)
    for pid in busy:
        os.kill(pid, signal.SIGKILL)
    thread.join()
    assert errors and "replaced" in str(errors[0])
    assert b"true" in pool.run(Job("ASK {}", "json")).body
    assert b"true" in pool.run(Job("ASK {}", "json")).body


def test_idle_worker_killed_is_replaced(pool):
    for pid in pool.pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert b"true" in pool.run(Job("ASK {}", "json")).body
    assert len(pool.pids()) == 2


def test_memory_hungry_query_stops_only_its_worker(store_path):
    pool = WorkerPool(store_path, size=1, timeout=20.0, version="test1", prefixes={}, memory_mb=900)
    try:
        pad = "x" * 2000
        hungry = ('SELECT (GROUP_CONCAT(?x) AS ?all) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l '
                  'BIND(CONCAT(STR(?c), "%s") AS ?x) }' % pad)
        started = time.monotonic()
        with pytest.raises(WorkerCrashed) as err:
            pool.run(Job(hungry, "json"))
        assert "KG_WORKER_MEMORY_MB" in str(err.value)
        assert time.monotonic() - started < 15
        assert b"true" in pool.run(Job("ASK {}", "json")).body
    finally:
        pool.close()


@pytest.mark.parametrize("query", ["SELECT ?o WHERE { ?s ?p ?o }", "SELECT ?o { ?s ?p ?o }",
                                   "SELECT ?o WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } }"])
def test_bindings_start_the_evaluation(pool, query):
    """A bound variable is joined as a VALUES block opening the WHERE clause (or closing a query without
    the keyword): only the bound subject's rows come back."""
    job = Job(query, "json", bindings=(("s", "http://example.org/s7"),))
    assert bound_query(job).count("VALUES (?s) { (<http://example.org/s7>) }") == 1
    rows = json.loads(pool.run(job).body)["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == ["v7"]


@pytest.mark.parametrize("limit, in_memory", [(40, True), (39, False), (0, False)])
def test_start_pool_holds_a_build_in_memory_up_to_the_setting(store_dist, tmp_path, limit, in_memory):
    from kg.config import Settings
    from kg.store import read_build
    from kg.sparql.stack import start_pool

    settings = Settings(store_dir=tmp_path, workers=1, cache_entries=0, memory_store_triples=limit, inline_rows=0)
    engine, graphs = start_pool(settings, read_build(store_dist))  # a build of 40 triples
    try:
        assert (engine.nquads is not None) is in_memory and graphs == [G + "a", G + "b"]
        if in_memory:
            assert engine.nquads == str(tmp_path / "test1" / "dataset.nq")
        body = json.loads(engine.run(Job("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "json")).body)
        assert body["results"]["bindings"][0]["n"]["value"] == "40"
    finally:
        engine.close()
