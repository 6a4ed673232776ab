"""FAIR Signposting Link headers on pages and dumps, and schema.org JSON-LD in HTML pages (issue 7)."""

from __future__ import annotations

import json
import re

import pytest

from kg.build.metadata import DUMPS

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
DATASET = "https://kg.example.org/id/dataset/kg-1959"
LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[a-z]+="[^"]*"\s*)+)')


def links(response) -> list[dict]:
    out = []
    for url, params in LINK.findall(response.headers.get("link", "")):
        d = dict(re.findall(r'([a-z]+)="([^"]*)"', params))
        d["url"] = url
        out.append(d)
    return out


def rel(response, name: str) -> list[dict]:
    return [x for x in links(response) if x["rel"] == name]


def island(html: str) -> dict:
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert m, "no schema.org JSON-LD in the page"
    assert "<" not in m.group(1)
    return json.loads(m.group(1))


def test_the_landing_page_signposts_the_dataset(client, server):
    r = client.get("/", headers={"Accept": "text/html"})
    assert [x["url"] for x in rel(r, "cite-as")] == [DATASET]
    assert [x["url"] for x in rel(r, "license")] == [CC_BY]
    assert {x["url"] for x in rel(r, "type")} == {"https://schema.org/Dataset", "https://schema.org/AboutPage"}
    described = rel(r, "describedby")
    assert described and client.get(described[0]["url"], headers={"Accept": described[0]["type"]}).status_code == 200
    items = rel(r, "item")
    assert {x["url"] for x in items} == {f"{server.url}/dumps/{name}" for name in DUMPS}
    for item in items:
        got = client.get(item["url"])
        assert got.status_code == 200 and got.headers["content-type"].startswith(item["type"])
    data = island(r.text)
    assert data["@type"] == "Dataset" and data["@id"] == DATASET and data["license"] == CC_BY
    assert len(data["distribution"]) == len(DUMPS) and data["version"] == server.app.state.build.version


@pytest.mark.parametrize("path", ["/doc/id/place/jilin", "/doc/id/place/jilin.html", "/doc/id/place/jilin.ttl"])
def test_a_resource_document_cites_its_iri(client, path):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert [x["url"] for x in rel(r, "cite-as")] == ["https://kg.example.org/id/place/jilin"]
    assert rel(r, "license") and rel(r, "type") and rel(r, "alternate")  # the route's own links stay
    if r.headers["content-type"].startswith("text/html"):
        assert {x["type"] for x in rel(r, "describedby")} == {"text/turtle", "application/ld+json"}
        for x in rel(r, "describedby"):
            assert client.get(x["url"]).headers["content-type"].startswith(x["type"])
        data = island(r.text)
        assert data["@id"] == "https://kg.example.org/id/place/jilin"
        names = {n["@value"] if isinstance(n, dict) else n for n in data["name"]}
        assert {"Jilin Province", "吉林省", "Jilin", "吉林"} <= names


def test_every_dump_points_back_to_its_collection(client, server):
    for name in DUMPS:
        r = client.get("/dumps/" + name)
        assert [x["url"] for x in rel(r, "cite-as")] == [DATASET]
        assert [x["url"] for x in rel(r, "collection")] == [server.url + "/"]
        assert [x["url"] for x in rel(r, "license")] == [CC_BY]


@pytest.mark.parametrize("path", ["/reader", "/examples", "/ontology/kg", "/shapes", "/validate", "/dumps/"])
def test_every_page_has_signposts_and_schema_org(client, path):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert rel(r, "cite-as") and rel(r, "license") and rel(r, "type")
    assert island(r.text)["@context"] == "https://schema.org/"
