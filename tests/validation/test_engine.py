"""kg's engine (kg.validation.engine): SHACL Core (with the SHACL-SPARQL inside it) gives exactly pyshacl's report (issue 7).

Every validation the tests run in this process is compared with pyshacl's by tests/conftest.py
(``engines_agree``): the shape cases, the mutations, the real build, ``kg validate``. The cases here add
what our shapes do not use: every other SHACL Core component, severities, messages, deactivation, blank
nodes, the shapes this module leaves to pyshacl, and the hostile inputs of tests/abuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.compare import isomorphic

from kg.validation import compile as shacl_compile
from kg.validation.run import validate_graph

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""

EVERY_COMPONENT = PREFIXES + """
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:nodeKind sh:IRI ; sh:pattern "/t[0-9]+$" ;
    sh:closed true ; sh:ignoredProperties ( rdfs:label ) ;
    sh:property ex:NameShape , ex:AgeShape , ex:ColourShape ,
      [ sh:path ex:label ; sh:uniqueLang true ; sh:languageIn ( "en" "de" ) ; sh:minLength 2 ; sh:maxLength 8 ;
        sh:datatype rdf:langString ] ,
      [ sh:path ex:start ; sh:lessThan ex:end ; sh:lessThanOrEquals ex:end ; sh:maxCount 1 ] ,
      [ sh:path ex:end ; sh:maxInclusive 100 ; sh:maxExclusive 90 ] ,
      [ sh:path ex:same ; sh:equals ex:twin ; sh:disjoint ex:other ] ,
      [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Part ] ; sh:qualifiedMinCount 1 ;
        sh:qualifiedMaxCount 1 ; sh:qualifiedValueShapesDisjoint true ] ,
      [ sh:path ex:part ; sh:qualifiedValueShape [ sh:nodeKind sh:BlankNode ] ; sh:qualifiedMaxCount 1 ;
        sh:qualifiedValueShapesDisjoint true ] ,
      [ sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:node ex:OwnerShape ] ,
      [ sh:path ( ex:part ex:weight ) ; sh:minInclusive 1 ; sh:minExclusive 0 ] ,
      [ sh:path ex:type ; sh:in ( ex:a ex:b "c" ) ; sh:hasValue ex:a ] ;
    sh:not [ sh:property [ sh:path ex:banned ; sh:minCount 1 ] ] ;
    sh:and ( [ sh:class ex:Thing ] [ sh:nodeKind sh:IRI ] ) ;
    sh:or ( [ sh:property [ sh:path ex:name ; sh:minCount 2 ] ] [ sh:property [ sh:path ex:age ; sh:minCount 1 ] ] ) ;
    sh:xone ( [ sh:property [ sh:path ex:colour ; sh:minCount 1 ] ] ex:WarnShape ) ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "{$this} has {?value} over {?limit}" ;
        sh:select "SELECT $this ?value ?limit WHERE { $this ex:age ?value . BIND(50 AS ?limit) FILTER(isNumeric(?value) && ?value > ?limit) }" ] .
ex:NameShape sh:path ex:name ; sh:minCount 1 ; sh:datatype xsd:string ; sh:message "a name, please"@en .
ex:AgeShape sh:path ex:age ; sh:datatype xsd:integer ; sh:severity sh:Warning ; sh:maxCount 1 .
ex:ColourShape sh:path ex:colour ; sh:class ex:Colour , ex:Hue ; sh:deactivated false .
ex:OffShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:deactivated true ; sh:minLength 100 .
ex:WarnShape a sh:NodeShape ; sh:severity sh:Warning ; sh:property [ sh:path ex:warm ; sh:minCount 1 ] .
ex:OwnerShape a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] ;
    sh:property [ sh:path ex:rank ; sh:minCount 1 ; sh:severity sh:Info ] .
ex:PartShape a sh:NodeShape ; sh:targetObjectsOf ex:part ; sh:nodeKind sh:BlankNodeOrIRI ;
    sh:property [ sh:path ex:weight ; sh:datatype xsd:decimal ; sh:maxCount 1 ] .
ex:Owner a rdfs:Class , sh:NodeShape ; sh:property [ sh:path ex:owns ; sh:minCount 1 ; sh:class ex:Thing ] .
ex:NoteShape a sh:NodeShape ; sh:targetSubjectsOf ex:note , ex:remark ; sh:targetNode ex:t1 , "literal" ;
    sh:property [ sh:path ex:note ; sh:maxLength 5 ; sh:pattern "^[a-z]+$" ; sh:flags "i" ] .
"""

EVERY_COMPONENT_DATA = PREFIXES + """
ex:t1 a ex:Thing ; ex:name "One" ; ex:age 61 , "x" ; ex:label "a"@en , "bb"@en , "ccc"@fr , "plain" ;
    ex:start 5 ; ex:end 4 , 95 ; ex:same ex:x ; ex:twin ex:y ; ex:other ex:x ; ex:part [ ex:weight 0 ] , ex:p1 ;
    ex:type ex:b , "c" , ex:z ; ex:banned true ; ex:colour ex:red ; ex:note "Hello there" ; rdfs:label "t" .
ex:p1 a ex:Part ; ex:weight 2.5 , "heavy" .
ex:red a ex:Colour .
ex:bad a ex:SubThing ; ex:name 7 ; ex:colour [ a ex:Hue ] ; ex:start "a" ; ex:end "b" .
ex:t2 a ex:Thing ; ex:name "Two" , "Zwei" ; ex:warm true ; ex:colour ex:red ; ex:part ex:p1 , ex:p2 ;
    ex:same ex:x ; ex:twin ex:x ; ex:type ex:a .
ex:p2 a ex:Part .
ex:o1 a ex:Owner ; ex:owns ex:t2 , ex:p1 ; ex:name "O" .
_:o2 a ex:Owner ; ex:owns ex:t1 ; ex:rank 1 .
_:b1 ex:remark "x" ; ex:note "ABCDEFG" , "ok" .
ex:SubThing rdfs:subClassOf ex:Thing .
"""


def both(data: Graph, shapes: Graph, ontology: Graph | None = None):
    ours = validate_graph(data, shapes, ontology, engine="kg")
    theirs = validate_graph(data, shapes, ontology, engine="pyshacl")
    return ours, theirs


def tuples(report) -> list[str]:
    return sorted(map(repr, report.results))


def test_every_core_component_gives_pyshacls_report():
    shapes = Graph().parse(data=EVERY_COMPONENT, format="turtle")
    data = Graph().parse(data=EVERY_COMPONENT_DATA, format="turtle")
    plan = shacl_compile.plan(shapes)
    assert plan.rest is None and len(plan.fast) == 5  # every shape with targets runs in kg's engine (kg.validation.engine)
    ours, theirs = both(data, shapes)
    assert tuples(ours) == tuples(theirs)
    assert ours.conforms == theirs.conforms is False
    components = {r.component.rsplit("#", 1)[-1] for r in ours.results}
    assert len(components) >= 25, sorted(components)  # nearly every component fires at least once


def test_warnings_alone_do_not_conform_but_fail_only_from_warning_on():
    """SHACL: a report with any result does not conform, whatever its severity; what counts as failure is
    the user's choice (``Report.fails``, ``kg validate --fail-on``)."""
    shapes = Graph().parse(data=PREFIXES + """
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Warning ] .
""", format="turtle")
    data = Graph().parse(data=PREFIXES + "ex:a a ex:Thing .", format="turtle")
    ours, theirs = both(data, shapes)
    assert not ours.conforms and not theirs.conforms and tuples(ours) == tuples(theirs) != []
    assert not ours.fails("violation") and ours.fails("warning") and ours.fails("info")
    assert ours.report_graph.value(next(ours.report_graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms) == Literal(False)


UNIMPLEMENTED = PREFIXES + """
ex:AltShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path [ sh:alternativePath ( ex:name ex:label ) ] ; sh:minCount 1 ] ,
      [ sh:path [ sh:zeroOrMorePath ex:parent ] ; sh:class ex:Thing ] .
ex:PlainShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:maxCount 1 ] .
"""


def test_shapes_not_implemented_are_left_to_pyshacl_with_the_same_report():
    shapes = Graph().parse(data=UNIMPLEMENTED, format="turtle")
    data = Graph().parse(data=PREFIXES + """
ex:a a ex:Thing ; ex:parent ex:b ; ex:name "x" , "y" .
ex:b ex:label "b" .
ex:c a ex:Thing .
""", format="turtle")
    plan = shacl_compile.plan(shapes)
    assert [str(s.node) for s in plan.fast] == ["http://example.org/PlainShape"] and plan.rest is not None
    ours, theirs = both(data, shapes)
    assert tuples(ours) == tuples(theirs)
    assert {r.component.rsplit("#", 1)[-1] for r in ours.results} == {
        "MinCountConstraintComponent", "MaxCountConstraintComponent", "ClassConstraintComponent"}


ABUSE = Path(__file__).resolve().parents[1] / "fixtures" / "abuse" / "xss.trig"


@pytest.mark.parametrize("kind", ["collection", "blank-nodes", "xss"])
def test_hostile_inputs_of_kg_validate(settings, kind):
    """What tests/abuse gives `kg validate` in another process (deep nesting, script in literals and IRIs),
    validated here by both engines against our shapes and a shape reaching into the blank nodes."""
    from kg.validation.run import load_shapes

    shapes = load_shapes(settings)
    shapes.parse(data=PREFIXES + """
ex:DeepShape a sh:NodeShape ; sh:targetSubjectsOf ex:b ;
    sh:property [ sh:path ex:b ; sh:maxCount 0 ; sh:nodeKind sh:IRI ] .
""", format="turtle")
    # pyshacl writes nested blank nodes down to a recursion depth of 12 (two a level) and caches what it wrote
    # at whatever depth it met a node first: deeper chains read differently in another order, even in pyshacl
    depth = 50 if kind == "collection" else 5
    if kind == "collection":
        data = Graph().parse(data="<http://example.org/a> <http://example.org/b> " + "(" * depth + ")" * depth + " .",
                             format="turtle")
    elif kind == "blank-nodes":
        data = Graph().parse(data="<http://example.org/a> " + "<http://example.org/b> [ " * depth
                             + "<http://example.org/b> 1" + " ]" * depth + " .", format="turtle")
    else:
        data = Graph()
        for s, p, o, _ in Dataset().parse(ABUSE, format="trig").quads((None, None, None, None)):
            data.add((s, p, o))
    ours, theirs = both(data, shapes)
    assert tuples(ours) == tuples(theirs) != []
    assert isomorphic(ours.report_graph, theirs.report_graph)
