"""kg.web.serving.lookup_lane: bounded lookups answered below the header-adding middleware, with the headers the whole
way gave the same request. Through a real server without caches (every answer evaluated), compared with a
server that sends every query to its workers; then what the lane leaves to the whole way; then its rules for
keeping headers, on a stand-in application."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import urlencode

import httpx
import pytest

from asgi_call import call
from compare_answers import comparable
from counting_engine import CountingEngine
from kg.config import Settings
from kg.sparql.engine import Answer
from kg.web.serving.live import LiveServer
from kg.web.serving.lookup_lane import MAX_KEYS, MAX_MATCH_BYTES, MAX_PLAN_BYTES, MAX_PLANS, MAX_VARIANTS, LookupLane

ID = "https://kg.example.org/id/"
LOOKUP = f"SELECT ?p ?o WHERE {{ <{ID}place/jilin> ?p ?o }}"
ACCEPT = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
          "text/tab-separated-values"]


@pytest.fixture(scope="module")
def uncached(settings):
    """Inline lookups on, both caches off: the lane's answers are evaluated every time."""
    with LiveServer(replace(settings, cache_entries=0)) as live:
        yield live


@pytest.fixture(scope="module")
def counted(settings, uncached):
    """The uncached server's app again, through the same worker pool, with its engine's calls counted."""
    engine = CountingEngine(uncached.engine)
    app = uncached.app
    with LiveServer(replace(settings, cache_entries=0), engine=engine, build=app.state.build,
                    graphs=app.state.graphs) as live:
        live.counting = engine
        yield live


def ask(server, method: str, query: str, accept: str | None = None, path: str = "/sparql", client: str = "",
        **params):
    headers = {"Accept": accept} if accept else {}
    if client:
        headers["X-Forwarded-For"] = client  # as a proxy in front would add
    return httpx.request(method, server.url + path, params={"query": query, **params}, headers=headers, timeout=30)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["/sparql", "/sparql/"])
@pytest.mark.parametrize("accept", ACCEPT)
def test_repeated_lookups_are_answered_by_the_lane_as_the_whole_way_answers(uncached, isolated, method, path, accept):
    lane = uncached.app.layer(LookupLane)
    answers = []
    for n in range(3):  # the first goes the whole way; the lane answers the next two, from other clients
        query = f"{LOOKUP}\n# {method} {path} {accept} {n}"
        before = lane.answered
        ours = ask(uncached, method, query, accept, path, client=f"192.0.2.{n + 1}")
        theirs = ask(isolated, method, query, accept, path)
        assert ours.status_code == 200, ours.text
        assert lane.answered == before + (n > 0)
        assert comparable(ours, uncached.url) == comparable(theirs, isolated.url)
        answers.append(comparable(ours, uncached.url))
    assert answers[0] == answers[1] == answers[2]  # the comments change the query, not its answer


def test_each_format_parameter_and_form_has_its_own_headers(uncached, isolated):
    lane = uncached.app.layer(LookupLane)
    for n, (query, params) in enumerate([(LOOKUP, {"format": "csv"}), (LOOKUP, {"format": "tsv"}),
                                         (f"ASK {{ <{ID}place/jilin> ?p ?o }}", {}), (LOOKUP, {})] * 2):
        before = lane.answered
        ours = ask(uncached, "GET", f"{query}\n# {n}", **params)
        theirs = ask(isolated, "GET", f"{query}\n# {n}", **params)
        assert comparable(ours, uncached.url) == comparable(theirs, isolated.url)
        assert lane.answered == before + (n >= 4)


@pytest.mark.parametrize("case", ["conditional", "html", "dataset", "not bounded", "syntax error", "refused"])
def test_the_lane_leaves_everything_else_to_the_whole_way(uncached, isolated, case):
    lane = uncached.app.layer(LookupLane)
    ask(uncached, "GET", LOOKUP + "\n# primed", "application/sparql-results+json")
    ask(uncached, "GET", LOOKUP + "\n# primed", "text/html")
    query, accept, params, headers = LOOKUP + f"\n# {case}", "application/sparql-results+json", {}, {}
    if case == "conditional":
        headers = {"If-Modified-Since": "Sat, 01 Jan 2100 00:00:00 GMT"}
    elif case == "html":
        accept = "text/html"
    elif case == "dataset":
        params = {"default-graph-uri": uncached.app.state.graphs[0]}
    elif case == "not bounded":
        query = f"SELECT DISTINCT ?p WHERE {{ <{ID}place/jilin> ?p ?o }}"
    elif case == "syntax error":
        query = "SELECT ?o { undeclared:x ?p ?o }"
    else:
        query = f"SELECT ?o {{ SERVICE <http://example.org/sparql> {{ <{ID}place/jilin> ?p ?o }} }}"
    before = lane.answered
    responses = [httpx.get(s.url + "/sparql", params={"query": query, **params},
                           headers={"Accept": accept, **headers}, timeout=30) for s in (uncached, isolated)]
    assert lane.answered == before
    assert comparable(responses[0], uncached.url) == comparable(responses[1], isolated.url)
    assert responses[0].status_code == {"conditional": 304, "syntax error": 400, "refused": 400}.get(case, 200)


def test_a_lookup_over_the_inline_budget_asks_the_engine_once_then_a_worker(counted, settings):
    engine = counted.counting
    ask(counted, "GET", LOOKUP + "\n# primed for the budget test", "application/sparql-results+json")
    lane = counted.app.layer(LookupLane)
    before = (lane.answered, engine.peeks, engine.streams)
    query = f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {settings.inline_rows + 50}"
    response = ask(counted, "GET", query, "application/sparql-results+json")
    assert len(response.json()["results"]["bindings"]) == settings.inline_rows + 50
    assert (lane.answered, engine.peeks, engine.streams) == (before[0], before[1] + 1, before[2] + 1)
    ask(counted, "GET", LOOKUP + "\n# answered by the lane", "application/sparql-results+json")
    assert (lane.answered, engine.peeks, engine.streams) == (before[0] + 1, before[1] + 2, before[2] + 1)


def test_a_cut_answer_kept_by_the_result_cache_goes_out_with_its_truncation_header(settings):
    """The result cache keeps answers the row cap cut; one of a bounded lookup must still go out the whole
    way, with KG-Truncated, even when the lane holds headers for requests of its shape."""
    with LiveServer(replace(settings, max_rows=50)) as live:  # both caches on
        lane = live.app.layer(LookupLane)
        json_ = "application/sparql-results+json"
        assert "kg-truncated" not in ask(live, "GET", LOOKUP, json_).headers  # its shape's headers are kept
        everything = "SELECT * WHERE { ?s ?p ?o }"
        first = ask(live, "GET", everything, json_)  # cut: evaluated by a worker, kept by the result cache
        again = ask(live, "GET", everything + " ", json_)  # another URL, the same query for the result cache
        assert first.headers["kg-truncated"] == again.headers["kg-truncated"] == "max-rows=50"
        assert again.content == first.content and lane.answered == 0


# --- the rules for keeping headers, on a stand-in application ---

PUBLIC = [(b"vary", b"Accept"), (b"cache-control", b"public, max-age=300")]
JSON = b"application/sparql-results+json"


class Stand:
    """An application answering 200 with the headers it is given; its state is what the lane reads."""

    def __init__(self, headers, public_url="http://kg.test"):
        self.calls = 0
        self.headers = headers
        self.peeked = []  # the jobs the lane asked the engine for
        settings = replace(Settings.from_env(), public_url=public_url)

        def peek(job):
            self.peeked.append(job)
            return Answer(b'{"evaluated":true}', job.format)

        engine = SimpleNamespace(peek=peek)
        self.state = SimpleNamespace(settings=settings, graphs=[], engine=engine,
                                     build=SimpleNamespace(base_iri="https://kg.example.org/"))

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": b"[]"})


def request(lane, stand, method="GET", accept=JSON, host=b"kg.test", more=(), query=LOOKUP):
    scope = {"type": "http", "method": method, "scheme": "http", "path": "/sparql", "root_path": "",
             "query_string": urlencode({"query": query}).encode(), "app": stand,
             "headers": [(b"host", host), (b"accept", accept), *more]}
    _, headers, body = call(lane, scope)
    return headers, body


def test_headers_are_kept_in_their_order_with_a_new_content_length():
    stand = Stand([PUBLIC[0], (b"content-length", b"2"), PUBLIC[1]])
    lane = LookupLane(stand)
    assert request(lane, stand) == (stand.headers, b"[]")
    headers, body = request(lane, stand)
    assert body == b'{"evaluated":true}' and stand.calls == 1 and lane.answered == 1
    assert headers == [PUBLIC[0], (b"content-length", b"18"), PUBLIC[1]]
    assert request(lane, stand, method="HEAD")[1] == b"[]" and stand.calls == 2  # HEAD: a shape of its own
    assert request(lane, stand, method="HEAD") == ([PUBLIC[0], (b"content-length", b"18"), PUBLIC[1]], b"")


def test_kept_headers_stand_for_requests_that_differ_only_in_headers_they_do_not_vary_on():
    stand = Stand([*PUBLIC, (b"content-length", b"2")])
    lane = LookupLane(stand)
    request(lane, stand, more=[(b"x-forwarded-for", b"192.0.2.1")])
    request(lane, stand, more=[(b"x-forwarded-for", b"192.0.2.2"), (b"user-agent", b"another")])
    assert (stand.calls, lane.answered) == (1, 1)
    request(lane, stand, accept=b"text/csv")  # Vary: Accept, another value: the whole way, then kept too
    request(lane, stand, accept=b"text/csv")
    request(lane, stand)
    assert (stand.calls, lane.answered) == (2, 3)
    request(lane, stand, host=b"elsewhere.test")  # another host: the whole way
    assert (stand.calls, lane.answered) == (3, 3)


@pytest.mark.parametrize("headers", [
    [(b"vary", b"Accept"), (b"cache-control", b"public, max-age=300")],  # streamed: no Content-Length
    [*PUBLIC, (b"content-length", b"2"), (b"kg-truncated", b"max-rows=1")],  # cut
    [(b"vary", b"Accept"), (b"cache-control", b"private, max-age=300"), (b"content-length", b"2")],
    [(b"vary", b"Accept"), (b"cache-control", b"no-store"), (b"content-length", b"2")],
    [(b"vary", b"*"), (b"cache-control", b"public, max-age=300"), (b"content-length", b"2")],
])
def test_headers_no_shared_cache_may_keep_are_not_kept(headers):
    stand = Stand(headers)
    lane = LookupLane(stand)
    request(lane, stand)
    request(lane, stand)
    assert stand.calls == 2 and lane.answered == 0


def test_what_is_kept_per_request_shape_is_bounded():
    stand = Stand([*PUBLIC, (b"content-length", b"2")])
    lane = LookupLane(stand)
    accepts = [b"application/sparql-results+json;q=0.%d" % n for n in range(1, MAX_VARIANTS + 3)]
    for accept in accepts:
        request(lane, stand, accept=accept)
    assert [len(variants) for variants in lane._heads.values()] == [MAX_VARIANTS]
    request(lane, stand, accept=accepts[0])  # the oldest variant was dropped: the whole way again
    request(lane, stand, accept=accepts[-1])  # kept: answered by the lane
    assert (stand.calls, lane.answered) == (len(accepts) + 1, 1)
    huge = b"application/sparql-results+json, " + b"x" * MAX_MATCH_BYTES
    request(lane, stand, accept=huge)
    request(lane, stand, accept=huge)
    request(lane, stand, host=b"h" * (MAX_MATCH_BYTES + 1))
    request(lane, stand, host=b"h" * (MAX_MATCH_BYTES + 1))
    assert (stand.calls, lane.answered) == (len(accepts) + 5, 1)


def test_the_kept_request_shapes_are_bounded():
    stand = Stand([*PUBLIC, (b"content-length", b"2")])
    lane = LookupLane(stand, max_keys=3)
    hosts = [f"host{n}.test".encode() for n in range(5)]
    for host in hosts:
        request(lane, stand, host=host)
    assert len(lane._heads) == 3 and MAX_KEYS > 3
    request(lane, stand, host=hosts[0])  # the oldest was dropped: the whole way again
    request(lane, stand, host=hosts[-1])  # kept: answered by the lane
    assert stand.calls == 6 and lane.answered == 1


def test_a_remembered_plan_is_the_plan_of_the_request_at_hand():
    """Plans are remembered by every part of the request they read: each lookup is evaluated in the format
    its own Accept asks for and with its own host's endpoint as the base IRI, whatever came before it; a
    conditional request goes the whole way even when the same request without the condition was planned."""
    stand = Stand([*PUBLIC, (b"content-length", b"2")], public_url="")
    lane = LookupLane(stand)
    for host, accept in [(b"a.test", JSON), (b"b.test", JSON), (b"a.test", b"text/csv")]:  # the whole way
        request(lane, stand, accept=accept, host=host)
    for host, accept in [(b"a.test", JSON), (b"b.test", JSON), (b"a.test", b"text/csv"), (b"a.test", JSON)]:
        request(lane, stand, accept=accept, host=host)
    assert [(job.format, job.base_iri) for job in stand.peeked] == [
        ("json", "http://a.test/sparql"), ("json", "http://b.test/sparql"), ("csv", "http://a.test/sparql"),
        ("json", "http://a.test/sparql")]
    assert (stand.calls, lane.answered) == (3, 4)
    request(lane, stand, host=b"a.test", more=[(b"if-none-match", b'"x"')])
    assert (stand.calls, lane.answered) == (4, 4)


def test_the_remembered_plans_are_bounded():
    stand = Stand([*PUBLIC, (b"content-length", b"2")])
    lane = LookupLane(stand)
    for n in range(MAX_PLANS + 5):
        request(lane, stand, query=f"{LOOKUP} # {n}")
    assert len(lane._plans) == MAX_PLANS
    long = f"{LOOKUP} # {'x' * MAX_PLAN_BYTES}"
    request(lane, stand, query=long)
    request(lane, stand, query=long)  # planned afresh, and answered by the lane all the same
    assert len(lane._plans) == MAX_PLANS and lane.answered >= 1
    assert stand.peeked[-1].query == long
