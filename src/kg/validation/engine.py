"""kg's SHACL engine: SHACL Core (and the SHACL-SPARQL inside it) evaluated over in-memory indexes, with
pyshacl's report.

pyshacl validates a node against a nested shape (``sh:xone``, ``sh:or``, ``sh:qualifiedValueShape``, ...) by
building the nested shape's constraint objects again, querying rdflib once per value node and formatting a
full result text for every failure it then throws away: most of its time on data of ours (issue 7). kg's
engine compiles each shape once (``compile``), reads the values of every path from per-predicate
dictionaries of the data (``values``), evaluates each shape for all its focus nodes at once (memoized per
shape and node), runs SHACL-SPARQL constraints once per constraint in pyoxigraph (``sparql``) and formats
messages only for the results it reports (``report``).

The report is pyshacl's (0.40): the same results (focus node, path, value, component, shape, severity,
source constraint, ``sh:detail`` under ``sh:node``), the same ``sh:resultMessage`` wording (built with
pyshacl's own ``stringify_node``) and SHACL's conformance: a node conforms to a shape only when validating
it gives no result at all, whatever the results' severity. Anything not
implemented here exactly (complex paths, custom constraint components, recursive shapes, malformed
parameters pyshacl would refuse, SPARQL this engine cannot rewrite) makes ``compile.plan`` leave that
target-bearing shape to pyshacl, so correctness never depends on this engine covering everything.
tests/conftest.py compares the two reports on every validation the tests run; tests/validation/test_engine.py
adds cases for the components our shapes do not use.

Known differences, all of pyshacl's making: it writes nested blank nodes to a fixed depth and caches the
text by graph identity, so a blank-node chain deeper than about six levels reads differently in another
evaluation order (pyshacl's own runs differ too); and SHACL-SPARQL answers are Oxigraph's, which follows the
SPARQL standard where rdflib does not (comparing a string with a number is an error, not true).
"""

from __future__ import annotations

from collections import defaultdict

from pyshacl.rdfutil.stringify import stringify_node
from rdflib import BNode, Graph
from rdflib.namespace import SH

from . import report
from .compile import _is_class
from .sparql import Loaded, Sparql
from .values import CShape, Index, Rec


class Engine:
    def __init__(self, shapes: Graph, data: Graph, ontology: Graph | None, ns_graph: Graph, load):
        """``load()`` gives the pyoxigraph store of the data and the ontology (kg.validation.sparql.load)."""
        self.shapes = shapes
        self.data = data
        self.ontology = ontology
        self.index = Index([data, ontology])
        self.ns_graph = ns_graph
        self._load = load
        self._loaded: Loaded | None = None
        self._union: Graph | None = None

    def loaded(self) -> Loaded:
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
        return report.write(self, recs, conforms)
