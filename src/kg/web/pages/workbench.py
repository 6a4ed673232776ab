"""The scholar's workbench: the SPARQL editor (YASGUI), the example catalog, the reader of the source,
citations, the browser assets we serve ourselves, and what the landing and entity pages add.

``install(app)`` includes the router and gives the templates the helpers they call; ``home_extras`` and
``entity_extras`` compute what the home page and the entity pages show beyond the triples. Nothing here
reaches outside the machine: YASGUI and the CJK fonts come from ``node_modules`` (``npm ci`` at set-up)
and are served under ``/vendor/``.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, Response
from pyoxigraph import NamedNode

from ...catalog import CatalogError, load_catalog
from . import citation
from .charts import POPULATION, bar_panels, province_figures
from ..i18n import DEFAULT, pick_label, prefer, translate
from ..links import Links, request_links
from .reader import passages_of, segment, source_text
from ..render import Problem, choose, page_language, render, respond
from .timeline import dated_events, timeline_svg
from ..view import labels_of, select

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
TEXT_PATH = "id/text/report-114177"
FIGURES_DATASET = "id/dataset/figures"  # the Data Cube: its page shows the province chart

# Browser packages served under /vendor/<name>/: the folder inside node_modules and the files allowed.
VENDOR = {
    "yasgui": "@zazuko/yasgui/build",
    "noto-sans-sc": "@fontsource/noto-sans-sc",
    "noto-sans-kr": "@fontsource/noto-sans-kr",
    "sparnatural": "sparnatural/dist/browser",
}
VENDOR_SUFFIXES = {".js", ".css", ".woff2", ".woff", ".map"}
# YASGUI's own words, which it writes in English only: the editor replaces them by these in the page's
# language (static/yasgui-words.js); {n}, {seconds} and {name} are filled in there. The last four are the
# result table's own lines (DataTables' language option).
YASGUI_WORDS = (
    "Query", "Add tab", "Add a new tab", "Close tab", "New Tab", "Rename Tab", "Copy Tab", "Close Tab",
    "Close other tabs", "Undo close Tab", "Search or add an endpoint", "Clear endpoint", "Run query",
    "Share query", "Table", "Response", "Chart", "Download result", "Download Results", "Show all",
    "Simple view", "Ellipse", "Page size:", "Filter query results", "Try query in a new browser window",
    "{n} results in {seconds} seconds", "{n} results", "Response in {seconds} seconds", "Shows {name} view",
    "View documentation of {name}", "Open settings", "Close settings", "Request method", "Accept Headers",
    "Ask / Select", "Construct / Describe", "Arguments", "Header Arguments", "Default Graphs", "Named Graphs",
    "First", "Previous", "Next", "Last", "pagination",
    "Rows _START_ to _END_ of _TOTAL_", "No rows", "No row matches the filter", "(filtered from _MAX_ rows)",
)
VENDOR_CACHE = "public, max-age=86400"


def install(app: FastAPI) -> None:
    """Add the workbench routes and the template helpers to an app made by ``create_app``."""
    app.include_router(router)
    app.state.templates.globals["group_props"] = group_props
    app.state.templates.globals["reader_anchor"] = reader_anchor


# --- assets ------------------------------------------------------------------------------------


def node_modules(request: Request) -> Path:
    return Path(request.app.state.settings.root) / "node_modules"


@router.api_route("/vendor/{package}/{path:path}", methods=READ)
async def vendor(package: str, path: str, request: Request) -> Response:
    """A file of an allowed browser package, from node_modules; nothing else on disk is reachable."""
    if package not in VENDOR:
        raise Problem(404, f"no browser package {package[:60]!r} is served (offered: {', '.join(sorted(VENDOR))})")
    root = (node_modules(request) / VENDOR[package]).resolve()
    if not root.is_dir():
        raise Problem(404, f"{VENDOR[package]} is not installed: run `make setup` (npm ci)")
    if "\x00" in path:  # a NUL byte cannot name a file (and makes resolve() raise)
        raise Problem(404, f"nothing is published at /vendor/{package}/{path[:200]!r}")
    target = (root / path).resolve()
    if root not in target.parents or target.suffix not in VENDOR_SUFFIXES or not target.is_file():
        raise Problem(404, f"nothing is published at /vendor/{package}/{path[:200]}")
    media = mimetypes.guess_type(target.name)[0] or ("font/woff2" if target.suffix == ".woff2" else "application/octet-stream")
    if target.suffix == ".js":
        media = "text/javascript; charset=utf-8"
    elif target.suffix == ".css":
        media = "text/css; charset=utf-8"
    return FileResponse(target, media_type=media, headers={"Cache-Control": VENDOR_CACHE})


def yasgui_installed(request: Request) -> bool:
    return (node_modules(request) / VENDOR["yasgui"] / "yasgui.min.js").is_file()


# --- the example queries and the editor ----------------------------------------------------------


def catalog_entries(request: Request) -> list[dict]:
    try:
        queries = load_catalog(Path(request.app.state.settings.root))
    except CatalogError as err:
        raise Problem(500, f"the example-query catalog is malformed: {err}") from None
    return [
        {
            "name": q.name,
            "title": q.title,
            "question": q.question,
            "row": q.row,
            "columns": list(q.columns),
            "tags": list(q.tags),
            "note": q.note,
            "text": q.text,
        }
        for q in queries
    ]


@router.api_route("/examples", methods=READ)
async def examples(request: Request, links: Links = Depends(request_links)) -> Response:
    """Every example query with its header, readable without JavaScript, each opening in the editor."""
    fmt = choose(request, ("html",))
    body = render(request, "examples.html", links=links, examples=catalog_entries(request))
    return respond(request, body, fmt)


@router.api_route("/editor", methods=READ)
async def editor(request: Request, links: Links = Depends(request_links)) -> Response:
    fmt = choose(request, ("html",))
    state = request.app.state
    lang = page_language(request)
    config = {
        "endpoint": links.endpoint,
        "base": state.iris.base,
        "origin": links.origin,
        "prefixes": state.prefixes,
        "examples": catalog_entries(request),
        "persistenceId": f"kg-{state.build.version}",
        "prefixesUrl": links.url("editor/prefixes.json"),
        "suggestUrl": links.url("reconcile/suggest/entity"),
        "lang": lang,  # the endpoint's messages follow the page's language
        "words": {} if lang == DEFAULT else {w: translate(w, lang) for w in YASGUI_WORDS},
    }
    body = render(
        request, "editor.html", links=links, config=config, installed=yasgui_installed(request),
        examples=config["examples"],
    )
    return respond(request, body, fmt, headers={"Cache-Control": "no-cache"})


@router.api_route("/editor/prefixes.json", methods=READ)
async def editor_prefixes(request: Request) -> Response:
    """Our prefix map ({prefix: namespace}), which the editor's prefix completion reads."""
    body = json.dumps(request.app.state.prefixes, sort_keys=True, indent=1).encode("utf-8")
    return Response(body, media_type="application/json", headers={"Cache-Control": "public, max-age=300"})


# --- the reader ----------------------------------------------------------------------------------


def reader_anchor(links: Links, start: int | str, end: int | str) -> str:
    """The reader's URL for one passage (the anchor every fact page links back to)."""
    return links.url(f"reader#passage-{int(start)}-{int(end)}")


@router.api_route("/reader", methods=READ)
async def reader(request: Request, links: Links = Depends(request_links)) -> Response:
    fmt = choose(request, ("html",))
    lang = page_language(request)
    source = links.iri(TEXT_PATH)
    text = await source_text(request, source)
    if text is None:
        raise Problem(404, f"the build has no text for <{source}>")
    passages = await passages_of(request, source, links, lang)
    start = text.find("Report to the Foreign Office")
    paragraphs = segment(text, passages, start if start >= 0 else 0)
    counts = {k: sum(1 for p in passages if k in p.kinds) for k in ("fact", "mention", "insertion", "sic")}
    body = render(
        request, "reader.html", links=links, paragraphs=paragraphs, counts=counts, total=len(passages),
        source=source, lang=lang,
    )
    return respond(request, body, fmt, vary="Accept, Accept-Language", tag=lang)


# --- citations -----------------------------------------------------------------------------------

DATASET = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?dataset ?title ?creator ?publisher ?license ?version ?date WHERE {
  ?dataset dcterms:title ?title .
  OPTIONAL { ?dataset dcterms:creator ?c . ?c skos:prefLabel|rdfs:label ?creator . FILTER(langMatches(lang(?creator), "en")) }
  OPTIONAL { ?dataset dcterms:publisher ?p . ?p skos:prefLabel|rdfs:label ?publisher . FILTER(langMatches(lang(?publisher), "en")) }
  OPTIONAL { ?dataset dcterms:license ?license }
  OPTIONAL { ?dataset dcat:version ?version }
  OPTIONAL { ?dataset dcterms:issued|dcterms:modified ?date }
} LIMIT 1"""

FACT_PASSAGES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?fact ?start ?end WHERE {
  ?fact prov:wasDerivedFrom ?passage . ?passage oa:hasSelector ?position .
  ?position oa:start ?start ; oa:end ?end .
} ORDER BY ?start"""


async def dataset_info(request: Request) -> citation.DatasetInfo:
    state = request.app.state
    rows = await select(request, DATASET, (("dataset", str(state.iris.dataset)),))
    row = rows[0] if rows else {}

    def text(key: str, default: str = "") -> str:
        return row[key].value if key in row else default

    date = text("date")
    return citation.DatasetInfo(
        iri=str(state.iris.dataset),
        title=text("title", "kg: the 1959 report knowledge graph"),
        creator=text("creator", "kg project"),
        publisher=text("publisher", text("creator", "kg project")),
        version=text("version", state.build.version),
        license=text("license", "https://creativecommons.org/licenses/by/4.0/"),
        year=date[:4] if date[:4].isdigit() else None,
    )


async def fact_info(request: Request, iri: str, label: str) -> citation.FactInfo:
    rows = await select(request, FACT_PASSAGES, (("fact", iri),))
    return citation.FactInfo(iri, label, tuple((int(r["start"].value), int(r["end"].value)) for r in rows))


@router.api_route("/cite", methods=READ)
async def cite(request: Request, links: Links = Depends(request_links)) -> Response:
    """``/cite?format=bibtex|csl-json[&iri=<an IRI of this dataset>]``: the dataset, or one fact of it."""
    what = request.query_params.get("format", "bibtex")
    if what not in ("bibtex", "csl-json"):
        raise Problem(400, f"format={what[:40]!r}: use bibtex or csl-json")
    ds = await dataset_info(request)
    iri = request.query_params.get("iri")
    if iri is None or iri == ds.iri:
        body = citation.dataset_bibtex(ds) if what == "bibtex" else citation.csl_text([citation.dataset_csl(ds)])
    else:
        if not links.owns(iri):
            raise Problem(404, f"<{iri[:300]}> is not an IRI of this dataset")
        try:
            NamedNode(iri)
        except ValueError:
            raise Problem(404, "not an IRI this dataset mints") from None
        names = await labels_of(request, {iri})
        if not names.all(iri) and not await select(request, "SELECT ?s ?p WHERE { ?s ?p ?o } LIMIT 1", (("s", iri),)):
            raise Problem(404, f"<{iri[:300]}> is not described in this dataset")
        fact = await fact_info(request, iri, names.name(iri) or iri)
        body = citation.fact_bibtex(fact, ds) if what == "bibtex" else citation.csl_text([citation.fact_csl(fact, ds)])
    media = "application/x-bibtex" if what == "bibtex" else "application/vnd.citationstyles.csl+json"
    headers = {"Cache-Control": "public, max-age=300", "Content-Disposition": "inline"}
    return Response(body.encode("utf-8"), media_type=f"{media}; charset=utf-8", headers=headers)


# --- the landing page ---------------------------------------------------------------------------

COUNTS = """PREFIX crm: <http://www.cidoc-crm.org/cidoc-crm/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: {kg}
SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  {{ VALUES (?what ?class) {{
       ("events" crm:E7_Activity) ("people" foaf:Person) ("organizations" org:Organization)
       ("organizations" org:FormalOrganization) ("organizations" org:OrganizationalUnit)
       ("organizations" org:OrganizationalCollaboration) ("organizations" foaf:Organization)
       ("places" crm:E53_Place) ("figures" qb:Observation) ("passages" oa:SpecificResource)
       ("concepts" skos:Concept) ("proposals" kg:Proposal) ("assessments" kg:ReportedAssessment) }}
     ?x a ?class }}
  UNION {{ BIND("facts" AS ?what) ?a oa:motivatedBy oa:describing ; oa:hasBody ?x }}
  UNION {{ BIND("insertions" AS ?what) ?x oa:motivatedBy oa:editing }}
}} GROUP BY ?what"""


@dataclass
class Count:
    key: str
    label: str
    n: int
    query: str  # a SPARQL query listing them, for the editor link


COUNT_LABELS = {
    "facts": ("statements tied to a passage", "SELECT ?fact WHERE { ?a oa:motivatedBy oa:describing ; oa:hasBody ?fact }"),
    "passages": ("passages of the text", "SELECT ?passage WHERE { ?passage a oa:SpecificResource }"),
    "insertions": ("translators' insertions and [sic]", "SELECT ?a ?label WHERE { ?a oa:motivatedBy oa:editing ; skos:prefLabel ?label }"),
    "events": ("events", "SELECT ?event ?label WHERE { ?event a crm:E7_Activity ; skos:prefLabel ?label FILTER(lang(?label) = 'en') }"),
    "figures": ("stated and derived figures (Data Cube observations)", "SELECT ?obs WHERE { ?obs a qb:Observation }"),
    "people": ("people", "SELECT ?person ?label WHERE { ?person a foaf:Person ; rdfs:label|skos:prefLabel ?label }"),
    "organizations": ("organizations", "SELECT DISTINCT ?org ?label WHERE { VALUES ?class { org:Organization org:FormalOrganization org:OrganizationalUnit org:OrganizationalCollaboration foaf:Organization } ?org a ?class ; skos:prefLabel ?label FILTER(lang(?label) = 'en') }"),
    "places": ("places", "SELECT ?place ?label WHERE { ?place a crm:E53_Place ; skos:prefLabel ?label FILTER(lang(?label) = 'en') }"),
    "proposals": ("proposals", "SELECT ?proposal WHERE { ?proposal a kg:Proposal }"),
    "assessments": ("reported assessments", "SELECT ?assessment WHERE { ?assessment a kg:ReportedAssessment }"),
    "concepts": ("SKOS concepts", "SELECT ?concept WHERE { ?concept a skos:Concept }"),
}


def prefixed_query(prefixes: dict[str, str], body: str) -> str:
    used = [p for p in sorted(prefixes) if f"{p}:" in body]
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in used) + body


async def counts(request: Request) -> list[Count]:
    state = request.app.state
    query = COUNTS.format(kg=str(NamedNode(str(state.iris.kg))))
    found = {r["what"].value: int(r["n"].value) for r in await select(request, query)}
    return [
        Count(key, label, found.get(key, 0), prefixed_query(state.prefixes, q))
        for key, (label, q) in COUNT_LABELS.items()
    ]


async def home_extras(request: Request, links: Links) -> dict:
    """What the landing page shows: counts, citations, the figures chart and the timeline."""
    lang = page_language(request)
    ds = await dataset_info(request)
    figures = await province_figures(request, links, lang)
    events = await dated_events(request, links, lang)
    example_fact = links.iri("id/event/state-council-instruction-1959-01-18")
    fact_label = (await labels_of(request, {example_fact})).name(example_fact) or example_fact
    fact = await fact_info(request, example_fact, fact_label)
    return {
        "lang": lang,
        "dataset": ds,
        "counts": await counts(request),
        "bibtex": citation.dataset_bibtex(ds),
        "csl": citation.csl_text([citation.dataset_csl(ds)]),
        "fact": fact,
        "fact_href": links.href(example_fact),
        "fact_bibtex": citation.fact_bibtex(fact, ds),
        "fact_csl": citation.csl_text([citation.fact_csl(fact, ds)]),
        "source_bibtex": citation.source_bibtex(),
        "source_csl": citation.csl_text([citation.source_csl()]),
        "chart": bar_panels(figures.panels, f"{figures.population}, per province, as the report states") if figures else "",
        "chart_population": figures.population if figures else "",
        "chart_population_href": figures.population_href if figures else "",
        "timeline": timeline_svg(events, "Every dated event in the report, at its stated precision"),
        "examples": len(catalog_entries(request)),
    }


# --- entity pages --------------------------------------------------------------------------------

MENTIONS = """PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT DISTINCT ?entity ?passage ?start ?end ?exact ?motivation WHERE {
  ?annotation oa:hasBody ?entity ; oa:hasTarget ?passage ; oa:motivatedBy ?motivation .
  ?passage oa:hasSelector ?quote , ?position .
  ?quote oa:exact ?exact . ?position oa:start ?start ; oa:end ?end .
} ORDER BY ?start"""

MENTIONED_IN_FACTS = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?entity ?fact ?start ?end ?exact WHERE {
  { ?fact ?p ?entity } UNION { ?entity ?p ?fact }
  ?annotation oa:motivatedBy oa:describing ; oa:hasBody ?fact ; oa:hasTarget ?passage .
  ?passage oa:hasSelector ?quote , ?position .
  ?quote oa:exact ?exact . ?position oa:start ?start ; oa:end ?end .
  FILTER(?fact != ?entity)
} ORDER BY ?start LIMIT 60"""


async def entity_extras(request: Request, iri: str, links: Links, labels: list[tuple[str, str]]) -> dict:
    """What an entity page shows beyond its triples: the title in the reader's language, where the text
    mentions it, its dated events on a timeline, the province figures chart, and how to cite it."""
    lang = page_language(request)
    title = pick_label(labels, lang)
    mentions = []
    for r in await select(request, MENTIONS, (("entity", iri),)):
        start, end = int(r["start"].value), int(r["end"].value)
        mentions.append({
            "start": start, "end": end, "exact": r["exact"].value,
            "kind": "fact" if r["motivation"].value.endswith("#describing") else
                    "insertion" if r["motivation"].value.endswith("#editing") else "mention",
            "href": reader_anchor(links, start, end),
        })
    related = []
    rows = await select(request, MENTIONED_IN_FACTS, (("entity", iri),))
    if rows:
        names = await labels_of(request, {r["fact"].value for r in rows})
        for r in rows:
            start, end = int(r["start"].value), int(r["end"].value)
            label = pick_label(names.all(r["fact"].value), lang)
            related.append({
                "href": links.href(r["fact"].value),
                "label": label.text if label else names.name(r["fact"].value) or r["fact"].value,
                "lang": label.lang if label else "",
                "exact": r["exact"].value,
                "reader": reader_anchor(links, start, end),
            })
    events = await dated_events(request, links, lang, related_to=iri)
    figures = await province_figures(request, links, lang, highlight=iri)
    chart = ""
    charted = {links.iri(FIGURES_DATASET), links.iri(POPULATION)} | figures.areas if figures else set()
    if figures and (iri in charted or any(b.href == links.href(iri) for p in figures.panels for b in p.bars)):
        for panel in figures.panels:
            for bar in panel.bars:
                bar.highlight = bar.highlight or bar.href == links.href(iri)
        chart = bar_panels(figures.panels, f"{figures.population}, per province, as the report states")
    ds = await dataset_info(request)
    fact = await fact_info(request, iri, title.text if title else iri)
    return {
        "lang": lang,
        "title": title.text if title else None,
        "title_lang": title.lang if title else "",
        "mentions": mentions,
        "related": related,
        "timeline": timeline_svg([e for e in events], "Dated events; those linked to this page are highlighted"),
        "chart": chart,
        "chart_population": figures.population if figures else "",
        "bibtex": citation.fact_bibtex(fact, ds),
        "csl": citation.csl_text([citation.fact_csl(fact, ds)]),
        "cite_href": links.url("cite") + "?format=bibtex&iri=" + _quote(iri),
        "cite_csl_href": links.url("cite") + "?format=csl-json&iri=" + _quote(iri),
    }


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# --- statements grouped --------------------------------------------------------------------------

GROUPS = (
    ("What it is", ("rdf-syntax-ns#type", "P2_has_type", "skos/core#prefLabel", "skos/core#altLabel", "rdf-schema#label",
                    "dc/terms/type", "org#classification", "skos/core#inScheme", "skos/core#definition",
                    "dc/terms/description", "skos/core#note", "rdf-schema#comment", "dc/terms/title")),
    ("When and where", ("P4_has_time-span", "P7_took_place_at", "P89_falls_within", "containsPlace",
                        "refArea", "refPeriod", "dc/terms/date", "P82a", "P82b", "date_document")),
    ("Who", ("P14_carried_out_by", "addressee", "sender", "recipient", "author", "creator", "translator",
             "publisher", "unitOf", "subOrganizationOf", "hasMember", "memberOf", "passed_by", "funder",
             "assertedBy", "toBeApprovedBy", "toBeImplementedBy")),
    ("Why and in what context", ("P17_was_motivated_by", "causedBy", "P9i_forms_part_of", "P9_consists_of", "dc/terms/subject",
                                 "concerns", "motive", "measure")),
    ("Figures", ("cube#", "ontology/kg#households", "ontology/kg#persons", "approximatePersons",
                 "laborersPerHousehold", "shareOfPersons", "statedAs", "epistemicMarker", "population",
                 "scopeNote")),
    ("Evidence and sources", ("wasDerivedFrom", "hadPrimarySource", "wasQuotedFrom", "oa#", "dc/terms/source",
                              "bibliographicCitation", "citesAsAuthority", "isPartOf", "rdf-syntax-ns#value")),
    ("Same as elsewhere", ("exactMatch", "closeMatch", "sameAs", "homepage", "foaf/0.1/page")),
)


def group_props(props: list) -> list[tuple[str, list]]:
    """The statements of an entity page in groups a reader expects (what, when and where, who, figures,
    evidence, authority links, the rest), each property once, order kept inside a group."""
    groups: dict[str, list] = {name: [] for name, _ in GROUPS}
    rest: list = []
    for p in props:
        for name, keys in GROUPS:
            if any(k in p.iri for k in keys):
                groups[name].append(p)
                break
        else:
            rest.append(p)
    out = [(name, items) for name, items in groups.items() if items]
    if rest:
        out.append(("Other statements", rest))
    return out



def prefer_language(request: Request, names):
    """``names`` (a view.Names) with every IRI's labels in the reader's language first, so that each
    label a page shows follows the reader's choice (English when a thing has no label in it)."""
    lang = page_language(request)
    return type(names)({iri: prefer(values, lang) for iri, values in names.labels.items()}, names.prefixes)
