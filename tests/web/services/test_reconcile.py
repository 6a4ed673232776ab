"""The reconciliation service (issue 7), driven by requests in the forms the Reconciliation Service API 0.2
gives: `POST / queries=<URL-encoded batch>`, `GET /?queries=<URL-encoded batch>`, the manifest at the
endpoint, the preview URL with `{{id}}` replaced by the id encoded as a URI component, and the suggest
service's `prefix` and `cursor`."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from kg.web.services.reconcile import fold

PLACE = "http://www.cidoc-crm.org/cidoc-crm/E53_Place"


def batch(client, queries: dict, method: str = "POST") -> dict:
    body = json.dumps(queries)
    if method == "POST":
        r = client.post("/reconcile", content="queries=" + quote(body),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        r = client.get("/reconcile?queries=" + quote(body))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["access-control-allow-origin"] == "*"
    return r.json()


def test_the_manifest(client, server):
    m = client.get("/reconcile").json()
    assert m["versions"] == ["0.2"] and m["name"]
    assert m["identifierSpace"] == "https://kg.example.org/id/"
    assert "{{id}}" in m["view"]["url"] and "{{id}}" in m["preview"]["url"]
    assert {"width", "height"} <= set(m["preview"])
    assert {"id": PLACE, "name": "crm:E53_Place"} in m["defaultTypes"]
    s = m["suggest"]["entity"]
    assert s["service_url"] + s["service_path"] == server.url + "/reconcile/suggest/entity"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_minimal_batch_by_name_in_every_language(client, method):
    result = batch(client, {"q0": {"query": "Pyongan-namdo"}, "q1": {"query": "평안남도"},
                            "q2": {"query": "黄海北道"}, "q3": {"query": "south pyeongan province"}}, method)
    assert set(result) == {"q0", "q1", "q2", "q3"}
    for key, expected in (("q0", "place/south-pyongan"), ("q1", "place/south-pyongan"),
                          ("q2", "place/north-hwanghae"), ("q3", "place/south-pyongan")):
        top = result[key]["result"][0]
        assert top["id"] == expected and top["score"] == 100 and top["match"] is True, (key, top)
        assert {"id", "name", "type", "score", "match"} <= set(top)
    assert result["q0"]["result"][0]["name"] == "South Pyongan Province"


def test_a_full_query_with_type_and_limit(client):
    result = batch(client, {
        "q0": {"query": "Jilin", "type": PLACE, "limit": 3, "properties": [], "type_strict": "any"},
        "q1": {"query": "Jilin", "limit": 10},
        "q2": {"query": "Jilin", "type": ["crm:E53_Place"], "type_strict": "should", "limit": 10},
        "q3": {"query": "Jilinn", "type": "crm:E53_Place"},
    })
    q0 = result["q0"]["result"]
    assert len(q0) <= 3 and q0[0]["id"] == "place/jilin" and q0[0]["match"] is True
    assert all(PLACE in {t["id"] for t in c["type"]} for c in q0)
    ids1 = [c["id"] for c in result["q1"]["result"]]
    assert ids1[0] == "place/jilin" and "organization/peoples-committee-of-jilin" in ids1
    scores = [c["score"] for c in result["q1"]["result"]]
    assert scores == sorted(scores, reverse=True)
    assert result["q2"]["result"][0]["id"] == "place/jilin"
    fuzzy = result["q3"]["result"][0]
    assert fuzzy["id"] == "place/jilin" and fuzzy["score"] < 100 and fuzzy["match"] is False


def test_an_identifier_as_the_query(client):
    top = batch(client, {"q0": {"query": "place/dprk"}})["q0"]["result"][0]
    assert top["id"] == "place/dprk" and top["score"] == 100


@pytest.mark.parametrize("body,status", [
    ("queries=" + quote("{not json"), 400),
    ("queries=" + quote('{"q0": {"query": ""}}'), 400),
    ("queries=" + quote('{"q0": {"query": "Jilin", "limit": 0}}'), 400),
    ("queries=" + quote('{"q0": {"query": "Jilin", "type_strict": "sometimes"}}'), 400),
    ("queries=" + quote('["Jilin"]'), 400),
    ("nothing=1", 400),
])
def test_malformed_batches_are_400(client, body, status):
    r = client.post("/reconcile", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == status, r.text


def test_preview_by_the_manifest_url(client):
    url = client.get("/reconcile").json()["preview"]["url"].replace("{{id}}", quote("place/south-pyongan", safe=""))
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "평안남도" in r.text and "平安南道" in r.text and "Pyeongannam-do" in r.text
    assert client.get("/reconcile/preview?id=place/atlantis").status_code == 404


def test_view_url_dereferences(client):
    url = client.get("/reconcile").json()["view"]["url"].replace("{{id}}", "place/jilin")
    assert client.get(url).status_code == 303


def test_suggest_by_prefix_and_cursor(client):
    s = client.get("/reconcile").json()["suggest"]["entity"]
    url = s["service_url"] + s["service_path"]
    first = client.get(url, params={"prefix": "south p"}).json()["result"]
    assert first[0]["id"] == "place/south-pyongan" and first[0]["name"] == "South Pyongan Province"
    korean = client.get(url, params={"prefix": "평안"}).json()["result"]
    assert [x["id"] for x in korean] == ["place/south-pyongan"]
    # the Korean labels kg supplies for Chinese bodies and places are found as well
    assert client.get(url, params={"prefix": "헤이룽장성"}).json()["result"][0]["id"] == "place/heilongjiang"
    council = client.get(url, params={"prefix": "중화인민공화국 국무원"}).json()["result"]
    assert council[0]["id"] == "organization/state-council"
    page1 = client.get(url, params={"prefix": "j"}).json()["result"]
    page2 = client.get(url, params={"prefix": "j", "cursor": len(page1)}).json()["result"]
    assert page1 and not {x["id"] for x in page1} & {x["id"] for x in page2}


def test_suggest_names_in_the_language_asked_for(client):
    """Names follow Accept-Language (the editor's completion asks for its page's language); English without it."""
    url = "/reconcile/suggest/entity"
    assert client.get(url, params={"prefix": "지린"}).json()["result"][0]["name"] == "Jilin Province"
    r = client.get(url, params={"prefix": "지린"}, headers={"Accept-Language": "ko"})
    assert r.json()["result"][0] == {**r.json()["result"][0], "id": "place/jilin", "name": "지린성"}
    assert "Accept-Language" in r.headers["vary"]
    chinese = client.get(url, params={"prefix": "south p"}, headers={"Accept-Language": "zh-CN"}).json()["result"]
    assert chinese[0]["id"] == "place/south-pyongan" and chinese[0]["name"] == "平安南道"


def test_folding():
    assert fold("Ch'ŏngjin") == fold("chongjin") and fold("Yan-bian") == fold("Yanbian")
    assert fold("ＪＩＬＩＮ") == "jilin" and fold("평안 남도") == "평안남도"
