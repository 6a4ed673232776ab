"""Assemble the dataset from data/ and ontology/, validate it, and publish dist/ atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from . import authored, dumps, metadata
from ..config import Settings
from .dates import EdtfError, bounds
from .evidence import EvidenceReport, add_interpolations, expand_quotes, text_iri
from ..iris import CRM, EDTF, GRAPHS, Iris, prefixes
from .source import SourceText
from ..validation.run import rebase_shapes


class BuildError(RuntimeError):
    """The build cannot produce a valid dataset; the message says every reason found."""


@dataclass
class Built:
    """The assembled, validated dataset in memory (before anything is written)."""

    iris: Iris
    graphs: dict[str, Graph]  # assertions, editorial, metadata
    ontology: Graph
    shapes: Graph
    version: str
    evidence: EvidenceReport

    def dataset(self) -> Dataset:
        return _dataset(self.iris, self.graphs)

    def union(self) -> Graph:
        u = Graph()
        for g in self.graphs.values():
            u += g
        return u


@dataclass
class BuildResult:
    dist: Path
    release: Path
    version: str
    triples: int
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"kg build: wrote {self.dist} -> {self.release.name} (version {self.version})"]
        lines += [f"  {k}: {v}" for k, v in self.counts.items()]
        return "\n".join(lines)


def add_date_bounds(g: Graph, errors: list[str]) -> None:
    """crm:P82a/P82b xsd:dateTime bounds for every E52 Time-Span from its EDTF dcterms:date."""
    for ts in sorted(set(g.subjects(RDF.type, CRM["E52_Time-Span"]))):
        dates = [d for d in g.objects(ts, DCTERMS.date) if isinstance(d, Literal) and d.datatype == EDTF]
        if len(dates) != 1:
            errors.append(f"{ts}: a time-span needs exactly one EDTF dcterms:date, has {len(dates)}")
            continue
        try:
            b = bounds(str(dates[0]))
        except EdtfError as err:
            errors.append(f"{ts}: {err}")
            continue
        g.add((ts, CRM.P82a_begin_of_the_begin, Literal(b.begin, datatype=XSD.dateTime)))
        g.add((ts, CRM.P82b_end_of_the_end, Literal(b.end, datatype=XSD.dateTime)))


def _check_closed(graphs: dict[str, Graph], iris: Iris, errors: list[str]) -> None:
    """No authoring shorthand and no blank nodes may reach the published graph."""
    ed = str(iris.ed)
    for name, g in graphs.items():
        for s, p, o in g:
            for term in (s, p, o):
                if isinstance(term, BNode):
                    errors.append(f"{name} graph: blank node in ({s} {p} {o}); mint an IRI")
                    break
                if isinstance(term, URIRef) and str(term).startswith(ed):
                    errors.append(f"{name} graph: authoring term {term} left in ({s} {p} {o})")
                    break


def assemble(settings: Settings) -> Built:
    """Everything up to (not including) validation and writing."""
    iris = Iris(settings.base_iri)
    root = settings.root
    source = SourceText.load(root)
    try:
        inputs = authored.read(root, iris)
    except authored.AuthoredError as err:
        raise BuildError(str(err)) from None
    graphs = {name: inputs.graphs.get(name, Graph()) for name in ("assertions", "editorial")}
    errors: list[str] = []
    report = EvidenceReport()
    agents = {
        "report": iris.id("organization", "ministry-of-foreign-affairs"),
        "record": iris.id("organization", "wilson-center-digital-archive"),
    }
    expand_quotes(graphs, graphs["editorial"], iris, source, agents, metadata.project_agent(iris), report)
    add_interpolations(
        graphs["editorial"], iris, source, inputs.interpolation_kinds,
        [iris.id("person", "jeffrey-wang"), iris.id("person", "charles-kraus")], report,
    )
    errors += report.errors
    metadata.add_project_and_text(graphs["editorial"], iris, source, text_iri(iris))
    add_date_bounds(graphs["assertions"], errors)
    _check_closed(graphs, iris, errors)
    if errors:
        raise BuildError("\n".join(f"- {e}" for e in errors))
    content_nq = dumps.canonical_nquads(_dataset(iris, graphs))
    version = dumps.sha256_bytes(content_nq.encode("utf-8"))[:16]
    graphs["metadata"] = metadata.describe(iris, version, graphs)
    assert set(graphs) == set(GRAPHS)
    # the shapes' SPARQL text and sh:namespace literals move to the base too (published and used as such)
    shapes = rebase_shapes(inputs.shapes, iris)
    return Built(iris, graphs, inputs.ontology, shapes, version, report)


def _dataset(iris: Iris, graphs: dict[str, Graph]) -> Dataset:
    ds = Dataset()
    for name, g in sorted(graphs.items()):
        target = ds.graph(iris.graph(name))
        for t in g:
            target.add(t)
    return ds


def render(built: Built) -> dict[str, bytes]:
    """Every published file, as bytes."""
    pfx = prefixes(built.iris)
    nq = dumps.canonical_nquads(built.dataset())
    files: dict[str, str] = {
        "dataset.nq": nq,
        "dataset.trig": dumps.trig(nq, pfx),
        "dataset.ttl": dumps.union_turtle(nq, pfx),
        "dataset.jsonld": dumps.jsonld(nq, pfx),
        "context.jsonld": json.dumps(dumps.jsonld_context(pfx), indent=1, sort_keys=True) + "\n",
        "ontology.ttl": dumps.turtle(built.ontology, pfx, "The kg ontology"),
        "shapes.ttl": dumps.turtle(built.shapes, pfx, "The kg SHACL shapes"),
    }
    encoded = {k: v.encode("utf-8") for k, v in files.items()}
    sums = {k: (len(v), dumps.sha256_bytes(v)) for k, v in encoded.items()}
    void = Graph()
    void += built.graphs["metadata"]
    metadata.checksums(void, built.iris, sums)
    encoded["void.ttl"] = dumps.turtle(void, pfx, "VoID/DCAT description of the kg dataset, with dump checksums").encode()
    union = built.union()
    info = {
        "generated_by": "kg build",
        "version": built.version,
        "base_iri": built.iris.base,
        "triples": len(union),
        "quads": nq.count("\n"),
        "graphs": {name: len(g) for name, g in sorted(built.graphs.items())},
        "annotations": built.evidence.annotations,
        "passages": built.evidence.passages,
        "interpolations": built.evidence.interpolations,
        "files": {k: {"bytes": len(v), "sha256": dumps.sha256_bytes(v)} for k, v in sorted(encoded.items())},
    }
    encoded["build.json"] = (json.dumps(info, indent=1, sort_keys=True) + "\n").encode()
    encoded["SHA256SUMS"] = "".join(
        f"{dumps.sha256_bytes(v)}  {k}\n" for k, v in sorted(encoded.items())
    ).encode()
    return encoded


def build(settings: Settings, validate: bool = True) -> BuildResult:
    """Assemble, validate (SHACL and violation queries), render and publish atomically."""
    built = assemble(settings)
    if validate:
        from ..validation.run import validate_built

        report = validate_built(built, settings)
        if not report.conforms:
            raise BuildError("SHACL validation failed:\n" + report.text())
    files = render(built)
    release = dumps.write_release(settings.dist_dir, files)
    info = json.loads(files["build.json"])
    counts = {"triples": info["triples"], **{f"graph {k}": v for k, v in info["graphs"].items()},
              "annotations": info["annotations"], "passages": info["passages"],
              "interpolations": info["interpolations"]}
    return BuildResult(settings.dist_dir, release, built.version, info["triples"], counts)
