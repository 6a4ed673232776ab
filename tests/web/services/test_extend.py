"""Data extension (Reconciliation Service API 0.2), driven as OpenRefine drives it: the manifest's
``extend`` member, property proposals at ``service_url + service_path?type=…&limit=…``, and ``extend``
requests as a form field (POST) or a GET parameter."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

CRM = "http://www.cidoc-crm.org/cidoc-crm/"
ACTIVITY = CRM + "E7_Activity"
PLACE = CRM + "E53_Place"


def extend(client, query: dict, method: str = "POST"):
    body = json.dumps(query)
    if method == "POST":
        return client.post("/reconcile", content="extend=" + quote(body),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    return client.get("/reconcile?extend=" + quote(body))


def proposals(client, manifest: dict, **params) -> dict:
    service = manifest["extend"]["propose_properties"]
    r = client.get(service["service_url"] + service["service_path"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture()
def manifest(client):
    return client.get("/reconcile").json()


def test_the_manifest_advertises_extension(manifest, server):
    ext = manifest["extend"]
    assert ext["propose_properties"]["service_url"] + ext["propose_properties"]["service_path"] == \
        server.url + "/reconcile/properties"
    settings = {s["name"]: s for s in ext["property_settings"]}
    assert settings["lang"]["type"] == "select" and settings["lang"]["default"] == "en"
    assert {c["value"] for c in settings["lang"]["choices"]} == {"en", "zh-Hans", "ko", "*"}
    assert settings["limit"]["type"] == "number"


def test_proposals_for_places_and_events(client, manifest):
    places = proposals(client, manifest, type=PLACE)
    assert places["type"] == PLACE
    ids = [p["id"] for p in places["properties"]]
    assert {"skos:prefLabel", "skos:exactMatch", "crm:P89_falls_within", "prov:wasDerivedFrom"} <= set(ids)
    assert "crm:P14_carried_out_by" not in ids  # an event's property, no place has it
    events = proposals(client, manifest, type="crm:E7_Activity", limit=50)
    ids = [p["id"] for p in events["properties"]]
    assert {"crm:P14_carried_out_by", "crm:P4_has_time-span/crm:P82a_begin_of_the_begin",
            "crm:P4_has_time-span/crm:P82b_end_of_the_end", "crm:P2_has_type"} <= set(ids)
    assert events["limit"] == 50
    named = {p["id"]: p["name"] for p in events["properties"]}
    assert named["crm:P4_has_time-span/crm:P82a_begin_of_the_begin"] == "begin date"
    assert all(p["name"] for p in events["properties"])
    # the most used first: every event has a label and a type, fewer have a time-span
    assert ids.index("skos:prefLabel") < ids.index("crm:P4_has_time-span/crm:P82a_begin_of_the_begin")
    assert len(proposals(client, manifest, type=PLACE, limit=3)["properties"]) == 3


def test_proposals_without_a_type_and_bad_ones(client, manifest):
    every = proposals(client, manifest)
    assert "type" not in every and len(every["properties"]) > 20
    r = client.get("/reconcile/properties", params={"type": "ex:Nothing"})
    assert r.status_code == 400 and "ex:Nothing" in r.text
    r = client.get("/reconcile/properties", params={"limit": "many"})
    assert r.status_code == 400 and "limit" in r.text


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_extend_every_id_and_property(client, method):
    r = extend(client, {"ids": ["place/jilin", "place/south-pyongan", "nothing/here"], "properties": [
        {"id": "skos:prefLabel"}, {"id": "crm:P89_falls_within"}, {"id": "skos:exactMatch"},
    ]}, method)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert [m["id"] for m in doc["meta"]] == ["skos:prefLabel", "crm:P89_falls_within", "skos:exactMatch"]
    assert set(doc["rows"]) == {"place/jilin", "place/south-pyongan", "nothing/here"}
    jilin = doc["rows"]["place/jilin"]
    assert jilin["skos:prefLabel"] == [{"str": "Jilin Province"}]
    assert any(v["str"].startswith("http://www.wikidata.org/entity/Q") for v in jilin["skos:exactMatch"])
    assert all(cell == [] for cell in doc["rows"]["nothing/here"].values())  # an unknown id: empty cells
    within = jilin["crm:P89_falls_within"]
    assert within and all(set(v) == {"id", "name"} for v in within)
    assert {"id": "place/china", "name": "People's Republic of China"} in within


def test_extend_languages_and_entity_names(client):
    doc = extend(client, {"ids": ["place/jilin", "place/south-pyongan"], "properties": [
        {"id": "skos:prefLabel", "settings": {"lang": "zh-Hans"}},
        {"id": "crm:P89_falls_within", "settings": {"lang": "zh-Hans"}},
    ]}).json()
    assert doc["rows"]["place/jilin"]["skos:prefLabel"] == [{"str": "吉林省"}]
    korean = extend(client, {"ids": ["place/jilin", "place/south-pyongan"], "properties": [
        {"id": "skos:prefLabel", "settings": {"lang": "ko"}}]}).json()["rows"]
    assert korean["place/south-pyongan"]["skos:prefLabel"] == [{"str": "평안남도"}]
    within = doc["rows"]["place/south-pyongan"]["crm:P89_falls_within"]
    assert within and all(v["name"] != "" and not v["name"].isascii() for v in within)
    every = extend(client, {"ids": ["place/south-pyongan"], "properties": [
        {"id": "skos:prefLabel", "settings": {"lang": "*"}}]}).json()
    assert len(every["rows"]["place/south-pyongan"]["skos:prefLabel"]) >= 3  # en, zh-Hans, ko


def test_extend_dates_and_limits(client, manifest):
    events = [p["id"] for p in proposals(client, manifest, type=ACTIVITY)["properties"]]
    assert events
    r = client.get("/reconcile", params={"queries": json.dumps({"q": {"query": "relocation", "type": ACTIVITY,
                                                                      "limit": 20}})})
    ids = [c["id"] for c in r.json()["q"]["result"]]
    doc = extend(client, {"ids": ids, "properties": [
        {"id": "crm:P4_has_time-span/crm:P82a_begin_of_the_begin"},
        {"id": "prov:wasDerivedFrom", "settings": {"limit": "1"}},
    ]}).json()
    dates = [v for row in doc["rows"].values() for v in row["crm:P4_has_time-span/crm:P82a_begin_of_the_begin"]]
    assert dates and all(set(v) == {"date"} and v["date"][4] == "-" and "T" in v["date"] for v in dates)
    passages = [row["prov:wasDerivedFrom"] for row in doc["rows"].values()]
    assert all(len(cell) <= 1 for cell in passages) and any(passages)
    assert all(v["id"].startswith("passage/") for cell in passages for v in cell)


@pytest.mark.parametrize("body, status, words", [
    ("{", 400, "not JSON"),
    (json.dumps({"ids": "place/jilin", "properties": []}), 400, "'ids'"),
    (json.dumps({"ids": ["place/jilin"], "properties": [{"id": "ex:nope"}, {"id": "skos:prefLabel"}]}), 400, "ex:nope"),
    (json.dumps({"ids": ["place/jilin"], "properties": [{"id": "skos:prefLabel", "settings": {"lang": "fr"}}]}), 400, "lang"),
    (json.dumps({"ids": ["place/jilin"], "properties": [{"id": "skos:prefLabel", "settings": {"limit": -1}}]}), 400, "limit"),
    (json.dumps({"ids": ["place/jilin"], "properties": [{"id": "skos:prefLabel"}, {"id": "skos:prefLabel"}]}), 400, "twice"),
    (json.dumps({"ids": ["x"] * 501, "properties": [{"id": "skos:prefLabel"}]}), 413, "at most"),
])
def test_bad_extend_requests_say_what_is_wrong(client, body, status, words):
    r = client.post("/reconcile", content="extend=" + quote(body),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == status, r.text
    assert words in r.text


def test_queries_and_extend_together_are_refused(client):
    r = client.get("/reconcile", params={"queries": "{}", "extend": "{}"})
    assert r.status_code == 400 and "not both" in r.text
