"""queries/checks/*-violation.rq: each returns nothing on the real graph and a row on a case made to break it."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from kg.build import assemble
from kg.iris import OA
from kg.validate import validate_graph, violation_queries

ID = Namespace("https://kg.example.org/id/")
J = ID["observation/sent-1959-jilin-persons"]


@pytest.fixture(scope="module")
def graph(settings) -> Graph:
    return assemble(settings).union()


@pytest.fixture(scope="module")
def checks(settings) -> dict[str, str]:
    return dict(violation_queries(settings))


def test_every_check_is_named_as_a_violation_query(settings):
    names = sorted(p.name for p in (settings.root / "queries" / "checks").glob("*.rq"))
    assert names and all(n.endswith("-violation.rq") for n in names)


def test_real_graph_returns_no_rows(graph, checks):
    for name, text in checks.items():
        assert list(graph.query(text)) == [], name


# check file -> (triples that break it, the ?focus it must report)
CASES = {
    "blank-node-violation.rq": ([(J, SKOS.note, BNode("b1"))], BNode("b1")),
    "dangling-reference-violation.rq": ([(J, SKOS.related, ID["place/atlantis"])], J),
    "annotation-body-violation.rq": ([(ID["annotation/orphan"], RDF.type, OA.Annotation),
                                      (ID["annotation/orphan"], OA.hasBody, ID["statement/missing"])],
                                     ID["annotation/orphan"]),
    "passage-without-annotation-violation.rq": ([(ID["passage/1-2"], RDF.type, OA.SpecificResource)], ID["passage/1-2"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_finds_its_case(graph, checks, name):
    """Run through kg.validate, as the build does: each row is a violation on its ?focus."""
    triples, focus = CASES[name]
    g = Graph()
    g += graph
    for t in triples:
        g.add(t)
    report = validate_graph(g, Graph(), None, [(name, checks[name])])
    assert not report.conforms
    assert str(focus) in {r.focus for r in report.results if r.component.endswith(name)}


def test_every_check_has_a_case(checks):
    assert set(checks) == set(CASES)


def test_literal_values_are_not_references(graph, checks):
    g = Graph()
    g += graph
    g.add((J, SKOS.note, Literal("https://kg.example.org/id/place/atlantis")))
    assert list(g.query(checks["dangling-reference-violation.rq"])) == []
