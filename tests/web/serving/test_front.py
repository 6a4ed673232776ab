"""kg.web.serving.front: admission control, the response cache and the lookup lane, in that order, in front of
FastAPI; the answers they give never enter FastAPI, everything else does."""

from __future__ import annotations

from kg.web.serving.admission import AdmissionControl
from kg.web.serving.lookup_lane import LookupLane
from kg.web.serving.response_cache import ResponseCache

LOOKUP = "SELECT ?p ?o WHERE { <https://kg.example.org/id/place/jilin> ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


def test_the_layers_in_front_of_fastapi_and_their_order(server):
    app = server.app
    admission = app.front
    assert isinstance(admission, AdmissionControl)
    assert isinstance(admission.app, ResponseCache)
    assert isinstance(admission.app.app, LookupLane)
    assert admission.app.app.app == app.behind
    assert app.layer(ResponseCache) is admission.app and app.layer(LookupLane) is admission.app.app


def test_answers_given_in_front_do_not_enter_fastapi(server, client, monkeypatch):
    lane = server.app.layer(LookupLane)
    behind = lane.app
    entered = []

    async def counted(scope, receive, send):
        entered.append(scope["path"])
        await behind(scope, receive, send)

    monkeypatch.setattr(lane, "app", counted)
    first = client.get("/sparql", params={"query": LOOKUP + " # test_front"}, headers=JSON)
    assert first.status_code == 200 and entered == ["/sparql"]
    again = client.get("/sparql", params={"query": LOOKUP + " # test_front"}, headers=JSON)  # the response cache
    assert again.content == first.content and entered == ["/sparql"]
    answered = lane.answered
    other = client.get("/sparql", params={"query": LOOKUP + " # test_front, another URL"}, headers=JSON)  # the lane
    assert other.content == first.content and lane.answered == answered + 1 and entered == ["/sparql"]
    page = client.get("/doc/id/place/jilin.ttl", params={"seen-by": "test_front"})  # a URL no other test asks for
    assert page.status_code == 200 and entered == ["/sparql", "/doc/id/place/jilin.ttl"]
    own = ("date", "content-length")  # the lane's answer carries the headers of the first, but these two
    assert [(k, v) for k, v in other.headers.multi_items() if k not in own] == [
        (k, v) for k, v in first.headers.multi_items() if k not in own]
    assert other.headers["content-length"] == str(len(other.content))


def test_switches_leave_layers_out_or_put_them_among_fastapis_middleware_with_the_same_answers(settings, server):
    """KG_FRONT, KG_LOOKUP_LANE and KG_RESPONSE_CACHE (only to measure each layer's rent): the same answers,
    through the main server's worker pool, with the layer left out or moved behind FastAPI's __call__."""
    from dataclasses import replace

    import httpx

    from kg.web.serving.live import LiveServer

    from compare_answers import comparable

    requests = [("/sparql", {"query": LOOKUP + " # test_switches"}, JSON), ("/doc/id/place/jilin.ttl", {}, {}),
                ("/sparql", {"query": "ASK {}"}, JSON), ("/sparql", {"query": "SELECT * WHERE {"}, JSON)]
    expected = [comparable(httpx.get(server.url + p, params=q, headers=h), server.url)
                for p, q, h in requests for _ in range(2)]
    for switch in ({"front": False}, {"lookup_lane": False}, {"response_cache": False}):
        app = server.app
        with LiveServer(replace(settings, **switch), engine=server.engine, build=app.state.build,
                        graphs=app.state.graphs) as live:
            got = [comparable(httpx.get(live.url + p, params=q, headers=h), live.url)
                   for p, q, h in requests for _ in range(2)]
            assert got == expected, switch
            front = live.app.front
            if switch.get("front") is False:
                assert front is None and isinstance(live.app.layer(AdmissionControl), AdmissionControl)
            kinds = {LookupLane: "lookup_lane", ResponseCache: "response_cache"}
            for kind, name in kinds.items():
                if switch.get(name) is False:
                    try:
                        live.app.layer(kind)
                    except LookupError:
                        continue
                    raise AssertionError(f"{kind.__name__} is there with {name} off")
                assert isinstance(live.app.layer(kind), kind)
