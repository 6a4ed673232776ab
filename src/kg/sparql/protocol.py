"""SPARQL 1.1 Protocol, query side: turn an HTTP request into a query and a dataset, or say why not.

Framework-free: the web router hands over the method, the raw query string, the Content-Type header and
the body bytes. Every malformed request raises ProtocolError with the HTTP status to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from ..messages import Said

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")


class ProtocolError(Said, ValueError):
    """A request that is not a valid SPARQL query request; ``status`` is the HTTP status to answer, the
    words a message of ``kg/messages.json``."""

    def __init__(self, status: int, key: str, **args):
        super().__init__(key, **args)
        self.status = status


@dataclass(frozen=True)
class QueryRequest:
    """What a protocol request asks for."""

    query: str | None  # None: no query at all (GET without parameters: the service description)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None  # explicit format parameter, overrides Accept

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def _pairs(raw: str, where: str) -> list[tuple[str, str]]:
    """The parameters of a query string or a form body (``where``: the key saying which is not UTF-8)."""
    try:
        return parse_qsl(raw, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, where) from None


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header; charset None when absent."""
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _require_utf8(charset: str | None, media: str) -> None:
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, "charset_not_utf8", media=media, charset=charset)


def _collect(pairs: list[tuple[str, str]], max_bytes: int) -> QueryRequest:
    queries = [v for k, v in pairs if k == "query"]
    for name in UPDATE_PARAMS:
        if any(k == name for k, _ in pairs):
            raise ProtocolError(400, "update_parameter", name=name)
    if len(queries) > 1:
        raise ProtocolError(400, "several_queries", n=len(queries))
    formats = [v for k, v in pairs if k in ("format", "output", "results") and v]
    query = queries[0] if queries else None
    if query is not None and len(query.encode("utf-8")) > max_bytes:
        raise ProtocolError(413, "query_over_limit", limit=max_bytes)
    return QueryRequest(
        query=query,
        default_graphs=tuple(v for k, v in pairs if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in pairs if k == "named-graph-uri"),
        format=formats[0] if formats else None,
    )


def _get(query_string: str, max_bytes: int) -> QueryRequest:
    url_pairs = _pairs(query_string, "query_string_not_utf8")
    req = _collect(url_pairs, max_bytes)
    if req.query is None and url_pairs:
        names = ", ".join(sorted({k for k, _ in url_pairs}))[:200]
        raise ProtocolError(400, "no_query", names=names)
    return req


MEMO_CHARS = 8192  # GET query strings up to this long have their reading remembered (a refusal never is)
_remembered_get = lru_cache(maxsize=1024)(_get)


def parse_request(
    method: str, query_string: str, content_type: str | None, body: bytes, max_bytes: int
) -> QueryRequest:
    """Read one protocol request. GET/HEAD take parameters from the query string; POST takes a form or a
    direct query body (dataset parameters then come from the query string, and for forms from both)."""
    if method in ("GET", "HEAD"):
        if len(query_string) <= MEMO_CHARS:  # a pure function of the two: repeated lookups are read once
            return _remembered_get(query_string, max_bytes)
        return _get(query_string, max_bytes)
    url_pairs = _pairs(query_string, "query_string_not_utf8")
    if method != "POST":
        raise ProtocolError(405, "method_not_get_or_post", method=method)
    media, charset = _media_type(content_type)
    if media == FORM:
        _require_utf8(charset, media)
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError(400, "form_not_ascii") from None
        req = _collect(url_pairs + _pairs(text, "form_body_not_utf8"), max_bytes)
        if req.query is None:
            raise ProtocolError(400, "form_without_query")
        return req
    if media == DIRECT:
        _require_utf8(charset, media)
        if any(k == "query" for k, _ in url_pairs):
            raise ProtocolError(400, "query_twice")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ProtocolError(400, "body_not_utf8", byte=err.start) from None
        req = _collect(url_pairs, max_bytes)
        return QueryRequest(text, req.default_graphs, req.named_graphs, req.format)
    if media == UPDATE:
        raise ProtocolError(400, "update_body")
    if not media:
        raise ProtocolError(415, "no_content_type", form=FORM, direct=DIRECT)
    raise ProtocolError(415, "content_type", media=media, form=FORM, direct=DIRECT)
