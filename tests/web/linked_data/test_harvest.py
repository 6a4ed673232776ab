"""Harvesting (issue 7): robots.txt, sitemap.xml, the build's version and its distributions in VoID, the
change log between releases, Last-Modified and If-Modified-Since on every read answer."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from email.utils import formatdate, parsedate_to_datetime

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, OWL, RDF

from kg.build.changelog import changes, diff, releases

SPDX = "http://spdx.org/rdf/terms#"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_robots_points_to_the_sitemap(client, server):
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert f"Sitemap: {server.url}/sitemap.xml" in lines
    assert "Disallow: /sparql" in lines and "User-agent: *" in lines


def test_sitemap_lists_every_page_and_every_described_thing(client, server):
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    locs = [u.find(SM + "loc").text for u in root.findall(SM + "url")]
    assert all(loc.startswith(server.url + "/") for loc in locs)
    assert len(locs) == len(set(locs))
    assert server.url + "/doc/id/place/jilin" in locs and server.url + "/reader" in locs
    rows = client.get("/sparql", params={"query": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                                  "FILTER(STRSTARTS(STR(?s), 'https://kg.example.org/id/')) }"})
    n = int(rows.json()["results"]["bindings"][0]["n"]["value"])
    assert sum(1 for loc in locs if loc.startswith(server.url + "/doc/id/")) == n
    for loc in (locs[0], server.url + "/doc/id/place/jilin"):
        assert client.get(loc, headers={"Accept": "text/html"}).status_code == 200
    lastmod = {u.find(SM + "lastmod").text for u in root.findall(SM + "url")}
    assert len(lastmod) == 1


@pytest.mark.parametrize("path", ["/doc/id/place/jilin.ttl", "/", "/dumps/dataset.nq", "/.well-known/void",
                                  "/sparql?query=ASK%7B%7D", "/sitemap.xml", "/changes"])
def test_last_modified_and_if_modified_since(client, path):
    r = client.get(path)
    assert r.status_code == 200
    modified = r.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 86400, usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match decides when both are sent
    both = client.get(path, headers={"If-Modified-Since": modified, "If-None-Match": '"not-this"'})
    assert both.status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "yesterday-ish"}).status_code == 200


def test_errors_and_posts_carry_no_last_modified(client):
    assert "last-modified" not in client.get("/doc/id/place/atlantis.ttl").headers
    assert "last-modified" not in client.post("/sparql", data={"query": "ASK {}"}).headers


def test_the_version_iri_and_every_distribution(client):
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    dataset = URIRef("https://kg.example.org/id/dataset/kg-1959")
    build = client.get("/dumps/build.json").json()
    assert void.value(dataset, OWL.versionIRI) == URIRef(f"{dataset}/version/{build['version']}")
    r = client.get(f"/id/dataset/kg-1959/version/{build['version']}")
    assert r.status_code == 303
    sums = {line.split()[1]: line.split()[0] for line in client.get("/dumps/SHA256SUMS").text.splitlines()}
    dists = list(void.objects(dataset, DCAT.distribution))
    assert len(dists) >= 8
    for dist in dists:
        assert (dist, RDF.type, DCAT.Distribution) in void
        url = str(void.value(dist, DCAT.downloadURL))
        name = url.rsplit("/", 1)[-1]
        assert void.value(dist, DCAT.mediaType) is not None
        if name == "void.ttl":  # a file cannot hold its own checksum; SHA256SUMS has it
            assert name in sums
            continue
        body = client.get("/dumps/" + name).content
        assert int(void.value(dist, DCAT.byteSize)) == len(body)
        checksum = void.value(dist, URIRef(SPDX + "checksum"))
        assert str(void.value(checksum, URIRef(SPDX + "checksumValue"))) == hashlib.sha256(body).hexdigest() == sums[name]


def test_the_change_log_of_the_served_build(client, server):
    log = client.get("/changes")
    assert log.status_code == 200 and log.headers["content-type"] == "application/json"
    data = log.json()
    version = server.app.state.build.version
    assert data["served"] == version and data["releases"][0]["version"] == version
    first = data["releases"][-1]
    quads = client.get("/dumps/build.json").json()["quads"]
    if first["previous"] is None:
        assert first["added"] == quads or len(data["releases"]) > 1
    one = client.get(f"/changes/{version}").json()
    assert len(one["added"]) == data["releases"][0]["added"] and len(one["removed"]) == data["releases"][0]["removed"]
    assert client.get("/changes/0000000000000000").status_code == 404


def _release(folder, name, version, quads):
    path = folder / name
    path.mkdir()
    (path / "build.json").write_text(json.dumps({"version": version}))
    (path / "dataset.nq").write_text("".join(q + "\n" for q in sorted(quads)))
    return path


Q = [f"<http://example.org/s> <http://example.org/p> \"{i}\" <http://example.org/g> ." for i in range(5)]


def test_changes_between_releases(tmp_path):
    rel = tmp_path / "dist.releases"
    rel.mkdir()
    _release(rel, "20260101T000000-000000001", "aaaa", Q[:3])
    _release(rel, "20260102T000000-000000001", "aaaa", Q[:3])  # a rebuild of the same content
    _release(rel, "20260103T000000-000000001", "bbbb", Q[1:5])
    served = _release(rel, "20260104T000000-000000001", "cccc", Q[2:5])
    _release(rel, "20260105T000000-000000001", "dddd", Q)  # newer than the served release: not listed
    assert [r.version for r in releases(served)] == ["aaaa", "bbbb", "cccc"]
    log = changes(served)
    assert [(c.version, c.previous) for c in log] == [("cccc", "bbbb"), ("bbbb", "aaaa"), ("aaaa", None)]
    assert log[0].added == () and log[0].removed == (Q[1],)
    assert log[1].added == (Q[3], Q[4]) and log[1].removed == (Q[0],)
    assert log[2].added == tuple(Q[:3])
    assert log[0].released - log[1].released == 86400
    assert diff("a\nb\n", "b\nc\n") == (("c",), ("a",))
