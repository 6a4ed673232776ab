"""Cross-site scripting (issue 5): a tiny build made from tests/fixtures/abuse/xss.trig, whose labels,
literals, datatypes and IRIs carry markup and javascript:/data:/vbscript: links, rendered through every HTML
page and error page. No markup from the data reaches a page unescaped; no link or source uses a script
scheme; no event-handler attribute appears."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph
import pytest

FIXTURE = Path(__file__).parents[1] / "fixtures" / "abuse" / "xss.trig"
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset"}
RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload", "<b onmouseover")


def tiny_dist(folder: Path, base_iri: str) -> Path:
    """A dist/ holding only the fixture: dataset.nq, build.json and SHA256SUMS."""
    dist = folder / "dist"
    dist.mkdir()
    quads = list(pyoxigraph.parse(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TRIG))
    (dist / "dataset.nq").write_bytes(pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS))
    meta = {"version": "xss-fixture", "base_iri": base_iri, "triples": len(quads), "generated_by": "test_xss"}
    (dist / "build.json").write_text(json.dumps(meta))
    digest = hashlib.sha256((dist / "dataset.nq").read_bytes()).hexdigest()
    (dist / "SHA256SUMS").write_text(f"{digest}  dataset.nq\n")
    return dist


@pytest.fixture(scope="module")
def hostile(settings, tmp_path_factory, serving_kind):
    folder = tmp_path_factory.mktemp("xss")
    dist = tiny_dist(folder, settings.base_iri)
    other = replace(settings, dist=dist, store_dir=folder / "stores", workers=1)
    with serving_kind(other) as live:
        yield live


class Audit(HTMLParser):
    """Every attribute of every element, and the text outside script/style elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
            kind = dict(attrs).get("type", "")
            if kind not in ("application/json", "application/ld+json") and not dict(attrs).get("src"):
                self.problems.append(f"inline script element of type {kind!r}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value and value.strip().lower().startswith(SCRIPT_SCHEMES):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def audit(body: str) -> list[str]:
    parser = Audit()
    parser.feed(body)
    problems = list(parser.problems)
    problems += [f"raw markup {m!r}" for m in RAW_MARKUP if m in body]
    for data in parser.scripts:  # JSON islands: never a closing tag that would end them early
        if "</" in data:
            problems.append("a '</' inside a script element")
    return problems


PAGES = [
    "/", "/reader", "/editor", "/builder", "/examples", "/dumps/", "/sparql", "/.well-known/void",
    "/doc/id/person/x", "/doc/id/person/x.html", "/doc/id/text/report-114177.html", "/doc/id/dataset/kg-1959.html",
    "/doc/id/passage/0-10.html", "/doc/id/time-span/x.html", "/doc/graph/assertions.html", "/ontology/kg", "/shapes",
    "/sparql?query=" + quote("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"),
    "/sparql?query=" + quote("CONSTRUCT WHERE { ?s ?p ?o }"),
    "/sparql?query=" + quote("SELECT ?x WHERE { BIND(STRDT('<script>alert(1)</script>', <javascript:alert(2)>) AS ?x) }"),
    "/sparql?query=" + quote("SELECT ?x WHERE { BIND(<javascript:alert(3)> AS ?x) }"),
    "/editor?query=" + quote("</script><script>alert('editor')</script>"),
    "/editor?example=" + quote("<script>alert('example')</script>"),
    "/reader?lang=" + quote("\"><script>alert('lang')</script>"),
    "/builder?lang=" + quote("\"><script>alert('lang')</script>"),
    "/doc/id/person/x?lang=" + quote("<script>alert('lang')</script>"),
    # error pages echo what they were given
    "/doc/id/<script>alert('404')</script>", "/id/%3Cscript%3Ealert('404')%3C/script%3E",
    "/nothing/<img src=x onerror=alert('404')>",
    "/sparql?query=" + quote("SELECT * WHERE { <script>alert('syntax')</script> }"),
    "/sparql?query=ASK%7B%7D&format=" + quote("<script>alert('format')</script>"),
    "/sparql?query=" + quote("SELECT * FROM <javascript:alert('from')> { ?s ?p ?o }"),
    "/sparql?query=ASK%7B%7D&default-graph-uri=" + quote("<script>alert('graph')</script>"),
    "/cite?format=" + quote("<script>alert('cite')</script>"),
    "/cite?format=bibtex&iri=" + quote("https://kg.example.org/id/<script>alert('cite')</script>"),
    "/vendor/<script>alert('vendor')</script>/x.js",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_escapes_hostile_data(hostile, path):
    r = httpx.get(hostile.url + path, headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code < 500, (path, r.status_code, r.text[:300])
    if r.headers.get("content-type", "").startswith("text/html"):
        assert audit(r.text) == [], (path, audit(r.text)[:5])
    else:  # plain text errors and data formats are never sniffed as HTML
        assert r.headers["x-content-type-options"] == "nosniff"


def test_hostile_pages_do_render_the_data(hostile):
    """The audit looks at real renderings: the hostile labels are on the pages, escaped."""
    page = httpx.get(hostile.url + "/doc/id/person/x.html", timeout=30).text
    assert "&lt;/title&gt;&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in page or \
           "&lt;script&gt;alert(&#39;pref&#39;)&lt;/script&gt;" in page
    assert "javascript:alert" in page  # shown as text, never as a link
    home = httpx.get(hostile.url + "/", timeout=30).text
    assert "alert(&#39;event-label&#39;)" in home or "alert(&#39;title&#39;)" in home


def test_host_header_markup_is_escaped(hostile):
    """Without KG_PUBLIC_URL links follow the request's Host: markup in it is escaped, not injected."""
    r = httpx.get(hostile.url + "/", headers={"Host": "x\"><script>alert('host')</script>"}, timeout=30)
    assert r.status_code < 500
    if r.status_code == 200:
        assert audit(r.text) == []
