"""SHACL-SPARQL constraints (``sh:sparql`` with ``sh:select``) evaluated by pyoxigraph.

pyshacl runs each SPARQL constraint once per focus node through rdflib's SPARQL engine; on our graph that
is most of the validation time (about 30 s of 37 s). This module runs each constraint ONCE for all its
focus nodes: ``$this`` becomes a variable pre-bound by a ``VALUES`` block over the focus nodes (SHACL
forbids VALUES in constraint queries, so ours cannot clash), the rows are grouped by ``?this``, and each
row becomes the validation result SHACL 1.0 section 5.3.2 prescribes. Anything this module does not
handle exactly (nested SELECTs, complex ``sh:path``, shapes without targets of their own or of a parent
node shape; in ``split``, for pyshacl's runs, ``$currentShape`` and ``$shapesGraph`` too) is left in the
shapes graph for pyshacl to run, so the combined report is the one pyshacl alone gives
(tests/validation/test_sparql.py compares them). kg's engine (the ``Sparql`` component) pre-binds
``$currentShape`` and ``$shapesGraph`` (the shapes graph put in a named graph of the store) as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import BlankNode as OxBlank
from pyoxigraph import DefaultGraph
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode as OxNamed
from pyoxigraph import Quad as OxQuad
from pyoxigraph import QuerySolutions, Store
from pyoxigraph import Variable as OxVariable
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from ..sparql.results import bound_terms
from ..sparql.values import values_first
from .components import Component
from .values import Rec, Unsupported, memory_index

_THIS = re.compile(r"\$this\b")
_PATH = re.compile(r"\$PATH\b")
_UNSUPPORTED = re.compile(r"[?$](currentShape|shapesGraph)\b")
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
    """The PREFIX lines of the constraint's ``sh:prefixes``: the ``sh:declare`` of each value and of what it
    reaches through ``owl:imports`` within the shapes graph (SHACL 5.2.1)."""
    lines = []
    holders, todo = [], list(shapes.objects(constraint, SH.prefixes))
    while todo:
        holder = todo.pop()
        if holder in holders:
            continue
        holders.append(holder)
        todo.extend(shapes.objects(holder, OWL.imports))
    for holder in holders:
        for decl in shapes.objects(holder, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>")
    return "\n".join(sorted(set(lines)))


def _rewrite(select: str, path: URIRef | None, special: bool = False) -> str | None:
    """The constraint's SELECT with ``$this`` free and projected, ready for a VALUES block; None if unsafe
    (``$currentShape`` or ``$shapesGraph`` among it, unless ``special``: the caller pre-binds them)."""
    if (_UNSUPPORTED.search(select) and not special) or len(_SELECT.findall(select)) != 1:
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
        if _this_in_a_filter_of_an_inner_group(str(select)):
            continue  # pyshacl pre-binds $this itself
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


def rdflib_term(term):
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


ONTOLOGY = OxNamed("urn:x-kg:ontology")
SHAPES_GRAPH = OxNamed("urn:x-kg:shapes-graph")  # $shapesGraph: a named graph, outside the default graph
# the default graph of SHACL-SPARQL queries over a store from load_store(data, ontology): the data and the ontology
WITH_ONTOLOGY = [DefaultGraph(), ONTOLOGY]




def each_triple(g: Graph):
    spo = memory_index(g, "spo")
    if spo is None:
        yield from g
        return
    for s, po in spo.items():
        for p, objects in po.items():
            for o in objects:
                yield s, p, o


@dataclass
class Loaded:
    """A store from ``load`` and what Oxigraph changed while storing the literals.

    Oxigraph stores numbers, booleans and dates by value: ``"036274"^^xsd:integer`` comes back as ``"36274"``
    (``STR()`` then differs from rdflib's), ``"5"^^xsd:nonNegativeInteger`` as ``"5"^^xsd:integer``.
    """

    store: Store
    lexical_changed: bool  # some literal's lexical form: SPARQL constraints must run in rdflib, as pyshacl's do
    originals: dict  # (lexical form, datatype IRI) as Oxigraph returns it -> the data's literal (None: ambiguous)
    terms: dict  # pyoxigraph term -> the data's rdflib term
    has_shapes: bool = False  # the shapes graph is in SHAPES_GRAPH (with_shapes)

    def term(self, term):
        """The rdflib term of a pyoxigraph one: the data's own where it has it, a retyped literal given back
        its data's datatype."""
        found = self.terms.get(term)
        if found is not None:
            return found
        if self.originals and isinstance(term, OxLiteral):
            found = self.originals.get((term.value, term.datatype.value))
            if found is not None:
                return found
        return rdflib_term(term)


def load(data: Graph, ontology: Graph | None = None) -> Loaded:
    """The data in an in-memory pyoxigraph store's default graph, blank nodes keeping their labels, and the
    ontology's other triples in the graph ONTOLOGY (query them with ``default_graph=WITH_ONTOLOGY``), so
    one store serves the ``*-violation.rq`` checks (data only) and the SHACL-SPARQL constraints.

    Terms are converted one by one (a cache per distinct term): several times faster than serializing
    N-Triples with rdflib and parsing them again.
    """
    store = Store()
    cache: dict = {}

    def ox(term):
        found = cache.get(term)
        if found is None:
            if isinstance(term, BNode):
                found = OxBlank(str(term))
            elif isinstance(term, URIRef):
                found = OxNamed(str(term))
            else:
                found = _ox_term(term)
            cache[term] = found
        return found

    spo = memory_index(data, "spo")
    if spo is not None:  # each subject and predicate converted once per group of triples
        store.bulk_extend(OxQuad(s_, p_, ox(o)) for s, po in spo.items() for s_ in (ox(s),)
                          for p, objects in po.items() for p_ in (ox(p),) for o in objects)
    else:
        store.bulk_extend(OxQuad(ox(s), ox(p), ox(o)) for s, p, o in data)
    if ontology is not None:
        store.extend(OxQuad(ox(s), ox(p), ox(o), ONTOLOGY) for s, p, o in each_triple(ontology)
                     if (s, p, o) not in data)
    typed = [t for t in cache if isinstance(t, Literal) and t.datatype is not None and t.datatype != XSD.string]
    probe, subject, predicate = Store(), OxNamed("urn:x-kg:probe"), OxNamed("urn:x-kg:value")
    probe.extend(OxQuad(subject, predicate, cache[t], OxNamed(f"urn:x-kg:{i}")) for i, t in enumerate(typed))
    lexical_changed, originals = False, {}
    for q in probe:
        term, stored = typed[int(q.graph_name.value[9:])], q.object
        if stored.value != str(term):
            lexical_changed = True
        elif stored.datatype.value != str(term.datatype):
            key = (stored.value, stored.datatype.value)
            originals[key] = term if key not in originals else None
    for key in [k for k, v in originals.items() if v is not None]:
        if Literal(key[0], datatype=URIRef(key[1])) in cache:  # the data has that literal too: ambiguous
            originals[key] = None
    return Loaded(store, lexical_changed, originals, {v: k for k, v in cache.items()})


def with_shapes(loaded: Loaded, shapes: Graph) -> Loaded:
    """``loaded`` with the shapes graph in the named graph SHAPES_GRAPH (once), for ``$shapesGraph``."""
    if not loaded.has_shapes:
        loaded.store.extend(OxQuad(_ox_term(s), _ox_term(p), _ox_term(o), SHAPES_GRAPH) for s, p, o in shapes)
        loaded.has_shapes = True
    return loaded


def load_store(data: Graph, ontology: Graph | None = None) -> Store:
    """``load(...).store``."""
    return load(data, ontology).store


def rows_rdflib(graph: Graph, shapes: Graph, constraint, path: URIRef | None, focus: list) -> dict:
    """``rows`` computed as pyshacl does: the constraint's SELECT (prefixes and $PATH applied) run by rdflib
    once per focus node with ``$this`` pre-bound."""
    text = str(shapes.value(constraint, SH.select))
    if path is not None:
        text = _PATH.sub(f"<{path}>", text)
    query = _prepared_query(_prefix_block(shapes, constraint) + "\n" + text)
    out: dict = {}
    for f in focus:
        for solution in graph.query(query, initBindings={"this": f}):
            row = {str(k): v for k, v in solution.asdict().items()}
            this, path_, value = row.pop("this", None), row.pop("path", None), row.pop("value", None)
            if this is None and path_ is None and value is None:
                continue
            found = out.setdefault(f, [])
            if (this, path_, value, row) not in found:
                found.append((this, path_, value, row))
    return out


@lru_cache(maxsize=256)
def _prepared_query(text: str):
    return prepareQuery(text)


def query_with_this(store: Store, text: str, this):
    """An rdflib SELECT result of ``text`` run by pyoxigraph with ``$this``/``?this`` substituted by
    ``this`` (or unbound), or None when rdflib must answer: not a plain SELECT, a syntax pyoxigraph does
    not take, or a blank node in a solution."""
    from rdflib.query import Result
    from rdflib.term import Variable

    if _this_in_a_filter_of_an_inner_group(text):
        return None  # Oxigraph's substitution joins like a VALUES block; rdflib pre-binds as SHACL says
    try:
        solutions = store.query(text, substitutions={OxVariable("this"): _ox_term(this)} if this is not None else None)
    except SyntaxError:
        return None
    if not isinstance(solutions, QuerySolutions):
        return None
    names = [v.value for v in solutions.variables]
    rows = []
    for row in bound_terms(solutions):
        if any(isinstance(term, OxBlank) for term in row.values()):
            return None
        rows.append({Variable(name): rdflib_term(term) for name, term in row.items()})
    result = Result("SELECT")
    result.vars = [Variable(n) for n in names]
    result.bindings = rows
    return result


def _ox_term(term):
    if isinstance(term, URIRef):
        return OxNamed(str(term))
    if isinstance(term, BNode):
        return OxBlank(str(term))
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
        found.update(rdflib_term(row["x"]) for row in store.query(q))
    found.update(shapes.objects(shape, SH.targetNode))
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        found.update(rdflib_term(row["x"]) for row in store.query(f"SELECT DISTINCT ?x WHERE {{ ?x <{p}> ?o }}"))
    for p in shapes.objects(shape, SH.targetObjectsOf):
        found.update(rdflib_term(row["x"]) for row in store.query(f"SELECT DISTINCT ?x WHERE {{ ?s <{p}> ?x }}"))
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
    return values_first(query, ["this"], [[n.n3()] for n in nodes if isinstance(n, (URIRef, Literal))])


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
            row = {name: rdflib_term(solution[name]) for name in names}
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


@dataclass(frozen=True)
class Prepared:
    """One constraint's SELECT with ``$this`` free and projected (see ``_rewrite``), for ``rows``."""

    query: str
    projects_this: bool  # whether the constraint's own SELECT returns ?this (pyshacl's messages see it only then)
    bound: tuple[tuple[str, object], ...] = ()  # $currentShape, $shapesGraph: (name, rdflib term) pre-bound too


def _this_in_a_filter_of_an_inner_group(select: str, names: tuple[str, ...] = ("this",)) -> bool:
    """Whether ``$this`` is read by a FILTER or BIND inside a plain inner group (``{ … }`` nested in the WHERE
    clause, a UNION branch among them) that is not inside EXISTS, NOT EXISTS, OPTIONAL, MINUS or GRAPH.
    There SHACL's pre-binding (the value put in for the variable) and a VALUES block opening the query differ:
    SPARQL's scoping leaves ``?this`` unbound in such a group (W3C pre-binding-002, 003, 005)."""
    from ..sparql.guard import QueryRefused, tokens

    try:
        found = tokens(select, 10_000)
    except QueryRefused:
        return True
    stack: list[bool] = []  # per open group: whether it and every group around it (below WHERE's) is plain
    previous = None
    in_expr = 0  # parentheses of a FILTER or BIND still open
    for t in found:
        if t.text == "{":
            plain = previous is not None and (previous.text in ("{", "}", ".") or previous.text.upper() == "UNION")
            stack.append(plain and (not stack or stack[-1] or len(stack) == 1))
        elif t.text == "}" and stack:
            stack.pop()
        elif t.kind == "word" and t.text.upper() in ("FILTER", "BIND"):
            in_expr = -1  # the next "(" opens it
        elif t.text == "(" and in_expr:
            in_expr = 1 if in_expr < 0 else in_expr + 1
        elif t.text == ")" and in_expr > 0:
            in_expr -= 1
        elif t.kind == "var" and t.text[1:] in names and in_expr > 0 and len(stack) > 1 and stack[-1]:
            return True
        previous = t
    return False


def prepare(shapes: Graph, shape, constraint, path: URIRef | None, *, special: bool = False) -> Prepared | None:
    """``constraint`` (an sh:sparql value of ``shape``) ready to run for many focus nodes; None if unsafe.

    With ``special``, ``$currentShape`` (an IRI shape only: a VALUES block cannot hold a blank node) and
    ``$shapesGraph`` (the graph SHAPES_GRAPH, where ``with_shapes`` puts the shapes graph) are pre-bound
    beside ``$this``."""
    select = shapes.value(constraint, SH.select)
    if select is None:
        return None
    bound: list[tuple[str, object]] = []
    if special:
        if re.search(r"[?$]currentShape\b", str(select)):
            if not isinstance(shape, URIRef):
                return None
            bound.append(("currentShape", shape))
        if re.search(r"[?$]shapesGraph\b", str(select)):
            bound.append(("shapesGraph", URIRef(SHAPES_GRAPH.value)))
        select = _UNSUPPORTED.sub(lambda m: "?" + m.group(1), str(select))
    if _this_in_a_filter_of_an_inner_group(str(select), ("this", *(name for name, _ in bound))):
        return None
    query = _rewrite(str(select), path, special)
    if query is None:
        return None
    text = _THIS.sub("?this", str(select))
    m = _PROJECTION.search(text)
    projection = text[m.end(): _WHERE_OPEN.search(text).start()]
    projects = projection.lstrip().startswith("*") or re.search(r"\?this\b", projection) is not None
    return Prepared(_prefix_block(shapes, constraint) + "\n" + query, projects, tuple(bound))


def rows(loaded: Loaded, prepared: Prepared, focus: list, default_graph=None) -> dict:
    """{focus node: [(this, path, value, other variables)]}: the solutions pyshacl reads per focus node, in
    one query for the IRIs and literals (a VALUES block) and one per blank node (substituted). As pyshacl,
    a solution binding none of this, path and value is dropped, and repeated ones count once."""
    out: dict = {}
    named = sorted((n for n in focus if isinstance(n, (URIRef, Literal))), key=lambda n: (type(n).__name__, str(n)))
    names = [name for name, _ in prepared.bound]
    terms = [term.n3() for _, term in prepared.bound]
    batches = [(values_first(prepared.query, ["this", *names], [[n.n3(), *terms] for n in named]), None)] if named else []
    alone = values_first(prepared.query, names, [terms]) if names else prepared.query
    batches += [(alone, n) for n in focus if isinstance(n, BNode)]
    for text, blank in batches:
        solutions = loaded.store.query(text, default_graph=default_graph,
                                substitutions={OxVariable("this"): _ox_term(blank)} if blank is not None else None)
        for row in bound_terms(solutions):
            row = {name: loaded.term(term) for name, term in row.items() if name not in names}
            this = row.pop("this", None)
            f = blank if blank is not None else this
            if f is None:
                continue
            this = f if prepared.projects_this else None
            path, value = row.pop("path", None), row.pop("value", None)
            if this is None and path is None and value is None:
                continue
            found = out.setdefault(f, [])
            item = (this, path, value, row)
            if item not in found:
                found.append(item)
    return out


# --- the sh:sparql component of kg's engine --------------------------------------------------------------

_SPARQL_SPECIAL = re.compile(r"[?$]failure\b")


class Sparql(Component):
    """sh:sparql: each constraint once for all focus nodes (``rows``), rows as pyshacl reads them."""

    iri = SH.SPARQLConstraintComponent

    def __init__(self, c, node, shape_path):
        self.constraints = []
        for constraint in c.g.objects(node, SH.sparql):
            if c.g.value(constraint, SH.deactivated) == Literal(True):
                continue
            selects = list(c.g.objects(constraint, SH.select))
            if len(selects) != 1 or list(c.g.objects(constraint, SH.ask)) or _SPARQL_SPECIAL.search(str(selects[0])):
                raise Unsupported(f"sh:sparql {constraint} on {node}")
            prepared = prepare(c.g, node, constraint, shape_path, special=True)
            if prepared is None:
                raise Unsupported(f"sh:sparql {constraint} on {node}")
            messages = set(c.g.objects(constraint, SH.message))
            if not all(isinstance(m, Literal) and isinstance(m.value, str) for m in messages):
                raise Unsupported(f"sh:message of {constraint}")
            self.constraints.append((constraint, prepared, messages))

    def run(self, engine, shape, fv, recs):
        bad = set()
        for constraint, prepared, messages in self.constraints:
            loaded = engine.loaded()
            if any(name == "shapesGraph" for name, _ in prepared.bound):
                loaded = with_shapes(loaded, engine.shapes)
            if not loaded.lexical_changed or prepared.bound:  # rdflib, pyshacl's way, has no $shapesGraph
                found = rows(loaded, prepared, list(fv), WITH_ONTOLOGY)
            else:
                found = rows_rdflib(engine.union(), engine.shapes, constraint,
                                                 shape.path if isinstance(shape.path, URIRef) else None, list(fv))
            for f, found_rows in found.items():
                for this, path, value, rest in found_rows:
                    if value is None and not shape.is_property:
                        value = f
                    recs[f].append(Rec(this or f, shape, self, self.iri, value, path, constraint,
                                       (this, path, value, rest, messages)))
                    bad.add(f)
        return bad

    def messages(self, engine, rec):
        this, path, value, rest, extra = rec.bound
        shape_messages = list(rec.shape.messages)
        out = []
        bound = dict(rest)
        for k, x in (("this", this), ("path", path), ("value", value)):
            if x is not None:
                bound[k] = x

        def fmt(msg):
            for var, val in bound.items():
                msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
            return Literal(msg)
        for m in extra:
            if m not in shape_messages:
                out.append(fmt(str(m.value)) if isinstance(m, Literal) else m)
        for m in shape_messages:
            out.append(fmt(str(m.value)) if isinstance(m, Literal) else m)
        return out
