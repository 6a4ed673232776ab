"""SPARQL SELECT results written in the four result formats (JSON, XML, CSV, TSV) from pyoxigraph terms,
with an explicit truncation note where the format has room for one."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


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


def serialize_solutions(variables: list[str], rows: list[list], fmt: str, truncated: bool, max_rows: int) -> bytes:
    """SELECT results in one of the four result formats, with a truncation note where the format allows."""
    note = f"results truncated after {max_rows} rows (KG_MAX_ROWS)"
    if fmt == "json":
        doc = {
            "head": {"vars": variables},
            "results": {
                "bindings": [
                    {v: term_json(t) for v, t in zip(variables, row) if t is not None} for row in rows
                ]
            },
        }
        if truncated:
            doc["truncated"] = True
            doc["note"] = note
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        out.append("</head><results>")
        if truncated:
            out.append(f"<!-- {note} -->")
        for row in rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(v)}>{term_xml(t)}</binding>" for v, t in zip(variables, row) if t is not None]
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode("utf-8")
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(csv_field(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"not a result format: {fmt}")
