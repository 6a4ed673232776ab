"""Entity reconciliation (the W3C Entity Reconciliation Community Group's API, version 0.2, which OpenRefine
speaks) at ``/reconcile``: the service manifest, query batches by name with type filters, preview and
entity suggest.

Candidates are the things the dataset describes under ``<base>id/``; their identifiers are the paths after
that (``place/jilin``), so ``identifierSpace`` + id is the IRI. Names are every ``skos:prefLabel``,
``skos:altLabel`` and ``rdfs:label`` in every language (English, Chinese, Korean, and the romanisation
variants the data records as alternative labels); a query is compared with each after folding case, width,
diacritics, spaces and punctuation (``Ch'ŏngjin`` = ``chongjin``, ``Yan-bian`` = ``Yanbian``). The best
label decides the score: 100 for the same folded name, else the similarity of the folded strings (0–99),
with a bonus for a prefix and at least 50 for a name inside a longer one; below 50 is not a candidate; ``match`` is true only for a candidate with score 100 that no other
candidate ties.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..i18n import choose_language
from ..links import Links, request_links
from ..render import Problem
from ..view import select
from . import extend as extension
from .extend import expand

router = APIRouter()
READ = ["GET", "HEAD", "OPTIONS"]
SKOS = "http://www.w3.org/2004/02/skos/core#"
LABELS = f"""SELECT ?s ?label ?kind WHERE {{
  ?s ?kind ?label .
  VALUES ?kind {{ <{SKOS}prefLabel> <{SKOS}altLabel> <http://www.w3.org/2000/01/rdf-schema#label> }}
  FILTER(isIRI(?s) && isLITERAL(?label))
}}"""
TYPES = "SELECT ?s ?type WHERE { ?s a ?type FILTER(isIRI(?s) && isIRI(?type)) }"
NOTES = f"""SELECT ?s ?note WHERE {{
  ?s ?p ?note . VALUES ?p {{ <{SKOS}definition> <{SKOS}scopeNote> <{SKOS}note> <http://purl.org/dc/terms/description> }}
  FILTER(isIRI(?s) && LANGMATCHES(LANG(?note), "en"))
}} ORDER BY ?s ?p ?note"""
MAX_LIMIT = 100
MAX_QUERIES = 100  # queries in one batch


def fold(text: str) -> str:
    """A name reduced for comparison: compatibility forms, no diacritics, lower case, letters and digits
    only (Chinese and Korean characters stay)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in unicodedata.normalize("NFKC", kept).casefold() if c.isalnum())


@dataclass
class Entity:
    iri: str
    id: str
    labels: list[tuple[str, str, str]] = field(default_factory=list)  # (text, language, property)
    types: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def name(self) -> str:
        def rank(label):
            text, lang, kind = label
            return (kind != SKOS + "prefLabel", lang != "en", text)
        return min(self.labels, key=rank)[0] if self.labels else self.id


@dataclass
class Index:
    entities: dict[str, Entity]  # by id
    folded: list[tuple[str, Entity]]  # (folded label, entity), sorted


async def index(request: Request) -> Index:
    """Every labelled thing under <base>id/, read once per server through the engine."""
    state = request.app.state
    if getattr(state, "reconcile_index", None) is not None:
        return state.reconcile_index
    space = state.build.base_iri + "id/"
    entities: dict[str, Entity] = {}
    for row in await select(request, LABELS):
        iri = row["s"].value
        if not iri.startswith(space):
            continue
        e = entities.setdefault(iri[len(space):], Entity(iri, iri[len(space):]))
        e.labels.append((row["label"].value, row["label"].language or "", row["kind"].value))
    for row in await select(request, TYPES):
        e = entities.get(row["s"].value[len(space):]) if row["s"].value.startswith(space) else None
        if e is not None and row["type"].value not in e.types:
            e.types.append(row["type"].value)
    for row in await select(request, NOTES):
        e = entities.get(row["s"].value[len(space):]) if row["s"].value.startswith(space) else None
        if e is not None and e.note is None:
            e.note = row["note"].value
    folded = sorted(((fold(t), e) for e in entities.values() for t, _, _ in e.labels if fold(t)),
                    key=lambda x: (x[0], x[1].id))
    state.reconcile_index = Index(entities, folded)
    return state.reconcile_index


def _type_obj(iri: str, prefixes: dict[str, str]) -> dict:
    for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return {"id": iri, "name": f"{prefix}:{iri[len(ns):]}"}
    return {"id": iri, "name": iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]}


def score(query: str, e: Entity) -> tuple[float, str]:
    """(score 0–100, the label that gave it)."""
    q = fold(query)
    best, which = 0.0, ""
    for text, _, _ in e.labels:
        f = fold(text)
        if not f or not q:
            continue
        if f == q:
            return 100.0, text
        s = SequenceMatcher(None, q, f).ratio() * 99
        if f.startswith(q) or q.startswith(f):
            s = min(99.0, s + 10)
        if q in f:  # the name inside a longer one ("Jilin" in "People's Committee of Jilin Province")
            s = max(s, 50 + 40 * len(q) / len(f))
        if s > best:
            best, which = s, text
    return round(best, 1), which


def reconcile(idx: Index, q: dict, prefixes: dict[str, str]) -> list[dict]:
    text = q.get("query")
    if not isinstance(text, str) or not text.strip():
        if q.get("properties"):
            return []  # properties alone: nothing to match on (no property is offered)
        raise Problem(400, "each reconciliation query needs a non-empty 'query' string")
    limit = q.get("limit", 10)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise Problem(400, f"'limit' must be a positive integer, not {json.dumps(limit)[:40]}")
    types = q.get("type") or []
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise Problem(400, "'type' must be a type id or an array of type ids")
    wanted = {expand(t, prefixes) for t in types}
    strict = q.get("type_strict", "any")
    if strict not in ("any", "all", "should"):
        raise Problem(400, f"'type_strict' must be 'any', 'all' or 'should', not {json.dumps(strict)[:40]}")
    by_id = idx.entities.get(text.strip().removeprefix(idx_space(idx)))
    out = []
    for e in idx.entities.values():
        if wanted and strict == "any" and not wanted & set(e.types):
            continue
        if wanted and strict == "all" and not wanted <= set(e.types):
            continue
        s, label = (100.0, e.id) if e is by_id else score(text, e)
        if wanted and strict == "should" and not wanted & set(e.types):
            s = round(s * 0.8, 1)
        if s < 50:
            continue
        out.append((s, e, label))
    out.sort(key=lambda x: (-x[0], x[1].name, x[1].id))
    out = out[: min(limit, MAX_LIMIT)]
    top = [x for x in out if x[0] == 100.0]
    return [{
        "id": e.id,
        "name": e.name,
        "description": e.note or "",
        "type": [_type_obj(t, prefixes) for t in sorted(e.types)],
        "score": s,
        "match": len(top) == 1 and top[0][1] is e,
        "features": [{"id": "name_similarity", "value": s}],
    } for s, e, label in out]


def idx_space(idx: Index) -> str:
    for e in idx.entities.values():
        return e.iri[: len(e.iri) - len(e.id)]
    return ""


def manifest(request: Request, links: Links) -> dict:
    state = request.app.state
    prefixes = state.prefixes
    default_types = [_type_obj(prefixes.get(p, "") + local, prefixes) for p, local in (
        ("crm", "E53_Place"), ("org", "FormalOrganization"), ("foaf", "Person"), ("crm", "E7_Activity"),
        ("skos", "Concept"), ("qb", "Observation")) if p in prefixes]
    return {
        "versions": ["0.2"],
        "name": "kg 1959: places, organizations, people, events and concepts of the 1959 report",
        "identifierSpace": state.build.base_iri + "id/",
        "schemaSpace": state.build.base_iri + "ontology/kg#",
        "defaultTypes": default_types,
        "view": {"url": links.url("id/{{id}}")},
        "preview": {"url": links.url("reconcile/preview?id={{id}}"), "width": 400, "height": 160},
        "suggest": {"entity": {"service_url": links.url("reconcile"), "service_path": "/suggest/entity"}},
        "extend": extension.manifest_part(links),
        "documentation": links.url("") + "#reconciliation",
    }


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1) + "\n", status_code=status,
                    media_type="application/json", headers={"Cache-Control": "public, max-age=300"})


@router.api_route("/reconcile", methods=["GET", "HEAD", "POST", "OPTIONS"])
async def service(request: Request, links: Links = Depends(request_links)) -> Response:
    """The manifest (no ``queries`` or ``extend``), the results of a query batch (``queries``), or a data
    extension (``extend``, kg.web.services.extend): each a GET parameter or an
    ``application/x-www-form-urlencoded`` POST field, JSON."""
    raw = request.query_params.get("queries")
    raw_extend = request.query_params.get("extend")
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise Problem(415, "send the query batch as the form field 'queries', or a data extension as the "
                               "form field 'extend' (application/x-www-form-urlencoded)")
        async with request.form(max_files=0, max_fields=4, max_part_size=request.app.state.settings.max_query_bytes) as form:
            value, value_extend = form.get("queries"), form.get("extend")
            raw = value if isinstance(value, str) else None
            raw_extend = value_extend if isinstance(value_extend, str) else None
        if raw is None and raw_extend is None:
            raise Problem(400, "the form has neither a 'queries' nor an 'extend' field")
    if raw is not None and raw_extend is not None:
        raise Problem(400, "send either 'queries' (reconciliation) or 'extend' (data extension), not both")
    if raw_extend is not None:
        return await extension.extend(request, raw_extend, await index(request))
    if raw is None:
        return _json(manifest(request, links))
    try:
        batch = json.loads(raw)
    except json.JSONDecodeError as err:
        raise Problem(400, f"'queries' is not JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    if not isinstance(batch, dict) or not all(isinstance(v, dict) for v in batch.values()):
        raise Problem(400, "'queries' must be a JSON object of query objects, e.g. {\"q0\": {\"query\": \"Jilin\"}}")
    if len(batch) > MAX_QUERIES:
        raise Problem(413, f"{len(batch)} queries in one batch; at most {MAX_QUERIES}")
    idx = await index(request)
    prefixes = request.app.state.prefixes
    return _json({key: {"result": reconcile(idx, q, prefixes)} for key, q in batch.items()})


@router.api_route("/reconcile/suggest/entity", methods=READ)
async def suggest(request: Request) -> Response:
    prefix = request.query_params.get("prefix", "")
    try:
        cursor = int(request.query_params.get("cursor", "0") or 0)
    except ValueError:
        raise Problem(400, "'cursor' must be a whole number") from None
    idx = await index(request)
    p = fold(prefix)
    seen, found = set(), []
    if prefix.strip() in idx.entities:
        found.append(idx.entities[prefix.strip()])
        seen.add(prefix.strip())
    for f, e in idx.folded:
        if p and f.startswith(p) and e.id not in seen:
            seen.add(e.id)
            found.append(e)
    found = found[max(cursor, 0): max(cursor, 0) + 10]
    prefixes = request.app.state.prefixes
    # the names in the language the client asks for (the editor's completion asks for its page's)
    lang = choose_language(None, request.headers.get("accept-language"))
    response = _json({"result": [{"id": e.id, "name": extension.entity_name(e, lang), "description": e.note or "",
                                  "notable": [_type_obj(t, prefixes) for t in sorted(e.types)]} for e in found]})
    response.headers["Vary"] = "Accept-Language"
    return response


@router.api_route("/reconcile/preview", methods=READ)
async def preview(request: Request, links: Links = Depends(request_links)) -> Response:
    """A small HTML summary of one entity for an iframe: its labels in every language, types, note."""
    idx = await index(request)
    e = idx.entities.get(request.query_params.get("id", ""))
    if e is None:
        raise Problem(404, "no entity with this id; ids are paths under the identifierSpace, e.g. place/jilin")
    labels = "".join(f'<li lang="{escape(lang)}">{escape(text)}{f" <small>({escape(lang)})</small>" if lang else ""}</li>'
                     for text, lang, _ in sorted(e.labels, key=lambda x: (x[2] != SKOS + "prefLabel", x[1], x[0])))
    types = ", ".join(escape(_type_obj(t, request.app.state.prefixes)["name"]) for t in sorted(e.types))
    body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(e.name)}</title></head>'
            f'<body style="font:13px sans-serif;margin:4px"><a href="{escape(links.href(e.iri))}" target="_blank">'
            f'<strong>{escape(e.name)}</strong></a> <small>{types}</small><ul style="margin:2px 0">{labels}</ul>'
            f'{f"<p>{escape(e.note)}</p>" if e.note else ""}</body></html>')
    return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})
