"""Compiling shapes: pyshacl's shape discovery, each shape once into a ``CShape`` with its components, and
the plan of which target-bearing shapes kg's engine runs and which it leaves to pyshacl."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from .components import (
    ClassOf,
    Closed,
    Count,
    Datatype,
    HasValue,
    In,
    LanguageIn,
    Length,
    NodeKind,
    Pair,
    Pattern,
    Range,
    UniqueLang,
)
from .logical import Logic, NodeRef, Property, Qualified
from .sparql import Sparql
from .values import TARGETS, CShape, Unsupported

# parameters pyshacl's Core knows (with advanced=False, no JS) and that kg's engine does not implement
_NOT_HERE = {SH.js, SH.expression, SH.rule}


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


def _declares_components(shapes: Graph) -> bool:
    """Whether the shapes graph declares a SPARQL-based constraint component (SHACL 6): an instance of
    sh:ConstraintComponent or of a subclass of it, or anything with parameters or validators."""
    classes = {SH.ConstraintComponent, *shapes.transitive_subjects(RDFS.subClassOf, SH.ConstraintComponent)}
    if any(True for c in classes for _ in shapes.subjects(RDF.type, c)):
        return True
    return any(True for p in (SH.parameter, SH.validator, SH.nodeValidator, SH.propertyValidator)
               for _ in shapes.subject_objects(p))


def plan(shapes: Graph) -> Plan:
    """Compile what this module can run; the rest of the shapes graph goes to pyshacl with its targets."""
    if _declares_components(shapes) or any(True for _ in shapes.subject_objects(SH.target)):
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
