"""Dereferencing: the 303 pattern for /id/ and /graph/, documents in every format, HTML pages with
labels in every language, incoming links and evidence, the ontology, shapes and VoID."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, VOID

from kg.sparql.formats import GRAPH, offered

PERSON = "id/person/ji-pengfei"
EVENT = "id/event/appeals-to-embassy-1957-1958-migrants"
PARSE = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml", "trig": "trig", "nquads": "nquads"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("fmt", offered(GRAPH), ids=lambda f: f.name)
def test_303_to_the_negotiated_document(client, server, fmt):
    r = client.get(f"/{PERSON}", headers={"Accept": fmt.media_type})
    assert r.status_code == 303
    assert r.headers["location"] == f"{server.url}/doc/{PERSON}.{fmt.suffix}"
    assert r.headers["vary"] == "Accept"


def test_303_keeps_the_language_choice(client, server):
    """Issue 6: ?lang= picks the labels' language; the redirect must not drop it."""
    r = client.get(f"/{PERSON}?lang=zh-Hans", headers={"Accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == f"{server.url}/doc/{PERSON}.html?lang=zh-Hans"
    page = client.get(r.headers["location"])
    assert "姬鹏飞" in page.text.split("<h1", 1)[1].split("</h1>", 1)[0]


@pytest.mark.parametrize("fmt", [f for f in offered(GRAPH) if f.kind == "rdf"], ids=lambda f: f.name)
def test_document_in_every_rdf_format(client, settings, fmt):
    r = client.get(f"/doc/{PERSON}.{fmt.suffix}")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == fmt.media_type
    g = Graph()
    g.parse(data=r.content, format=PARSE[fmt.name])
    assert (URIRef(settings.base_iri + PERSON), RDF.type, None) in g
    assert "Content-Location" not in r.headers  # the URL names the variant already
    alternates = r.headers["link"]
    assert 'rel="alternate"' in alternates and fmt.media_type not in alternates


@pytest.mark.parametrize("suffix, media", [("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                                           ("nt", "application/n-triples"), ("rdf", "application/rdf+xml")])
def test_suffix_on_the_iri(client, server, suffix, media):
    r = client.get(f"/{PERSON}.{suffix}")
    assert r.status_code == 303 and r.headers["location"] == f"{server.url}/doc/{PERSON}.{suffix}"
    assert client.get(r.headers["location"]).headers["content-type"].split(";")[0] == media


def test_generic_document_says_its_variant(client, server):
    r = client.get(f"/doc/{PERSON}", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert r.headers["content-location"] == f"{server.url}/doc/{PERSON}.nt"


def test_browser_gets_html_without_javascript(client):
    r = client.get(f"/{PERSON}", headers={"Accept": BROWSER}, follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r'<script(?![^>]*type="application/ld\+json")', r.text)  # data islands only
    assert "Ji Pengfei" in r.text and "姬鹏飞" in r.text  # labels in every language
    assert 'lang="zh-hans"' in r.text


def test_page_shows_evidence_in_its_paragraph_and_incoming_links(client, server):
    r = client.get(f"/doc/{EVENT}.html")
    assert r.status_code == 200
    assert "<mark>" in r.text and "<blockquote>" in r.text
    assert "Incoming links" in r.text
    assert f'href="{server.url}/id/' in r.text  # our IRIs link to this server


def test_evidence_quote_matches_its_offsets(client, server, settings):
    q = ("PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?exact ?start ?end WHERE { <%s> <http://www.w3.org/ns/prov#wasDerivedFrom> ?p . "
         "?p oa:hasSelector ?q, ?pos . ?q oa:exact ?exact . ?pos oa:start ?start ; oa:end ?end }" % (settings.base_iri + EVENT))
    row = client.get("/sparql", params={"query": q}).json()["results"]["bindings"][0]
    page = client.get(f"/doc/{EVENT}.html").text
    start = page.index("<mark>") + len("<mark>")
    import html

    assert html.unescape(page[start:page.index("</mark>")]) == row["exact"]["value"]


def test_external_authority_links(client, settings):
    q = ("SELECT ?s ?o WHERE { ?s <http://www.w3.org/2002/07/owl#sameAs>|<http://www.w3.org/2004/02/skos/core#exactMatch> ?o "
         "FILTER(STRSTARTS(STR(?s), %r)) FILTER(!STRSTARTS(STR(?o), %r)) } LIMIT 1" % (settings.base_iri + "id/", settings.base_iri))
    rows = client.get("/sparql", params={"query": q.replace("'", '"')}).json()["results"]["bindings"]
    if not rows:
        pytest.skip("the build links no resource to an outside authority")
    s, o = rows[0]["s"]["value"], rows[0]["o"]["value"]
    page = client.get("/doc/" + s[len(settings.base_iri):] + ".html").text
    assert f'href="{o}" class="external"' in page


@pytest.mark.parametrize("path", ["/id/person/nobody-at-all", "/doc/id/person/nobody-at-all.html",
                                  "/graph/nothing", "/id/person/ji-pengfei.pdf", "/doc/id/person/ji-pengfei.pdf",
                                  "/doc/static/style.css", "/id/%2e%2e/%2e%2e/etc/passwd"])
def test_unknown_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "Traceback" not in r.text


def test_graph_iris_dereference(client, server):
    r = client.get("/graph/assertions", headers={"Accept": "text/turtle"})
    assert r.status_code == 303
    assert client.get(r.headers["location"]).status_code == 200


def test_dataset_iri_has_void(client, settings):
    r = client.get("/id/dataset/kg-1959", headers={"Accept": "text/turtle"}, follow_redirects=True)
    g = Graph()
    g.parse(data=r.content, format="turtle")
    ds = URIRef(settings.base_iri + "id/dataset/kg-1959")
    assert (ds, RDF.type, VOID.Dataset) in g
    assert (ds, VOID.triples, None) in g


@pytest.mark.parametrize("path", ["/.well-known/void"])
def test_void(client, settings, path):
    g = Graph()
    g.parse(data=client.get(path, headers={"Accept": "text/turtle"}).content, format="turtle")
    ds = URIRef(settings.base_iri + "id/dataset/kg-1959")
    for p in (VOID.uriSpace, VOID.sparqlEndpoint, VOID.dataDump, VOID.triples, VOID.classPartition,
              VOID.propertyPartition):
        assert (ds, p, None) in g, p
    html = client.get(path, headers={"Accept": BROWSER})
    assert html.headers["content-type"].startswith("text/html")


def test_ontology_at_its_iri(client, settings):
    r = client.get("/ontology/kg", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-location"].endswith("/ontology/kg.ttl")
    g = Graph()
    g.parse(data=r.content, format="turtle")
    assert (URIRef(settings.base_iri + "ontology/kg"), RDF.type, OWL.Ontology) in g
    for fmt in offered(GRAPH):
        assert client.get(f"/ontology/kg.{fmt.suffix}").status_code == 200


def test_ontology_html_is_generated_from_the_ontology(client, settings):
    g = Graph()
    g.parse(data=client.get("/ontology/kg.ttl").content, format="turtle")
    page = client.get("/ontology/kg", headers={"Accept": BROWSER}).text
    terms = [str(c) for c in g.subjects(RDF.type, OWL.Class) if str(c).startswith(settings.base_iri)]
    assert terms
    for term in terms:
        assert f'id="{term.split("#", 1)[1]}"' in page  # hash IRIs land on their section


def test_shapes_at_their_iri(client):
    r = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert b"NodeShape" in r.content
    assert client.get("/shapes.html").headers["content-type"].startswith("text/html")


def minted(settings) -> list[str]:
    """Every IRI under the base that the published files use, fragments dropped."""
    import re

    text = "".join((settings.dist_dir / n).read_text(encoding="utf-8") for n in ("dataset.nq", "ontology.ttl", "shapes.ttl"))
    return sorted({m.split("#")[0] for m in re.findall("<(" + re.escape(settings.base_iri) + r"[^>]*)>", text)})


def test_every_minted_iri_dereferences(client, settings, server):
    """All IRIs outside /id/, one of each /id/ kind, and every tenth of the rest (the whole list takes
    several seconds; the sample keeps the suite fast while covering every route and kind)."""
    iris = minted(settings)
    ids = [i for i in iris if i.startswith(settings.base_iri + "id/")]
    kinds = {}
    for i in ids:
        kinds.setdefault(i.split("/")[4], i)
    chosen = [i for i in iris if i not in ids] + list(kinds.values()) + ids[::10]
    assert len(kinds) > 5
    for iri in chosen:
        url = server.url + "/" + iri[len(settings.base_iri):]
        r = client.get(url, headers={"Accept": "text/turtle"}, follow_redirects=True)
        assert r.status_code == 200, (iri, r.status_code, r.text[:200])


@pytest.mark.parametrize("lang, expected", [
    ("ko", {"대표 명칭": "skos:prefLabel", "~에 속함": "crm:P89_falls_within", "근거 구절": "prov:wasDerivedFrom"}),
    ("zh-Hans", {"首选名称": "skos:prefLabel", "位于": "crm:P89_falls_within", "出自段落": "prov:wasDerivedFrom"}),
    ("en", {"preferred name": "skos:prefLabel", "lies within": "crm:P89_falls_within"}),
])
def test_properties_show_by_their_label_in_the_readers_language(client, lang, expected):
    """Other vocabularies' terms by kg's display labels (src/kg/web/display-labels.ttl), the prefixed name
    beside each; kg's own terms by the ontology's labels in the three languages."""
    html = client.get(f"/doc/id/place/south-hwanghae?lang={lang}", headers={"Accept": "text/html"}, follow_redirects=True).text
    for label, curie in expected.items():
        assert f">{label}</a> <code class=\"curie\">{curie}</code>" in html, (label, curie)


def test_kg_terms_are_labelled_in_korean_on_pages(client):
    html = client.get("/doc/id/event/appeals-to-embassy-1959?lang=ko", headers={"Accept": "text/html"}, follow_redirects=True).text
    assert ">수신자</a> <code class=\"curie\">kg:addressee</code>" in html


@pytest.mark.parametrize("lang, shown, hidden", [
    ("ko", "번역자들이 앞의 말을 원문 그대로 옮겼음을 표시한다.", "The translators mark the preceding words"),
    ("zh-Hans", "译者标明前面的文字是照原样录入的。", "The translators mark the preceding words"),
    ("en", "The translators mark the preceding words as reproduced as found.", "번역자들이"),
])
def test_kgs_prose_in_the_readers_language(client, lang, shown, hidden):
    """A definition written in the three languages shows in the reader's; the names, in every language."""
    html = client.get(f"/doc/id/concept/marker-sic?lang={lang}", headers={"Accept": "text/html"}).text
    assert shown in html and hidden not in html
    assert "[sic]" in html and "原文如此" in html  # the names a thing has are all shown


def test_display_labels_stay_out_of_the_data(client):
    """The display labels are for pages: no SPARQL answer holds them."""
    r = client.get("/sparql", params={"query": 'ASK { <http://www.w3.org/2004/02/skos/core#prefLabel> ?p ?o }'},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is False
