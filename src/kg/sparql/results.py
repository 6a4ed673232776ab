"""SPARQL SELECT results written in the four result formats (JSON, XML, CSV, TSV) from pyoxigraph terms,
with an explicit truncation note where the format has room for one."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import BinaryIO, Iterator
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def bound_terms(solutions) -> Iterator[dict[str, object]]:
    """Each of pyoxigraph's solutions as {variable name: term}, the variables it leaves unbound left out."""
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        yield {name: term for name in names if (term := solution[name]) is not None}


def term_json(term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def term_xml(term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, Triple):
        parts = (("subject", term.subject), ("predicate", term.predicate), ("object", term.object))
        return "<triple>" + "".join(f"<{k}>{term_xml(v)}</{k}>" for k, v in parts) + "</triple>"
    raise TypeError(f"unexpected term {term!r}")


def csv_field(term) -> str:
    if term is None:
        return ""
    text = term.value if isinstance(term, (NamedNode, Literal)) else "_:" + term.value if isinstance(term, BlankNode) else str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def count_solutions(body: bytes, fmt: str) -> int:
    """How many solutions a result document written by pyoxigraph's serializer holds, read without making a
    Python object per term: it escapes ``<`` in XML text and line breaks in TSV terms, and quotes CSV
    fields that hold line breaks."""
    if fmt == "json":
        return _json_rows(body)
    if fmt == "xml":
        return body.count(b"<result>")
    if fmt == "tsv":
        return body.count(b"\n") - 1
    if fmt == "csv":
        if b'"' not in body:
            return body.count(b"\r\n") - 1
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    raise ValueError(f"not a result format: {fmt}")


# a row after another: ``},{"`` then a variable's name and the start of its term. A string may end in
# ``},{`` (its closing quote then follows), but every quote inside a string is escaped and no key is empty,
# so this pattern never starts inside one
_NEXT_ROW = re.compile(rb'\},\{"[^"]*":\{"type":"')


def _json_rows(body: bytes) -> int:
    """The solutions of pyoxigraph's JSON results, counted from byte patterns where they tell: its JSON is
    compact, ``"bindings":[{"`` opens a first row that is not empty, and ``_NEXT_ROW`` starts each other
    row that is not empty. An empty row is ``{}``, which a string may also hold: with those two bytes
    anywhere, the document is parsed (measured on a lookup of 12 rows: 17 us parsed, 3 us counted)."""
    if b"{}" in body:
        return len(json.loads(body)["results"]["bindings"])
    return (b'"bindings":[{"' in body) + len(_NEXT_ROW.findall(body))


BATCH_ROWS = 256  # rows serialized and written together: few writes, bounded work between them


def _batches(rows: list[list]):
    for start in range(0, len(rows), BATCH_ROWS):
        yield rows[start:start + BATCH_ROWS]


def write_solutions(out: BinaryIO, variables: list[str], rows: list[list], fmt: str, truncated: bool, max_rows: int) -> None:
    """SELECT results in one of the four result formats, written to ``out`` a batch of rows at a time (so a
    large answer can leave before it is all serialized), with a truncation note where the format allows."""
    note = f"results truncated after {max_rows} rows (KG_MAX_ROWS)"
    if fmt == "json":
        out.write(json.dumps({"head": {"vars": variables}}, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8"))
        out.write(b',"results":{"bindings":[')
        sep = ""
        for batch in _batches(rows):
            text = ",".join(
                json.dumps({v: term_json(t) for v, t in zip(variables, row) if t is not None}, ensure_ascii=False,
                           separators=(",", ":"))
                for row in batch
            )
            out.write((sep + text).encode("utf-8"))
            sep = ","
        tail = "]}"
        if truncated:
            tail += ',"truncated":true,"note":' + json.dumps(note)
        out.write((tail + "}").encode("utf-8"))
    elif fmt == "xml":
        head = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        head += [f"<variable name={quoteattr(v)}/>" for v in variables]
        head.append("</head><results>")
        if truncated:
            head.append(f"<!-- {note} -->")
        out.write("".join(head).encode("utf-8"))
        for batch in _batches(rows):
            parts = []
            for row in batch:
                parts.append("<result>")
                parts += [f"<binding name={quoteattr(v)}>{term_xml(t)}</binding>" for v, t in zip(variables, row) if t is not None]
                parts.append("</result>")
            out.write("".join(parts).encode("utf-8"))
        out.write(b"</results></sparql>\n")
    elif fmt == "csv":
        out.write((",".join(variables) + "\r\n").encode("utf-8"))
        for batch in _batches(rows):
            out.write("".join(",".join(csv_field(t) for t in row) + "\r\n" for row in batch).encode("utf-8"))
    elif fmt == "tsv":
        out.write(("\t".join("?" + v for v in variables) + "\n").encode("utf-8"))
        for batch in _batches(rows):
            out.write("".join("\t".join("" if t is None else str(t) for t in row) + "\n" for row in batch).encode("utf-8"))
    else:
        raise ValueError(f"not a result format: {fmt}")
