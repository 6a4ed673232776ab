"""The visual query builder: Sparnatural (npm ``sparnatural``, served from ``node_modules`` under ``/vendor/``)
configured from our shapes (``kg.query_builder``), in the reader's language, running its queries on our own
endpoint and showing the rows in the page, with the SPARQL one click away in the editor.

- ``GET /builder``: the page;
- ``GET /builder/config.ttl``: the Sparnatural configuration, made from the shapes, the labels and what the
  graph holds (the same bytes for the same build);
- ``GET /vendor/sparnatural/sparnatural.<lang>.js``: Sparnatural with its own words (Any, And, Select a
  value…) in Chinese or Korean. Sparnatural has its words in English and French only, as one JSON literal
  in its bundle that it uses for every language but French; this is the installed bundle with that literal
  in ``lang`` (``sparnatural-labels.json``; a format code such as ``dd-mm-yyyy`` stays as it is).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode

from ...query_builder import LANGUAGES, OFFERED, PATHS_QUERY, USAGE_QUERY, Usage, configuration, local_name, turtle
from ..links import Links, request_links
from ..i18n import DEFAULT, OFFERED as PAGE_LANGUAGES
from ..render import Problem, choose, page_language, render, respond
from ..view import select
from .workbench import VENDOR, VENDOR_CACHE, node_modules

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
TURTLE = "text/turtle; charset=utf-8"
LABELS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE { GRAPH ?g { ?term rdfs:label ?label } }
"""


CHROME_LABELS = Path(__file__).parents[1] / "sparnatural-labels.json"
ENGLISH_LITERAL = """JSON.parse('{"Where":"Where","""  # how the bundle's English words begin


def bundle(request: Request) -> Path:
    return node_modules(request) / VENDOR["sparnatural"] / "sparnatural.js"


def installed(request: Request) -> bool:
    return bundle(request).is_file()


@router.api_route("/builder", methods=READ)
async def builder(request: Request, links: Links = Depends(request_links)) -> Response:
    fmt = choose(request, ("html",))
    lang = page_language(request).lower()  # as the store gives tags back, which Sparnatural compares with
    labels = term_labels(request)
    # Sparnatural names a result column after the kind of thing (E7_Activity_1): the page heads it with its name
    columns = {local_name(c).replace("-", "_"): (labels.get(c, {}).get(lang) or labels.get(c, {}).get("en") or local_name(c))
               for c in OFFERED}
    script = "vendor/sparnatural/sparnatural.js" if lang == DEFAULT else f"vendor/sparnatural/sparnatural.{lang}.js"
    body = render(request, "builder.html", links=links, installed=installed(request), builder_lang=lang,
                  config_url=links.url("builder/config.ttl"), columns=columns, script_url=links.url(script))
    return respond(request, body, fmt)


# (this router is included before the workbench's, whose /vendor/{package}/{path} would serve the files on disk)
@router.api_route("/vendor/sparnatural/sparnatural.{lang}.js", methods=READ)
async def translated_bundle(lang: str, request: Request) -> Response:
    wanted = {tag.lower(): tag for tag in PAGE_LANGUAGES if tag != DEFAULT}.get(lang)
    if wanted is None:
        raise Problem(404, f"Sparnatural is served in {', '.join(t.lower() for t in PAGE_LANGUAGES)}, not {lang[:20]!r}")
    if not installed(request):
        raise Problem(404, f"{VENDOR['sparnatural']} is not installed: run `make setup` (npm ci)")
    labels = json.loads(CHROME_LABELS.read_text(encoding="utf-8"))
    try:
        text = in_language(bundle(request).read_text(encoding="utf-8"), wanted, labels)
    except ValueError as err:
        raise Problem(500, f"the installed Sparnatural cannot be translated: {err}") from None
    return Response(text, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": VENDOR_CACHE})


def in_language(bundle_text: str, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """The bundle with its English words (the JSON literal its I18n falls back to) in ``lang``; a word kg
    has no translation for stays English. ValueError when the bundle does not hold that literal once."""
    start = bundle_text.find(ENGLISH_LITERAL)
    if start < 0 or bundle_text.find(ENGLISH_LITERAL, start + 1) >= 0:
        raise ValueError("its English words are not one JSON literal beginning " + ENGLISH_LITERAL)
    begin = start + len("JSON.parse('")
    end = bundle_text.find("}')", begin) + 1
    english = json.loads(_js_string(bundle_text[begin:end]))
    words = {key: labels.get(key, {}).get(lang, text) for key, text in english.items()}
    literal = json.dumps(words, ensure_ascii=True, separators=(",", ":")).replace("\\", "\\\\").replace("'", "\\'")
    return bundle_text[:begin] + literal + bundle_text[end:]


def _js_string(source: str) -> str:
    """The value of a single-quoted JavaScript string's body that escapes only backslashes and quotes."""
    return re.sub(r"\\([\\'\"])", r"\1", source)


@router.api_route("/builder/config.ttl", methods=READ)
async def builder_config(request: Request, links: Links = Depends(request_links)) -> Response:
    body = await config_turtle(request, links)
    return Response(body, media_type=TURTLE, headers={"Cache-Control": "public, max-age=300"})


async def config_turtle(request: Request, links: Links) -> bytes:
    state = request.app.state
    shapes = str(state.iris.shapes)
    paths = [(r["cls"].value, r["path"].value, r["datatype"].value if r["datatype"] else None)
             for r in state.vocab.query(PATHS_QUERY, default_graph=[NamedNode(shapes)])]
    usage = [Usage(r["cls"].value, r["predicate"].value, r["range"].value, r["literal"].value == "true")
             for r in await select(request, USAGE_QUERY)]
    return turtle(configuration(paths, usage, term_labels(request), links.iri("builder/config.ttl#")))


def term_labels(request: Request) -> dict[str, dict[str, str]]:
    """{term IRI: {language: label}}: kg's terms from the ontology, others from the pages' display labels."""
    labels: dict[str, dict[str, str]] = {}
    for r in request.app.state.vocab.query(LABELS_QUERY):
        lang = r["label"].language
        if lang in LANGUAGES:
            labels.setdefault(r["term"].value, {}).setdefault(lang, r["label"].value)
    return labels
