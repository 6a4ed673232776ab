"""The workbench's pure parts: language choice, citations, the timeline's geometry, the reader's segments."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from kg.web.pages import citation
from kg.web.i18n import choose_language, parse_accept_language, pick_label
from kg.web.pages.reader import Passage, paragraphs_of, segment
from kg.web.pages.timeline import Event, timeline_svg


@pytest.mark.parametrize(
    "param,header,expected",
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        (None, "ko-KR", "ko"),
        (None, "zh-TW", "en"),  # no traditional-script labels: English
        (None, "fr, ko;q=0.5, zh;q=0.7", "zh-Hans"),
        (None, "ko;q=0, en", "en"),
        (None, "ko;q=abc, zh", "zh-Hans"),
        ("ko", "zh-CN", "ko"),  # the switch wins over the header
        ("xx", "ko", "ko"),  # an unknown switch value is ignored
    ],
)
def test_language_choice(param, header, expected):
    assert choose_language(param, header) == expected


def test_accept_language_order_and_duplicates():
    assert parse_accept_language("zh-Hans;q=0.4, ko;q=0.9, zh-CN;q=0.8") == ["ko", "zh-Hans"]


def test_pick_label_falls_back_to_english_then_untagged():
    labels = [("Jilin Province", "en"), ("吉林省", "zh-hans")]
    assert pick_label(labels, "zh-Hans").text == "吉林省"
    assert pick_label(labels, "ko").text == "Jilin Province"
    assert pick_label([("x", ""), ("y", "fr")], "ko").text == "x"
    assert pick_label([], "en") is None


DS = citation.DatasetInfo("https://kg.example.org/id/dataset/kg-1959", "A & B {title} 100%", "kg project",
                          "kg project", "abc123", "https://creativecommons.org/licenses/by/4.0/")


def test_bibtex_escapes_specials_and_keeps_braces_balanced():
    text = citation.dataset_bibtex(DS)
    assert r"A \& B \{title\} 100\%" in text
    assert "author = {{kg project}}" in text
    assert "url = {https://kg.example.org/id/dataset/kg-1959}" in text
    body = re.sub(r"\\[{}]", "", text)
    assert body.count("{") == body.count("}")


def test_fact_citation_names_its_passages_and_the_source_claims_no_license():
    fact = citation.FactInfo("https://kg.example.org/id/event/x", "An event", ((10, 20), (30, 45)))
    assert "characters 10–20, 30–45" in citation.fact_bibtex(fact, DS)
    csl = citation.fact_csl(fact, DS)
    assert csl["URL"] == fact.iri and csl["container-title"] == DS.title
    assert "license" not in citation.source_bibtex().lower()
    assert "license" not in json.dumps(citation.source_csl()).lower()


def _event(edtf: str, begin: str, end: str) -> Event:
    return Event(edtf, "#", edtf, "en", edtf, datetime.fromisoformat(begin), datetime.fromisoformat(end))


def test_timeline_draws_a_month_as_a_month_and_a_day_as_a_day():
    svg = timeline_svg([
        _event("1958", "1958-01-01T00:00:00", "1958-12-31T23:59:59"),
        _event("1958-12", "1958-12-01T00:00:00", "1958-12-31T23:59:59"),
        _event("1959-01-18", "1959-01-18T00:00:00", "1959-01-18T23:59:59"),
    ])
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', svg)]
    year, month, day = widths
    assert month == pytest.approx(year * 31 / 365, rel=0.01)
    assert day < month / 10
    assert 'data-precision="day"' in svg and "<circle" in svg
    assert timeline_svg([]) == ""


def test_reader_segments_cover_overlapping_passages_exactly():
    text = "Intro line.\n\nAlpha beta gamma delta.\n\nLast."
    a = Passage(13, 23, "a", "#a", facts=[])
    b = Passage(19, 29, "b", "#b", sic=True)
    paras = segment(text, [a, b], report_start=13)
    assert [text[s:e] for s, e in paragraphs_of(text)] == ["Intro line.", "Alpha beta gamma delta.", "Last."]
    middle = paras[1]
    assert "".join(s.text for s in middle.segments) == "Alpha beta gamma delta."
    covered = {s.text: [p.iri for p in s.passages] for s in middle.segments}
    assert covered == {"Alpha ": ["a"], "beta": ["a", "b"], " gamma": ["b"], " delta.": []}
    assert [p.iri for p in middle.passages] == ["a", "b"]
    assert not paras[0].in_report and middle.in_report


def test_reader_shows_emphasis_without_its_marks():
    text = "**December 10, 1959**\n\n**Citation:** the *one* star stays\n\nA report [sic] body."
    stamp = Passage(2, 19, "d", "#d", facts=[])  # "December 10, 1959", inside the marks
    paras = segment(text, [stamp], report_start=text.index("A report"))
    first, second, third = paras
    assert "".join(s.text for s in first.segments) == "December 10, 1959"
    assert [(s.text, s.strong) for s in first.segments if s.text] == [("December 10, 1959", True)]
    assert [p.iri for s in first.segments if s.text for p in s.passages] == ["d"]
    assert "".join(s.text for s in second.segments) == "Citation: the *one* star stays"
    assert [s.text for s in second.segments if s.strong] == ["Citation:"]
    assert "".join(s.text for s in third.segments) == "A report [sic] body." and not any(s.strong for s in third.segments)
    # every stored character is still where its offset says: the marks are cut out of the view only
    for para in paras:
        pos = para.start
        for s in para.segments:
            assert s.text in ("", text[pos:pos + len(s.text)])
            pos += len(s.text) or 2


def test_the_record_page_reads_as_text(client):
    html = client.get("/reader", headers={"Accept": "text/html"}).text
    record = html[html.index('id="record"'):html.index('id="report"')]
    assert "**" not in record
    assert "<strong>December 10, 1959</strong>" in record
    # the stored text itself keeps its marks (every offset counts them)
    r = client.get("/sparql", params={"query": 'ASK { ?text a <https://schema.org/DigitalDocument> ; '
                                               '<http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?v '
                                               'FILTER (CONTAINS(?v, "**December 10, 1959**")) }'},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is True


# --- routes over the real socket --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,status",
    [
        ("/vendor/yasgui/yasgui.min.js", 200),
        ("/vendor/noto-sans-sc/400.css", 200),
        ("/vendor/yasgui/..%2F..%2F..%2Fpackage.json", 404),
        ("/vendor/yasgui/../../../../pyproject.toml", 404),
        ("/vendor/noto-sans-sc/package.json", 404),  # only .js, .css, fonts and maps
        ("/vendor/lodash/lodash.js", 404),  # only the packages we serve
    ],
)
def test_vendor_serves_only_the_allowed_files(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text[:200]
    if status == 200:
        assert r.headers["content-type"].startswith(("text/javascript", "text/css"))


def test_editor_prefixes_are_ours(client, server):
    assert client.get("/editor/prefixes.json").json() == server.app.state.prefixes


def test_cite_formats_and_refusals(client):
    from urllib.parse import quote

    r = client.get("/cite?format=csl-json&iri=" + quote("https://kg.example.org/id/place/jilin", safe=""))
    assert r.status_code == 200 and r.json()[0]["URL"] == "https://kg.example.org/id/place/jilin"
    assert client.get("/cite").text.startswith("@dataset{")
    assert client.get("/cite?format=ris").status_code == 400
    assert client.get("/cite?iri=" + quote("https://kg.example.org/id/place/atlantis", safe="")).status_code == 404
    assert client.get("/cite?iri=" + quote("https://elsewhere.example/x", safe="")).status_code == 404


def test_entity_page_labels_follow_the_language(client):
    zh = client.get("/doc/id/place/jilin.html", headers={"Accept-Language": "zh-CN"})
    en = client.get("/doc/id/place/jilin.html", headers={"Accept-Language": "fr, en;q=0.5"})
    ko = client.get("/doc/id/place/south-hwanghae.html?lang=ko", headers={"Accept-Language": "zh-CN"})
    jilin_ko = client.get("/doc/id/place/jilin.html?lang=ko")  # kg supplies Korean names for Chinese places too
    fallback = client.get("/doc/id/dataset/figures.html?lang=ko")  # no Korean label for the data set: English
    assert "<title>吉林省" in zh.text and "<title>Jilin Province" in en.text and "<title>황해남도" in ko.text
    assert "<title>지린성" in jilin_ko.text
    assert "<title>Figures stated in the Foreign Ministry" in fallback.text
    assert "Accept-Language" in zh.headers["vary"] and zh.headers["etag"] != en.headers["etag"]


@pytest.mark.parametrize(
    "path,bars,highlighted",
    [
        ("/doc/id/dataset/figures.html", 8, 0),
        ("/doc/id/place/jilin.html", 8, 2),  # households and persons of Jilin
        ("/doc/id/observation/sent-1959-liaoning-persons.html", 8, 1),
        ("/doc/id/place/south-hwanghae.html", 0, 0),  # a destination: no provincial figures of its own
    ],
)
def test_province_chart_on_the_pages_it_concerns(client, path, bars, highlighted):
    page = client.get(path, headers={"Accept": "text/html"}).text
    assert page.count('class="bar"') + page.count('class="bar highlight"') == bars
    assert page.count('class="bar highlight"') == highlighted


def test_event_page_timeline_highlights_the_event_at_its_precision(client):
    page = client.get("/doc/id/event/relocation-1959.html", headers={"Accept": "text/html"}).text
    highlighted = re.findall(r'<a href="[^"]*" class="event highlight" data-precision="([a-z/]+)" data-edtf="([^"]+)"', page)
    assert ("month", "1959-02/1959-04") in highlighted
