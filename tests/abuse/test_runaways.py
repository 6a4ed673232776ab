"""Runaway queries: cartesian products, unbounded property paths, huge GROUP BY and ORDER BY, catastrophic
regular expressions, memory hogs; one at a time and from several clients at once. Each is stopped at the
wall-clock or memory limit (503 naming it) or answered; none outlives the limit; the server recovers."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from kg.web.serving.admission import AdmissionControl

pytestmark = pytest.mark.usefixtures("nothing_written")

ALL = "?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o"
RUNAWAYS = {
    "cartesian-count": f"SELECT (COUNT(*) AS ?x) WHERE {{ {ALL} }}",
    "cartesian-distinct": "SELECT DISTINCT ?a ?d ?g ?j WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } LIMIT 10",
    "property-path-star": "SELECT (COUNT(*) AS ?x) WHERE { ?s (<http://x/>|!<http://x/>)* ?o . ?t ?u ?v }",
    "property-path-inverse": "SELECT (COUNT(*) AS ?x) WHERE { ?s (!<http://x/>|^!<http://x/>)+ ?o . ?p ?q ?r }",
    "group-by-huge": "SELECT ?a ?d ?g (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?a ?d ?g",
    "order-by-huge": "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1",
    "regex-catastrophic": 'SELECT (COUNT(*) AS ?x) WHERE { ?s ?p ?o . ?t ?u ?v . '
                          'FILTER(REGEX(CONCAT(STR(?o), STR(?v), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), "^(a+)+$|(.*a){20}")) }',
    "group-concat-memory": "SELECT (GROUP_CONCAT(CONCAT(STR(?c), STR(?f), STR(?i)); separator='|') AS ?x) "
                           "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "construct-huge": "CONSTRUCT { ?a ?b ?o } WHERE { ?a ?b ?c . ?d ?e ?o . ?g ?h ?i }",
}


@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_runaway_is_stopped(client, settings, unharmed, name):
    started = time.monotonic()
    r = client.get("/sparql", params={"query": RUNAWAYS[name]}, timeout=60)
    took = time.monotonic() - started
    assert r.status_code in (200, 503), (name, r.status_code, r.text[:200])
    if r.status_code == 503:
        assert "KG_QUERY_TIMEOUT" in r.text or "KG_WORKER_MEMORY_MB" in r.text, r.text
    else:  # it finished within the limits (row cap or a fast engine): the answer must be well-formed
        assert r.headers["content-type"].startswith(("application/sparql-results+json", "text/turtle"))
    assert took < settings.query_timeout + 5, f"{name} took {took:.1f} s"


def test_concurrent_runaways_from_several_clients(server, settings, unharmed):
    """Six clients (six loopback addresses) each start two runaways at once. Each client's second is refused
    (429: one client runs fewer queries than there are workers); every other is answered within the bound
    the pool gives (each waits at most one limit for a worker, then runs at most one limit);
    files are served at their usual speed meanwhile; afterwards the workers are all back."""
    names = sorted(RUNAWAYS)
    results: list[tuple[int, float]] = []
    spans: dict[int, list[tuple[float, float, int]]] = {}  # client -> (start, end, status) of its requests
    lock = threading.Lock()

    assert httpx.get(server.url + "/sparql", params={"query": "ASK {}"}).status_code == 200  # the app is built
    admission = server.app.layer(AdmissionControl)

    def client_run(k: int) -> None:
        address = f"127.0.0.{20 + k // 2}"
        if k % 2:  # the client's second query goes once its first is in flight at the server (not just sent:
            # on a loaded machine a request can take seconds to arrive, which is no overlap at all)
            deadline = time.monotonic() + 10
            while not admission.counts.queries.get(address) and time.monotonic() < deadline:
                time.sleep(0.01)
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(base_url=server.url, timeout=60, transport=transport) as c:
            started = time.monotonic()
            # a comment of its own keeps each runaway out of the result cache: an earlier test's finished
            # runaway would be a cache hit, which needs no worker and so (fair admission) is never refused
            query = f"# runaway {k} of the concurrent test\n{RUNAWAYS[names[k % len(names)]]}"
            r = c.get("/sparql", params={"query": query})
            ended = time.monotonic()
            with lock:
                results.append((r.status_code, ended - started))
                spans.setdefault(k // 2, []).append((started, ended, r.status_code))

    threads = [threading.Thread(target=client_run, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    file_times = []
    for _ in range(10):
        started = time.monotonic()
        assert httpx.get(server.url + "/static/style.css", timeout=10).status_code == 200
        file_times.append(time.monotonic() - started)
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 12
    assert all(status in (200, 429, 503) for status, _ in results), results
    # a client whose two runaways were in flight together never holds two workers: one of them got 429
    # (on a loaded machine a client's second request may start after its first ended; that is no overlap)
    overlapping = [c for c, (a, b) in spans.items() if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, spans
    for c in overlapping:
        assert 429 in (spans[c][0][2], spans[c][1][2]), spans[c]
    assert max(took for _, took in results) < 2 * settings.query_timeout + 5, results
    assert max(file_times) < 1.0, file_times
    deadline = time.monotonic() + 10
    while len(server.engine.pids()) != settings.workers or server.engine.busy_pids():
        assert time.monotonic() < deadline, "the pool did not recover its workers"
        time.sleep(0.1)
