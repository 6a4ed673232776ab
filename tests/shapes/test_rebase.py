"""The shapes follow KG_BASE_IRI: their SHACL-SPARQL constraints name kg: terms through sh:namespace
literals, which must move with the base, or every such constraint would silently match nothing."""

from __future__ import annotations

from dataclasses import replace

from rdflib import Literal, URIRef
from rdflib.namespace import SH

from kg.build.pipeline import assemble
from kg.validation.run import rebase_shapes, validate_graph

BASE = "http://example.net/data/"


def test_sparql_constraints_still_fire_under_another_base(settings):
    built = assemble(replace(settings, base_iri=BASE))
    shapes = rebase_shapes(built.shapes, built.iris)
    assert "https://kg.example.org/" not in shapes.serialize(format="nt")
    g = built.union()
    jilin = URIRef(BASE + "id/observation/sent-1959-jilin-persons")
    g.set((jilin, built.iris.kg.persons, Literal(36275)))
    report = validate_graph(g, shapes, built.ontology)
    rg = report.report_graph
    fired = {(str(rg.value(r, SH.focusNode)), str(rg.value(r, SH.sourceConstraint)))
             for r in rg.subjects(SH.sourceConstraint, None)}
    assert (str(jilin), BASE + "shapes#FigureInQuote") in fired
    assert (BASE + "id/observation/sent-1959-total-persons", BASE + "shapes#PartsSumToTotal") in fired
