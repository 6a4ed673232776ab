"""The components that refer to other shapes: sh:not, sh:and, sh:or, sh:xone, sh:node, sh:property and the
qualified value shapes. Each asks the engine whether value nodes conform to the shapes it names."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import SH

from .components import Component
from .values import Unsupported



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
