"""The validation service (issue 7): POST /validate over a real socket, the same report as `kg validate`,
every refusal with its status, the limits, and the form page."""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from rdflib import Graph
from rdflib.namespace import RDF, SH

from kg.validation.run import cli_validate
from kg.web.app import create_app
from kg.web.serving.server import server_config

# One observation with its figure typed as a string and no data set, area, period, population or evidence
# (the case tests/validation/test_cli.py gives `kg validate`).
VIOLATING = (Path(__file__).parents[2] / "fixtures" / "shapes" / "validate" / "violating-observation.ttl").read_text(
    encoding="utf-8")
FOCUS = "https://kg.example.org/id/observation/example"
BROKEN = "@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c ;\n    ex:d .\n"
TURTLE = {"Content-Type": "text/turtle"}


def _named(report: dict) -> dict:
    """The report with blank-node shape labels (fresh in every run) blanked out."""
    for r in report["results"]:
        if r["shape"] and not r["shape"].startswith("http"):
            r["shape"] = "_:b"
    report["results"].sort(key=lambda r: json.dumps(r, sort_keys=True))
    return report


def test_a_violating_file_gets_the_report_kg_validate_gives(client, settings, tmp_path, capsys):
    r = client.post("/validate", content=VIOLATING, headers={**TURTLE, "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["kg-conforms"] == "false"
    path = tmp_path / "observation.ttl"
    path.write_text(VIOLATING, encoding="utf-8")
    assert cli_validate(settings, [str(path)], "json", None) == 1
    assert _named(r.json()) == _named(json.loads(capsys.readouterr().out))
    assert FOCUS in {x["focus"] for x in r.json()["results"]}


def test_the_report_graph_by_accept(client):
    turtle = client.post("/validate", content=VIOLATING, headers=TURTLE)  # */*: Turtle
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=turtle.text, format="turtle")
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is False
    assert FOCUS in {str(f) for f in g.objects(None, SH.focusNode)}
    jsonld = client.post("/validate", content=VIOLATING, headers={**TURTLE, "Accept": "application/ld+json"})
    assert jsonld.headers["content-type"] == "application/ld+json"
    g2 = Graph().parse(data=jsonld.text, format="json-ld")
    assert len(g2) == len(g)
    assert client.post("/validate", content=VIOLATING, headers={**TURTLE, "Accept": "image/png"}).status_code == 406


def test_one_named_shape_file(client):
    r = client.post("/validate?shapes=observation", content=VIOLATING, headers={**TURTLE, "Accept": "application/json"})
    assert r.status_code == 200
    shapes = {x["shape"] for x in r.json()["results"]}
    assert "https://kg.example.org/shapes#ObservationShape" in shapes
    # resource.ttl's TypedResourceShape and the violation queries are not part of this run
    assert not any(x["component"].startswith("kg:violation-query") for x in r.json()["results"])
    bad = client.post("/validate?shapes=nonsense", content=VIOLATING, headers=TURTLE)
    assert bad.status_code == 400 and "observation" in bad.text


@pytest.mark.parametrize("ctype,body,where", [
    ("text/turtle", BROKEN, "request body:4:9:"),
    ("application/n-triples", '<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n'
                              '<http://example.org/a> <http://example.org/b> "unterminated .\n', "request body:2:47:"),
    ("application/ld+json", '{\n  "@id": "http://example.org/a",\n  "http://example.org/b": [1, 2,\n}\n',
     "request body:4:1:"),
], ids=["turtle", "n-triples", "json-ld"])
def test_a_broken_file_is_400_with_line_and_column(client, ctype, body, where):
    r = client.post("/validate", content=body, headers={"Content-Type": ctype})
    assert r.status_code == 400
    assert r.text.startswith(where), r.text


@pytest.mark.parametrize("ctype", ["application/rdf+xml", "text/html", "", "text/turtle; charset=latin-1"])
def test_other_media_types_are_415(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/validate", content=VIOLATING.encode(), headers=headers)
    assert r.status_code == 415, r.text


@pytest.fixture(scope="module")
def listener():
    """A loopback HTTP server that records every request: nothing must ever reach it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(b'{"@context": {"name": "http://example.org/name"}}')

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def test_remote_contexts_and_imports_are_never_fetched(client, listener):
    url, hits = listener
    doc = {"@context": url + "/context.jsonld", "@id": "http://example.org/a", "name": "x"}
    r = client.post("/validate", content=json.dumps(doc), headers={"Content-Type": "application/ld+json"})
    assert r.status_code == 400 and "remote JSON-LD contexts are not fetched" in r.text
    imports = f"<http://example.org/a> <http://www.w3.org/2002/07/owl#imports> <{url}/shapes.ttl> .\n"
    r = client.post("/validate", content=imports, headers={"Content-Type": "application/n-triples"})
    assert r.status_code == 200
    assert hits == []


def test_the_form_page_and_a_form_upload(client):
    page = client.get("/validate", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="file"' in page.text and "<textarea" in page.text
    assert not re.search(r'<script(?![^>]*type="application/ld\+json")', page.text)  # no JavaScript
    up = client.post("/validate", files={"file": ("observation.ttl", VIOLATING.encode(), "text/turtle")},
                     data={"shapes": "all"}, headers={"Accept": "text/html"})
    assert up.status_code == 200 and up.headers["content-type"].startswith("text/html")
    assert "Does not conform" in up.text and FOCUS in up.text
    pasted = client.post("/validate", data={"data": BROKEN, "format": "turtle"}, files={"none": ("", b"")},
                         headers={"Accept": "text/html"})
    assert pasted.status_code == 400 and "pasted text:4:9:" in pasted.text
    assert "&lt;http://example.org/&gt;" in pasted.text  # the pasted text comes back, escaped
    unknown = client.post("/validate", files={"file": ("data.xyz", b"x", "application/octet-stream")})
    assert unknown.status_code == 415


def test_documented_in_the_openapi_description(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/validate"]["post"]
    assert {"text/turtle", "application/trig", "application/n-triples", "application/n-quads",
            "application/ld+json", "multipart/form-data"} <= set(post["requestBody"]["content"])
    assert {"200", "400", "413", "415", "503"} <= set(post["responses"])


class _Server:
    def __init__(self, app, settings):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(app, settings, "127.0.0.1", self.port, "warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the test server did not start"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def limited(server, settings):
    """Our server with small validation limits, sharing the session's query engine."""
    small = replace(settings, validate_max_bytes=256 * 1024, validate_timeout=0.5)
    app = create_app(small, engine=server.engine, build=server.app.state.build, graphs=server.app.state.graphs)
    live = _Server(app, small)
    live.app = app
    yield live
    live.server.should_exit = True
    live.thread.join(timeout=10)
    app.state.validation.close()


def test_a_body_over_the_limit_is_413(limited):
    body = b"#" * (256 * 1024 + 1)
    r = httpx.post(limited.url + "/validate", content=body, headers=TURTLE, timeout=30)
    assert r.status_code == 413 and "KG_VALIDATE_MAX_BYTES" in r.text


def test_a_validation_over_the_time_limit_is_stopped_and_its_worker_replaced(limited):
    concepts = "".join(f"<http://example.org/c{i}> a <http://www.w3.org/2004/02/skos/core#Concept> .\n"
                       for i in range(3000))
    assert len(concepts) < 256 * 1024
    pool = limited.app.state.validation
    with httpx.Client(base_url=limited.url, timeout=180) as c:
        c.post("/validate", content=VIOLATING, headers=TURTLE)  # starts the worker (startup is not timed)
        before = set(pool.pids)
        r = c.post("/validate", content=concepts, headers=TURTLE)
        assert r.status_code == 503 and "KG_VALIDATE_TIMEOUT" in r.text
    assert pool.replaced >= 1 and before and not (before & set(pool.pids))


def test_fail_on_is_said_in_the_json_the_header_and_the_page(client):
    """``fail-on`` (query or form field) chooses what counts as failure, as ``kg validate --fail-on`` does;
    ``conforms`` stays SHACL's (false whenever there is a result)."""
    from kg.validation.run import FAIL_ON
    from kg.web.services.validation import FAIL_ON as SERVED

    assert SERVED == FAIL_ON
    for level in FAIL_ON:
        r = client.post(f"/validate?fail-on={level}", content=VIOLATING, headers={**TURTLE, "Accept": "application/json"})
        assert r.status_code == 200 and r.headers["kg-fails"] == "true" and r.headers["kg-conforms"] == "false"
        assert (r.json()["failOn"], r.json()["fails"], r.json()["conforms"]) == (level, True, False)
    page = client.post("/validate", files={"data": (None, VIOLATING), "format": (None, "turtle"),
                                           "fail-on": (None, "warning")}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Fails with <code>fail-on=warning</code>" in page.text
    fine = client.post("/validate", content="<http://example.org/a> <http://example.org/b> 1 .\n",
                       headers={**TURTLE, "Accept": "application/json"})
    assert fine.headers["kg-fails"] == "false" and fine.json()["fails"] is False
    wrong = client.post("/validate?fail-on=error", content=VIOLATING, headers=TURTLE)
    assert wrong.status_code == 400 and "fail-on must be one of violation, warning, info" in wrong.text
