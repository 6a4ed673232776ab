"""The per-client concurrency cap (KG_MAX_PER_CLIENT): a client over it gets 429 with Retry-After at once,
other clients (other loopback addresses) are not affected, the assets a page loads are not counted."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import httpx
import pytest

from kg.web.serving.admission import AdmissionControl

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
pytestmark = pytest.mark.usefixtures("nothing_written")


def from_address(server, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def _runaway(server, address: str) -> tuple[threading.Thread, dict]:
    """A thread whose client at ``address`` runs SLOW, returned once the query holds a worker; the dict gets
    the answer's status."""
    outcome: dict = {}

    def run():
        with from_address(server, address) as c:
            outcome["status"] = c.get("/sparql", params={"query": SLOW}).status_code

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.engine.busy_pids():
        assert time.monotonic() < deadline, "the runaway never reached a worker"
        time.sleep(0.02)
    return thread, outcome


def test_one_client_cannot_hold_every_worker(server, settings, unharmed):
    """With two workers, one client's runaway holds one; its second query is refused at once (429,
    Retry-After) instead of taking the other; its pages and other clients' queries are still answered."""
    thread, outcome = _runaway(server, "127.0.0.7")
    with from_address(server, "127.0.0.7") as c:
        started = time.monotonic()
        r = c.get("/sparql", params={"query": _needs_a_worker()})
        took = time.monotonic() - started
        assert c.get("/static/style.css").status_code == 200  # assets are not counted
        assert c.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200  # nor is this a query
    assert r.status_code == 429 and took < 1.0, (r.status_code, took)
    assert r.headers["retry-after"] == "1" and "KG_WORKERS" in r.text
    with from_address(server, "127.0.0.8") as other:  # another client finds the free worker at once
        started = time.monotonic()
        assert other.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert time.monotonic() - started < 2.0
    thread.join()
    assert outcome["status"] == 503
    deadline = time.monotonic() + 5  # the server lets go of a request just after its client has the answer
    while _in_flight(server):
        assert time.monotonic() < deadline, _in_flight(server)
        time.sleep(0.05)


def _needs_a_worker() -> str:
    """A query no cache holds and that is not a bounded lookup (a FILTER): only a worker answers it."""
    return f'ASK {{ ?s ?p ?o FILTER (?o = "{uuid.uuid4()}") }}'


def test_a_long_query_does_not_lock_its_author_out(server, unharmed):
    """While one client's long query holds a worker, the same client's cached answers, bounded lookups
    and pages are answered; only a second query that needs a worker is refused, in words (issue 24)."""
    cached = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.cidoc-crm.org/cidoc-crm/E53_Place> }"
    with from_address(server, "127.0.0.11") as c:
        assert c.get("/sparql", params={"query": cached}).status_code == 200  # now in the result cache
    thread, outcome = _runaway(server, "127.0.0.11")
    lookup = "SELECT ?p ?o WHERE { <https://kg.example.org/id/place/jilin> ?p ?o } LIMIT 5"
    with from_address(server, "127.0.0.11") as c:
        answers = {
            "cache hit": c.get("/sparql", params={"query": cached}),
            "bounded lookup": c.get("/sparql", params={"query": lookup},
                                    headers={"Accept": "application/sparql-results+json"}),
            "page": c.get("/id/place/jilin", headers={"Accept": "text/html"}, follow_redirects=True),
            "ask page": c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}),  # bounded too
        }
        refused = c.get("/sparql", params={"query": _needs_a_worker()})
    assert {k: r.status_code for k, r in answers.items()} == {k: 200 for k in answers}, \
        {k: (r.status_code, r.text[:200]) for k, r in answers.items()}
    assert answers["bounded lookup"].json()["results"]["bindings"]
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "already have 1 SPARQL query running" in refused.text and "retry this one after 1 s" in refused.text
    thread.join()
    assert outcome["status"] == 503


def test_requests_over_the_cap_get_429():
    """KG_MAX_PER_CLIENT over any counted route, on the middleware itself around an app that holds each
    request until told; the slot is free again as soon as the answer is sent."""
    from kg.web.serving.admission import AdmissionControl

    release = asyncio.Event()

    async def app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = AdmissionControl(app, max_per_client=2, workers=2)

    async def scenario():
        transport = httpx.ASGITransport(app=guarded, client=("127.0.0.9", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://kg") as c:
            held = [asyncio.create_task(c.get("/reader")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await c.get("/reader")
            in_korean = await c.get("/reader", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
            asset = asyncio.create_task(c.get("/static/style.css"))
            release.set()
            answers = await asyncio.gather(*held, asset)
            return refused, in_korean, answers, dict(guarded.in_flight)

    refused, in_korean, answers, left = asyncio.run(scenario())
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "KG_MAX_PER_CLIENT" in refused.text and "at most 2" in refused.text
    assert in_korean.status_code == 429 and "Accept-Language" in in_korean.headers["vary"]
    assert "동시에 처리 중인 요청은 최대 2개입니다 (KG_MAX_PER_CLIENT). 1초 뒤에 다시 시도하십시오" in in_korean.text
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert left == {}


def _in_flight(server) -> dict:
    """The admission counts of the running app."""
    return dict(server.app.layer(AdmissionControl).in_flight)


def test_cap_is_advertised(client, settings):
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert f'"{settings.max_per_client}"' in r.text and "#maxPerClient>" in r.text


@pytest.mark.parametrize("raw", ["0", "-3", "many"])
def test_setting_is_validated(monkeypatch, raw):
    from kg.config import ConfigError, Settings

    monkeypatch.setenv("KG_MAX_PER_CLIENT", raw)
    with pytest.raises(ConfigError, match="KG_MAX_PER_CLIENT"):
        Settings.from_env()
