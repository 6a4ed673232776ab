"""The result cache around a real worker pool: same answers, repeated jobs kept, limits still enforced,
bounded by entries and bytes, keyed by the dataset version (issue 4)."""

from __future__ import annotations

import json

import pytest

from counting_engine import CountingEngine
from kg.sparql.cache import ResultCache, cached, normalize
from kg.sparql.engine import Answer, Job, QuerySyntaxError, QueryTimeout, Streamed
from kg.sparql.workers import WorkerPool

G = "http://example.org/graph/"  # the graphs of the store_path fixture (conftest.py): G + "a", G + "b"

RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . "
           "?p ?q ?r . ?s ?t ?u . ?v ?w ?x . ?y ?z ?aa . ?bb ?cc ?dd }")


@pytest.fixture(scope="module")
def pool(store_path):
    p = WorkerPool(store_path, size=1, timeout=2.0, version="test1", prefixes={})
    yield p
    p.close()


Q = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3"


def test_repeated_job_answered_once_with_the_same_bytes(pool):
    inner = CountingEngine(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=2**20)
    first = cache.run(Job(Q, "json"))
    assert cache.run(Job(Q, "json")) == first == pool.run(Job(Q, "json"))
    assert cache.run(Job(Q + "  \r\n", "json")) == first  # trailing whitespace and line ends: same query
    assert inner.streams == 1 and cache.hits == 2


def test_format_dataset_and_row_cap_are_part_of_the_key(pool):
    inner = CountingEngine(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=2**20)
    for job in (Job(Q, "json"), Job(Q, "csv"), Job(Q, "json", max_rows=2), Job(Q, "json", default_graphs=(G + "a",)),
                Job(Q, "json", union_default=False), Job(Q.replace("3", "4"), "json")):
        cache.run(job)
    assert inner.streams == 6 and len(cache) == 6


def test_a_new_dataset_version_never_sees_old_answers(pool):
    old = ResultCache(CountingEngine(pool, "v1"), max_entries=8, max_bytes=2**20)
    new = ResultCache(CountingEngine(pool, "v2"), max_entries=8, max_bytes=2**20)
    assert old.key(Job(Q, "json")) != new.key(Job(Q, "json"))


def test_errors_and_limits_are_never_kept(pool):
    inner = CountingEngine(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=2**20)
    for _ in range(2):
        with pytest.raises(QuerySyntaxError):
            cache.run(Job("SELECT WHERE {", "json"))
    with pytest.raises(QueryTimeout):
        cache.run(Job(RUNAWAY, "json"))
    assert inner.streams == 3 and len(cache) == 0


def test_bounded_by_entries_and_bytes_least_recently_used_out(pool):
    cache = ResultCache(CountingEngine(pool), max_entries=2, max_bytes=2**20)
    a, b, c = (Job(f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n}", "json") for n in (1, 2, 3))
    cache.run(a), cache.run(b), cache.run(a), cache.run(c)  # b is the least recently used
    assert {k[1].query for k in cache._entries} == {a.query, c.query}
    small = ResultCache(CountingEngine(pool), max_entries=100, max_bytes=4000)
    big = Job("SELECT ?s ?o WHERE { ?s ?p ?o }", "json")  # over a quarter of the budget: passed on, not kept
    assert len(small.run(big).body) > 1000 and len(small) == 0
    for n in range(1, 30):
        small.run(Job(f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n}", "json"))
        assert small.size_bytes <= 4000


def test_normalize_leaves_long_string_literals_alone():
    assert normalize("SELECT * {\r\n ?s ?p ?o }  \n") == "SELECT * {\n ?s ?p ?o }"
    text = 'SELECT * { ?s ?p """a  \nb""" }'
    assert normalize(text) == text


BIG = "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # 40^3 rows, capped: a streamed answer


def test_streamed_answer_is_kept_once_read_whole(pool):
    inner = CountingEngine(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=64 * 2**20)
    first = cache.stream(Job(BIG, "json", max_rows=4000))
    assert isinstance(first, Streamed) and len(cache) == 0  # nothing kept before the last chunk
    body = b"".join(first.chunks)
    again = cache.stream(Job(BIG, "json", max_rows=4000))
    assert isinstance(again, Answer) and again.body == body and again.truncated and again.rows == 4000
    assert inner.streams == 1


def test_streamed_answer_over_a_quarter_of_the_budget_is_passed_on(pool):
    inner = CountingEngine(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=400_000)
    for _ in range(2):
        assert len(json.loads(cache.run(Job(BIG, "json", max_rows=4000)).body)["results"]["bindings"]) == 4000
    assert inner.streams == 2 and len(cache) == 0


def test_peek_answers_only_what_is_kept(pool):
    cache = ResultCache(CountingEngine(pool), max_entries=8, max_bytes=2**20)
    job = Job(Q + " # peeked", "json")
    assert cache.peek(job) is None and cache.hits == 0 and cache.misses == 0  # a peek never evaluates
    answer = cache.run(job)
    assert cache.peek(job) == answer and cache.hits == 1
    assert pool.peek(job) is None  # the pool itself keeps nothing


def test_peek_keeps_what_the_engine_below_had_at_hand(pool):
    """A lookup answered inline (``InlineLookups.peek``) is kept like any answer: the next peek is a hit."""

    class AtHand(CountingEngine):
        def peek(self, job):
            self.peeks += 1
            return self.inner.run(job)

    inner = AtHand(pool)
    cache = ResultCache(inner, max_entries=8, max_bytes=2**20)
    job = Job(Q + " # at hand", "json")
    first = cache.peek(job)
    assert first == pool.run(job) and inner.peeks == 1
    assert cache.peek(job) == first and inner.peeks == 1 and cache.hits == 1 and inner.streams == 0


def test_cached_follows_the_settings(pool):
    """``cached``: the engine itself with KG_CACHE_ENTRIES=0 or KG_RESULT_CACHE off, else a cache bounded
    by both settings."""
    from types import SimpleNamespace

    assert cached(pool, SimpleNamespace(cache_entries=0, cache_mb=64, result_cache=True)) is pool
    assert cached(pool, SimpleNamespace(cache_entries=7, cache_mb=64, result_cache=False)) is pool
    cache = cached(pool, SimpleNamespace(cache_entries=7, cache_mb=3, result_cache=True))
    assert isinstance(cache, ResultCache) and cache.inner is pool
    assert (cache.max_entries, cache.max_bytes) == (7, 3 * 2**20)
