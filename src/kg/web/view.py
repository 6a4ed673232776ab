"""What HTML pages show: triples grouped by subject, with labels in every language, taken from the
engine (so pages obey the same limits as the endpoint) and from the ontology."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from fastapi import Request
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse
from starlette.concurrency import run_in_threadpool

from ..sparql.engine import Job

LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def term_from_json(b: dict):
    kind = b["type"]
    if kind == "uri":
        return NamedNode(b["value"])
    if kind == "bnode":
        return BlankNode(b["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in b:
            return Literal(b["value"], language=b["xml:lang"])
        if "datatype" in b:
            return Literal(b["value"], datatype=NamedNode(b["datatype"]))
        return Literal(b["value"])
    raise ValueError(f"unexpected binding type {kind}")


async def select(request: Request, query: str, bindings: tuple[tuple[str, str], ...] = ()) -> list[dict]:
    """Run a SELECT through the engine; rows as {variable: pyoxigraph term}."""
    state = request.app.state
    job = Job(query=query, format="json", max_rows=state.settings.max_rows, bindings=bindings)
    answer = await run_in_threadpool(state.engine.run, job)
    doc = json.loads(answer.body)
    return [{k: term_from_json(v) for k, v in row.items()} for row in doc["results"]["bindings"]]


async def construct(request: Request, query: str, bindings: tuple[tuple[str, str], ...] = (), fmt: str = "ntriples") -> bytes:
    state = request.app.state
    job = Job(query=query, format=fmt, max_rows=state.settings.max_rows, bindings=bindings)
    return (await run_in_threadpool(state.engine.run, job)).body


async def graph_sizes(request: Request) -> dict[str, int]:
    """Triples per named graph, computed once per server (the data does not change under it)."""
    state = request.app.state
    if state.graph_sizes is None:
        rows = await select(request, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        state.graph_sizes = {r["g"].value: int(r["n"].value) for r in rows}
    return state.graph_sizes


def values_block(variable: str, iris: list[str]) -> str:
    """A VALUES clause with IRIs serialized by pyoxigraph (which validates them), never pasted raw."""
    return f"VALUES ?{variable} {{ " + " ".join(str(NamedNode(i)) for i in iris) + " }"


@dataclass
class Names:
    """Labels (text, language) of IRIs, English first; a prefixed name when an IRI has no label."""

    labels: dict[str, list[tuple[str, str]]]
    prefixes: dict[str, str]

    def all(self, iri: str) -> list[tuple[str, str]]:
        return self.labels.get(iri, [])

    def name(self, iri: str) -> str | None:
        if self.labels.get(iri):
            return self.labels[iri][0][0]
        return self.curie(iri)

    def curie(self, iri: str) -> str | None:
        """The prefixed name of ``iri`` (``skos:prefLabel``), or None when no prefix fits."""
        for prefix, ns in sorted(self.prefixes.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return None


DISPLAY_PREFIXES = {
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
    "entailment": "http://www.w3.org/ns/entailment/",
}


async def labels_of(request: Request, iris: set[str], triples: list | None = None) -> Names:
    """Labels (text, language) of IRIs: from ``triples`` being shown, the ontology, then the data."""
    out: dict[str, list[tuple[str, str]]] = {}
    for t in triples or ():
        if t.predicate.value in LABELS and isinstance(t.subject, NamedNode) and isinstance(t.object, Literal):
            out.setdefault(t.subject.value, []).append((t.object.value, t.object.language or ""))
    vocab = request.app.state.vocab
    for iri in iris:
        if iri in out:
            continue
        for p in LABELS:
            for q in vocab.quads_for_pattern(NamedNode(iri), NamedNode(p), None):
                if isinstance(q.object, Literal):
                    out.setdefault(iri, []).append((q.object.value, q.object.language or ""))
    wanted = sorted(i for i in iris if i not in out)
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        query = (
            "SELECT DISTINCT ?x ?l WHERE { "
            + values_block("x", chunk)
            + " ?x <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label> ?l }"
        )
        for row in await select(request, query):
            label = row["l"]
            if isinstance(label, Literal):
                out.setdefault(row["x"].value, []).append((label.value, label.language or ""))
    for values in out.values():
        values.sort(key=lambda v: (v[1] != "en", v[1], v[0]))
    return Names(out, {**DISPLAY_PREFIXES, **request.app.state.prefixes})


@dataclass
class Value:
    term: object
    label: str | None = None
    href: str | None = None
    note: str | None = None  # e.g. the graph a statement is in


@dataclass
class Prop:
    iri: str
    label: str | None  # in the reader's language where there is one (the term's, or a display label)
    href: str
    values: list[Value] = field(default_factory=list)
    curie: str | None = None  # shown beside the label

    @classmethod
    def of(cls, iri: str, names: "Names", href: str) -> "Prop":
        return cls(iri, names.name(iri), href, curie=names.curie(iri))


@dataclass
class Subject:
    iri: str
    href: str
    labels: list[tuple[str, str]]
    props: list[Prop] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.labels[0][0] if self.labels else self.iri


def _triples(data) -> list[Triple]:
    if isinstance(data, (bytes, bytearray)):
        return [q.triple if hasattr(q, "triple") else q for q in parse(bytes(data), format=RdfFormat.N_TRIPLES)]
    return list(data)


async def describe_triples(request: Request, data) -> list[Subject]:
    """Triples (or N-Triples bytes) grouped by subject, every IRI labeled and mapped to a link."""
    from .links import links_for

    links = links_for(request)
    triples = _triples(data)
    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, NamedNode):
                iris.add(term.value)
    labels = await labels_of(request, iris, triples)
    subjects: dict[str, Subject] = {}
    for t in triples:
        key = str(t.subject) if not isinstance(t.subject, NamedNode) else t.subject.value
        subj = subjects.get(key)
        if subj is None:
            iri = t.subject.value if isinstance(t.subject, NamedNode) else key
            subj = subjects[key] = Subject(iri, links.href(iri), labels.all(iri))
        prop = next((p for p in subj.props if p.iri == t.predicate.value), None)
        if prop is None:
            prop = Prop.of(t.predicate.value, labels, links.href(t.predicate.value))
            subj.props.append(prop)
        prop.values.append(to_value(t.object, labels, links))
    for subj in subjects.values():
        subj.props.sort(key=lambda p: (p.iri != RDF_TYPE, p.label or p.iri))
    return sorted(subjects.values(), key=lambda s: s.iri)


def to_value(term, labels: Names, links) -> Value:
    if isinstance(term, NamedNode):
        return Value(term, labels.name(term.value), links.href(term.value))
    return Value(term)
