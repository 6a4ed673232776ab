"""Refuse dangerous or oversized queries before any SPARQL parser sees them.

The guard works on tokens, not on a parse tree: it must stay safe on input that would crash or hang a
parser (pyoxigraph aborts the whole process on about 2,000 nested groups). It refuses:

- queries larger than ``max_bytes`` (QueryTooLarge, HTTP 413);
- bracket nesting deeper than ``max_nesting`` (QueryRefused, HTTP 400);
- SERVICE in any form (the server never sends a request anywhere);
- LOAD and every update operation (the endpoint is read-only);
- FROM / FROM NAMED of any graph but this dataset's own graphs (nothing is fetched or read from disk).

It also reports the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) so that content negotiation can
happen before evaluation, and whether the query declares its own dataset.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from ..messages import Said

UPDATE_WORDS = frozenset({"INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"})
FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
OPEN = "{(["
CLOSE = "})]"


class QueryRefused(Said, ValueError):
    """The query is refused before evaluation (HTTP 400); its words are a message of ``kg/messages.json``."""


class QueryTooLarge(QueryRefused):
    """The query is larger than the configured limit (HTTP 413)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "pname" | "iri" | "string" | "var" | "punct" | "other"
    text: str
    line: int
    column: int
    start: int  # offset in the query text


@dataclass(frozen=True)
class Guarded:
    """A query that passed the guard."""

    text: str
    form: str | None  # SELECT | ASK | CONSTRUCT | DESCRIBE, None when not recognised (the parser will say why)
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    depth: int = 0

    @property
    def declares_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named_graphs)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_PNAME = re.compile(r"(?:[A-Za-z][A-Za-z0-9_.\-]*)?:(?:[^\s{}()\[\]<>\"',;]*)")
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_VAR = re.compile(r"[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]*")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _where(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


class _Positions:
    """Line and column of offsets asked in increasing order, counted in one pass over the text (``_where``
    for each token would count from the start every time: quadratic in a 64 KB query)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0

    def __call__(self, pos: int) -> tuple[int, int]:
        if pos < self.pos:
            return _where(self.text, pos)
        breaks = self.text.count("\n", self.pos, pos)
        if breaks:
            self.line += breaks
            self.line_start = self.text.rfind("\n", self.pos, pos) + 1
        self.pos = pos
        return self.line, pos - self.line_start + 1


def tokens(text: str, max_nesting: int) -> list[Token]:
    """Split a query into tokens, refusing nesting deeper than ``max_nesting`` as soon as it is seen."""
    out: list[Token] = []
    where = _Positions(text)
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c in "\"'":
            end = _string_end(text, i)
            out.append(Token("string", text[i:end], *where(i), i))
            i = end
            continue
        if c == "<":
            m = _IRI.match(text, i)
            if m:
                out.append(Token("iri", m.group(1), *where(i), i))
                i = m.end()
                continue
            out.append(Token("punct", c, *where(i), i))
            i += 1
            continue
        if c in OPEN:
            depth += 1
            if depth > max_nesting:
                line, column = where(i)
                raise QueryRefused("nesting", limit=max_nesting, line=line, column=column)
            out.append(Token("punct", c, *where(i), i))
            i += 1
            continue
        if c in CLOSE:
            depth = max(depth - 1, 0)
            out.append(Token("punct", c, *where(i), i))
            i += 1
            continue
        if c in "?$":
            m = _VAR.match(text, i)
            out.append(Token("var", m.group(0), *where(i), i))
            i = max(m.end(), i + 1)
            continue
        if c == "@":
            m = _WORD.match(text, i + 1)
            end = m.end() if m else i + 1
            out.append(Token("other", text[i:end], *where(i), i))
            i = end
            continue
        if c == "_" and text.startswith("_:", i):
            m = _PNAME.match(text, i + 1)
            end = m.end() if m else i + 2
            out.append(Token("other", text[i:end], *where(i), i))
            i = end
            continue
        m = _PNAME.match(text, i)
        if m and m.end() > i:
            out.append(Token("pname", m.group(0), *where(i), i))
            i = m.end()
            continue
        m = _WORD.match(text, i)
        if m:
            out.append(Token("word", m.group(0), *where(i), i))
            i = m.end()
            continue
        out.append(Token("other", c, *where(i), i))
        i += 1
    return out


def _string_end(text: str, start: int) -> int:
    """Index just past the string literal starting at ``start`` (unterminated: end of text)."""
    quote = text[start]
    long = text.startswith(quote * 3, start)
    delim = quote * 3 if long else quote
    i = start + len(delim)
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if text.startswith(delim, i):
            return i + len(delim)
        if not long and c == "\n":
            return i
        i += 1
    return n


def _unescape(text: str) -> str:
    """SPARQL's codepoint escapes (\\uXXXX, \\UXXXXXXXX) applied to the whole text."""

    def repl(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)

    return _UNICODE_ESCAPE.sub(repl, text)


@dataclass
class _Scan:
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str = ""
    form: str | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)


def _resolve(tok: Token, scan: _Scan) -> str:
    if tok.kind == "iri":
        return urljoin(scan.base, tok.text) if scan.base else tok.text
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix not in scan.prefixes:
            raise QueryRefused("graph_prefix", prefix=prefix, line=tok.line, column=tok.column)
        return scan.prefixes[prefix] + local
    raise QueryRefused("graph_iri", found=tok.text[:40], line=tok.line, column=tok.column)


def _scan(toks: list[Token], base: str, allowed_graphs: frozenset[str]) -> _Scan:
    scan = _Scan(base=base)
    for k, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        where = {"line": tok.line, "column": tok.column}
        if word == "SERVICE":
            raise QueryRefused("service", **where)
        if word == "LOAD":
            raise QueryRefused("load", **where)
        if word in UPDATE_WORDS:
            raise QueryRefused("update_refused", word=word, **where)
        if word == "PREFIX" and nxt is not None and nxt.kind == "pname" and k + 2 < len(toks):
            iri = toks[k + 2]
            if iri.kind == "iri":
                scan.prefixes[nxt.text[:-1] if nxt.text.endswith(":") else nxt.text.split(":")[0]] = _resolve(iri, scan)
        elif word == "BASE" and nxt is not None and nxt.kind == "iri":
            scan.base = _resolve(nxt, scan)
        elif word in FORMS and scan.form is None:
            scan.form = word
        elif word == "FROM":
            named = nxt is not None and nxt.kind == "word" and nxt.text.upper() == "NAMED"
            target = toks[k + 2] if named and k + 2 < len(toks) else nxt
            if target is None:
                raise QueryRefused("from_empty", **where)
            graph = _resolve(target, scan)
            if graph not in allowed_graphs:
                raise QueryRefused("from_foreign", named=" NAMED" if named else "", graph=graph,
                                   graphs=", ".join(sorted(allowed_graphs)), **where)
            (scan.from_named if named else scan.from_graphs).append(graph)
    return scan


def form_of(text: str) -> str | None:
    """The form of an already guarded query (SELECT, ASK, CONSTRUCT or DESCRIBE): its first form keyword.
    (Its nesting was checked against the configured limit by the guard: none is applied again here.)"""
    for tok in tokens(text, sys.maxsize):
        if tok.kind == "word" and tok.text.upper() in FORMS:
            return tok.text.upper()
    return None


MEMO_CHARS = 4096  # queries up to this long have their verdict remembered (the example catalog, repeated lookups)


def guard(text: str, *, max_bytes: int, max_nesting: int, base: str, allowed_graphs: frozenset[str]) -> Guarded:
    """Check a query before evaluation; raise QueryRefused or QueryTooLarge, else describe it. A passed
    short query is remembered (the guard is a pure function of its arguments); a refusal never is."""
    if len(text) <= MEMO_CHARS:
        return _remembered(text, max_bytes, max_nesting, base, allowed_graphs)
    return _guard(text, max_bytes, max_nesting, base, allowed_graphs)


def _guard(text: str, max_bytes: int, max_nesting: int, base: str, allowed_graphs: frozenset[str]) -> Guarded:
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise QueryTooLarge("too_large", size=size, limit=max_bytes)
    toks = tokens(text, max_nesting)
    scan = _scan(toks, base, allowed_graphs)
    if _UNICODE_ESCAPE.search(text):
        # escapes may spell a keyword (\u0053ERVICE): the unescaped text must pass too
        _scan(tokens(_unescape(text), max_nesting), base, allowed_graphs)
    depth = _max_depth(toks)
    return Guarded(text, scan.form, tuple(scan.from_graphs), tuple(scan.from_named), depth)


_remembered = lru_cache(maxsize=1024)(_guard)


def _max_depth(toks: list[Token]) -> int:
    depth = deepest = 0
    for tok in toks:
        if tok.kind == "punct" and tok.text in OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif tok.kind == "punct" and tok.text in CLOSE:
            depth = max(depth - 1, 0)
    return deepest
