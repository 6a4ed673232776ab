"""FAIR Signposting (https://signposting.org/FAIR/) on every page and dump, and schema.org JSON-LD in every
HTML page, for harvesters and general-purpose crawlers.

Every GET/HEAD answered 200 gets typed ``Link`` headers next to those a route already sends (its
``alternate`` formats): ``cite-as`` the persistent IRI (under ``KG_BASE_IRI``, never the server's own
origin), ``license``, ``type``, ``describedby`` (the metadata in RDF) on landing pages, ``item`` (each dump)
on the dataset's landing pages, ``collection`` (back to the landing page) on each dump. HTML pages also
carry a ``<script type="application/ld+json">`` schema.org description before ``</head>``: the
``Dataset`` with its ``DataDownload``s on the home page, the thing a ``/doc/`` page describes (its name in
every language, its page, the dataset it is part of) elsewhere.
"""

from __future__ import annotations

import json
from functools import lru_cache

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from pyoxigraph import NamedNode

from ...build.metadata import DUMPS, LICENSE
from ...sparql.engine import EngineError
from ..links import Links, links_for, url_path
from ..middleware import ReadAnswerMiddleware
from ..view import LABELS, select

SCHEMA = "https://schema.org/"
LABEL_QUERY = "SELECT ?p ?label WHERE {{ {iri} ?p ?label . VALUES ?p {{ {props} }} }}"


def _link(url: str, rel: str, media: str | None = None) -> str:
    return f'<{url}>; rel="{rel}"' + (f'; type="{media}"' if media else "")


def signposts(path: str, links: Links, is_html: bool) -> tuple[list[str], str | None]:
    """(Link header values, the canonical IRI the answer is about) for a path on this server."""
    dataset = links.iri("id/dataset/kg-1959")
    out = [_link(str(LICENSE), "license")]
    about = None
    if path in ("/", "/.well-known/void", "/dumps/", "/dumps"):  # the dataset's landing pages
        out.append(_link(dataset, "cite-as"))
        out.append(_link(SCHEMA + "Dataset", "type"))
        if path == "/":
            out.append(_link(SCHEMA + "AboutPage", "type"))
            out.append(_link(links.url(".well-known/void"), "describedby", "text/turtle"))
        out += [_link(links.url("dumps/" + f), "item", DUMPS[f][0]) for f in sorted(DUMPS)]
        about = dataset
    elif path.startswith("/dumps/"):  # one dump: a content resource of the dataset
        out.append(_link(dataset, "cite-as"))
        out.append(_link(SCHEMA + "DataDownload", "type"))
        out.append(_link(links.url(""), "collection", "text/html"))
    elif path.startswith(("/doc/", "/id/", "/graph/")):
        stem = path.removeprefix("/doc/").lstrip("/")
        for f in DUMP_SUFFIXES:
            if stem.endswith(f):
                stem = stem[: -len(f)]
                break
        about = links.iri(stem)
        out.append(_link(about, "cite-as"))
        out.append(_link(SCHEMA + "AboutPage", "type"))
        if is_html:
            out.append(_link(links.url(f"doc/{stem}.ttl"), "describedby", "text/turtle"))
            out.append(_link(links.url(f"doc/{stem}.jsonld"), "describedby", "application/ld+json"))
    elif path.startswith(("/ontology/kg", "/shapes")):
        about = links.iri("ontology/kg" if path.startswith("/ontology") else "shapes")
        out.append(_link(about, "cite-as"))
        out.append(_link(SCHEMA + "DefinedTermSet", "type"))
    else:
        out.append(_link(dataset, "cite-as"))
        out.append(_link(SCHEMA + "WebPage", "type"))
    return out, about


@lru_cache(maxsize=1024)  # a pure function of its arguments, asked again for every answer of the same path
def _remembered_signposts(path: str, links: Links, is_html: bool) -> tuple[tuple[str, ...], str | None]:
    values, about = signposts(path, links, is_html)
    return tuple(values), about


DUMP_SUFFIXES = (".html", ".ttl", ".jsonld", ".nt", ".rdf", ".trig", ".nq")


def install(app: FastAPI) -> None:
    app.add_middleware(Signposting)


class Signposting(ReadAnswerMiddleware):
    """Typed ``Link`` headers on every GET/HEAD answered 200 and the schema.org island in every HTML page.
    Only an HTML page's body is held back (to add the island); everything else passes through as it
    comes, streamed answers included."""

    def sender(self, request: Request, send):
        held: dict | None = None  # the start of an HTML page, while its body is gathered
        body: list[bytes] = []
        about: str | None = None

        async def sending(message) -> None:
            nonlocal held, about
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    return await send(message)
                headers = MutableHeaders(scope=message)
                links = links_for(request)
                is_html = headers.get("content-type", "").startswith("text/html")
                values, about = _remembered_signposts(url_path(request.scope), links, is_html)
                existing = headers.get("link")
                headers["Link"] = ", ".join((existing, *values) if existing else values)
                if not is_html or request.method == "HEAD":
                    return await send(message)
                held = message
                return None
            if held is None or message["type"] != "http.response.body":
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return None
            page = await _with_island(request, b"".join(body), about)
            MutableHeaders(scope=held)["Content-Length"] = str(len(page))
            await send(held)
            await send({"type": "http.response.body", "body": page})

        return sending


async def _with_island(request: Request, page: bytes, about: str | None) -> bytes:
    """The page with its schema.org description before ``</head>`` (unchanged without one, or when the
    workers cannot answer: the page, already made, goes out without its island)."""
    marker = page.find(b"</head>")
    if marker < 0:
        return page
    try:
        data = await schema_org(request, links_for(request), request.url.path, about)
    except EngineError:
        return page
    island = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
    script = f'<script type="application/ld+json">{island}</script>\n'.encode("utf-8")
    return page[:marker] + script + page[marker:]


async def schema_org(request: Request, links: Links, path: str, about: str | None) -> dict:
    """A schema.org description of what the page is about (the dataset by default)."""
    dataset = links.iri("id/dataset/kg-1959")
    build = request.app.state.build
    if about is None or about == dataset or not about.startswith(links.iri("id/")):
        return {
            "@context": SCHEMA,
            "@type": "Dataset",
            "@id": dataset,
            "url": links.url(""),
            "name": "The 1959 PRC Foreign Ministry report on relocating ethnic Koreans to North Korea, as a "
                    "knowledge graph",
            "version": build.version,
            "license": str(LICENSE),
            "isBasedOn": "https://digitalarchive.wilsoncenter.org/document/114177",
            "inLanguage": ["en", "zh-Hans", "ko"],
            "distribution": [{"@type": "DataDownload", "contentUrl": links.url("dumps/" + f), "encodingFormat": m,
                              "name": title} for f, (m, title) in sorted(DUMPS.items())],
        }
    props = " ".join(str(NamedNode(p)) for p in LABELS)
    rows = await select(request, LABEL_QUERY.format(iri=str(NamedNode(about)), props=props))
    names = sorted({(r["label"].value, r["label"].language or "") for r in rows if hasattr(r["label"], "language")},
                   key=lambda x: (x[1] != "en", x[1], x[0]))
    out = {"@context": SCHEMA, "@type": "Thing", "@id": about, "url": links.href(about),
           "mainEntityOfPage": links.url(path.lstrip("/")), "isPartOf": {"@type": "Dataset", "@id": dataset},
           "license": str(LICENSE)}
    if names:
        out["name"] = [{"@value": v, "@language": lang} if lang else v for v, lang in names]
    return out
