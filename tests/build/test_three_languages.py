"""Three languages: every term of kg's ontology has its label and definition in English, Simplified Chinese and
Korean; every actor, place, group, concept, event, proposal, instrument, date and scheme the build holds has a
Korean preferred label, which sits in the editorial graph (kg's, not the ministry's) with its resource marked
"Korean label supplied by kg." (the report names nothing in Korean)."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.iris import CRM, ELI, FOAF, ORG, Iris

LANGUAGES = {"en", "zh-hans", "ko"}
SUPPLIED = Literal("Korean label supplied by kg.", lang="en")
# the kinds of resource the issue names (agents, places, groups and concepts, events, proposals), with the
# instruments, dates and schemes pages show beside them
KINDS = [FOAF.Person, ORG.Organization, ORG.FormalOrganization, ORG.OrganizationalUnit, ORG.OrganizationalCollaboration,
         CRM.E53_Place, SKOS.Concept, SKOS.ConceptScheme, CRM.E7_Activity, Iris().kg.Proposal,
         ELI.LegalResource, ELI.LegalResourceSubdivision, CRM["E52_Time-Span"]]


@pytest.fixture(scope="module")
def ontology(built) -> Graph:
    return Graph().parse(built.dist / "ontology.ttl")


@pytest.fixture(scope="module")
def dataset(built) -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(built.dist / "dataset.trig", format="trig")
    return ds


def _languages(graph: Graph, subject, predicate) -> list[str]:
    return sorted(o.language.lower() for o in graph.objects(subject, predicate) if isinstance(o, Literal) and o.language)


def test_every_kg_term_has_label_and_definition_in_three_languages(ontology):
    kg = Iris().kg
    terms = {s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)
             for s in ontology.subjects(RDF.type, t) if str(s).startswith(str(kg))}
    assert len(terms) >= 30
    for term in sorted(terms):
        assert _languages(ontology, term, RDFS.label) == sorted(LANGUAGES), term
        assert _languages(ontology, term, SKOS.definition) == sorted(LANGUAGES), term


def test_every_named_thing_has_a_korean_label_marked_as_supplied(dataset):
    iris = Iris()
    editorial = dataset.graph(iris.graph("editorial"))
    things = {s for kind in KINDS for s in dataset.subjects(RDF.type, kind) if str(s).startswith(iris.base + "id/")}
    assert len(things) >= 150
    for thing in sorted(things):
        korean = [o for o in dataset.objects(thing, SKOS.prefLabel) if o.language == "ko"]
        assert len(korean) == 1, thing
        assert (thing, SKOS.prefLabel, korean[0]) in editorial, f"{thing}: the Korean label is kg's, so editorial"
        assert (thing, SKOS.editorialNote, SUPPLIED) in dataset, thing


def test_no_korean_label_is_the_ministrys(dataset):
    assertions = dataset.graph(Iris().graph("assertions"))
    assert [t for t in assertions.triples((None, None, None)) if isinstance(t[2], Literal) and t[2].language == "ko"] == []


def test_every_passage_is_named_in_three_languages(dataset):
    """A passage's name is kg's (where in the text it is), so it is said in each language of the pages."""
    from kg.iris import OA

    passages = [p for p in dataset.subjects(RDF.type, OA.SpecificResource) if "/id/passage/" in str(p)]
    assert len(passages) >= 100
    for p in passages:
        assert _languages(dataset, p, SKOS.prefLabel) == sorted(LANGUAGES), p
    start, end = str(passages[0]).rsplit("/", 1)[1].split("-")[:2]
    assert Literal(f"보고서 본문 {start}–{end}번째 글자의 구절", lang="ko") in set(dataset.objects(passages[0], SKOS.prefLabel))
