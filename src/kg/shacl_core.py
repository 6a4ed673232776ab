"""SHACL Core (and the SHACL-SPARQL constraints inside it) evaluated over in-memory indexes, with pyshacl's report.

pyshacl validates a node against a nested shape (``sh:xone``, ``sh:or``, ``sh:qualifiedValueShape``, ...) by
building the nested shape's constraint objects again, querying rdflib once per value node and formatting a
full result text for every failure it then throws away: most of its time on data of ours (issue 7). This
module compiles each shape once, reads the values of every path from per-predicate dictionaries of the data,
evaluates each shape for all its focus nodes at once (memoized per shape and node), runs SHACL-SPARQL
constraints once per constraint in pyoxigraph (``kg.shacl_sparql``) and formats messages only for the results
it reports.

The report is pyshacl's (0.40): the same results (focus node, path, value, component, shape, severity,
source constraint, ``sh:detail`` under ``sh:node``), the same ``sh:resultMessage`` wording (built with
pyshacl's own ``stringify_node``) and the same conformance rules (``allow_warnings``). Anything not
implemented here exactly (complex paths, custom constraint components, recursive shapes, malformed
parameters pyshacl would refuse, SPARQL this module cannot rewrite) makes ``compile_shapes`` leave that
target-bearing shape to pyshacl, so correctness never depends on this module covering everything.
tests/conftest.py compares the two reports on every validation the tests run; tests/test_shacl_core.py adds
cases for the components our shapes do not use.

Known differences, all of pyshacl's making: it writes nested blank nodes to a fixed depth and caches the
text by graph identity, so a blank-node chain deeper than about six levels reads differently in another
evaluation order (pyshacl's own runs differ too); and SHACL-SPARQL answers are Oxigraph's, which follows the
SPARQL standard where rdflib does not (comparing a string with a number is an error, not true).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pyshacl.constraints.core.string_based_constraints import StringBasedConstraintBase
from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent
from pyshacl.errors import ReportableRuntimeError
from pyshacl.rdfutil.clone import clone_blank_node
from pyshacl.rdfutil.compare import compare_literal
from pyshacl.rdfutil.stringify import stringify_node
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from . import shacl_sparql

ALLOWED = frozenset((SH.Info, SH.Warning))  # severities that conform under pyshacl's allow_warnings
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_RDF_LANG = RDF.langString
_WHOLE = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.long, XSD.int, XSD.short, XSD.byte,
          XSD.unsignedLong, XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte, XSD.negativeInteger,
          XSD.nonPositiveInteger}
# parameters pyshacl's Core knows (with advanced=False, no JS) and that this module does not implement
_NOT_HERE = {SH.js, SH.expression, SH.rule}
_SPARQL_SPECIAL = re.compile(r"[?$](failure|currentShape|shapesGraph)\b")


class Unsupported(Exception):
    """A shape (or something it reaches) that this module leaves to pyshacl."""


# --- data ------------------------------------------------------------------------------------------------


def _subject_objects(g: Graph, p):
    pos = shacl_sparql.memory_index(g, "pos")
    if pos is None:
        yield from g.subject_objects(p)
        return
    for o, subjects in pos.get(p, {}).items():
        for s in subjects:
            yield s, o


class Index:
    """The data graph and the ontology as per-predicate dictionaries, built on first use of each predicate."""

    def __init__(self, graphs: list[Graph]):
        self.graphs = [g for g in graphs if g is not None]
        self._fwd: dict = {}
        self._inv: dict = {}
        self._subs: dict = {}
        self._canon: dict | None = None

    def _canonical(self) -> dict:
        """One instance per subject term: rdflib keeps whichever instance each triple came with, and a
        dictionary lookup with an equal but other instance costs a Python __eq__ call."""
        if self._canon is None:
            self._canon = {}
            for g in self.graphs:
                spo = shacl_sparql.memory_index(g, "spo")
                for subject in (spo if spo is not None else g.subjects(unique=True)):
                    self._canon.setdefault(subject, subject)
        return self._canon

    def _build(self, p):
        fwd: dict = {}
        inv: dict = {}
        first = True
        canon = self._canonical()
        for g in self.graphs:
            for s, o in _subject_objects(g, p):
                s = canon.get(s, s)
                if not isinstance(o, Literal):
                    o = canon.get(o, o)
                objs = fwd.get(s)
                if objs is None:
                    fwd[s] = [o]
                elif first or o not in objs:
                    objs.append(o)
                else:
                    continue
                subs = inv.get(o)
                if subs is None:
                    inv[o] = [s]
                else:
                    subs.append(s)
            first = False
        self._fwd[p], self._inv[p] = fwd, inv
        return fwd

    def forward(self, p) -> dict:
        d = self._fwd.get(p)
        return d if d is not None else self._build(p)

    def inverse(self, p) -> dict:
        if p not in self._inv:
            self._build(p)
        return self._inv[p]

    def objects(self, s, p) -> list:
        return self.forward(p).get(s, ())

    def subclasses(self, cls) -> set:
        """``cls`` and its transitive rdfs:subClassOf subjects: the types whose instances are SHACL instances."""
        found = self._subs.get(cls)
        if found is None:
            found, todo, down = {cls}, [cls], self.inverse(RDFS.subClassOf)
            while todo:
                for s in down.get(todo.pop(), ()):
                    if s not in found:
                        found.add(s)
                        todo.append(s)
            self._subs[cls] = found
        return found

    def instances(self, cls) -> set:
        """pyshacl's class target: instances of ``cls`` and of its transitive subclasses."""
        types, out = self.inverse(RDF.type), set()
        for c in self.subclasses(cls):
            out.update(types.get(c, ()))
        return out

    def has_class(self, v, cls) -> bool:
        """``v`` is a SHACL instance of ``cls`` (pyshacl: a type of ``v`` is ``cls`` or has it as superclass)."""
        return not self.subclasses(cls).isdisjoint(self.objects(v, RDF.type))


# --- compiled shapes ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Rec:
    """One validation result before it is written: ``comp`` makes its messages."""

    focus: object
    shape: "CShape"
    comp: "Component"
    component: URIRef
    value: object = None
    path: object = None  # an explicit sh:resultPath (SPARQL rows); else the shape's path
    constraint: object = None
    bound: tuple | None = None  # SPARQL: (this, path, value, other variables)
    details: tuple = ()


@dataclass(eq=False)
class CShape:
    node: object
    is_property: bool
    path: object  # the sh:path object (URIRef or blank node), None for node shapes
    steps: tuple | None  # ((predicate, inverse?), ...): a predicate, its inverse, or a sequence of those
    severity: object
    messages: set
    deactivated: bool
    comps: list = field(default_factory=list)
    memo: dict = field(default_factory=dict)

    def values(self, index: Index, f):
        if self.steps is None:
            return (f,)
        (p, inverse), *rest = self.steps
        found = (index.inverse(p) if inverse else index.forward(p)).get(f, ())
        for p, inverse in rest:
            table = index.inverse(p) if inverse else index.forward(p)
            found = list(dict.fromkeys(v for node in found for v in table.get(node, ())))
        return found


class Component:
    iri: URIRef = URIRef("urn:notimplemented")

    def run(self, engine: "Engine", shape: CShape, fv: dict, recs: dict) -> set:
        """Append this component's results to ``recs[f]``; return the focus nodes it fails."""
        raise NotImplementedError

    def generic(self, engine: "Engine", rec: Rec) -> list:
        return []

    def _fail(self, recs, f, shape, value=None, **kw) -> None:
        recs[f].append(Rec(f, shape, self, kw.pop("component", self.iri), value, **kw))


def _count_literal(shape_graph, node, p):
    vals = list(shape_graph.objects(node, p))
    if len(vals) != 1 or not (isinstance(vals[0], Literal) and vals[0].datatype == XSD.integer) or int(vals[0]) < 0:
        raise Unsupported(f"{p} on {node}")
    return vals[0]


class Count(Component):
    """sh:minCount and sh:maxCount."""

    def __init__(self, c, node, param):
        self.minimum = param == SH.minCount
        self.iri = SH.MinCountConstraintComponent if self.minimum else SH.MaxCountConstraintComponent
        self.lit = _count_literal(c.g, node, param)
        self.n = int(self.lit.value)

    def run(self, engine, shape, fv, recs):
        bad = set()
        if self.minimum and self.n == 0:
            return bad
        for f, vs in fv.items():
            if (len(vs) < self.n) if self.minimum else (len(vs) > self.n):
                self._fail(recs, f, shape)
                bad.add(f)
        return bad

    def generic(self, engine, rec):
        return [Literal("{} than {} values on {}->{}".format(
            "Less" if self.minimum else "More", str(self.lit.value), engine.data_str(rec.focus),
            engine.shape_str(rec.shape.path)))]


class PerValue(Component):
    """A component that tests each value node on its own against each of its rules."""

    rules: list

    def ok(self, engine, rule, v) -> bool:
        raise NotImplementedError

    def tester(self, engine, rule):
        """A one-argument test of a value node against ``rule`` (components override it for speed)."""
        return lambda v: self.ok(engine, rule, v)

    def run(self, engine, shape, fv, recs):
        bad = set()
        for rule in self.rules:
            ok = self.tester(engine, rule)
            for f, vs in fv.items():
                for v in vs:
                    if not ok(v):
                        self._fail(recs, f, shape, v)
                        bad.add(f)
        return bad


class ClassOf(PerValue):
    iri = SH.ClassConstraintComponent

    def __init__(self, c, node):
        self.rules = list(c.g.objects(node, SH["class"]))

    def ok(self, engine, rule, v):
        return not isinstance(v, Literal) and engine.index.has_class(v, rule)

    def tester(self, engine, rule):
        classes, types = engine.index.subclasses(rule), engine.index.forward(RDF.type)
        return lambda v: not isinstance(v, Literal) and not classes.isdisjoint(types.get(v, ()))

    def generic(self, engine, rec):
        if len(self.rules) < 2:
            return [Literal("Value does not have class {}".format(engine.shape_str(self.rules[0])))]
        return [Literal("Value class is not in classes ({})".format(
            ", ".join(engine.shape_str(c) for c in self.rules)))]


def _one(c, node, p):
    vals = list(c.g.objects(node, p))
    if len(vals) != 1:
        raise Unsupported(f"{p} on {node}")
    return vals[0]


class OneRule(PerValue):
    """A component whose parameter takes exactly one value."""

    param: URIRef

    def __init__(self, c, node):
        self.rule = _one(c, node, self.param)
        self.rules = [self.rule]


class Datatype(OneRule):
    iri, param = SH.DatatypeConstraintComponent, SH.datatype

    def ok(self, engine, rule, v):
        if not isinstance(v, Literal):
            return False
        check = DatatypeConstraintComponent._assert_actual_datatype
        if v.datatype == rule:
            return getattr(v, "ill_typed", None) is not True and check(None, v, rule)
        if rule == RDFS.Literal:
            return True
        if rule == RDFS.Datatype and v.datatype:
            return True
        if v.datatype is None and v.language is None and rule == XSD.string:
            return check(None, v, rule)
        if rule == _RDF_LANG and v.language:
            return check(None, v, rule)
        return False

    def generic(self, engine, rec):
        return [Literal("Value is not Literal with datatype {}".format(engine.shape_str(self.rule)))]


_KINDS = {
    BNode: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
    Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
    URIRef: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI),
}


class NodeKind(OneRule):
    iri, param = SH.NodeKindConstraintComponent, SH.nodeKind

    def ok(self, engine, rule, v):
        kind = BNode if isinstance(v, BNode) else Literal if isinstance(v, Literal) else URIRef
        return rule in _KINDS[kind]

    def tester(self, engine, rule):
        if rule == SH.IRI:
            return lambda v: isinstance(v, URIRef) and not isinstance(v, BNode)
        return super().tester(engine, rule)

    def generic(self, engine, rec):
        return [Literal("Value is not of Node Kind {}".format(engine.shape_str(self.rule)))]


class Range(PerValue):
    """sh:minExclusive, sh:minInclusive, sh:maxExclusive, sh:maxInclusive: pyshacl's compare_literal."""

    TABLE = {
        SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">", lambda c: c > 0),
        SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">=", lambda c: c >= 0),
        SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<", lambda c: c < 0),
        SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<=", lambda c: c <= 0),
    }

    def __init__(self, c, node, param):
        self.iri, self.sign, self.test = self.TABLE[param]
        self.rules = list(c.g.objects(node, param))
        if not all(isinstance(r, Literal) for r in self.rules):
            raise Unsupported(f"{param} on {node}")

    def ok(self, engine, rule, v):
        if not isinstance(v, Literal):
            return False
        rule_is_string, v_is_string = isinstance(rule.value, str), isinstance(v.value, str)
        if rule_is_string != v_is_string:
            return False
        try:
            return self.test(compare_literal(v, rule))
        except (TypeError, NotImplementedError):
            return False

    def generic(self, engine, rec):
        if len(self.rules) < 2:
            return [Literal(f"Value is not {self.sign} {engine.shape_str(self.rules[0])}")]
        return [Literal("Value is not {} in ({})".format(self.sign, ", ".join(engine.shape_str(c) for c in self.rules)))]


_to_string = StringBasedConstraintBase.value_node_to_string


class Length(PerValue):
    def __init__(self, c, node, param):
        self.iri = SH.MinLengthConstraintComponent if param == SH.minLength else SH.MaxLengthConstraintComponent
        self.minimum = param == SH.minLength
        rule = _one(c, node, param)
        if (not isinstance(rule, Literal) or getattr(rule, "ill_typed", False) or rule.datatype not in _WHOLE
                or rule.value < 0):
            raise Unsupported(f"{param} on {node}")
        self.rule, self.rules, self.n = rule, [rule], rule.value

    def ok(self, engine, rule, v):
        if self.minimum and self.n == 0:
            return True
        if isinstance(v, BNode):
            return False
        n = len(_to_string(v))
        return n >= self.n if self.minimum else n <= self.n

    def generic(self, engine, rec):
        return [Literal("String length not {} {}".format(">=" if self.minimum else "<=", engine.data_str(self.rule)))]


class Pattern(PerValue):
    iri = SH.PatternConstraintComponent

    def __init__(self, c, node):
        self.rules = list(c.g.objects(node, SH.pattern))
        if not self.rules or not all(isinstance(r, Literal) for r in self.rules):
            raise Unsupported(f"sh:pattern on {node}")
        flags_found = set(c.g.objects(node, SH.flags))
        flags = next(iter(flags_found)) if flags_found else None
        re_flags = 0
        if flags:
            text = str(flags.value).lower()
            re_flags |= (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
        self.compiled = {p: re.compile(str(p.value) if p.value is not None and len(p.value) > 1 else str(p), re_flags)
                         for p in self.rules}

    def ok(self, engine, rule, v):
        if isinstance(v, BNode):
            return False
        return self.compiled[rule].search(_to_string(v)) is not None

    def generic(self, engine, rec):
        if len(self.rules) < 2:
            return [Literal("Value does not match pattern '{}'".format(str(self.rules[0].value)))]
        return [Literal("Value does not match every pattern in ('{}')".format("', '".join(str(c.value) for c in self.rules)))]


class LanguageIn(PerValue):
    iri = SH.LanguageInConstraintComponent

    def __init__(self, c, node):
        self.rule = _one(c, node, SH.languageIn)
        self.rules = [self.rule]
        self.langs = set()
        for item in c.g.items(self.rule):
            if not isinstance(item, Literal) or not isinstance(item.value, str):
                raise Unsupported(f"sh:languageIn on {node}")
            self.langs.add(str(item.value).lower())
        self.wildcard = "*" in self.langs

    def ok(self, engine, rule, v):
        if not isinstance(v, Literal) or not v.language:
            return False
        lang = str(v.language).lower()
        return self.wildcard or lang in self.langs or lang.split("-")[0] in self.langs

    def generic(self, engine, rec):
        return [Literal("String language is not in {}".format(engine.shape_str(self.rule)))]


class UniqueLang(Component):
    iri = SH.UniqueLangConstraintComponent

    def __init__(self, c, node):
        rule = _one(c, node, SH.uniqueLang)
        if not isinstance(rule, Literal) or not isinstance(rule.value, bool):
            raise Unsupported(f"sh:uniqueLang on {node}")
        self.on = rule.value

    def run(self, engine, shape, fv, recs):
        bad = set()
        if not self.on:
            return bad
        for f, vs in fv.items():
            seen, dup = set(), set()
            for v in vs:
                if isinstance(v, Literal) and v.language:
                    low = str(v.language).lower()
                    (dup if low in seen else seen).add(low)
            for _ in dup:
                self._fail(recs, f, shape)
                bad.add(f)
        return bad

    def generic(self, engine, rec):
        return [Literal("More than one String shares the same Language")]


class In(PerValue):
    iri = SH.InConstraintComponent

    def __init__(self, c, node):
        self.rules = [_one(c, node, SH["in"])]
        self.vals = set()
        for item in c.g.items(self.rules[0]):
            self.vals.add(item)

    def ok(self, engine, rule, v):
        return v in self.vals

    def tester(self, engine, rule):
        return self.vals.__contains__

    def generic(self, engine, rec):
        listed = [engine.shape_str(val) for val in self.vals]
        return [Literal("Value {} not in list {}".format(engine.data_str(rec.value), listed))]


class HasValue(Component):
    iri = SH.HasValueConstraintComponent

    def __init__(self, c, node):
        self.vals = set(c.g.objects(node, SH.hasValue))

    def run(self, engine, shape, fv, recs):
        bad = set()
        for hv in self.vals:
            for f, vs in fv.items():
                if hv not in vs:
                    self._fail(recs, f, shape)
                    bad.add(f)
        return bad

    def generic(self, engine, rec):
        the_set = [engine.shape_str(s) for s in self.vals]
        if rec.shape.is_property:
            return [Literal("Node {}->{} does not contain a value in the set: {}".format(
                engine.data_str(rec.focus), engine.shape_str(rec.shape.path), the_set))]
        return [Literal("Node {} value is not a in the set of values: {}".format(engine.data_str(rec.focus), the_set))]


SH_EQUALS, SH_DISJOINT = SH.equals, SH.disjoint


class Pair(Component):
    """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals against the focus node's own values."""

    TABLE = {
        SH.equals: (SH.EqualsConstraintComponent, "!="),
        SH.disjoint: (SH.DisjointConstraintComponent, "=="),
        SH.lessThan: (SH.LessThanConstraintComponent, "<="),
        SH.lessThanOrEquals: (SH.LessThanOrEqualsConstraintComponent, "<"),
    }

    def __init__(self, c, node, param, is_property):
        self.param = {SH.equals: SH_EQUALS, SH.disjoint: SH_DISJOINT}.get(param, param)
        self.iri, self.sign = self.TABLE[param]
        self.props = set(c.g.objects(node, param))
        if not all(isinstance(p, URIRef) for p in self.props):
            raise Unsupported(f"{param} on {node}")
        if param in (SH.lessThan, SH.lessThanOrEquals) and not is_property:
            raise Unsupported(f"{param} on node shape {node}")

    def run(self, engine, shape, fv, recs):
        bad = set()
        for prop in self.props:
            for f, vs in fv.items():
                mine, theirs = set(vs), set(engine.index.objects(f, prop))
                if self.param is SH_EQUALS:
                    failing = list(mine - theirs) + list(theirs - mine)
                elif self.param is SH_DISJOINT:
                    failing = list(mine & theirs)
                else:
                    failing = self._compare(mine, theirs)
                for v in failing:
                    self._fail(recs, f, shape, v)
                    bad.add(f)
        return bad

    def _compare(self, mine, theirs):
        out = []
        for v in mine:
            a, a_str = self._comparable(v)
            for w in theirs:
                b, b_str = self._comparable(w)
                if a_str != b_str or not (a < b if self.param == SH.lessThan else a <= b):
                    out.append(v)
        return out

    def _comparable(self, v) -> tuple:
        """(what pyshacl compares, whether it is a string) for a value of sh:lessThan(OrEquals)."""
        if isinstance(v, BNode):
            name = "sh:lessThan" if self.param == SH.lessThan else "sh:lessThanOrEquals"
            raise ReportableRuntimeError(f"Cannot use {name} to compare a BlankNode.")
        if isinstance(v, URIRef):
            return str(v), True
        if isinstance(v, Literal) and isinstance(v.value, str):
            return v.value, True
        return v, False

    def generic(self, engine, rec):
        if len(self.props) < 2:
            rules = engine.shape_str(next(iter(self.props)))
        else:
            rules = ", ".join(engine.shape_str(p) for p in self.props)
        return [Literal("Value of {}->{} {} {}".format(engine.data_str(rec.focus), rules, self.sign,
                                                        engine.data_str(rec.value)))]


class Closed(Component):
    iri = SH.ClosedConstraintComponent

    def __init__(self, c, node):
        closed = list(c.g.objects(node, SH.closed))
        if len(closed) != 1 or not isinstance(closed[0], Literal):
            raise Unsupported(f"sh:closed on {node}")
        self.on = bool(closed[0].value)
        self.ignored = set()
        for i in c.g.objects(node, SH.ignoredProperties):
            self.ignored.update(c.g.items(i))
        self.paths = set()
        for p in c.g.objects(node, SH.property):
            shape = c.shape(p)
            if not shape.is_property:
                raise Unsupported(f"sh:property {p} is not a property shape")
            self.paths.add(shape.path)

    def run(self, engine, shape, fv, recs):
        bad = set()
        if not self.on:
            return bad
        for f, vs in fv.items():
            for v in vs:
                for p, o in engine.predicate_objects(v):
                    if (p == RDF.type and o == RDFS.Resource) or p in self.ignored or p in self.paths:
                        continue
                    self._fail(recs, f, shape, o, path=p)
                    bad.add(f)
        return bad

    def generic(self, engine, rec):
        return [Literal("Node {} is closed. It cannot have value: {}".format(engine.data_str(rec.focus),
                                                                            engine.data_str(rec.value)))]


class Logic(Component):
    """sh:not, sh:and, sh:or, sh:xone: conformance of each value node to other shapes, results discarded."""

    TABLE = {
        SH["not"]: (SH.NotConstraintComponent, "not"),
        SH["and"]: (SH.AndConstraintComponent, "all"),
        SH["or"]: (SH.OrConstraintComponent, "one or more"),
        SH.xone: (SH.XoneConstraintComponent, "exactly one"),
    }

    def __init__(self, c, node, param):
        self.param = param
        self.iri, self.words = self.TABLE[param]
        self.lists = list(c.g.objects(node, param))
        if param == SH["not"]:
            self.groups = [[c.shape(n)] for n in self.lists]
        else:
            self.groups = []
            for lst in self.lists:
                members = list(c.g.items(lst))
                if not members:
                    raise Unsupported(f"empty list for {param} on {node}")
                if param != SH.xone:
                    members = list(dict.fromkeys(members))  # pyshacl takes a set of them
                self.groups.append([c.shape(m) for m in members])

    def run(self, engine, shape, fv, recs):
        bad = set()
        values = {v for vs in fv.values() for v in vs}
        fails = {"not": lambda n, size: n > 0, "all": lambda n, size: n < size,
                 "one or more": lambda n, size: n == 0, "exactly one": lambda n, size: n != 1}[self.words]
        for group in self.groups:
            conforming = [engine.conforming(s, values) for s in group]
            for f, vs in fv.items():
                for v in vs:
                    if fails(sum(1 for ok in conforming if v in ok), len(group)):
                        self._fail(recs, f, shape, v)
                        bad.add(f)
        return bad

    def generic(self, engine, rec):
        value = engine.data_str(rec.value)
        if self.param == SH["not"]:
            if len(self.lists) == 1:
                return [Literal(f"Node {value} must not conform to shape {engine.shape_str(self.lists[0])}")]
            nots = " , ".join(engine.shape_str(n) for n in self.lists)
            return [Literal(f"Node {value} must not conform to any shapes in {nots}")]
        g = engine.shapes
        if len(self.lists) < 2:
            text = " , ".join(engine.shape_str(x) for x in g.items(self.lists[0]))
        else:
            text = " and ".join("({})".format(" , ".join(engine.shape_str(x) for x in g.items(lst)))
                                for lst in self.lists)
        verb = {"all": "must conform to all shapes in", "one or more": "must conform to one or more shapes in",
                "exactly one": "must conform to exactly one shape in"}[self.words]
        return [Literal(f"Node {value} {verb} {text}")]


class NodeRef(Component):
    iri = SH.NodeConstraintComponent

    def __init__(self, c, node):
        self.refs = list(c.g.objects(node, SH.node))
        self.shapes = [c.shape(n) for n in self.refs]
        if any(s.is_property for s in self.shapes):
            raise Unsupported(f"sh:node to a property shape on {node}")

    def run(self, engine, shape, fv, recs):
        bad = set()
        values = {v for vs in fv.values() for v in vs}
        for target in self.shapes:
            engine.evaluate(target, values)
            for f, vs in fv.items():
                for v in vs:
                    nested, nonconform = target.memo[v]
                    if nonconform or nested:
                        self._fail(recs, f, shape, v, details=tuple(nested))
                        bad.add(f)
        return bad

    def generic(self, engine, rec):
        if len(self.refs) < 2:
            m = "Value does not conform to Shape {}.".format(engine.shape_str(self.refs[0]))
        else:
            m = "Value must conform to every Shape in ('{}').".format("', '".join(engine.shape_str(c) for c in self.refs))
        return [Literal(m + " See details for more information.")]


class Property(Component):
    iri = SH.PropertyConstraintComponent

    def __init__(self, c, node):
        self.shapes = [c.shape(p) for p in c.g.objects(node, SH.property)]
        if not all(s.is_property for s in self.shapes):
            raise Unsupported(f"sh:property to a node shape on {node}")

    def run(self, engine, shape, fv, recs):
        bad = set()
        values = {v for vs in fv.values() for v in vs}
        if not values:
            return bad
        for target in self.shapes:
            engine.evaluate(target, values)
            for f, vs in fv.items():
                for v in vs:
                    nested, nonconform = target.memo[v]
                    if nested:
                        recs[f].extend(nested)
                    if nonconform:
                        bad.add(f)
        return bad


class Qualified(Component):
    def __init__(self, c, node):
        g = c.g
        self.value_shapes = set(g.objects(node, SH.qualifiedValueShape))
        self.targets = {s: c.shape(s) for s in self.value_shapes}
        self.min_count = self._count(g, node, SH.qualifiedMinCount)
        self.max_count = self._count(g, node, SH.qualifiedMaxCount)
        if self.min_count is None and self.max_count is None:
            raise Unsupported(f"sh:qualifiedValueShape without counts on {node}")
        self.disjoint = any(isinstance(d, Literal) and isinstance(d.value, bool) and d.value
                            for d in set(g.objects(node, SH.qualifiedValueShapesDisjoint)))
        self.siblings = {}
        for v_shape in self.value_shapes:
            found = set()
            if self.disjoint:
                for parent in set(g.subjects(SH.property, node)):
                    for s in set(g.objects(parent, SH.property)):
                        for sibling in set(g.objects(s, SH.qualifiedValueShape)):
                            if sibling != v_shape:
                                found.add(sibling)
            self.siblings[v_shape] = [c.shape(s) for s in found]

    @staticmethod
    def _count(g, node, p):
        vals = set(g.objects(node, p))
        if not vals:
            return None
        lit = next(iter(vals))
        if len(vals) > 1 or not isinstance(lit, Literal) or not isinstance(lit.value, int):
            raise Unsupported(f"{p} on {node}")
        return lit.value

    def run(self, engine, shape, fv, recs):
        bad = set()
        values = {v for vs in fv.values() for v in vs}
        if not self.disjoint and not values and (self.min_count is None or self.min_count < 1):
            return bad
        for v_shape in self.value_shapes:
            ok = engine.conforming(self.targets[v_shape], values)
            sibling_ok = [engine.conforming(s, values) for s in self.siblings[v_shape]]
            for f, vs in fv.items():
                n = sum(1 for v in vs if v in ok and not any(v in s for s in sibling_ok))
                if self.max_count is not None and n > self.max_count:
                    self._fail(recs, f, shape, component=SH.QualifiedMaxCountConstraintComponent)
                    bad.add(f)
                if self.min_count is not None and n < self.min_count:
                    self._fail(recs, f, shape, component=SH.QualifiedMinCountConstraintComponent)
                    bad.add(f)
        return bad

    def generic(self, engine, rec):
        shapes_string = ",".join(engine.shape_str(s) for s in self.value_shapes)
        count = ""
        if self.min_count is not None:
            count += f" MinCount {self.min_count}"
        if self.max_count is not None:
            count += f" MaxCount {self.max_count}"
        if len(self.value_shapes) > 1:
            return [Literal(f"Focus node does not conform to shapes{count}: ({shapes_string})")]
        return [Literal(f"Focus node does not conform to shape{count}: {shapes_string}")]


class Sparql(Component):
    """sh:sparql: each constraint once for all focus nodes (kg.shacl_sparql), rows as pyshacl reads them."""

    iri = SH.SPARQLConstraintComponent

    def __init__(self, c, node, shape_path):
        self.constraints = []
        for constraint in c.g.objects(node, SH.sparql):
            if c.g.value(constraint, SH.deactivated) == Literal(True):
                continue
            selects = list(c.g.objects(constraint, SH.select))
            if len(selects) != 1 or list(c.g.objects(constraint, SH.ask)) or _SPARQL_SPECIAL.search(str(selects[0])):
                raise Unsupported(f"sh:sparql {constraint} on {node}")
            prepared = shacl_sparql.prepare(c.g, node, constraint, shape_path)
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
            if not loaded.lexical_changed:
                found = shacl_sparql.rows(loaded, prepared, list(fv), shacl_sparql.WITH_ONTOLOGY)
            else:
                found = shacl_sparql.rows_rdflib(engine.union(), engine.shapes, constraint,
                                                 shape.path if isinstance(shape.path, URIRef) else None, list(fv))
            for f, rows in found.items():
                for this, path, value, rest in rows:
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


_SIMPLE = {
    SH["class"]: ClassOf, SH.datatype: Datatype,
    SH.nodeKind: NodeKind, SH.pattern: Pattern, SH.languageIn: LanguageIn,
    SH.uniqueLang: UniqueLang, SH["in"]: In, SH.hasValue: HasValue, SH.node: NodeRef, SH.property: Property,
    SH.closed: Closed, SH.ignoredProperties: Closed,
}
_QUALIFIED = (SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint)


class Compiler:
    """Shapes of one shapes graph, compiled on demand; raises Unsupported for what pyshacl must run."""

    def __init__(self, g: Graph):
        self.g = g
        self.cache: dict = {}
        self.busy: set = set()
        self.node_shapes, self.prop_paths = self._discover()

    def _discover(self):
        """pyshacl's shape discovery (ShapesGraph._build_node_shape_cache)."""
        g = self.g
        defined_nodes = set(g.subjects(RDF.type, SH.NodeShape))
        defined_props = set(g.subjects(RDF.type, SH.PropertyShape))
        paths = {}
        for s in defined_nodes:
            if list(g.objects(s, SH.path)):
                raise Unsupported("a node shape with sh:path")
        for s in defined_props:
            found = list(g.objects(s, SH.path))
            if s in defined_nodes or len(found) != 1:
                raise Unsupported("a malformed property shape")
            paths[s] = found[0]
        implied = {s for p in TARGETS + (SH.property, SH.node) for s in g.subjects(p, None)}
        expected = {o for p in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape) for o in g.objects(None, p)}
        for p in (SH["and"], SH["or"], SH.xone):
            for lst in set(g.objects(None, p)):
                members = set(g.items(lst))
                if not members:
                    raise Unsupported("an empty shape list")
                expected |= members
        nodes = set(defined_nodes)
        for s in list(implied) + [e for e in expected if e not in implied]:
            if s in defined_nodes or s in defined_props or s in paths or s in nodes:
                continue
            found = list(g.objects(s, SH.path))
            if not found:
                nodes.add(s)
            elif len(found) > 1:
                raise Unsupported("a shape with two sh:path")
            else:
                paths[s] = found[0]
        return nodes, paths

    def shapes(self) -> list:
        return sorted(self.node_shapes | set(self.prop_paths), key=lambda s: (isinstance(s, BNode), str(s)))

    def shape(self, node) -> CShape:
        found = self.cache.get(node)
        if found is not None:
            return found
        if node in self.busy:
            raise Unsupported(f"recursive shape {node}")
        if node not in self.node_shapes and node not in self.prop_paths:
            raise Unsupported(f"{node} is not a shape")
        self.busy.add(node)
        try:
            built = self._compile(node)
        finally:
            self.busy.discard(node)
        self.cache[node] = built
        return built

    def _step(self, node, path) -> tuple:
        """(predicate, inverse?) of a path that is a predicate or [ sh:inversePath predicate ]."""
        if isinstance(path, URIRef):
            return (path, False)
        inverse = list(self.g.objects(path, SH.inversePath))
        if (not isinstance(path, BNode) or len(inverse) != 1 or not isinstance(inverse[0], URIRef)
                or len(list(self.g.predicate_objects(path))) != 1):
            raise Unsupported(f"path of {node}")
        return (inverse[0], True)

    def _compile(self, node) -> CShape:
        g = self.g
        path = self.prop_paths.get(node)
        steps = None
        if path is not None:
            if isinstance(path, BNode) and g.value(path, RDF.first) is not None:
                steps = tuple(self._step(node, item) for item in g.items(path))
                if len(steps) < 2:
                    raise Unsupported(f"path of {node}")
            else:
                steps = (self._step(node, path),)
        deactivated = list(g.objects(node, SH.deactivated))
        if len(deactivated) > 1 or (deactivated and not isinstance(deactivated[0], Literal)):
            raise Unsupported(f"sh:deactivated of {node}")
        severity = set(g.objects(node, SH.severity))
        shape = CShape(node, path is not None, path, steps, next(iter(severity)) if severity else SH.Violation,
                       set(g.objects(node, SH.message)), bool(deactivated and deactivated[0].value))
        if shape.deactivated:
            return shape
        done = set()
        for p, _ in g.predicate_objects(node):
            if p in _NOT_HERE:
                raise Unsupported(f"{p} on {node}")
            kind = _SIMPLE.get(p)
            if kind is not None:
                key, make = kind, lambda k=kind: k(self, node)
            elif p in (SH.minCount, SH.maxCount):
                key, make = p, lambda p=p: Count(self, node, p)
            elif p in Range.TABLE:
                key, make = p, lambda p=p: Range(self, node, p)
            elif p in (SH.minLength, SH.maxLength):
                key, make = p, lambda p=p: Length(self, node, p)
            elif p in Pair.TABLE:
                key, make = p, lambda p=p: Pair(self, node, p, shape.is_property)
            elif p in Logic.TABLE:
                key, make = p, lambda p=p: Logic(self, node, p)
            elif p in _QUALIFIED:
                if not shape.is_property:
                    continue  # pyshacl ignores qualified shapes on node shapes
                key, make = Qualified, lambda: Qualified(self, node)
            elif p == SH.sparql:
                key, make = p, lambda: Sparql(self, node, path if isinstance(path, URIRef) else None)
            else:
                continue
            if key in done:
                continue
            done.add(key)
            if key in (SH.minCount, SH.maxCount, UniqueLang) and not shape.is_property:
                raise Unsupported(f"{p} on node shape {node}")
            shape.comps.append(make())
        return shape


def has_targets(g: Graph, node) -> bool:
    if any(g.value(node, p) is not None for p in TARGETS):
        return True
    return _is_class(g, node)


def _is_class(g: Graph, node) -> bool:
    classes = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
    return any(t in classes for t in g.objects(node, RDF.type))


@dataclass
class Plan:
    """The target-bearing shapes this module runs, and the shapes graph left to pyshacl (None: nothing)."""

    compiler: Compiler | None
    fast: list
    rest: Graph | None


def plan(shapes: Graph) -> Plan:
    """Compile what this module can run; the rest of the shapes graph goes to pyshacl with its targets."""
    if any(True for _ in shapes.subjects(RDF.type, SH.ConstraintComponent)) or any(
            True for _ in shapes.subject_objects(SH.target)):
        return Plan(None, [], shapes)
    try:
        compiler = Compiler(shapes)
    except Unsupported:
        return Plan(None, [], shapes)
    fast, slow = [], []
    for node in compiler.shapes():
        if not has_targets(shapes, node):
            continue
        try:
            fast.append(compiler.shape(node))
        except Unsupported:
            slow.append(node)
    if not slow:
        return Plan(compiler, fast, None)
    rest = Graph()
    for prefix, ns in shapes.namespaces():
        rest.bind(prefix, ns, override=False)
    untarget = {s.node for s in fast}
    for s, p, o in shapes:
        if s in untarget and (p in TARGETS or (p == RDF.type and _is_class(shapes, s)
                                                and o not in (SH.NodeShape, SH.PropertyShape))):
            continue
        rest.add((s, p, o))
    return Plan(compiler, fast, rest)


# --- evaluation --------------------------------------------------------------------------------------------


class Engine:
    def __init__(self, shapes: Graph, data: Graph, ontology: Graph | None, ns_graph: Graph, load):
        """``load()`` gives the pyoxigraph store of the data and the ontology (kg.shacl_sparql.load)."""
        self.shapes = shapes
        self.data = data
        self.ontology = ontology
        self.index = Index([data, ontology])
        self.ns_graph = ns_graph
        self._load = load
        self._loaded: shacl_sparql.Loaded | None = None
        self._union: Graph | None = None

    def loaded(self) -> shacl_sparql.Loaded:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def predicate_objects(self, v):
        out = list(self.data.predicate_objects(v))
        if self.ontology is not None:
            out += [po for po in self.ontology.predicate_objects(v) if po not in out]
        return out

    def union(self) -> Graph:
        """The data and the ontology in one graph with the namespaces pyshacl's data graph has, for blank nodes."""
        if self._union is None:
            g = Graph()
            for prefix, ns in self.ns_graph.namespaces():
                g.bind(prefix, ns, override=False)
            g += self.data
            if self.ontology is not None:
                g += self.ontology
            self._union = g
        return self._union

    def data_str(self, node) -> str:
        if isinstance(node, BNode):
            return stringify_node(self.union(), node)
        return stringify_node(self.ns_graph, node)

    def shape_str(self, node) -> str:
        return stringify_node(self.shapes, node)

    def targets(self, shape: CShape) -> list:
        g, node, found = self.shapes, shape.node, set()
        found.update(g.objects(node, SH.targetNode))
        classes = set(g.objects(node, SH.targetClass))
        if _is_class(g, node):
            classes.add(node)
        for c in classes:
            found |= self.index.instances(c)
        for p in g.objects(node, SH.targetSubjectsOf):
            found.update(self.index.forward(p))
        for p in g.objects(node, SH.targetObjectsOf):
            found.update(self.index.inverse(p))
        return list(found)

    def evaluate(self, shape: CShape, foci) -> None:
        """Fill ``shape.memo[f] = (results, nonconforming)`` for each focus node not there yet."""
        memo = shape.memo
        todo = [f for f in foci if f not in memo]  # foci are distinct
        if not todo:
            return
        if shape.deactivated:
            for f in todo:
                memo[f] = ((), False)
            return
        steps = shape.steps
        if steps is None:
            fv = {f: (f,) for f in todo}
        elif len(steps) == 1:
            p, inverse = steps[0]
            table = self.index.inverse(p) if inverse else self.index.forward(p)
            fv = {f: table.get(f, ()) for f in todo}
        else:
            fv = {f: shape.values(self.index, f) for f in todo}
        recs: dict = defaultdict(list)
        bad: set = set()
        for comp in shape.comps:
            bad |= comp.run(self, shape, fv, recs)
        if shape.severity in ALLOWED:
            bad = set()
        for f in todo:
            memo[f] = (recs.get(f, ()), f in bad)

    def conforming(self, shape: CShape, values) -> set:
        self.evaluate(shape, values)
        return {v for v in values if not shape.memo[v][1]}

    def run(self, fast: list) -> tuple[bool, list]:
        conforms, out = True, []
        for shape in fast:
            foci = self.targets(shape)
            if not foci:
                continue
            self.evaluate(shape, foci)
            for f in foci:
                recs, nonconform = shape.memo[f]
                out.extend(recs)
                conforms = conforms and not nonconform
        return conforms, out

    # --- the report graph, as pyshacl writes it (Validator.create_validation_report) ---

    def messages(self, rec: Rec) -> list:
        if isinstance(rec.comp, Sparql):
            return rec.comp.messages(self, rec)
        return list(rec.shape.messages) or rec.comp.generic(self, rec)

    def write(self, recs: list, conforms: bool) -> Graph:
        vg = Graph(bind_namespaces="core")
        for p, n in self.shapes.namespace_manager.namespaces():
            vg.namespace_manager.bind(p, n)
        report = BNode()
        vg.add((report, RDF.type, SH.ValidationReport))
        vg.add((report, SH.conforms, Literal(conforms)))
        cloned: dict = {}

        def term(source, node):
            if not isinstance(node, BNode):
                return node
            key = (id(source), str(node))
            if key not in cloned:
                cloned[key] = clone_blank_node(source, node, vg, keepid=True)
            return cloned[key]

        def emit(rec: Rec) -> BNode:
            r = BNode()
            shape = rec.shape
            vg.add((r, RDF.type, SH.ValidationResult))
            vg.add((r, SH.sourceConstraintComponent, rec.component))
            vg.add((r, SH.sourceShape, term(self.shapes, shape.node)))
            vg.add((r, SH.resultSeverity, shape.severity))
            vg.add((r, SH.focusNode, term(self.union(), rec.focus) if isinstance(rec.focus, BNode) else rec.focus))
            if rec.value is not None:
                vg.add((r, SH.value, term(self.union(), rec.value) if isinstance(rec.value, BNode) else rec.value))
            path = rec.path if rec.path is not None else shape.path
            if path is not None:
                vg.add((r, SH.resultPath, term(self.shapes, path)))
            if rec.constraint is not None:
                vg.add((r, SH.sourceConstraint, term(self.shapes, rec.constraint)))
            for m in self.messages(rec):
                vg.add((r, SH.resultMessage, m))
            for detail in rec.details:
                vg.add((r, SH.detail, emit(detail)))
            return r

        for rec in recs:
            vg.add((report, SH.result, emit(rec)))
        return vg


__all__ = ["Engine", "Plan", "Unsupported", "plan"]
