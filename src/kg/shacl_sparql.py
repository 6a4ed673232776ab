"""SHACL-SPARQL constraints (``sh:sparql`` with ``sh:select``) evaluated by pyoxigraph.

pyshacl runs each SPARQL constraint once per focus node through rdflib's SPARQL engine; on our graph that
is most of the validation time (about 30 s of 37 s). This module runs each constraint ONCE for all its
focus nodes: ``$this`` becomes a variable pre-bound by a ``VALUES`` block over the focus nodes (SHACL
forbids VALUES in constraint queries, so ours cannot clash), the rows are grouped by ``?this``, and each
row becomes the validation result SHACL 1.0 section 5.3.2 prescribes. Anything this module does not
handle exactly (``$currentShape``, ``$shapesGraph``, nested SELECTs, complex ``sh:path``, shapes without
targets of their own or of a parent node shape) is left in the shapes graph for pyshacl to run, so the
combined report is the one pyshacl alone gives (tests/test_shacl_sparql.py compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import BlankNode as OxBlank
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode as OxNamed
from pyoxigraph import QuerySolutions, RdfFormat, Store
from pyoxigraph import Variable as OxVariable
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

_THIS = re.compile(r"\$this\b")
_PATH = re.compile(r"\$PATH\b")
_UNSUPPORTED = re.compile(r"\$(currentShape|shapesGraph)\b")
_SELECT = re.compile(r"\bSELECT\b", re.I)
_WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.I)
_PROJECTION = re.compile(r"\bSELECT\s+(DISTINCT\s+|REDUCED\s+)?", re.I)
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Constraint:
    shape: URIRef | BNode
    constraint: URIRef | BNode
    query: str  # rewritten: ?this free, $PATH substituted, prefixes prepended
    path: URIRef | None  # the property shape's path, if any
    severity: URIRef
    messages: tuple[Literal, ...]


def _prefix_block(shapes: Graph, constraint) -> str:
    lines = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(holder, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>")
    return "\n".join(sorted(set(lines)))


def _rewrite(select: str, path: URIRef | None) -> str | None:
    """The constraint's SELECT with ``$this`` free and projected, ready for a VALUES block; None if unsafe."""
    if _UNSUPPORTED.search(select) or len(_SELECT.findall(select)) != 1:
        return None
    if _PATH.search(select):
        if path is None:
            return None
        select = _PATH.sub(f"<{path}>", select)
    text = _THIS.sub("?this", select)
    m = _PROJECTION.search(text)
    if m is None or _WHERE_OPEN.search(text) is None:
        return None
    head = text[m.end():].lstrip()
    if not head.startswith("*") and not re.match(r"(\?this\b|\(\s*[^)]*AS\s+\?this\s*\))", head):
        projection = text[m.end(): _WHERE_OPEN.search(text).start()]
        if not re.search(r"\?this\b", projection):
            text = text[: m.end()] + "?this " + text[m.end():]
    return text


def _parents(shapes: Graph, shape) -> list:
    return list(shapes.subjects(SH.property, shape))


def _has_targets(shapes: Graph, shape) -> bool:
    return any(shapes.value(shape, p) is not None for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
                                                          SH.targetObjectsOf)) or _is_class(shapes, shape)


def _is_class(shapes: Graph, shape) -> bool:
    return (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes


def split(shapes: Graph) -> tuple[Graph, list[Constraint]]:
    """(shapes for pyshacl, constraints this module evaluates); every sh:sparql goes to exactly one side."""
    handled: list[Constraint] = []
    keep = Graph()
    for prefix, ns in shapes.namespaces():
        keep.bind(prefix, ns, override=False)
    taken: set[tuple] = set()
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql), key=lambda t: (str(t[0]), str(t[1]))):
        if (shapes.value(constraint, SH.deactivated) == Literal(True)
                or shapes.value(shape, SH.deactivated) == Literal(True)):
            continue
        select = shapes.value(constraint, SH.select)
        path = shapes.value(shape, SH.path)
        if select is None or (path is not None and not isinstance(path, URIRef)):
            continue
        if path is None and not _has_targets(shapes, shape):
            continue
        if path is not None and not (_has_targets(shapes, shape)
                                     or any(_has_targets(shapes, p) for p in _parents(shapes, shape))):
            continue
        query = _rewrite(str(select), path)
        if query is None:
            continue
        full = _prefix_block(shapes, constraint) + "\n" + query
        severity = shapes.value(shape, SH.severity) or SH.Violation
        messages = tuple(sorted(shapes.objects(constraint, SH.message), key=str))
        handled.append(Constraint(shape, constraint, full, path, severity, messages))
        taken.add((shape, SH.sparql, constraint))
    for triple in shapes:
        if triple not in taken:
            keep.add(triple)
    return keep, handled


def _ox(term):
    if isinstance(term, URIRef):
        return OxNamed(str(term))
    raise TypeError(term)


def _rdf(term):
    if term is None:
        return None
    if isinstance(term, OxNamed):
        return URIRef(term.value)
    if isinstance(term, OxBlank):
        return BNode(term.value)
    if isinstance(term, OxLiteral):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == str(XSD.string) else URIRef(dt))
    raise TypeError(term)


def load_store(data: Graph) -> Store:
    """The data graph in an in-memory pyoxigraph store (default graph)."""
    store = Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    return store


def query_with_this(store: Store, text: str, this):
    """An rdflib SELECT result of ``text`` run by pyoxigraph with ``$this``/``?this`` substituted by
    ``this`` (or unbound), or None when rdflib must answer: not a plain SELECT, a syntax pyoxigraph does
    not take, or a blank node in a solution."""
    from rdflib.query import Result
    from rdflib.term import Variable

    try:
        solutions = store.query(text, substitutions={OxVariable("this"): _ox_term(this)} if this is not None else None)
    except SyntaxError:
        return None
    if not isinstance(solutions, QuerySolutions):
        return None
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if term is None:
                continue
            if isinstance(term, OxBlank):
                return None
            row[Variable(name)] = _rdf(term)
        rows.append(row)
    result = Result("SELECT")
    result.vars = [Variable(n) for n in names]
    result.bindings = rows
    return result


def _ox_term(term):
    if isinstance(term, URIRef):
        return OxNamed(str(term))
    if term.language:
        return OxLiteral(str(term), language=term.language)
    return OxLiteral(str(term), datatype=OxNamed(str(term.datatype or XSD.string)))


def _focus_nodes(store: Store, shapes: Graph, shape) -> set:
    found: set = set()
    classes = list(shapes.objects(shape, SH.targetClass))
    if _is_class(shapes, shape):
        classes.append(shape)
    for cls in classes:
        q = f"SELECT DISTINCT ?x WHERE {{ ?x a/<{RDFS.subClassOf}>* <{cls}> }}"
        found.update(_rdf(row["x"]) for row in store.query(q))
    found.update(shapes.objects(shape, SH.targetNode))
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        found.update(_rdf(row["x"]) for row in store.query(f"SELECT DISTINCT ?x WHERE {{ ?x <{p}> ?o }}"))
    for p in shapes.objects(shape, SH.targetObjectsOf):
        found.update(_rdf(row["x"]) for row in store.query(f"SELECT DISTINCT ?x WHERE {{ ?s <{p}> ?x }}"))
    return found


def _targets_of(store: Store, shapes: Graph, c: Constraint) -> set:
    """Focus nodes of a constraint's shape: its own targets, or for a property shape its parents'."""
    focus: set = set()
    if c.path is None or _has_targets(shapes, c.shape):
        focus |= _focus_nodes(store, shapes, c.shape)
    if c.path is not None:
        for parent in _parents(shapes, c.shape):
            focus |= _focus_nodes(store, shapes, parent)
    return focus


def _with_values(query: str, nodes: list) -> str:
    m = _WHERE_OPEN.search(query)
    values = " ".join(n.n3() for n in nodes if isinstance(n, (URIRef, Literal)))
    return f"{query[: m.end()]} VALUES ?this {{ {values} }} {query[m.end():]}"


def _message(template: Literal, row: dict) -> Literal:
    def sub(m):
        v = row.get(m.group(1))
        return "" if v is None else (str(v) if not isinstance(v, URIRef) else str(v))
    return Literal(_TEMPLATE.sub(sub, str(template)), lang=template.language, datatype=template.datatype)


def evaluate(store: Store, shapes: Graph, constraints: list[Constraint], report: Graph, report_node,
             only_focus: set | None = None, only_shapes: set | None = None) -> int:
    """Add one sh:ValidationResult per solution to ``report``; return how many are violations.

    ``only_focus`` / ``only_shapes`` narrow the run as pyshacl's focus_nodes / use_shapes options do.
    """
    violations = 0
    for c in constraints:
        if only_shapes is not None and c.shape not in only_shapes:
            continue
        if only_focus is not None:
            # as pyshacl's focus_nodes option: the given nodes are validated against the shapes used,
            # whether or not the shapes target them
            focus = set(only_focus)
        else:
            focus = _targets_of(store, shapes, c)
        nodes = sorted((n for n in focus if not isinstance(n, BNode)), key=str)
        if not nodes:
            continue
        results = store.query(_with_values(c.query, nodes))
        names = [v.value for v in results.variables]
        for solution in results:
            row = {name: _rdf(solution[name]) for name in names}
            this = row.get("this")
            if this is None:
                continue
            r = BNode()
            report.add((report_node, SH.result, r))
            report.add((r, RDF.type, SH.ValidationResult))
            report.add((r, SH.focusNode, this))
            path = row.get("path") if row.get("path") is not None else c.path
            if path is not None:
                report.add((r, SH.resultPath, path))
            value = row.get("value")
            if value is None and c.path is None:
                value = this
            if value is not None:
                report.add((r, SH.value, value))
            report.add((r, SH.resultSeverity, c.severity))
            report.add((r, SH.sourceShape, c.shape))
            report.add((r, SH.sourceConstraint, c.constraint))
            report.add((r, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            if row.get("message") is not None:
                report.add((r, SH.resultMessage, row["message"]))
            else:
                for m in c.messages:
                    report.add((r, SH.resultMessage, _message(m, row)))
            if c.severity == SH.Violation:
                violations += 1
    return violations
