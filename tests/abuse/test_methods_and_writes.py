"""Writes in every protocol form, and method abuse (PUT, DELETE, PATCH, TRACE, and made-up methods) on
every route the app has: refused with 400 or 405 (with Allow), nothing written, server unharmed."""

from __future__ import annotations

import http.client
import re

import pytest

pytestmark = pytest.mark.usefixtures("nothing_written")

UPDATES = [
    "INSERT DATA { <http://a/s> <http://a/p> <http://a/o> }",
    "DELETE DATA { <http://a/s> <http://a/p> <http://a/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s <http://a/p> 1 } WHERE { ?s ?p ?o }",
    "WITH <http://a/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CLEAR ALL", "CLEAR DEFAULT", "DROP ALL", "DROP SILENT GRAPH <http://a/g>", "CREATE GRAPH <http://a/g>",
    "ADD DEFAULT TO <http://a/g>", "MOVE DEFAULT TO <http://a/g>", "COPY DEFAULT TO <http://a/g>",
    "ASK {} ; INSERT DATA { <http://a/s> <http://a/p> 1 }",
    "PREFIX x: <http://a/> INSERT DATA { x:s x:p x:o }",
    "insert data { <http://a/s> <http://a/p> <http://a/o> }",
]


@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("how", ["query-get", "query-form", "query-direct", "update-form", "update-get",
                                 "sparql-update", "using-graph-uri"])
def test_writes_refused(client, unharmed, update, how):
    if how == "query-get":
        r = client.get("/sparql", params={"query": update})
    elif how == "query-form":
        r = client.post("/sparql", data={"query": update})
    elif how == "query-direct":
        r = client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-query"})
    elif how == "update-form":
        r = client.post("/sparql", data={"update": update})
    elif how == "update-get":
        r = client.get("/sparql", params={"update": update})
    elif how == "sparql-update":
        r = client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"})
    else:
        r = client.post("/sparql", data={"update": update, "using-graph-uri": "http://a/g"})
    assert r.status_code == 400, r.text
    assert "read-only" in r.text or "refused" in r.text


SAMPLES = {
    "/": "/", "/sparql": "/sparql", "/sparql/": "/sparql/", "/.well-known/void": "/.well-known/void",
    "/builder": "/builder", "/builder/config.ttl": "/builder/config.ttl",
    "/vendor/sparnatural/sparnatural.{lang}.js": "/vendor/sparnatural/sparnatural.ko.js",
    "/cite": "/cite", "/doc/{path:path}": "/doc/id/dataset/kg-1959.ttl", "/dumps": "/dumps",
    "/dumps/": "/dumps/", "/dumps/{name}": "/dumps/dataset.nq", "/editor": "/editor",
    "/editor/prefixes.json": "/editor/prefixes.json", "/examples": "/examples",
    "/graph/{path:path}": "/graph/assertions", "/id/{path:path}": "/id/dataset/kg-1959",
    "/ontology/kg": "/ontology/kg", "/ontology/kg.{suffix}": "/ontology/kg.ttl",
    "/ontology/kg/{version}": "/ontology/kg/0.1.0", "/reader": "/reader", "/shapes": "/shapes",
    "/shapes.{suffix}": "/shapes.ttl", "/vendor/{package}/{path:path}": "/vendor/yasgui/yasgui.min.js",
    "/static": "/static/style.css", "/openapi.json": "/openapi.json", "/validate": "/validate",
    "/changes": "/changes", "/changes/{version}": "/changes/0", "/fragments": "/fragments",
    "/reconcile": "/reconcile", "/reconcile/preview": "/reconcile/preview",
    "/reconcile/properties": "/reconcile/properties",
    "/reconcile/suggest/entity": "/reconcile/suggest/entity", "/robots.txt": "/robots.txt",
    "/sitemap.xml": "/sitemap.xml",
}


def concrete_paths(served: set[str]) -> dict[str, str]:
    """One concrete URL for every route pattern of the app (a new route fails the test until listed)."""
    missing = served - set(SAMPLES)
    assert not missing, f"routes without a sample URL in this test: {sorted(missing)}; add them"
    return {path: SAMPLES[path] for path in served}


def raw(server, method: str, target: str, body: bytes = b"") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"X-Probe": "secret-cookie-value", **({"Content-Type": "text/plain"} if body else {})}
    conn.request(method, target, body=body or None, headers=headers)
    r = conn.getresponse()
    r.body = r.read()
    conn.close()
    return r


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_method_abuse_on_every_route(server, served_paths, unharmed, method):
    for pattern, target in concrete_paths(served_paths).items():
        r = raw(server, method, target, b"<http://a/s> <http://a/p> <http://a/o> ." if method != "TRACE" else b"")
        assert r.status in (400, 404, 405, 501), (method, target, r.status)
        assert r.status < 500 or r.status == 501, (method, target, r.status)
        if r.status == 405:
            allow = r.getheader("Allow") or ""
            assert allow and method not in allow, (target, allow)
        assert b"Traceback" not in r.body
        if method == "TRACE":  # never echo the request back (cross-site tracing)
            assert b"secret-cookie-value" not in r.body


def test_unknown_method_has_allow_listing_real_methods(server):
    r = raw(server, "PUT", "/sparql", b"x")
    assert r.status == 405
    assert set(re.split(r",\s*", r.getheader("Allow"))) >= {"GET", "POST"}
