"""Data extension for reconciliation (Reconciliation Service API 0.2): once a column is matched to kg's
entities, a client such as OpenRefine adds columns of their property values.

- ``GET /reconcile/properties?type=T&limit=N``: the properties that make sense for entities of type ``T``
  (those that at least one such entity has in the data, the most used first), and two dates read through
  the time-span of events (``crm:P4_has_time-span/…``). Without ``type``, every property of the entities.
- ``/reconcile`` with ``extend`` (a GET parameter or a form field, JSON ``{"ids": [...], "properties":
  [{"id": ..., "settings": {...}}]}``): every id × property. Entities of kg come back as ``{id, name}``
  with the name in the requested language, dates (``xsd:dateTime``, ``xsd:date``) as ``date``, whole
  numbers as ``int``, other numbers as ``float``, everything else (text, IRIs outside kg such as Wikidata
  entities) as ``str``.

Property ids are prefixed names (``skos:prefLabel``, ``crm:P7_took_place_at``), full IRIs are accepted too,
and a path of two is written with ``/``. Settings (``property_settings`` in the manifest): ``lang`` (which
language tagged text and entity names to give: ``en``, ``zh-Hans``, ``ko`` or ``*`` for every language;
default ``en``) and ``limit`` (at most this many values per cell; 0, the default, for all). An id kg does
not know gets empty cells; a property that no entity has is a 400 naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import Literal, NamedNode

from ..render import Problem
from ..view import labels_of, select, values_block

router = APIRouter()
XSD = "http://www.w3.org/2001/XMLSchema#"
CRM = "http://www.cidoc-crm.org/cidoc-crm/"
INTEGERS = {XSD + t for t in ("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
                              "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
                              "unsignedShort", "unsignedByte")}
FLOATS = {XSD + t for t in ("decimal", "double", "float")}
LANGUAGES = ("en", "zh-Hans", "ko")
MAX_IDS = 500
MAX_PROPERTIES = 50
# two-step paths offered beside the predicates: an event's dates, through its time-span
DERIVED = {
    (CRM + "P4_has_time-span", CRM + "P82a_begin_of_the_begin"): ("begin date", "the earliest moment of the time-span"),
    (CRM + "P4_has_time-span", CRM + "P82b_end_of_the_end"): ("end date", "the latest moment of the time-span"),
}
SETTINGS = [
    {"name": "lang", "label": "Language", "type": "select", "default": "en",
     "help_text": "the language of text values and of the names of entities; * for every language",
     "choices": [{"value": "en", "name": "English"}, {"value": "zh-Hans", "name": "Chinese (simplified)"},
                 {"value": "ko", "name": "Korean"}, {"value": "*", "name": "every language"}]},
    {"name": "limit", "label": "Limit", "type": "number", "default": 0,
     "help_text": "at most this many values per cell; 0 for all"},
]


def manifest_part(links) -> dict:
    """The manifest's ``extend`` member."""
    return {"propose_properties": {"service_url": links.url("reconcile"), "service_path": "/properties"},
            "property_settings": SETTINGS}


@dataclass(frozen=True)
class Usage:
    """Which predicates the entities under ``<base>id/`` have: {type IRI: {predicate IRI: entities}}."""

    by_type: dict[str, dict[str, int]]
    everywhere: dict[str, int]


async def usage(request: Request) -> Usage:
    """Read once per server through the engine (the data does not change under it)."""
    state = request.app.state
    if getattr(state, "extend_usage", None) is not None:
        return state.extend_usage
    space = state.build.base_iri + "id/"
    query = ("SELECT ?t ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t ; ?p ?o "
             f"FILTER(isIRI(?s) && isIRI(?t) && STRSTARTS(STR(?s), {json.dumps(space)})) }} GROUP BY ?t ?p")
    by_type: dict[str, dict[str, int]] = {}
    for row in await select(request, query):
        by_type.setdefault(row["t"].value, {})[row["p"].value] = int(row["n"].value)
    spans = ("SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t ; "
             f"<{CRM}P4_has_time-span> ?span FILTER(isIRI(?s) && STRSTARTS(STR(?s), {json.dumps(space)})) }} GROUP BY ?t")
    for row in await select(request, spans):
        for path in DERIVED:
            by_type.setdefault(row["t"].value, {})["/".join(path)] = int(row["n"].value)
    everywhere: dict[str, int] = {}
    for used in by_type.values():
        for p, n in used.items():
            everywhere[p] = max(everywhere.get(p, 0), n)
    state.extend_usage = Usage(by_type, everywhere)
    return state.extend_usage


def expand(name: str, prefixes: dict[str, str]) -> str:
    """A prefixed name's IRI (``crm:E53_Place``); anything else as given."""
    prefix, colon, local = name.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        return prefixes[prefix] + local
    return name


def compact(iri: str, prefixes: dict[str, str]) -> str:
    for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _path_of(pid: str, prefixes: dict[str, str]) -> str:
    """The key of ``Usage`` for a property id: its IRI, or two IRIs joined by ``/`` for a path."""
    if pid.startswith(("http://", "https://")):
        return pid
    return "/".join(expand(step.strip(), prefixes) for step in pid.split("/"))


def _id_of(path: str, prefixes: dict[str, str]) -> str:
    """The property id a proposal gives: prefixed names, joined by ``/`` for a derived path."""
    return "/".join(compact(step, prefixes) for step in _split(path))


def _split(path: str) -> tuple[str, ...]:
    """A derived path's two IRIs (IRIs hold ``/`` themselves, so the path is looked up, not split)."""
    for steps in DERIVED:
        if "/".join(steps) == path:
            return steps
    return (path,)


async def _names(request: Request, paths: list[str]) -> dict[str, tuple[str, str]]:
    """(name, description) of each property: a derived path's own, else the ontology's label in English
    with the prefixed name beside it, else the prefixed name."""
    prefixes = request.app.state.prefixes
    plain = {p for p in paths if _split(p) == (p,)}
    names = await labels_of(request, plain)
    out = {}
    for p in paths:
        steps = _split(p)
        if steps != (p,):
            name, description = DERIVED[steps]
            out[p] = (name, f"{description} ({' / '.join(compact(s, prefixes) for s in steps)})")
            continue
        english = [text for text, lang in names.all(p) if lang in ("en", "")]
        curie = compact(p, prefixes)
        out[p] = (f"{english[0]} ({curie})" if english else curie, p)
    return out


@router.api_route("/reconcile/properties", methods=["GET", "HEAD", "OPTIONS"])
async def propose(request: Request) -> Response:
    """Property proposals for a type (``type``: its id as the manifest's types give it, or an IRI)."""
    prefixes = request.app.state.prefixes
    type_id = request.query_params.get("type")
    raw_limit = request.query_params.get("limit")
    limit = None
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise Problem(400, f"'limit' must be a whole number, not {raw_limit[:40]!r}") from None
        if limit < 0:
            raise Problem(400, "'limit' must not be negative")
    used = await usage(request)
    if type_id:
        counts = used.by_type.get(expand(type_id, prefixes))
        if counts is None:
            raise Problem(400, f"no entity of kg has the type {type_id[:200]!r}; the manifest's defaultTypes "
                               "and the types of reconciliation results name the types there are")
    else:
        counts = used.everywhere
    ranked = sorted(counts, key=lambda p: (-counts[p], compact(p, prefixes)))
    if limit:
        ranked = ranked[:limit]
    names = await _names(request, ranked)
    body = {"properties": [{"id": _id_of(p, prefixes), "name": names[p][0], "description": names[p][1]}
                           for p in ranked]}
    if type_id:
        body["type"] = type_id
    if limit is not None:
        body["limit"] = limit
    return _json(body)


def _json(data) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1) + "\n", media_type="application/json",
                    headers={"Cache-Control": "public, max-age=300"})


@dataclass(frozen=True)
class Wanted:
    id: str  # as the client wrote it, the key of its cells
    path: str  # the IRI, or the derived path's key
    lang: str  # en, zh-Hans, ko or *
    limit: int  # 0 for all


def parse(raw: str, prefixes: dict[str, str], used: Usage) -> tuple[list[str], list[Wanted]]:
    """The ids and the properties of an ``extend`` request, or a 400 saying what is wrong."""
    try:
        query = json.loads(raw)
    except json.JSONDecodeError as err:
        raise Problem(400, f"'extend' is not JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list) \
            or not isinstance(query.get("properties"), list):
        raise Problem(400, "'extend' must be a JSON object with 'ids' (an array of ids) and 'properties' "
                           "(an array of {\"id\": ...}), e.g. {\"ids\": [\"place/jilin\"], \"properties\": "
                           "[{\"id\": \"skos:prefLabel\"}]}")
    ids = query["ids"]
    if not all(isinstance(i, str) for i in ids):
        raise Problem(400, "every id in 'ids' must be a string")
    if len(ids) > MAX_IDS or len(query["properties"]) > MAX_PROPERTIES:
        raise Problem(413, f"{len(ids)} ids and {len(query['properties'])} properties in one request; at most "
                           f"{MAX_IDS} ids and {MAX_PROPERTIES} properties")
    wanted, unknown = [], []
    for prop in query["properties"]:
        if not isinstance(prop, dict) or not isinstance(prop.get("id"), str):
            raise Problem(400, "each property must be an object with a string 'id', e.g. {\"id\": \"skos:prefLabel\"}")
        settings = prop.get("settings") or {}
        if not isinstance(settings, dict):
            raise Problem(400, f"the settings of {prop['id'][:100]!r} must be an object")
        lang = settings.get("lang", "en")
        if lang not in (*LANGUAGES, "*"):
            raise Problem(400, f"setting 'lang' of {prop['id'][:100]!r} must be one of en, zh-Hans, ko or *, "
                               f"not {json.dumps(lang)[:40]}")
        limit = settings.get("limit", 0)
        try:
            limit = int(limit)  # OpenRefine sends numbers as it reads them from its form: "3" or 3
        except (TypeError, ValueError):
            limit = -1
        if limit < 0 or isinstance(settings.get("limit"), bool):
            raise Problem(400, f"setting 'limit' of {prop['id'][:100]!r} must be a whole number, 0 for all")
        if any(w.id == prop["id"] for w in wanted):
            raise Problem(400, f"the property {prop['id'][:100]!r} is asked for twice; each property once")
        path = _path_of(prop["id"], prefixes)
        if path not in used.everywhere:
            unknown.append(prop["id"])
        wanted.append(Wanted(prop["id"], path, lang, limit))
    if unknown:
        raise Problem(400, "no entity of kg has the propert" + ("y " if len(unknown) == 1 else "ies ")
                      + ", ".join(repr(u[:100]) for u in unknown)
                      + "; GET /reconcile/properties lists those there are")
    return ids, wanted


def _lang_ok(literal: Literal, lang: str) -> bool:
    if lang == "*" or not literal.language:
        return True
    return literal.language.lower() == lang.lower() or literal.language.lower().startswith(lang.lower() + "-")


def entity_name(entity, lang: str) -> str:
    """The entity's name in ``lang`` (its preferred label there, else any label there), else its name."""
    if lang != "*":
        for preferred in (True, False):
            for text, language, kind in entity.labels:
                if language.lower() == lang.lower() and (kind.endswith("#prefLabel") or not preferred):
                    return text
    return entity.name


def cell_value(term, want: Wanted, entities: dict, space: str) -> dict | None:
    """One value as the API writes it, or None when the setting leaves it out."""
    if isinstance(term, NamedNode):
        local = term.value[len(space):] if term.value.startswith(space) else None
        if local is not None and local in entities:
            return {"id": local, "name": entity_name(entities[local], want.lang)}
        return {"str": term.value}
    if not isinstance(term, Literal):
        return None  # a blank node: the graph has none (queries/checks/blank-node-violation.rq)
    if not _lang_ok(term, want.lang):
        return None
    datatype = term.datatype.value if term.datatype is not None else ""
    if datatype in INTEGERS:
        try:
            return {"int": int(term.value)}
        except ValueError:
            return {"str": term.value}
    if datatype in FLOATS:
        try:
            return {"float": float(term.value)}
        except ValueError:
            return {"str": term.value}
    if datatype == XSD + "dateTime" and len(term.value) >= 19 and term.value[10] == "T":
        return {"date": term.value}
    if datatype == XSD + "date" and len(term.value) == 10:
        return {"date": term.value + "T00:00:00"}
    return {"str": term.value}


async def extend(request: Request, raw: str, idx) -> Response:
    """The answer to an ``extend`` request over the reconciliation index ``idx`` (ids and names)."""
    state = request.app.state
    prefixes = state.prefixes
    ids, wanted = parse(raw, prefixes, await usage(request))
    space = state.build.base_iri + "id/"
    known = sorted({i for i in ids if i in idx.entities})
    rows: dict[str, dict[str, list]] = {i: {w.id: [] for w in wanted} for i in ids}
    names = await _names(request, sorted({w.path for w in wanted}))
    for want in wanted:
        if not known:
            break
        steps = _split(want.path)
        pattern = "/".join(str(NamedNode(s)) for s in steps)
        query = (f"SELECT DISTINCT ?s ?o WHERE {{ {values_block('s', [idx.entities[i].iri for i in known])} "
                 f"?s {pattern} ?o }} ORDER BY ?s ?o")
        for row in await select(request, query):
            local = row["s"].value[len(space):]
            value = cell_value(row["o"], want, idx.entities, space)
            cell = rows.get(local, {}).get(want.id)
            if value is None or cell is None or value in cell:
                continue
            if not want.limit or len(cell) < want.limit:
                cell.append(value)
    meta = [{"id": w.id, "name": names[w.path][0]} for w in wanted]
    return _json({"meta": meta, "rows": rows})
