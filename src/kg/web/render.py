"""Building responses: negotiated formats, caching headers from the dataset version, HTML pages and
errors that say what went wrong (never a stack trace)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from pyoxigraph import Literal, NamedNode, serialize

from ..messages import Said, said
from ..sparql.formats import Format, NotAcceptable, negotiate
from .i18n import DEFAULT, OFFERED, choose_language, translate

TEMPLATES = Path(__file__).parent / "templates"
CACHE_CONTROL = "public, max-age=300"


class Problem(Exception):
    """An error answer: HTTP status, a message saying what and where, optional extra headers. A message
    given as a ``Said`` is answered in the reader's language (``said``); a plain string, in English."""

    def __init__(self, status: int, message: str | Said, headers: dict[str, str] | None = None):
        super().__init__(str(message))
        self.status = status
        self.words = message
        self.headers = headers or {}

    def said(self, lang: str) -> str:
        return said(self.words, lang)


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["_"] = _translated
    env.globals["page_lang"] = _page_lang
    env.globals["lang_choices"] = _lang_choices
    env.globals["is_iri"] = lambda t: isinstance(t, NamedNode)
    env.globals["is_literal"] = lambda t: isinstance(t, Literal)
    env.filters["safe_scheme"] = lambda iri: str(iri).split(":", 1)[0].lower() in ("http", "https", "urn", "mailto")
    return env


def choose(request: Request, kinds: tuple[str, ...], explicit: str | None = None) -> Format:
    """The format for this request: explicit name (parameter or suffix) first, then Accept."""
    try:
        return negotiate(request.headers.get("accept"), kinds, explicit)
    except NotAcceptable as err:
        offered = ", ".join(f.media_type for f in err.offered)
        raise Problem(406, f"{err}; offered here: {offered}") from None


def etag(request: Request, fmt_name: str, extra: str = "") -> str:
    version = request.app.state.build.version
    return f'"{version}-{fmt_name}{("-" + extra) if extra else ""}"'


def respond(
    request: Request,
    body: bytes | Iterator[bytes],
    fmt: Format,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    vary: str = "Accept",
    tag: str = "",
) -> Response:
    """A negotiated representation with Vary, ETag and Cache-Control from the dataset version; a body given
    as an iterator of chunks is streamed (chunked transfer, no Content-Length). An HTML page is in the
    reader's language (i18n), so it varies on Accept-Language too and its ETag names the language."""
    if fmt.kind == "html":
        vary = html_vary(vary)
        tag = tag or page_language(request)
    out = {"Vary": vary, "Cache-Control": CACHE_CONTROL}
    if request.method != "POST":  # a POST answer has no URL of its own to validate against
        out["ETag"] = etag(request, fmt.name, tag)
    out.update(headers or {})
    if status == 200 and request.method in ("GET", "HEAD"):
        match = request.headers.get("if-none-match", "")
        if match and (match.strip() == "*" or out.get("ETag") in [m.strip() for m in match.split(",")]):
            return Response(status_code=304, headers=out)
    if isinstance(body, bytes):
        return Response(body, status_code=status, media_type=fmt.header, headers=out)
    return StreamingResponse(body, status_code=status, media_type=fmt.header, headers=out)


def html_vary(vary: str = "Accept") -> str:
    """``vary`` with Accept-Language added (the pages' words follow the reader's language)."""
    names = [v.strip() for v in vary.split(",") if v.strip()]
    return ", ".join(names if "accept-language" in {n.lower() for n in names} else names + ["Accept-Language"])


def page_language(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def alternates_header(links: list[tuple[str, Format]]) -> str:
    return ", ".join(f'<{url}>; rel="alternate"; type="{fmt.media_type}"' for url, fmt in links)


def _request_lang(context) -> str:
    request = context.get("request")
    return DEFAULT if request is None else page_language(request)


@pass_context
def _translated(context, text: str) -> str:
    """The page's words in the reader's language (i18n.translate)."""
    return translate(text, _request_lang(context))


@pass_context
def _page_lang(context) -> str:
    return _request_lang(context)


@pass_context
def _lang_choices(context) -> list[dict]:
    """The language switch: this page in each offered language, its other query parameters kept."""
    request = context.get("request")
    current = _request_lang(context)
    out = []
    for tag, name in OFFERED.items():
        if request is None:
            href = f"?lang={tag}"
        else:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", tag)]
            href = f"{request.url.path}?{urlencode(params)}"
        out.append({"tag": tag, "name": name, "href": href, "current": tag == current})
    return out


def render(request: Request, template: str, **context) -> bytes:
    env: Environment = request.app.state.templates
    return env.get_template(template).render(request=request, **context).encode("utf-8")


def rdf_bytes(triples, fmt: Format, prefixes: dict[str, str]) -> bytes:
    use = prefixes if fmt.name in ("turtle", "trig") else None
    return serialize(triples, format=fmt.rdf_format, prefixes=use)
