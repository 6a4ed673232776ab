"""The per-client concurrency cap (KG_MAX_PER_CLIENT): a client over it gets 429 with Retry-After at once,
other clients (other loopback addresses) are not affected, the assets a page loads are not counted."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
pytestmark = pytest.mark.usefixtures("nothing_written")


def from_address(server, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def test_one_client_over_the_cap_gets_429_others_do_not(server, settings, unharmed):
    cap = settings.max_per_client
    statuses: list[int] = []
    lock = threading.Lock()

    def runaway():
        with from_address(server, "127.0.0.7") as c:
            r = c.get("/sparql", params={"query": SLOW})
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=runaway) for _ in range(cap)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while server.app.middleware_stack is None or not _in_flight(server).get("127.0.0.7", 0) >= cap:
        assert time.monotonic() < deadline, "the first requests never got in flight"
        time.sleep(0.02)
    with from_address(server, "127.0.0.7") as c:
        started = time.monotonic()
        r = c.get("/sparql", params={"query": "ASK {}"})
        took = time.monotonic() - started
        assert c.get("/static/style.css").status_code == 200  # assets are not counted
    assert r.status_code == 429 and took < 1.0
    assert r.headers["retry-after"] == "1"
    assert "KG_MAX_PER_CLIENT" in r.text and str(cap) in r.text
    with from_address(server, "127.0.0.8") as other:  # another client is admitted
        assert other.get("/sparql", params={"query": "ASK {}"}).status_code in (200, 503)
    for t in threads:
        t.join()
    assert statuses and all(s in (200, 503) for s in statuses)  # admitted ones: answered or stopped at the limit
    assert _in_flight(server) == {}


def _in_flight(server) -> dict:
    """The admission counter of the running app (the outermost middleware)."""
    app = server.app.middleware_stack
    while app is not None and type(app).__name__ != "AdmissionControl":
        app = getattr(app, "app", None)
    assert app is not None, "AdmissionControl is not installed"
    return dict(app.in_flight)


def test_cap_is_advertised(client, settings):
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert f'"{settings.max_per_client}"' in r.text and "#maxPerClient>" in r.text


@pytest.mark.parametrize("raw", ["0", "-3", "many"])
def test_setting_is_validated(monkeypatch, raw):
    from kg.config import ConfigError, Settings

    monkeypatch.setenv("KG_MAX_PER_CLIENT", raw)
    with pytest.raises(ConfigError, match="KG_MAX_PER_CLIENT"):
        Settings.from_env()
