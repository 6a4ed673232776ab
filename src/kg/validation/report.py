"""The report graph, written as pyshacl writes it (``Validator.create_validation_report``): one
``sh:ValidationResult`` per record, blank nodes of the data and the shapes cloned in, nested ``sh:detail``."""

from __future__ import annotations

from pyshacl.rdfutil.clone import clone_blank_node
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH

from .values import Rec


def write(engine, recs: list, conforms: bool) -> Graph:
    """The report of ``recs`` (from ``engine.run``), with ``engine``'s shapes, data and messages."""
    vg = Graph(bind_namespaces="core")
    for p, n in engine.shapes.namespace_manager.namespaces():
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
        vg.add((r, SH.sourceShape, term(engine.shapes, shape.node)))
        vg.add((r, SH.resultSeverity, shape.severity))
        vg.add((r, SH.focusNode, term(engine.union(), rec.focus) if isinstance(rec.focus, BNode) else rec.focus))
        if rec.value is not None:
            vg.add((r, SH.value, term(engine.union(), rec.value) if isinstance(rec.value, BNode) else rec.value))
        path = rec.path if rec.path is not None else shape.path
        if path is not None:
            vg.add((r, SH.resultPath, term(engine.shapes, path)))
        if rec.constraint is not None:
            vg.add((r, SH.sourceConstraint, term(engine.shapes, rec.constraint)))
        for m in engine.messages(rec):
            vg.add((r, SH.resultMessage, m))
        for detail in rec.details:
            vg.add((r, SH.detail, emit(detail)))
        return r

    for rec in recs:
        vg.add((report, SH.result, emit(rec)))
    return vg
