"""The workbench in a real browser (issue 6): Debian's Chromium driven by Playwright against the test server.

Every page must load with no console error and no request to any host but the server; the editor runs an
example and shows its golden rows; a shared link restores the query; the reader highlights a passage and
its note leads to the fact, whose page links back. Screenshots go to ``test-artifacts/``.

Without a browser these tests skip (with the reason) outside CI; under ``CI=true`` a missing browser or
Playwright fails them. Playwright never downloads a browser here: it drives the system Chromium.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
import httpx
import pytest

from kg.catalog import load_catalog, read_golden

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI") == "true"
SHOT_HEIGHT = 2400


def _chromium() -> str | None:
    for candidate in (os.environ.get("KG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run installs chromium; the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    path = _chromium()
    if path is None:
        _unavailable("no Chromium at /usr/bin/chromium (apt-get install chromium, or set KG_CHROMIUM)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # Playwright gives every launch a new, empty profile (user-data-dir) of its own
        b = p.chromium.launch(executable_path=path, args=FLAGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page with its console errors, uncaught exceptions and requests to other hosts recorded."""

    def __init__(self, browser, origin: str, lang: str = "en-GB", context=None):
        self.origin = origin
        self.own_context = context is None
        self.context = context or new_context(browser, lang)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("request", self._request)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))

    def _request(self, request) -> None:
        url = request.url
        if not (url.startswith(self.origin + "/") or url.startswith("data:") or url.startswith("blob:")):
            self.outside.append(url)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.origin + path, wait_until="load")
        assert response is not None and response.status == 200, f"{path}: status {response and response.status}"

    def clean(self) -> None:
        assert self.outside == [], f"requests to other hosts: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.failed == [], f"failed requests: {self.failed}"

    def shot(self, name: str) -> Path:
        """The page from its top, at most SHOT_HEIGHT pixels of it (whole-page shots of the longest pages
        cost seconds each)."""
        path = ARTIFACTS / f"{name}.png"
        height = min(self.page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
        self.page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
        return path

    def close(self) -> None:
        if self.own_context:
            self.context.close()
        else:
            self.page.close()


def new_context(browser, lang: str = "en-GB"):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)


@pytest.fixture(scope="module")
def shared_context(browser):
    """One context for the page-by-page checks (a context costs about half a second to make)."""
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture()
def watched(browser, server):
    pages: list[Watched] = []

    def make(lang: str = "en-GB") -> Watched:
        w = Watched(browser, server.url, lang)
        pages.append(w)
        return w

    yield make
    for w in pages:
        w.close()


def _sparql(server, query: str) -> list[dict]:
    r = httpx.post(server.url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                   timeout=30)
    r.raise_for_status()
    return r.json()["results"]["bindings"]


# --- every page ----------------------------------------------------------------------------------

PAGES = [
    ("home", "/"),
    ("reader", "/reader"),
    ("editor", "/editor"),
    ("builder", "/builder"),
    ("examples", "/examples"),
    ("place-jilin", "/id/place/jilin"),
    ("place-jilin-zh", "/doc/id/place/jilin?lang=zh-Hans"),
    ("place-south-hwanghae-ko", "/doc/id/place/south-hwanghae?lang=ko"),
    ("place-jilin-ko", "/doc/id/place/jilin?lang=ko"),  # a Chinese province by the Korean name kg supplies
    ("event-relocation", "/id/event/relocation-1959"),
    ("observation", "/id/observation/sent-1959-jilin-households"),
    ("sic", "/id/annotation/sic"),
    ("endpoint", "/sparql"),
    ("ontology", "/ontology/kg"),
    ("dumps", "/dumps/"),
    ("void", "/.well-known/void"),
]


@pytest.mark.parametrize("name,path", PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_clean(browser, shared_context, server, name, path):
    w = Watched(browser, server.url, context=shared_context)
    try:
        w.goto(path)
        w.page.wait_for_function("document.fonts.status === 'loaded'")
        w.clean()
        w.shot(f"page-{name}")
    finally:
        w.close()


def test_home_page_has_counts_chart_timeline_and_citations(watched, server):
    w = watched()
    w.goto("/")
    counts = {
        row.locator("td").nth(1).inner_text(): int(row.locator("td.n").inner_text().replace(",", ""))
        for row in w.page.locator("table.counts tr").all()
    }
    expected = int(_sparql(server, "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT (COUNT(DISTINCT ?p) AS ?n) "
                                   "WHERE { ?p a oa:SpecificResource }")[0]["n"]["value"])
    assert counts["passages of the text"] == expected
    assert counts["events"] > 0 and counts["translators' insertions and [sic]"] > 0
    # the province chart: one bar per province in each panel (households, persons), from the Data Cube
    bars = w.page.locator("#figures svg .bar")
    assert bars.count() == 8
    assert "Jilin Province: 7,127" in w.page.locator("#figures svg").inner_html()
    # the timeline: a month is a bar wider than a day
    events = w.page.locator("#timeline svg .event")
    assert events.count() >= 5
    widths = {}
    for kind in ("day", "month"):
        box = w.page.locator(f'#timeline svg .event[data-precision="{kind}"] rect').first.bounding_box()
        widths[kind] = box["width"]
    assert widths["month"] > 5 * widths["day"], widths
    cite = w.page.locator("#cite").inner_text()
    assert "@dataset{" in cite and "CC BY" not in cite.split("The source document")[1]
    assert "creativecommons.org/licenses/by/4.0" in w.page.locator("#license").inner_html()
    w.clean()


def test_chinese_and_korean_render_with_served_fonts(watched):
    w = watched("zh-CN")
    fonts: list[str] = []
    w.page.on("request", lambda r: fonts.append(r.url) if r.url.endswith(".woff2") else None)
    w.goto("/id/place/jilin")  # Accept-Language zh-CN: the title in Chinese
    title = w.page.locator("h1")
    assert title.inner_text() == "吉林省" and title.get_attribute("lang").lower() == "zh-hans"
    w.page.wait_for_function("document.fonts.status === 'loaded'")
    assert w.page.evaluate("document.fonts.check('16px \"Noto Sans SC\"', '吉林省')")
    assert any("/vendor/noto-sans-sc/files/" in u for u in fonts), fonts
    w.goto("/doc/id/place/south-hwanghae?lang=ko")
    assert w.page.locator("h1").inner_text() == "황해남도" and w.page.locator("h1").get_attribute("lang") == "ko"
    w.page.wait_for_function("document.fonts.status === 'loaded'")
    assert any("/vendor/noto-sans-kr/files/" in u for u in fonts), fonts
    w.clean()
    w.shot("lang-ko")


# --- the visual query builder -------------------------------------------------------------------

BUILDER_WORDS = {  # what the builder's lists say in each language: kinds, relations, the State Council
    "en-GB": ("event", "formal organization", "carried out by", "time-span", "State Council of the People"),
    "ko": ("사건", "공식 기관", "수행 주체", "기간", "중화인민공화국 국무원"),
}
BUILDER_DATES = {"en-GB": {"18 January 1959", "14 August 1959"}, "ko": {"1959년 1월 18일", "1959년 8월 14일"}}
BUILDER_ANY = {"en-GB": "Any", "ko": "아무 값"}  # Sparnatural's own word for "any value", served in the language


@pytest.mark.parametrize("lang", sorted(BUILDER_WORDS))
def test_the_visual_builder_answers_by_clicks(watched, lang):
    """"Events carried out by the State Council, with their dates", by clicks only, in the reader's language:
    Sparnatural's lists come from /builder/config.ttl and our endpoint; the rows appear in the page."""
    event, body, carried_out_by, time_span, council = BUILDER_WORDS[lang]
    w = watched(lang)
    w.goto("/builder")
    builder = w.page.locator("spar-natural")
    builder.locator("li.enabled").first.wait_for()

    def pick(label: str) -> None:
        item = w.page.locator("span.item-label", has_text=label)
        builder.locator("li.enabled:visible").filter(has=item).first.click()

    pick(event)
    pick(body)
    pick(carried_out_by)  # several relations join an event to a body: pick one
    builder.locator(".select2-selection").first.click()
    w.page.locator("li.select2-results__option", has_text=council).click()
    builder.locator(".ActionsGroup").first.hover()  # "And" shows on hover: a second criterion on the event
    builder.locator(".ActionAnd a").first.click()
    pick(time_span)  # one relation joins an event to a time-span (when): Sparnatural takes it
    assert builder.locator(".selectAll:visible").first.inner_text().startswith(BUILDER_ANY[lang])
    builder.locator(".selectAll:visible").first.click()  # any time-span
    builder.locator(".selectViewVariableBtn").last.click()  # and show it in the results
    builder.locator(".playBtn").click()
    w.page.locator("#builder-table tbody tr").first.wait_for()
    rows = [r.split("\t") for r in w.page.locator("#builder-table tbody tr").all_inner_texts()]
    assert {cells[-1].strip() for cells in rows} == BUILDER_DATES[lang]
    links = w.page.locator("#builder-table a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert all(href.startswith(w.origin + "/id/") for href in links), links
    sparql = w.page.get_attribute("#builder-open-editor", "href")
    assert sparql.startswith(w.origin + "/editor?query=") and "state-council" in sparql
    w.clean()  # nothing fetched from another host, no console error, no failed request
    w.shot(f"builder-{lang}")


# --- the editor ----------------------------------------------------------------------------------


def _open_editor(w: Watched, path: str = "/editor") -> None:
    w.goto(path)
    w.page.wait_for_selector("body[data-editor-ready=true]")


def _run_active_tab(w: Watched) -> None:
    w.page.locator(".tabPanel.active .yasqe_queryButton").click()
    w.page.wait_for_selector(".tabPanel.active .yasr .dataTable tbody tr", timeout=15000)


def test_editor_runs_an_example_and_shows_its_rows(watched, server):
    name = "01-provinces-over-1000-households"
    query = next(q for q in load_catalog(ROOT) if q.name == name)
    golden = read_golden(ROOT, query)["results"]["bindings"]
    w = watched()
    _open_editor(w)
    w.page.locator(f'#examples [data-open="{name}"]').click()
    active = w.page.locator(".tabsList .tab.active")
    assert query.title in active.inner_text()
    assert w.page.locator('#example-header [data-field="question"]').inner_text() == query.question
    _run_active_tab(w)
    rows = w.page.locator(".tabPanel.active .yasr .dataTable tbody tr")
    assert rows.count() == len(golden)
    table = w.page.locator(".tabPanel.active .yasr .dataTable").inner_text()
    for row in golden:
        assert row["label"]["value"] in table and row["persons"]["value"] in table
    # entity links lead to our own pages, and following one opens the entity's page
    link = w.page.locator(".tabPanel.active .yasr .dataTable a.kg-entity").first
    href = link.get_attribute("href")
    assert href.startswith(server.url + "/id/place/"), href
    w.shot("editor-results")
    # the chart plugin draws one bar per row
    w.page.locator(".tabPanel.active .yasr_btn.select_chart").click()
    assert w.page.locator(".tabPanel.active svg.kg-chart .bar").count() == len(golden)
    w.shot("editor-chart")
    link_target = href
    w.goto(link_target.removeprefix(server.url))
    assert w.page.locator("h1").inner_text().endswith("Province")
    w.clean()


def test_editor_completes_entities_by_their_names_in_any_language(watched):
    """Typing "<" and part of a name (here Korean, a label kg supplies) offers the entities of that name, from
    our reconciliation service; picking one writes its IRI."""
    w = watched("ko")
    _open_editor(w)
    w.page.evaluate("() => { const y = window.kgYasgui.getTab().getYasqe(); y.setValue('SELECT ?p ?o WHERE {\\n  ');"
                    " y.focus(); y.setCursor(y.lineCount(), 0); }")
    w.page.keyboard.type("<지린")
    hints = w.page.locator(".CodeMirror-hints li")
    hints.first.wait_for()
    assert any(h.endswith("<https://kg.example.org/id/place/jilin>") for h in hints.all_inner_texts())
    w.shot("editor-entity-completion")
    w.page.keyboard.press("Enter")
    query = w.page.evaluate("() => window.kgYasgui.getTab().getYasqe().getValue()")
    assert query.rstrip().endswith("<https://kg.example.org/id/place/jilin>"), query
    w.clean()


def _syntax_error_shown(w: Watched, path: str = "/editor") -> str:
    """The editor's error panel for a query with an undeclared prefix and a missing object."""
    _open_editor(w, path)
    w.page.evaluate("() => { window.kgYasgui.getTab().setQuery('SELECT ?s WHERE { ?s skos:prefLabel }'); }")
    w.page.locator(".tabPanel.active .yasqe_queryButton").click()
    error = w.page.locator(".tabPanel.active .yasr .errorResult")
    error.wait_for(timeout=15000)
    return error.inner_text()


@pytest.mark.parametrize("lang, place", [("en-GB", "line 1, column 22"), ("ko", "1행 22열")])
def test_editor_shows_a_syntax_error_in_plain_words(watched, lang, place):
    """The editor shows the endpoint's explanation (kg.sparql.explain): place, caret, what is wrong, in the
    language the browser asks for (a Korean browser sends Accept-Language: ko)."""
    w = watched(lang)
    text = _syntax_error_shown(w)
    assert place in text and "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in text, text
    assert "^" in text
    w.shot("editor-syntax-error" if lang == "en-GB" else f"editor-syntax-error-{lang}")
    assert w.outside == []
    assert all("400" in e for e in w.errors), w.errors  # the browser logs the 400 itself, nothing else


def test_editor_controls_in_korean_and_the_results_as_they_are(watched):
    """YASGUI writes its controls in English only: on a Korean page they are kg's Korean (tab, buttons, result
    views, table controls, the lines about the rows), while the query and the rows stay exactly as they are."""
    name = "01-provinces-over-1000-households"
    golden = read_golden(ROOT, next(q for q in load_catalog(ROOT) if q.name == name))["results"]["bindings"]
    w = watched("en-GB")
    _open_editor(w, f"/editor?lang=ko&example={name}")
    panel = ".tabPanel.active"
    w.page.wait_for_selector(f'{panel} .yasqe_queryButton[title="쿼리 실행"]')  # YASGUI draws in steps
    assert w.page.locator(".tabsList .addTab").get_attribute("title") == "탭 추가"
    _run_active_tab(w)
    header = w.page.locator(f"{panel} .yasr_header").inner_text()
    for words in ("표", "응답", "차트", "간단히 보기", "긴 글 줄이기", "쪽당 행 수:", f"결과 {len(golden)}개"):
        assert words in header, (words, header)
    assert "Simple view" not in header and "results in" not in header
    assert w.page.locator(f"{panel} .yasr .tableControls input[type=text], {panel} .yasr input.tableFilter").first \
        .get_attribute("placeholder") == "쿼리 결과 거르기"
    assert f"전체 {len(golden)}행 중 1–{len(golden)}행" in w.page.locator(f"{panel} .yasr").inner_text()
    table = w.page.locator(f"{panel} .yasr .dataTable").inner_text()
    assert all(row["label"]["value"] in table for row in golden)  # the rows are the data, untouched
    query = w.page.evaluate("() => window.kgYasgui.getTab().getQuery()")
    assert query == next(q for q in load_catalog(ROOT) if q.name == name).text  # and so is the query
    w.shot("editor-ko")
    w.clean()


def test_editor_messages_follow_the_language_switch(watched):
    """An English browser on the editor switched to Chinese: the endpoint's words come in Chinese too (the
    editor asks for the page's language), a refusal as well as a syntax error."""
    w = watched("en-GB")
    assert "第 1 行第 22 列：前缀 skos: 未声明" in _syntax_error_shown(w, "/editor?lang=zh-Hans")
    w.page.evaluate("() => { window.kgYasgui.getTab().setQuery('SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }'); }")
    w.page.locator(".tabPanel.active .yasqe_queryButton").click()
    w.page.wait_for_function("document.querySelector('.tabPanel.active .yasr .errorResult').innerText.includes('联邦查询被拒绝')",
                             timeout=15000)
    assert w.outside == []


def _active_tab(w: Watched) -> tuple[str, str]:
    """The query and the name of the editor's current tab."""
    return w.page.evaluate("[window.kgYasgui.getTab().getQuery(), window.kgYasgui.getTab().getName()]")


def test_shared_link_restores_the_query(watched):
    name = "02-totals-and-provincial-sums"
    query = next(q for q in load_catalog(ROOT) if q.name == name)
    w = watched()
    _open_editor(w)
    w.page.locator(f'#examples [data-open="{name}"]').click()
    w.page.locator("#share").click()
    ours = w.page.locator("#share-link").input_value()
    assert ours.startswith(w.origin + "/editor?query=")
    # YASGUI's own share button puts the query (and the tab's name) in the URL's fragment
    w.page.locator(".tabPanel.active .yasqe_share").click()
    native = w.page.locator(".tabPanel.active .yasqe_sharePopup input").input_value()
    assert native.startswith(w.origin + "/editor#query=")
    opened = []
    for link in (ours, native):
        other = watched()
        _open_editor(other, link.removeprefix(other.origin))
        opened.append(other)
    assert _active_tab(opened[0])[0] == query.text
    assert _active_tab(opened[1]) == [query.text, query.title]
    _run_active_tab(opened[0])
    opened[0].shot("editor-shared-link")
    for page in (w, *opened):
        page.clean()


def test_examples_page_opens_each_query_in_the_editor(watched):
    w = watched()
    w.goto("/examples")
    catalog = load_catalog(ROOT)
    assert w.page.locator("section.example").count() == len(catalog)
    w.page.locator(f'[id="{catalog[2].name}"] a.open').click()
    w.page.wait_for_selector("body[data-editor-ready=true]")
    assert _active_tab(w)[0] == catalog[2].text
    w.clean()


# --- the reader ----------------------------------------------------------------------------------


def test_reader_highlights_a_passage_and_leads_to_the_fact_and_back(watched, server):
    fact = "https://kg.example.org/id/event/state-council-instruction-1959-01-18"
    rows = _sparql(
        server,
        "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?start ?end WHERE { ?a oa:motivatedBy oa:describing ; "
        f"oa:hasBody <{fact}> ; oa:hasTarget ?p . ?p oa:hasSelector ?s . ?s oa:start ?start ; oa:end ?end }}",
    )
    assert rows, "the fact has a passage"
    start, end = rows[0]["start"]["value"], rows[0]["end"]["value"]
    anchor = f"passage-{start}-{end}"
    w = watched()
    w.goto(f"/reader#{anchor}")
    current = w.page.locator(f'.seg.current[data-p~="{anchor}"]')
    assert current.count() >= 1
    assert current.first.is_visible()
    text = "".join(current.nth(i).inner_text() for i in range(current.count()))
    quote_rows = _sparql(server, "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?exact WHERE { "
                         f"<https://kg.example.org/id/passage/{start}-{end}/quote> oa:exact ?exact }}")
    assert text == quote_rows[0]["exact"]["value"]
    # the translators' insertions and their [sic] are marked differently from the ministry's words
    editing = int(_sparql(server, "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT (COUNT(*) AS ?n) "
                                  "WHERE { ?a oa:motivatedBy oa:editing }")[0]["n"]["value"])
    assert w.page.locator("li.note.sic").count() == 1
    assert w.page.locator("li.note.insertion").count() == editing - 1
    sic = w.page.locator(".seg.sic").first
    assert sic.inner_text() == "[sic]"
    colors = {
        kind: w.page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).backgroundColor")
        for kind, selector in (("sic", ".seg.sic"), ("insertion", ".seg.insertion:not(.sic)"),
                               ("fact", ".seg.fact:not(.insertion):not(.sic)"))
    }
    assert len({colors["sic"], colors["insertion"], colors["fact"]}) == 3, colors
    w.shot("reader-passage")
    # follow the passage's note to the fact
    w.page.locator(f"#note-{start}-{end} a.fact-link[href$='/id/event/state-council-instruction-1959-01-18']").click()
    w.page.wait_for_url("**/doc/id/event/state-council-instruction-1959-01-18*")
    assert "/doc/id/event/state-council-instruction-1959-01-18" in w.page.url
    assert "State Council" in w.page.locator("h1").inner_text()
    back = w.page.locator(f"figure.evidence a.reader-link[href$='#{anchor}']")
    assert back.count() == 1
    w.shot("fact-page")
    back.click()
    w.page.wait_for_selector(f'.seg.current[data-p~="{anchor}"]')
    assert w.page.url.endswith(f"/reader#{anchor}")
    w.clean()


def test_clicking_marked_text_selects_its_passage(watched):
    w = watched()
    w.goto("/reader")
    seg = w.page.locator(".seg.sic").first
    seg.click()
    ids = seg.get_attribute("data-p").split()
    assert w.page.url.endswith("#" + ids[-1])
    assert w.page.locator(f'li.note.current[data-p="{ids[-1]}"]').count() == 1
    w.clean()
