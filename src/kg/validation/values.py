"""Reading the data: the data graph and the ontology as per-predicate dictionaries (``Index``), the values of
a shape's path for its focus nodes (``CShape.values``), and the records of results before they are written.

Shapes are compiled to ``CShape`` (``compile``); each component (``components``, ``logical``, ``sparql``)
appends ``Rec`` records; ``report`` writes them as pyshacl's report graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.stores.memory import Memory

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class Unsupported(Exception):
    """A shape (or something it reaches) that kg's engine leaves to pyshacl."""


def memory_index(g: Graph, name: str) -> dict | None:
    """rdflib's own ``spo`` or ``pos`` dictionary of ``g`` when ``g`` alone owns an in-memory store, else None.

    Walking these is about ten times faster than ``Graph.triples``, which works out each triple's contexts.
    """
    store = g.store
    if type(store) is not Memory or isinstance(g, ConjunctiveGraph):
        return None
    if any(c is not g for c in store._Memory__all_contexts):  # noqa: SLF001 (rdflib keeps no public view)
        return None
    return getattr(store, "_Memory__" + name)


def _subject_objects(g: Graph, p):
    pos = memory_index(g, "pos")
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
                spo = memory_index(g, "spo")
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


@dataclass(eq=False)
class Rec:
    """One validation result before it is written: ``comp`` makes its messages."""

    focus: object
    shape: "CShape"
    comp: object  # the component (components, logical, sparql) that makes its messages
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
