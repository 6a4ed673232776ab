"""Reading RDF that users give us (kg validate, the validation service), safely and with clear errors.

Local parsing only: JSON-LD contexts must be inline (a context given by IRI is refused, never fetched),
RDF/XML is not accepted (entity expansion and external entities), ``owl:imports`` is never followed.
Errors name the file, line and column where the parser says so.

Turtle, TriG, N-Triples and N-Quads are parsed by pyoxigraph (Rust, about 20 times faster than rdflib's
parsers) and its terms made into the ones rdflib's parser makes (``Literal(lexical, lang, datatype)``, so
rdflib normalizes lexical forms as it does when it parses; a fresh blank node per label). Where that cannot
be sure to give rdflib's graph (a syntax error, a relative IRI, a triple term, a language tag written in two
cases, a literal that may be typed xsd:string explicitly), rdflib parses the text as before, so errors and
results stay the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyoxigraph import BlankNode as OxBlank
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode, RdfFormat, parse
from rdflib import BNode, Dataset, Graph, Literal, URIRef

FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/trig": "trig",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/n-quads": "nquads",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
QUAD_FORMATS = {"trig", "nquads", "json-ld"}
OXIGRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "trig": RdfFormat.TRIG, "nt": RdfFormat.N_TRIPLES,
                    "nquads": RdfFormat.N_QUADS}


@dataclass
class InputError(ValueError):
    """Bad input: which file, where, and what is wrong."""

    source: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


_LINE = re.compile(r"line (\d+)", re.I)
_COL = re.compile(r"(?:col(?:umn)?|char(?:acter)?)\s*:?\s*(\d+)", re.I)


def format_for(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(str(path), f"unknown file type {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}")
    return fmt


def _remote_contexts(node, where: str = "$") -> str | None:
    """The JSON path of the first context given by reference (a string), or None."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    if isinstance(item, str):
                        return f"{where}.@context" + (f"[{i}]" if isinstance(value, list) else "") + f" = {item!r}"
                    if isinstance(item, dict) and "@import" in item:
                        return f"{where}.@context.@import"
            found = _remote_contexts(value, f"{where}.{key}")
            if found:
                return found
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found = _remote_contexts(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _first_bad_line(text: str, fmt: str) -> tuple[int, str] | None:
    """For line-based formats, the first line that does not parse on its own."""
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            Dataset().parse(data=line, format=fmt)
        except Exception as err:  # noqa: BLE001 - any parser complaint marks this line
            return n, str(err).splitlines()[0][:300]
    return None


def _column_in_line(line: str, fmt: str) -> int | None:
    """Where in one bad N-Triples/N-Quads line the error is: pyoxigraph's parser reports the column."""
    from pyoxigraph import RdfFormat, parse

    try:
        list(parse(line.encode("utf-8") + b"\n", format=RdfFormat.N_QUADS if fmt == "nquads" else RdfFormat.N_TRIPLES))
    except SyntaxError as err:
        return err.offset
    return None


def _bad_syntax_position(err: Exception) -> tuple[int, int, str] | None:
    """(line, column, the text around it) of rdflib's Turtle/TriG parser error, which knows the offset."""
    raw, i = getattr(err, "_str", None), getattr(err, "_i", None)
    if not isinstance(raw, bytes) or not isinstance(i, int):
        return None
    text = raw.decode("utf-8", "replace")
    start = text.rfind("\n", 0, i) + 1
    return text.count("\n", 0, i) + 1, i - start + 1, text[max(start, i - 40): i + 20]


def parse_text(text: str, fmt: str, source: str) -> Dataset:
    """Parse RDF text of a known format into a Dataset; raise InputError on any problem."""
    if fmt == "json-ld":
        try:
            doc = json.loads(text)
            remote = _remote_contexts(doc)
        except json.JSONDecodeError as err:
            raise InputError(source, f"JSON syntax: {err.msg}", err.lineno, err.colno) from None
        except RecursionError:
            raise InputError(source, "JSON nested too deeply to read (arrays or objects inside each other)") from None
        if remote:
            raise InputError(source, f"remote JSON-LD contexts are not fetched; inline the context ({remote})")
    ds = Dataset(default_union=True)
    try:
        if fmt in QUAD_FORMATS:
            ds.parse(data=text, format=fmt)
        else:
            ds.default_graph.parse(data=text, format=fmt)
    except Exception as err:  # noqa: BLE001 - rdflib raises many types; all mean "bad input"
        message = " ".join(str(err).split())[:500] or type(err).__name__
        line = col = None
        if fmt in ("nt", "nquads"):
            bad = _first_bad_line(text, fmt)
            if bad:
                line, message = bad
                col = _column_in_line(text.splitlines()[line - 1], fmt)
        where = _bad_syntax_position(err)
        if line is None and where is not None:
            line, col, near = where
            message = f"{getattr(err, '_why', 'bad syntax')} near {near!r}"
        m = _LINE.search(str(err))
        if line is None and m:
            line = int(m.group(1))
            c = _COL.search(str(err))
            col = int(c.group(1)) if c else None
        raise InputError(source, f"{fmt} syntax: {message}", line, col) from None
    return ds


class _NotSure(Exception):
    """pyoxigraph's quads may not be the graph rdflib's parser gives: let rdflib parse."""


_LANGUAGE_TAG = re.compile(r"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)")
# Where a datatype IRI could end in "XMLSchema#string" (Oxigraph reads "x"^^xsd:string as "x", rdflib does
# not): "#string" in an IRI or as an escaped local name, the local name "string", a prefix IRI ending in "#s",
# "#st" and so on, or an IRI written with \u escapes.
_SPLIT_XSD_STRING = re.compile(r"#s(?:t(?:r(?:i(?:n)?)?)?)?>")
_ESCAPED_IRI = re.compile(r"<[^<>\s\"]*\\[uU]")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _graph_by_oxigraph(text: str, fmt: str, into: Graph) -> None:
    """Add the union of the graphs in ``text`` to ``into`` as rdflib's parser would; raise _NotSure else."""
    if ("#string" in text or ":string" in text or _SPLIT_XSD_STRING.search(text)
            or ("\\u" in text or "\\U" in text) and _ESCAPED_IRI.search(text)):
        raise _NotSure
    spellings: dict[str, set[str]] | None = None  # a language tag as Oxigraph gives it (lower case) -> as written
    blank: dict[str, BNode] = {}
    terms: dict = {}

    def term(t):
        nonlocal spellings
        found = terms.get(t)
        if found is not None:
            return found
        if isinstance(t, NamedNode):
            found = URIRef(t.value)
        elif isinstance(t, OxBlank):
            found = blank.setdefault(t.value, BNode())
        elif isinstance(t, OxLiteral):
            if t.language is not None:
                if spellings is None:
                    spellings = {}
                    for m in _LANGUAGE_TAG.finditer(text):
                        spellings.setdefault(m.group(1).lower(), set()).add(m.group(1))
                written = spellings.get(t.language, set())
                if len(written) != 1:
                    raise _NotSure
                found = Literal(t.value, lang=next(iter(written)))
            elif t.datatype.value == _XSD_STRING:
                found = Literal(t.value)
            else:
                found = Literal(t.value, datatype=URIRef(t.datatype.value))
        else:  # an RDF 1.2 triple term: rdflib has none
            raise _NotSure
        terms[t] = found
        return found

    try:
        quads = parse(text.encode("utf-8"), format=OXIGRAPH_FORMATS[fmt])
        add = into.store.add  # Graph.add without its checks: the terms are rdflib's own
        for q in quads:
            add((term(q.subject), term(q.predicate), term(q.object)), into, False)
    except SyntaxError:
        raise _NotSure from None


@contextmanager
def lexical_forms_kept() -> Iterator[None]:
    """Parse with every literal's lexical form as written. rdflib rewrites typed literals as it parses
    ("1"^^xsd:boolean becomes "true", "01"^^xsd:integer "1"), but RDF terms are equal only when written alike,
    and SHACL compares terms (sh:hasValue, sh:in), and activates sh:uniqueLang only for "true". rdflib's switch
    (``rdflib.NORMALIZE_LITERALS``) is process-wide: kg flips it only around its own parsing, which runs in
    the CLI's process or in a validation worker, one job at a time."""
    before = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = before


def read_graph(text: str, fmt: str, source: str) -> Graph:
    """The union of the graphs in RDF text of a known format, every literal as written; raise InputError on
    any problem, also on an IRI that RDF does not allow."""
    with lexical_forms_kept():
        return _read_graph(text, fmt, source)


def _read_graph(text: str, fmt: str, source: str) -> Graph:
    graph = Graph()
    if fmt in OXIGRAPH_FORMATS:
        try:
            _graph_by_oxigraph(text, fmt, graph)
            return graph
        except _NotSure:
            graph = Graph()
    ds = parse_text(text, fmt, source)
    bad = _invalid_iri(ds)
    if bad is not None:
        raise InputError(source, f"{bad[:200]!r} is not a valid IRI (RDF forbids spaces, controls and <>\"{{}}|^`\\)")
    for s, p, o, _ in ds.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


MAX_FILE_BYTES = 64 * 2**20  # one input file; rdflib needs far more memory and minutes for larger ones


def _invalid_iri(ds: Dataset) -> str | None:
    """The first IRI that rdflib accepted but RDF does not allow (control characters, spaces), else None."""
    for quad in ds.quads((None, None, None, None)):
        for term in quad:
            if isinstance(term, URIRef):
                try:
                    NamedNode(str(term))
                except ValueError:
                    return str(term)
    return None


def read_files(paths: list[Path], max_bytes: int | None = MAX_FILE_BYTES) -> Graph:
    """Read user files into one graph (the union of all their graphs); at most ``max_bytes`` read of each."""
    union: Graph | None = None
    for path in paths:
        fmt = format_for(path)
        try:
            with path.open("rb") as f:
                data = f.read(max_bytes + 1) if max_bytes is not None else f.read()
        except OSError as err:
            raise InputError(str(path), f"cannot read: {err.strerror}") from None
        if max_bytes is not None and len(data) > max_bytes:
            raise InputError(str(path), f"larger than the limit of {max_bytes} bytes; split it into smaller files")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise InputError(str(path), "not UTF-8 text", line) from None
        graph = read_graph(text, fmt, str(path))
        if union is None:
            union = graph
        else:
            union += graph
    return union if union is not None else Graph()
