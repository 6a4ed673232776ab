"""queries/checks/*-violation.rq: each returns nothing on the real graph and a row on a case made to break it."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import RDF, RDFS, SH, SKOS

from kg.build.pipeline import assemble
from kg.iris import OA, QB
from kg.validation.run import validate_graph, violation_queries

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
    report = validate_graph(graph, Graph(), None, sorted(checks.items()))
    assert report.results == []


DS = ID["dataset/figures"]
# check file -> (a small graph that breaks it, the (?focus, ?value) rows it must report, exactly)
CASES = {
    "blank-node-violation.rq": ([(J, RDF.type, QB.Observation), (J, SKOS.note, BNode("b1")), (BNode("b1"), RDF.value, Literal("x"))],
                                {(BNode("b1"), None)}),
    "dangling-reference-violation.rq": ([(J, RDF.type, QB.Observation), (J, QB.dataSet, DS), (DS, RDF.type, QB.DataSet),
                                         (J, SKOS.related, ID["place/atlantis"]),
                                         (J, SKOS.note, Literal("https://kg.example.org/id/place/atlantis"))],
                                        {(J, ID["place/atlantis"])}),
    "annotation-body-violation.rq": ([(ID["annotation/a"], RDF.type, OA.Annotation), (ID["annotation/a"], OA.hasBody, J),
                                      (J, RDF.type, QB.Observation),
                                      (ID["annotation/b"], RDF.type, OA.Annotation), (ID["annotation/b"], OA.hasBody, ID["statement/missing"])],
                                     {(ID["annotation/b"], ID["statement/missing"])}),
    "passage-without-annotation-violation.rq": ([(ID["passage/1-2"], RDF.type, OA.SpecificResource),
                                                 (ID["passage/3-4"], RDF.type, OA.SpecificResource),
                                                 (ID["annotation/a"], RDF.type, OA.Annotation),
                                                 (ID["annotation/a"], OA.hasTarget, ID["passage/3-4"])],
                                                {(ID["passage/1-2"], None)}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_finds_its_case_and_nothing_else(checks, name):
    triples, expected = CASES[name]
    g = Graph()
    for t in triples:
        g.add(t)
    rows = {(row.focus, getattr(row, "value", None) if "value" in row.labels else None) for row in g.query(checks[name])}
    assert rows == expected


def test_a_row_is_a_violation_on_its_focus(checks):
    """Run through kg.validation.run, as the build does: each row is a violation on its ?focus."""
    name = "dangling-reference-violation.rq"
    g = Graph()
    for t in CASES[name][0]:
        g.add(t)
    report = validate_graph(g, Graph(), None, [(name, checks[name])])
    assert not report.conforms
    assert [(r.focus, r.path, r.value) for r in report.results] == [(str(J), str(SKOS.related), str(ID["place/atlantis"]))]


def test_every_check_has_a_case(checks):
    assert set(checks) == set(CASES)


@pytest.mark.parametrize("engine", ["kg", "pyshacl"])
def test_a_row_is_a_result_of_the_report_graph(checks, engine):
    """The SHACL report graph (kg validate --format turtle, POST /validate) holds the rows too, so its
    sh:conforms agrees with the exit code."""
    name = "dangling-reference-violation.rq"
    g = Graph()
    for t in CASES[name][0]:
        g.add(t)
    report = validate_graph(g, Graph(), None, [(name, checks[name])], engine=engine)
    graph = Graph().parse(data=report.turtle(), format="turtle")
    node = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(node, SH.conforms) == Literal(False)
    results = list(graph.objects(node, SH.result))
    assert len(results) == 1
    r = results[0]
    assert (graph.value(r, SH.focusNode), graph.value(r, SH.resultPath), graph.value(r, SH.value)) == \
        (J, SKOS.related, ID["place/atlantis"])
    assert graph.value(r, SH.resultSeverity) == SH.Violation
    assert graph.value(r, SH.sourceConstraintComponent) == SH.SPARQLConstraintComponent
    assert "dangling-reference-violation.rq" in str(graph.value(graph.value(r, SH.sourceConstraint), RDFS.label))


def test_the_real_graph_report_conforms(graph, checks):
    report = validate_graph(graph, Graph(), None, sorted(checks.items()))
    node = next(report.report_graph.subjects(RDF.type, SH.ValidationReport))
    assert report.report_graph.value(node, SH.conforms) == Literal(True)
