"""Validation: SHACL shapes (Core and SHACL-SPARQL, run by kg's engine (kg.validation.engine), or pyshacl as the reference) plus the
``*-violation.rq`` checks.

One report type serves the build, ``kg validate`` and the validation service: results grouped by focus
node, with the node's label and its source passage where the data has them, as text, Turtle or JSON.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.namespace import PROV, RDF, RDFS, SH, SKOS

from ..build import authored
from ..config import Settings
from ..inputs import InputError, read_files
from ..iris import OA, Iris
from . import sparql as shacl_sparql
from . import compile as shacl_compile
from .engine import Engine

CHECKS = Path("queries/checks")
CHECK_SOURCE = "kg:violation-query"


@dataclass(frozen=True)
class Result:
    focus: str
    path: str | None
    component: str
    severity: str
    message: str
    shape: str | None
    value: str | None


# how severe each sh:resultSeverity is, for ``Report.fails`` and ``kg validate --fail-on``
SEVERITY_RANK = {"violation": 3, "warning": 2, "info": 1}
FAIL_ON = tuple(SEVERITY_RANK)


@dataclass
class Report:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    passages: dict[str, str] = field(default_factory=dict)
    shapes_graph_report: Graph | None = None  # the SHACL engine's report graph, the shapes' results only
    check_rows: list[tuple[Result, dict]] = field(default_factory=list)  # the violation queries' rows
    _written: bool = field(default=False, repr=False)

    @property
    def report_graph(self) -> Graph | None:
        """The SHACL validation report graph, the violation queries' rows written into it as results on
        first use (a build with 10^5 blank nodes has 2·10^5 rows: only a report in RDF pays for them)."""
        if not self._written and self.shapes_graph_report is not None:
            _write_checks(self.shapes_graph_report, self.check_rows)
            self._written = True
        return self.shapes_graph_report

    def by_focus(self) -> dict[str, list[Result]]:
        groups: dict[str, list[Result]] = defaultdict(list)
        for r in sorted(self.results, key=lambda r: (r.focus, r.path or "", r.component, r.message)):
            groups[r.focus].append(r)
        return dict(groups)

    def fails(self, level: str = "violation") -> bool:
        """Whether any result is at ``level`` or more severe (``violation`` > ``warning`` > ``info``): what a
        user treats as failure (``kg validate --fail-on``). ``conforms`` itself follows SHACL: no result at all."""
        worst = SEVERITY_RANK[level]
        return any(SEVERITY_RANK.get(r.severity.rsplit("#", 1)[-1].lower(), 3) >= worst for r in self.results)

    def counts(self) -> dict[str, int]:
        """Results per severity (``violation``, ``warning``, ``info``), in that order, zeros left out."""
        found = {name: 0 for name in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True)}
        for r in self.results:
            name = r.severity.rsplit("#", 1)[-1].lower()
            found[name if name in found else "violation"] += 1
        return {k: v for k, v in found.items() if v}

    def text(self) -> str:
        if not self.results:
            return "Conforms: no violations."
        counts = ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in self.counts().items())
        nodes = len(self.by_focus())
        lines = [f"Does not conform: {counts} on {nodes} node{'s' if nodes != 1 else ''}."]
        for focus, results in self.by_focus().items():
            lines.append("")
            label = self.labels.get(focus)
            lines.append(f"{focus}" + (f"  ({label})" if label else ""))
            if focus in self.passages:
                lines.append(f"  passage: \"{self.passages[focus]}\"")
            for r in results:
                sev = r.severity.rsplit("#", 1)[-1]
                comp = r.component.rsplit("#", 1)[-1]
                path = f" {_short(r.path)}" if r.path else ""
                value = f" value {r.value}" if r.value else ""
                lines.append(f"  - [{sev}]{path}: {r.message} ({comp}{value})")
        return "\n".join(lines)

    def json(self, fail_on: str = "violation") -> str:
        data = {
            "conforms": self.conforms,
            "counts": self.counts(),
            "failOn": fail_on,
            "fails": self.fails(fail_on),
            "results": [
                {**r.__dict__, "label": self.labels.get(r.focus), "passage": self.passages.get(r.focus)}
                for rs in self.by_focus().values() for r in rs
            ],
        }
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def turtle(self) -> str:
        g = Graph()
        if self.report_graph is not None:
            g += self.report_graph
        g.bind("sh", SH)
        return g.serialize(format="turtle")


def _short(iri: str | None) -> str:
    if iri is None:
        return ""
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[-1]
    return iri


# Literals in the shapes graph that hold IRIs or SPARQL text: parse_turtle rebases IRIs, not these.
_IRI_TEXT = (SH.namespace, SH.select, SH.ask)


def rebase_shapes(shapes: Graph, iris: Iris) -> Graph:
    """The shapes with their sh:namespace declarations and SPARQL text moved onto ``iris.base``.

    Without this, a build with another KG_BASE_IRI would run SHACL-SPARQL constraints that name
    terms of the default base, match nothing, and pass.
    """
    default = Iris().base
    if iris.base == default:
        return shapes
    out = Graph()
    for s, p, o in shapes:
        if p in _IRI_TEXT and isinstance(o, Literal) and default in str(o):
            o = Literal(str(o).replace(default, iris.base), lang=o.language, datatype=o.datatype)
        out.add((s, p, o))
    return out


def load_shapes(settings: Settings, shapes_file: Path | None = None) -> Graph:
    iris = Iris(settings.base_iri)
    if shapes_file is not None:
        return rebase_shapes(authored.parse_turtle(shapes_file, iris), iris)
    g = Graph()
    for path in sorted((settings.root / authored.SHAPES).glob("*.ttl")):
        g += authored.parse_turtle(path, iris)
    return rebase_shapes(g, iris)


@lru_cache(maxsize=512)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]):
    return prepareQuery(text, initNs=dict(namespaces))


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once, or hands it to pyoxigraph.

    pyshacl runs a SHACL-SPARQL constraint once per focus node and hands rdflib the query text each
    time; parsing dominates (about 50 ms a query), so the graph caches the prepared query.

    With ``oxigraph`` set (engine="kg": a store holding this graph's triples), a query whose only
    pre-bound variable is ``$this`` bound to an IRI or literal runs there instead, with ``$this``
    substituted: these are the SHACL-SPARQL constraints pyshacl keeps (those of shapes reached through
    sh:xone, sh:node or sh:or). rdflib joins initBindings after evaluating the whole pattern, so each
    call scanned every match in the graph (22 s of 27 s for the annotation shapes over 10^4 triples of
    ours). A solution holding a blank node goes back to rdflib, whose blank node labels the report must use.
    """

    oxigraph = None

    def query(self, query_object, *args, **kwargs):
        # pyshacl passes (processor, result, initNs, initBindings, ...) by position
        binds = kwargs.get("initBindings") or (args[3] if len(args) > 3 else None) or {}
        if (self.oxigraph is not None and isinstance(query_object, str) and set(binds) <= {"this"}
                and all(isinstance(t, (URIRef, Literal)) for t in binds.values())):
            result = shacl_sparql.query_with_this(self.oxigraph, query_object, binds.get("this"))
            if result is not None:
                return result
        if isinstance(query_object, str):
            ns = kwargs.get("initNs") or dict(self.namespaces())
            query_object = _prepared(query_object, tuple(sorted((k, str(v)) for k, v in ns.items())))
        return super().query(query_object, *args, **kwargs)


def violation_queries(settings: Settings) -> list[tuple[str, str]]:
    """(name, text) of every queries/checks/*-violation.rq, with the base IRI rebased."""
    iris = Iris(settings.base_iri)
    out = []
    for path in sorted((settings.root / CHECKS).glob("*-violation.rq")):
        text = path.read_text(encoding="utf-8")
        if iris.base != Iris().base:
            text = text.replace(Iris().base, iris.base)
        out.append((path.name, text))
    return out


def _run_checks(data: Graph, checks: list[tuple[str, str]], store=None) -> list[tuple[Result, dict]]:
    """Each row of a violation query is a violation; its ?focus (or first column) names the node. Each
    result comes with the row as rdflib terms (``focus``, ``path``, ``value``, ``message``), for the report
    graph.

    The queries run in pyoxigraph (one store for all of them): full scans with filters, which rdflib's
    engine takes seconds over (about 9 s for the four checks on the built graph, under 1 s here).
    """
    if not checks:
        return []
    if store is None:
        store = shacl_sparql.load_store(data)
    results = []
    for name, text in checks:
        solutions = store.query(text)
        names = [v.value for v in solutions.variables]
        for row in solutions:
            terms = {n: shacl_sparql.rdflib_term(row[n]) for n in names if row[n] is not None}
            d = {n: str(t) for n, t in terms.items()}
            focus = d.get("focus", next(iter(d.values()), None))
            message = d.get("message", f"{name} returned this row")
            terms.setdefault("focus", next(iter(terms.values()), None))
            terms["message"] = Literal(message)
            results.append((Result(str(focus), d.get("path"), f"{CHECK_SOURCE}/{name}", str(SH.Violation), message,
                                   None, d.get("value")), terms))
    return results


def _write_checks(report_graph: Graph, found: list[tuple[Result, dict]]) -> None:
    """The violation queries' rows as ``sh:result``s of the report graph, which then does not conform.

    A row is a result of a SPARQL-based constraint outside any shape (the query file, not a shape, is its
    source): ``sh:sourceConstraintComponent sh:SPARQLConstraintComponent``, the query file's name as
    ``sh:sourceConstraint``'s ``rdfs:label``, and no ``sh:sourceShape``.
    """
    if not found:
        return
    report = next(report_graph.subjects(RDF.type, SH.ValidationReport))
    for result, terms in found:
        node = BNode()
        constraint = BNode()
        report_graph.add((report, SH.result, node))
        report_graph.add((node, RDF.type, SH.ValidationResult))
        if terms.get("focus") is not None:
            report_graph.add((node, SH.focusNode, terms["focus"]))
        if isinstance(terms.get("path"), URIRef):
            report_graph.add((node, SH.resultPath, terms["path"]))
        if terms.get("value") is not None:
            report_graph.add((node, SH.value, terms["value"]))
        report_graph.add((node, SH.resultMessage, terms["message"]))
        report_graph.add((node, SH.resultSeverity, SH.Violation))
        report_graph.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        report_graph.add((node, SH.sourceConstraint, constraint))
        report_graph.add((constraint, RDFS.label, Literal(result.component)))
    report_graph.set((report, SH.conforms, Literal(False)))


def _namespaces_of(data: Graph) -> Graph:
    """An empty graph with the prefixes pyshacl's data graph has (rdflib's defaults, then the data's)."""
    g = _PreparedQueryGraph()
    for prefix, ns in data.namespaces():
        g.bind(prefix, ns, override=False)
    return g


class ShapesError(ValueError):
    """A shapes graph that SHACL says cannot be validated with (the validation fails, with this message)."""


# SPARQL that SHACL 1.0 section 5.3.1 does not allow in a query with pre-bound variables
_NOT_WITH_PRE_BINDING = ("MINUS", "VALUES", "SERVICE")


def check_sparql(shapes: Graph) -> None:
    """Refuse, naming the keyword, the line and the column, every SHACL-SPARQL query of ``shapes`` that uses
    MINUS, VALUES or SERVICE, which SHACL does not allow with pre-bound variables (they would otherwise be
    evaluated with an answer SHACL does not define)."""
    from ..sparql.guard import QueryRefused, tokens

    for p in (SH.select, SH.ask):
        for owner, text in shapes.subject_objects(p):
            shape = next(shapes.subjects(SH.sparql, owner), None)
            owner = f"<{owner}>" if isinstance(owner, URIRef) else (
                f"a constraint of <{shape}>" if isinstance(shape, URIRef) else "a constraint (a blank node)")
            try:
                found = tokens(str(text), 10_000)
            except QueryRefused as err:
                raise ShapesError(f"the SHACL-SPARQL query of {owner}: {err}") from None
            for t in found:
                if t.kind == "word" and t.text.upper() in _NOT_WITH_PRE_BINDING:
                    raise ShapesError(f"the SHACL-SPARQL query of {owner} uses {t.text.upper()} at line {t.line}, "
                                      f"column {t.column}: SHACL does not allow it with pre-bound variables "
                                      "(section 5.3.1)")


def _shacl_kg(data: Graph, shapes: Graph, ontology: Graph | None, store) -> tuple[bool, Graph]:
    """kg.validation.engine for what it implements; pyshacl (as _shacl_pyshacl) for the shapes it leaves.
    ``store()`` gives the pyoxigraph store of the data and the ontology (shacl_sparql.load)."""
    plan = shacl_compile.plan(shapes)
    evaluator = Engine(shapes, data, ontology, _namespaces_of(data), store)
    conforms, found = evaluator.run(plan.fast)
    report_graph = evaluator.write(found, conforms)
    if plan.rest is not None:
        rest_conforms, rest_graph = _shacl_pyshacl(data, plan.rest, ontology, "kg", None, None)
        conforms = conforms and rest_conforms
        ours = next(report_graph.subjects(RDF.type, SH.ValidationReport))
        theirs = next(rest_graph.subjects(RDF.type, SH.ValidationReport))
        for s, p, o in rest_graph:
            if s != theirs:
                report_graph.add((s, p, o))
            elif p == SH.result:
                report_graph.add((ours, p, o))
        report_graph.set((ours, SH.conforms, Literal(conforms)))
    return conforms, report_graph


def _shacl_pyshacl(data: Graph, shapes: Graph, ontology: Graph | None, engine: str,
                   focus_nodes: list[URIRef] | None, use_shapes: list[URIRef] | None) -> tuple[bool, Graph]:
    """pyshacl's run; with engine="kg" the SHACL-SPARQL constraints it can are taken by kg.validation.sparql."""
    constraints = []
    shapes_all = shapes
    if engine == "kg":
        shapes, constraints = shacl_sparql.split(shapes)
    work = _namespaces_of(data)
    work += data
    if ontology is not None:
        work += ontology
    store = shacl_sparql.load_store(work) if engine == "kg" else None
    work.oxigraph = store
    options = {}
    if focus_nodes is not None:
        options["focus_nodes"] = list(focus_nodes)
    if use_shapes is not None:
        options["use_shapes"] = list(use_shapes)
    conforms, report_graph, _ = shacl_validate(
        work, shacl_graph=shapes, inference="none", abort_on_first=False, inplace=True,
        allow_warnings=False, advanced=False, meta_shacl=False, do_owl_imports=False, **options,
    )
    if constraints:
        report_node = next(report_graph.subjects(RDF.type, SH.ValidationReport))
        found = shacl_sparql.evaluate(
            store, shapes_all, constraints, report_graph, report_node,
            only_focus=set(focus_nodes) if focus_nodes is not None else None,
            only_shapes=set(use_shapes) if use_shapes is not None else None,
        )
        if found:
            conforms = False
            report_graph.set((report_node, SH.conforms, Literal(False)))
    return bool(conforms), report_graph


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None,
                   checks: list[tuple[str, str]] | None = None, *,
                   focus_nodes: list[URIRef] | None = None, use_shapes: list[URIRef] | None = None,
                   engine: str = "kg") -> Report:
    """Validate ``data`` (with ``ontology`` mixed in, as SHACL's class targets need its subclasses).

    ``focus_nodes`` and ``use_shapes`` narrow the run to some nodes or shapes (pyshacl options), for
    tests that validate many small mutations of one graph.

    ``engine="kg"`` (the default) runs the shapes with kg.validation.engine (SHACL Core in Python over indexes,
    SHACL-SPARQL in pyoxigraph), leaving to pyshacl only shapes that module does not implement, and the
    runs narrowed by ``focus_nodes``/``use_shapes`` (pyshacl Core, SHACL-SPARQL by kg.validation.sparql);
    ``engine="pyshacl"`` runs everything in pyshacl. Both give the same report (tests/validation/test_engine.py).
    """
    if engine not in ("kg", "pyshacl"):
        raise ValueError(f"unknown validation engine {engine!r}")
    stores: list = []

    def store():
        if not stores:
            stores.append(shacl_sparql.load(data, ontology))
        return stores[0]

    if engine == "kg":
        check_sparql(shapes)
    if engine == "kg" and focus_nodes is None and use_shapes is None:
        conforms, report_graph = _shacl_kg(data, shapes, ontology, store)
    else:
        conforms, report_graph = _shacl_pyshacl(data, shapes, ontology, engine, focus_nodes, use_shapes)
    results = []
    for r in report_graph.subjects(RDF.type, SH.ValidationResult):
        def v(p):
            x = report_graph.value(r, p)
            return None if x is None else str(x)
        results.append(Result(v(SH.focusNode) or "", v(SH.resultPath), v(SH.sourceConstraintComponent) or "",
                              v(SH.resultSeverity) or str(SH.Violation), v(SH.resultMessage) or "",
                              v(SH.sourceShape), v(SH.value)))
    found = _run_checks(data, checks or [], store().store if checks and engine == "kg" else None)
    extra = [result for result, _ in found]
    results += extra
    conforms = bool(conforms) and not extra
    labels, passages = {}, {}
    for focus in {r.focus for r in results}:
        node = URIRef(focus)
        label = _label(data, node)
        if label:
            labels[focus] = label
        for p in data.objects(node, PROV.wasDerivedFrom):
            for sel in data.objects(p, OA.hasSelector):
                exact = data.value(sel, OA.exact)
                if exact is not None:
                    passages[focus] = str(exact)[:200]
            if focus in passages:
                break
    return Report(conforms, results, labels, passages, report_graph, found)


def _label(g: Graph, node: URIRef) -> str | None:
    best = None
    for p in (SKOS.prefLabel, RDFS.label):
        for o in g.objects(node, p):
            if isinstance(o, Literal) and (o.language in (None, "en")):
                return str(o)
            best = best or str(o)
    return best


def validate_built(built, settings: Settings) -> Report:
    """The build's own validation: union of its graphs, with the ontology, against our shapes
    (``built.shapes`` are rebased already, by kg.build.assemble)."""
    return validate_graph(built.union(), built.shapes, built.ontology, violation_queries(settings))


def cli_validate(settings: Settings, files: list[str], fmt: str, shapes_file: str | None,
                 fail_on: str = "violation") -> int:
    """Exit 0 when no result is at ``fail_on`` or more severe, 1 when one is, 2 on bad input. The report
    itself always follows SHACL (``sh:conforms`` false whenever there is a result)."""
    try:
        shapes = load_shapes(settings, Path(shapes_file) if shapes_file else None)
    except (authored.AuthoredError, OSError) as err:
        print(f"kg validate: bad shapes file: {err}", file=sys.stderr)
        return 2
    if not files:
        nq = settings.dist_dir / "dataset.nq"
        if not nq.is_file():
            print(f"kg validate: no build at {nq}; run `kg build` first or name files", file=sys.stderr)
            return 2
    try:
        data = read_files([Path(f) for f in files] if files else [settings.dist_dir / "dataset.nq"])
    except InputError as err:
        print(f"kg validate: {err}", file=sys.stderr)
        return 2
    ontology = authored.parse_turtle(settings.root / authored.ONTOLOGY, Iris(settings.base_iri))
    checks = violation_queries(settings)
    try:
        report = validate_graph(data, shapes, ontology, checks)
    except ShapesError as err:
        print(f"kg validate: bad shapes file: {err}", file=sys.stderr)
        return 2
    if fmt == "json":
        sys.stdout.write(report.json(fail_on))
    elif fmt == "turtle":
        sys.stdout.write(report.turtle())
    else:
        print(report.text())
    return 1 if report.fails(fail_on) else 0


__all__ = ["Report", "Result", "validate_graph", "validate_built", "cli_validate", "load_shapes", "rebase_shapes"]
