"""The visual query builder (Sparnatural): its configuration is made from our shapes and what the graph holds,
labelled in the three languages, the same bytes every time; the page carries the reader's language and runs
against our own endpoint; and the query the builder writes for "events carried out by the State Council,
with their dates" answers with those events. The clicks themselves are in test_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD

from kg.query_builder import DASH, OFFERED, Usage, configuration
from kg.web.pages.builder import CHROME_LABELS, ENGLISH_LITERAL, in_language

CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")
ORG = Namespace("http://www.w3.org/ns/org#")


@pytest.fixture(scope="module")
def config(server) -> Graph:
    r = httpx.get(server.url + "/builder/config.ttl")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=r.text, format="turtle")


def shape_for(g: Graph, cls: URIRef) -> URIRef:
    (shape,) = list(g.subjects(SH.targetClass, cls))
    return shape


def property_for(g: Graph, cls: URIRef, path: URIRef) -> URIRef:
    shape = shape_for(g, cls)
    (prop,) = [p for p in g.objects(shape, SH.property) if (p, SH.path, path) in g]
    return prop


def ranges(g: Graph, prop: URIRef) -> set[URIRef]:
    found = set(g.objects(prop, SH["class"]))
    for head in g.objects(prop, SH["or"]):
        for member in Collection(g, head):
            found |= set(g.objects(member, SH["class"]))
    return found


def test_the_kinds_of_thing_offered_are_the_reports_not_the_evidence(config):
    targets = {str(c) for c in config.objects(None, SH.targetClass)}
    assert {str(CRM.E7_Activity), str(ORG.FormalOrganization), str(CRM.E53_Place), str(CRM["E52_Time-Span"])} <= targets
    assert targets <= set(OFFERED)
    assert not any("oa#" in t for t in targets)


def test_labels_in_three_languages(config):
    event = shape_for(config, CRM.E7_Activity)
    assert {(l.language, str(l)) for l in config.objects(event, RDFS.label)} == {
        ("en", "event"), ("zh-hans", "事件"), ("ko", "사건")}
    carried = property_for(config, CRM.E7_Activity, CRM.P14_carried_out_by)
    assert Literal("수행 주체", lang="ko") in set(config.objects(carried, SH.name))


def test_ranges_and_widgets_come_from_the_shapes_and_the_graph(config):
    carried = property_for(config, CRM.E7_Activity, CRM.P14_carried_out_by)
    assert ORG.FormalOrganization in ranges(config, carried)
    assert ranges(config, property_for(config, CRM.E7_Activity, CRM["P4_has_time-span"])) == {CRM["E52_Time-Span"]}
    begin = property_for(config, CRM["E52_Time-Span"], CRM.P82a_begin_of_the_begin)
    assert (begin, SH.datatype, XSD.dateTime) in config
    label = property_for(config, ORG.FormalOrganization, SKOS.prefLabel)
    assert (label, DASH.propertyRole, DASH.LabelRole) in config
    # a path whose values the builder cannot list (Wikidata items are not typed in the graph) is left out
    assert not [p for p in config.objects(shape_for(config, CRM.E53_Place), SH.property)
                if (p, SH.path, SKOS.exactMatch) in config]


def test_the_configuration_is_the_same_bytes_every_time(server):
    first = httpx.get(server.url + "/builder/config.ttl").content
    assert first == httpx.get(server.url + "/builder/config.ttl").content


def test_several_ranges_become_one_sh_or():
    base = "https://kg.example.org/builder#"
    act, p = str(CRM.E7_Activity), str(CRM.P14_carried_out_by)
    usage = [Usage(act, p, str(ORG.FormalOrganization), False), Usage(act, p, str(ORG.OrganizationalUnit), False),
             Usage(str(ORG.FormalOrganization), str(RDF.type), str(ORG.FormalOrganization), False),
             Usage(str(ORG.OrganizationalUnit), str(RDF.type), str(ORG.OrganizationalUnit), False)]
    paths = [(act, p, None), (str(ORG.FormalOrganization), str(SKOS.prefLabel), None),
             (str(ORG.OrganizationalUnit), str(SKOS.prefLabel), None)]
    g = configuration(paths, usage, {}, base)
    prop = URIRef(base + "E7_Activity-P14_carried_out_by")
    assert (prop, SH["class"], None) not in g
    assert ranges(g, prop) == {ORG.FormalOrganization, ORG.OrganizationalUnit}
    assert Literal("P14_carried_out_by", lang="ko") in set(g.objects(prop, SH.name))  # no label: the local name


def test_the_page_speaks_the_readers_language_and_uses_our_endpoint(client):
    html = client.get("/builder", headers={"Accept": "text/html", "Accept-Language": "zh-CN"}).text
    assert '<html lang="zh-Hans">' in html and "查询构建器" in html
    origin = str(client.base_url).rstrip("/")
    assert 'lang="zh-hans"' in html  # as the store gives the tag back, which Sparnatural compares with
    assert f'src="{origin}/builder/config.ttl"' in html and f'endpoint="{origin}/sparql"' in html
    # Sparnatural from our own server, with its own words in the reader's language (English: as installed)
    assert f'src="{origin}/vendor/sparnatural/sparnatural.zh-hans.js"' in html
    english = client.get("/builder", headers={"Accept": "text/html"}).text
    assert f'src="{origin}/vendor/sparnatural/sparnatural.js"' in english
    assert "https://" not in html.split("<main>", 1)[1].split("</main>", 1)[0].replace(
        "https://kg.example.org/", "")  # nothing in the page is fetched from elsewhere


STATE_COUNCIL_EVENTS = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?E7_Activity_1 ?E7_Activity_1_label ?E52_Time_Span_4 ?E52_Time_Span_4_label WHERE {
  ?E7_Activity_1 rdf:type <http://www.cidoc-crm.org/cidoc-crm/E7_Activity>.
  OPTIONAL {
    ?E7_Activity_1 <http://www.w3.org/2004/02/skos/core#prefLabel> ?E7_Activity_1_label.
    FILTER((LANG(?E7_Activity_1_label)) = "en")
  }
  ?E7_Activity_1 <http://www.cidoc-crm.org/cidoc-crm/P14_carried_out_by> <https://kg.example.org/id/organization/state-council>;
    <http://www.cidoc-crm.org/cidoc-crm/P4_has_time-span> ?E52_Time_Span_4.
  ?E52_Time_Span_4 rdf:type <http://www.cidoc-crm.org/cidoc-crm/E52_Time-Span>.
  OPTIONAL {
    ?E52_Time_Span_4 <http://www.w3.org/2004/02/skos/core#prefLabel> ?E52_Time_Span_4_label.
    FILTER((LANG(?E52_Time_Span_4_label)) = "en")
  }
}
LIMIT 1000
"""


def test_the_builders_kind_of_query_answers_the_state_council_question(client):
    """The query Sparnatural wrote for the Playwright test's question (as its editor link held it) gives the
    State Council's dated events, with their names."""
    r = client.post("/sparql", data={"query": STATE_COUNCIL_EVENTS}, headers={"Accept": "application/sparql-results+json"})
    rows = r.json()["results"]["bindings"]
    dates = {row["E52_Time_Span_4_label"]["value"] for row in rows}
    assert dates == {"18 January 1959", "14 August 1959"}


# --- Sparnatural's own words ---------------------------------------------------------------------

FORMATS = {"TimeWidgetPlaceHolderDate", "TimeWidgetYearFormat", "TimeWidgetDateFormat", "PlaceholderTimeDateFormat",
           "PlaceholderTimeDateDayFormat", "LangCodeTimeDate"}  # format codes and a locale: not words


def bundle_words(text: str) -> dict[str, str]:
    """The words of a served Sparnatural bundle: the JSON literal its I18n reads for every language but French."""
    literal = re.search(r"""JSON\.parse\('(\{"Where":.*?\})'\)""", text).group(1)
    return json.loads(re.sub(r"\\([\\'\"])", r"\1", literal))


@pytest.fixture(scope="module")
def installed_words() -> dict[str, str]:
    path = Path(__file__).parents[3] / "node_modules/sparnatural/dist/browser/sparnatural.js"
    return bundle_words(path.read_text(encoding="utf-8"))


def test_every_word_of_sparnatural_has_chinese_and_korean(installed_words):
    labels = json.loads(CHROME_LABELS.read_text(encoding="utf-8"))
    assert sorted(set(installed_words) - FORMATS - set(labels)) == []  # an upgrade's new words fail here
    assert sorted(set(labels) - set(installed_words)) == []  # and words it dropped
    assert all(set(texts) == {"zh-Hans", "ko"} and all(texts.values()) for texts in labels.values())


@pytest.mark.parametrize("lang, tag, words", [
    ("ko", "ko", {"SelectAllValues": "아무 값", "StartClassTemporaryLabel": "자원 검색", "And": "및"}),
    ("zh-hans", "zh-Hans", {"SelectAllValues": "任意", "ListWidgetSelectValue": "选择一个值……"}),
])
def test_sparnatural_is_served_with_its_words_in_chinese_or_korean(client, installed_words, lang, tag, words):
    r = client.get(f"/vendor/sparnatural/sparnatural.{lang}.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    served = bundle_words(r.text)
    assert {k: served[k] for k in words} == words
    assert {k: served[k] for k in FORMATS} == {k: installed_words[k] for k in FORMATS}
    assert set(served) == set(installed_words) and ENGLISH_LITERAL not in r.text  # nothing left in English
    labels = json.loads(CHROME_LABELS.read_text(encoding="utf-8"))
    assert all(served[k] == labels[k][tag] for k in labels)


def test_only_the_words_change():
    bundle = r'''a=1;g=JSON.parse('{"Where":"Where","That":"it\'s \\\\ \\"x\\""}');b=2'''  # JSON in a JS string
    out = in_language(bundle, "ko", {"Where": {"ko": "어디"}})
    assert out.startswith("a=1;g=JSON.parse('") and out.endswith("');b=2")
    assert bundle_words(out) == {"Where": "어디", "That": 'it\'s \\ "x"'} == {**bundle_words(bundle), "Where": "어디"}
    with pytest.raises(ValueError):
        in_language("no words here", "ko", {})


def test_a_language_not_offered_is_not_served(client):
    assert client.get("/vendor/sparnatural/sparnatural.fr.js").status_code == 404
    assert client.get("/vendor/sparnatural/sparnatural.js").status_code == 200  # the installed file, as it is
