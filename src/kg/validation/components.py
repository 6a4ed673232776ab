"""The SHACL Core constraint components that test value nodes one by one or count them: class, datatype,
node kind, ranges, lengths, pattern, languages, unique language, in, has value, property pairs, closed."""

from __future__ import annotations

import re

from pyshacl.constraints.core.string_based_constraints import StringBasedConstraintBase
from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent
from pyshacl.errors import ReportableRuntimeError
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from .values import CShape, Rec, Unsupported

_RDF_LANG = RDF.langString
_WHOLE = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.long, XSD.int, XSD.short, XSD.byte,
          XSD.unsignedLong, XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte, XSD.negativeInteger,
          XSD.nonPositiveInteger}


class Component:
    iri: URIRef = URIRef("urn:notimplemented")

    def run(self, engine, shape: CShape, fv: dict, recs: dict) -> set:
        """Append this component's results to ``recs[f]``; return the focus nodes it fails."""
        raise NotImplementedError

    def generic(self, engine, rec: Rec) -> list:
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
        # only the literal true activates it (SHACL 4.5.3): "1"^^xsd:boolean is another term, kept as written
        # by kg's parsing (kg.inputs.lexical_forms_kept)
        self.on = str(rule) == "true"

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
