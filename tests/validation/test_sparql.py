"""kg.validation.sparql: SHACL-SPARQL constraints run by pyoxigraph give exactly pyshacl's results."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from kg.build.pipeline import assemble
from kg.config import Settings, project_root
from kg.iris import OA, Iris
from kg.validation import sparql as shacl_sparql
from kg.validation.sparql import split
from kg.validation.run import validate_graph

TINY_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "{$this} has {?value} over {?limit}" ;
        sh:select "SELECT $this ?value ?limit WHERE { $this ex:n ?value . BIND(10 AS ?limit) FILTER(?value > ?limit) }" ] ;
    sh:property ex:NameShape .
ex:NameShape sh:path ex:name ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "name {?value} too long" ;
        sh:select "SELECT $this ?value WHERE { $this $PATH ?value . FILTER(STRLEN(?value) > 3) }" ] .
ex:SubjectsShape a sh:NodeShape ; sh:targetSubjectsOf ex:link ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "dangling link" ;
        sh:select "SELECT ?value WHERE { $this ex:link ?value . FILTER NOT EXISTS { ?value a ?any } }" ] .
ex:CountShape a sh:NodeShape ; sh:targetNode ex:a, ex:nowhere ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "no name" ;
        sh:select "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:name ?n } }" ] .
"""

TINY_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:n 3 ; ex:name "Al" ; ex:link ex:b .
ex:b a ex:Sub ; ex:n 11 ; ex:name "Bertha" ; ex:link ex:c .
ex:Sub <http://www.w3.org/2000/01/rdf-schema#subClassOf> ex:Thing .
"""


def results(report):
    return sorted(tuple(x or "" for x in (r.focus, r.path, r.component, r.severity, r.shape, r.value, r.message))
                  for r in report.results)


def test_every_constraint_kind_matches_pyshacl():
    shapes = Graph().parse(data=TINY_SHAPES, format="turtle")
    data = Graph().parse(data=TINY_DATA, format="turtle")
    ours = validate_graph(data, shapes, engine="kg")
    theirs = validate_graph(data, shapes, engine="pyshacl")
    assert not ours.conforms and not theirs.conforms
    # shapes are blank nodes here, so compare everything but the shape identity
    strip = lambda rs: sorted(r[:4] + r[5:] for r in rs)  # noqa: E731
    assert strip(results(ours)) == strip(results(theirs))
    assert {r.message for r in ours.results} >= {"http://example.org/b has 11 over 10", "name Bertha too long",
                                                 "dangling link", "no name"}


def test_all_our_constraints_are_taken_over_but_those_behind_logic():
    shapes = Graph()
    for path in sorted((project_root() / "ontology/shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    kept, handled = split(shapes)
    assert len(handled) >= 20
    for shape, constraint in kept.subject_objects(SH.sparql):
        # what stays with pyshacl is reached only through sh:node/sh:xone/sh:and/sh:or/sh:not
        assert not any(shapes.value(shape, p) for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf))


@pytest.fixture(scope="module")
def built():
    return assemble(Settings())


def _mutations(b):
    iris = Iris()
    jilin = iris.id("observation", "sent-1959-jilin-persons")
    passage = next(b.graphs["editorial"].objects(jilin, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")), None) \
        or next(b.graphs["assertions"].objects(jilin, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    position = URIRef(str(passage) + "/position")
    ts = iris.id("time-span", "1958-12")
    crm = "http://www.cidoc-crm.org/cidoc-crm/"
    yield "figure changed", [(jilin, iris.kg.persons, Literal(36274), Literal(36275))], [jilin]
    yield "offset moved", [(position, OA.start, None, Literal(1, datatype=XSD.nonNegativeInteger))], [passage]
    yield "bound changed", [(ts, URIRef(crm + "P82a_begin_of_the_begin"), None,
                             Literal("1958-11-30T00:00:00", datatype=XSD.dateTime))], [ts]


@pytest.mark.parametrize("case", [0, 1, 2])
def test_mutated_build_reports_match_pyshacl(built, case):
    name, changes, focus = list(_mutations(built))[case]
    data = built.union()
    for s, p, old, new in changes:
        if old is None:
            old = data.value(s, p)
        data.remove((s, p, old))
        data.add((s, p, new))
    shapes = [s for s in built.shapes.subjects(SH.sparql, None)]
    kwargs = dict(focus_nodes=focus, use_shapes=sorted(set(shapes), key=str))
    ours = validate_graph(data, built.shapes, built.ontology, **kwargs, engine="kg")
    theirs = validate_graph(data, built.shapes, built.ontology, **kwargs, engine="pyshacl")
    assert not ours.conforms, name
    assert results(ours) == results(theirs), name


NESTED_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:OuterShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:xone ( ex:BigShape ex:NamedShape ) .
ex:BigShape a sh:NodeShape ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "{$this} has {?value}, not over 10" ;
        sh:select "SELECT $this ?value WHERE { $this ex:n ?value . FILTER(?value <= 10) }" ] .
ex:NamedShape a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""

NESTED_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:n 3 .
ex:b a ex:Thing ; ex:n 11 .
ex:c a ex:Thing ; ex:n 12 ; ex:name "both" .
ex:d a ex:Thing ; ex:n "x"@en .
"""


def test_constraints_behind_logic_run_once_for_all_nodes(monkeypatch):
    """A SPARQL constraint reached through sh:xone is one pyoxigraph query for every node it is asked
    about (kg's engine (kg.validation.engine)), not one rdflib query per node; the report is pyshacl's own."""
    shapes = Graph().parse(data=NESTED_SHAPES, format="turtle")
    data = Graph().parse(data=NESTED_DATA, format="turtle")
    asked = []
    original = shacl_sparql.rows
    monkeypatch.setattr(shacl_sparql, "rows", lambda *a: asked.append(a[2]) or original(*a))
    ours = validate_graph(data, shapes, engine="kg")
    assert len(asked) == 1 and len(asked[0]) == 4  # the four ex:Thing at once
    theirs = validate_graph(data, shapes, engine="pyshacl")
    strip = lambda rs: sorted(r[:4] + r[5:] for r in rs)  # noqa: E731
    assert strip(results(ours)) == strip(results(theirs))
    assert {r.focus for r in ours.results} == {"http://example.org/a", "http://example.org/c"}


def test_constraints_behind_logic_in_a_narrowed_run_are_answered_by_oxigraph(monkeypatch):
    """In runs narrowed by focus_nodes (left to pyshacl), SPARQL constraints pyshacl keeps (behind sh:xone
    here) are answered by pyoxigraph with $this substituted (issue 7: rdflib scanned every match per focus
    node); the report is pyshacl's own."""
    shapes = Graph().parse(data=NESTED_SHAPES, format="turtle")
    data = Graph().parse(data=NESTED_DATA, format="turtle")
    answered = []
    original = shacl_sparql.query_with_this
    monkeypatch.setattr(shacl_sparql, "query_with_this", lambda *a: answered.append(a[2]) or original(*a))
    things = [URIRef(f"http://example.org/{x}") for x in "abcd"]
    ours = validate_graph(data, shapes, engine="kg", focus_nodes=things)
    assert len(answered) == 4  # once per ex:Thing, none left to rdflib
    theirs = validate_graph(data, shapes, engine="pyshacl", focus_nodes=things)
    strip = lambda rs: sorted(r[:4] + r[5:] for r in rs)  # noqa: E731
    assert strip(results(ours)) == strip(results(theirs))
    assert {r.focus for r in ours.results} == {"http://example.org/a", "http://example.org/c"}
