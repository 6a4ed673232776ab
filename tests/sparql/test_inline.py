"""Bounded lookups answered in the front-end process (kg.sparql.inline): which queries qualify, that their
answers are the workers' byte for byte, and that everything else still goes to the workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.sparql.inline import InlineLookups, bounded
from kg.sparql.engine import Job, QuerySyntaxError, WrongFormError
from kg.sparql.workers import WorkerPool
from kg.store import open_for_queries

G = "http://example.org/graph/"
EX = "http://example.org/"

BOUNDED = [
    "SELECT ?p ?o WHERE { <http://example.org/s1> ?p ?o }",
    "PREFIX ex: <http://example.org/>\nSELECT * { ?s ex:p ?o . } LIMIT 10",
    "select * where { ?s ?p ?o } limit 5",
    'ASK { <http://example.org/s1> <http://example.org/p> "v1"@en }',
    'SELECT ?s { ?s <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#string> }',
    "SELECT ?s { ?s <http://example.org/p> _:b }",
    "BASE <http://example.org/> SELECT $o { <s1> <p> ?o } # a comment\n",
    "SELECT ?s { ?s a <http://example.org/C> }",
    "SELECT ?unbound ?o { <http://example.org/s1> ?p ?o }",
]

NOT_BOUNDED = [
    "SELECT DISTINCT ?p { <http://example.org/s1> ?p ?o }",  # DISTINCT may read everything for one new row
    "SELECT ?x { ?x ?x ?o }",  # a repeated variable filters the scan
    "SELECT ?x { ?x ?p $x }",  # ?x and $x are one variable
    "SELECT * { _:a ?p _:a }",
    "SELECT * { ?s ?p ?o } OFFSET 5",
    "SELECT * { ?s ?p ?o } ORDER BY ?s",
    "SELECT * { ?s ?p ?o . ?o ?q ?r }",
    "SELECT * { ?s <http://a>/<http://b> ?o }",
    "SELECT * { ?s ?p ?o FILTER(?o) }",
    "SELECT * { ?s ?p ?o OPTIONAL { ?o ?q ?r } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE <http://example.org/s1>",
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT * FROM <http://example.org/graph/a> { ?s ?p ?o }",
    "SELECT * { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * { ?s ?p 1 }",
    "SELECT * { ?s ?p ?o } LIMIT 1 2",
    "SELECT * { ?s ?p ?o } LIMIT",
    "SELECT * { { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o } VALUES ?s { <http://example.org/s1> }",
    "SELECT * { ?s ?p ?o, ?q }",
    "SELECT * { ?s ?p ?o ; ?q ?r }",
    "SELECT * { ?s ?p [] }",
    "SELECT * { ?s ?p ?o } GROUP BY ?s",
    "SELECT ?s { ?s ?p ?o",
    "",
    "SELECT * { ?s ?p ?o }" + " " * 5000,  # longer than a lookup ever is
]


@pytest.mark.parametrize("query", BOUNDED)
def test_bounded_lookups_are_recognised(query):
    assert bounded(query)


@pytest.mark.parametrize("query", NOT_BOUNDED)
def test_anything_else_is_left_to_the_workers(query):
    assert not bounded(query)


@pytest.fixture(params=["on disk", "in memory"])
def engines(request, store_path, store_nquads):
    """The worker pool alone, and the same pool behind inline lookups over the same kind of store."""
    nquads = store_nquads if request.param == "in memory" else None
    pool = WorkerPool(store_path, size=1, timeout=5.0, version="test1", prefixes={"ex": EX}, nquads=nquads)
    store = open_for_queries(Path(store_path), Path(nquads) if nquads else None)
    yield pool, InlineLookups(pool, store, {"ex": EX}, rows=10)
    pool.close()


ANSWERED_HERE = [
    "SELECT ?p ?o WHERE { <http://example.org/s1> ?p ?o }",
    "SELECT * { ?s <http://example.org/p> ?o } LIMIT 10",  # exactly the budget
    'ASK { <http://example.org/s1> <http://example.org/p> "v1"@en }',
    'ASK { <http://example.org/s1> <http://example.org/p> "v2"@en }',
    "SELECT ?s { ?s <http://example.org/p> \"v3\"@en }",
    "SELECT ?nothing { <http://example.org/missing> ?p ?o }",
]


@pytest.mark.parametrize("query", ANSWERED_HERE)
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_inline_answers_are_the_workers_byte_for_byte(engines, query, fmt):
    pool, inline = engines
    job = Job(query, fmt)
    here = inline.peek(job)
    assert here is not None and inline.answered == 1
    assert here == pool.run(job)


def test_more_solutions_than_the_budget_go_to_a_worker_whole(engines):
    pool, inline = engines
    job = Job("SELECT * { ?s <http://example.org/p> ?o } LIMIT 11", "json")  # one past the budget of 10
    assert inline.peek(job) is None and inline.answered == 0
    answer = inline.run(job)
    assert answer == pool.run(job) and len(json.loads(answer.body)["results"]["bindings"]) == 11
    everything = Job("SELECT * { ?s ?p ?o }", "json")  # no LIMIT: all 40, from a worker
    assert inline.peek(everything) is None
    whole = inline.run(everything)
    assert inline.answered == 0 and whole.rows == 40 and not whole.truncated


def test_the_row_cap_below_the_budget_is_the_workers_to_write(engines):
    pool, inline = engines
    job = Job("SELECT * { ?s ?p ?o }", "json", max_rows=3)  # cut by the cap: the truncation note is the worker's
    assert inline.peek(job) is None
    answer = inline.run(job)
    assert answer.truncated and answer == pool.run(job)


def test_errors_are_the_workers_to_report(engines):
    _, inline = engines
    undeclared = Job("SELECT ?o { undeclared:s1 ?p ?o }", "json")
    assert bounded(undeclared.query)  # in form; but the prefix is not declared
    wrong_form = Job("SELECT ?o { <http://example.org/s1> ?p ?o }", "turtle")
    assert inline.peek(undeclared) is None and inline.peek(wrong_form) is None
    with pytest.raises(QuerySyntaxError):
        inline.run(undeclared)
    with pytest.raises(WrongFormError):
        inline.run(wrong_form)
    assert inline.answered == 0


def test_server_queries_with_bindings_go_to_the_workers(engines):
    _, inline = engines
    job = Job("SELECT ?o { ?s <http://example.org/p> ?o }", "json", bindings=(("s", EX + "s7"),))
    assert inline.peek(job) is None
    assert [r["o"]["value"] for r in json.loads(inline.run(job).body)["results"]["bindings"]] == ["v7"]


def test_dataset_of_the_request_applies_inline(engines):
    pool, inline = engines
    job = Job("SELECT ?s { ?s <http://example.org/p> ?o } LIMIT 5", "csv", default_graphs=(G + "a",), named_graphs=())
    here = inline.peek(job)
    assert here is not None and here == pool.run(job) and here.rows == 5
    subjects = here.body.decode().split("\r\n")[1:-1]
    assert len(subjects) == 5 and all(int(s.rsplit("s", 1)[1]) % 2 == 1 for s in subjects)  # graph a only


@pytest.mark.parametrize("rows, inline", [(100, True), (0, False)])
def test_start_pool_answers_lookups_inline_unless_turned_off(store_dist, tmp_path, rows, inline):
    from kg.config import Settings
    from kg.store import read_build
    from kg.sparql.stack import start_pool

    settings = Settings(store_dir=tmp_path, workers=1, cache_entries=0, inline_rows=rows)
    engine, _ = start_pool(settings, read_build(store_dist))
    try:
        assert isinstance(engine, InlineLookups) is inline
        answer = engine.peek(Job("SELECT ?o { <http://example.org/s5> ?p ?o }", "json"))
        assert (answer is not None) is inline
        if inline:
            assert json.loads(answer.body)["results"]["bindings"][0]["o"]["value"] == "v5"
    finally:
        engine.close()


def test_a_row_budget_below_one_is_refused(engines):
    pool, _ = engines
    with pytest.raises(ValueError):
        InlineLookups(pool, None, {}, rows=0)
