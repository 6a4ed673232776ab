"""Mutation tests (issue 2, "Tests"): removing or changing any stated figure, or moving any evidence offset,
makes validation fail, and fail on the node that was changed.

The graph is assembled once. Each mutation is validated with ``kg.validation.run.validate_graph`` against the shape
that owns the fact (the others narrowed away, see tests/conftest.py), on the part of the graph that shape
reads: the figures with what they point to, or one passage with its selectors and the text. One more run per
kind applies every mutation at once to the whole graph against all the shapes, so the narrowing hides
nothing.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SH, XSD

from kg.build.pipeline import assemble
from kg.iris import OA, QB
from kg.validation.run import rebase_shapes, validate_graph

KG = Namespace("https://kg.example.org/ontology/kg#")
SDMX = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
MEASURES = (KG.households, KG.persons, KG.approximatePersons, KG.laborersPerHousehold, KG.shareOfPersons)
SUMS = Namespace("https://kg.example.org/shapes#")["PartsSumToTotal"]


@pytest.fixture(scope="module")
def world(settings):
    built = assemble(settings)
    return built, built.union(), rebase_shapes(built.shapes, built.iris)


def reach(g: Graph, start, depth: int) -> Graph:
    """The triples of ``start`` and of every IRI reachable from it in ``depth`` steps."""
    out, frontier, seen = Graph(), set(start), set(start)
    for _ in range(depth + 1):
        nxt = set()
        for node in frontier:
            for t in g.triples((node, None, None)):
                out.add(t)
                if isinstance(t[2], URIRef) and t[1] != RDF.type and t[2] not in seen:
                    nxt.add(t[2])
        seen |= nxt
        frontier = nxt
    return out


def figures(g: Graph) -> list[tuple[URIRef, URIRef, Literal]]:
    return sorted((s, p, o) for p in MEASURES for s, o in g.subject_objects(p))


def changes(value: Literal) -> list[Literal]:
    """Plausible slips: one more, one less, a digit too many; for a fraction, another denominator."""
    if value.datatype == OWL.rational:
        f = Fraction(str(value))
        return [Literal(f"{f.numerator}/{f.denominator + 1}", datatype=OWL.rational),
                Literal(f"{f.numerator + 1}/{f.denominator}", datatype=OWL.rational)]
    n = int(value)
    return [Literal(x) for x in (n + 1, n - 1, n * 10) if x >= 0 and x != n]


def validate_replaced(g: Graph, triple, new, shapes: Graph, ontology: Graph):
    """Validate ``g`` with ``triple``'s object replaced by ``new`` (or removed, given None); restore ``g``."""
    s, p, o = triple
    g.remove(triple)
    if new is not None:
        g.add((s, p, new))
    try:
        return validate_graph(g, shapes, ontology)
    finally:
        if new is not None:
            g.remove((s, p, new))
        g.add(triple)


def focus_of_violations(report) -> set[str]:
    return {r.focus for r in report.results if r.severity.endswith("Violation")}


@pytest.fixture(scope="module")
def figure_world(world, narrow):
    built, union, shapes = world
    observations = sorted(set(union.subjects(RDF.type, QB.Observation)))
    return built, reach(union, observations, 2), shapes, observations


def test_every_observation_has_exactly_one_figure(figure_world):
    _, g, _, observations = figure_world
    assert len(observations) >= 22
    assert sorted(s for s, _, _ in figures(g)) == observations


def test_figures_conform_before_mutation(figure_world, narrow):
    built, g, shapes, observations = figure_world
    report = validate_graph(g, narrow(shapes, {"ObservationShape": observations}), built.ontology)
    assert report.conforms, report.text()


@pytest.mark.parametrize("mode", ["remove", "change"])
def test_every_figure_mutated_fails_on_its_node(figure_world, narrow, mode):
    built, g, shapes, _ = figure_world
    escaped, tried = [], 0
    for obs, prop, value in figures(g):
        shape = narrow(shapes, {"ObservationShape": [obs]})
        for new in ([None] if mode == "remove" else changes(value)):
            report = validate_replaced(g, (obs, prop, value), new, shape, built.ontology)
            tried += 1
            if report.conforms or str(obs) not in focus_of_violations(report):
                escaped.append((str(obs), str(prop), str(value), None if new is None else str(new)))
    assert tried >= 22
    assert escaped == [], f"{len(escaped)} of {tried} mutations passed validation"


def test_every_provincial_figure_is_held_by_its_total(figure_world, narrow):
    """The arithmetic alone (kgsh:PartsSumToTotal, on the totals only) catches a changed or missing part."""
    built, g, shapes, observations = figure_world
    area, contains = SDMX.refArea, URIRef("https://schema.org/containsPlace")
    key = {o: (g.value(o, KG.population), g.value(o, SDMX.refPeriod), g.value(o, QB.measureType)) for o in observations}
    totals = [o for o in observations if (g.value(o, area), contains, None) in g]
    parts = [(o, p, v) for o, p, v in figures(g)
             if any((g.value(t, area), contains, g.value(o, area)) in g and key[t] == key[o] for t in totals)]
    assert len(parts) == 8  # four provinces and region, households and people
    shape = narrow(shapes, {"ObservationShape": totals})
    escaped = []
    for obs, prop, value in parts:
        for new in (None, Literal(int(value) + 1)):
            report = validate_replaced(g, (obs, prop, value), new, shape, built.ontology)
            if SUMS not in set(report.report_graph.objects(None, SH.sourceConstraint)):
                escaped.append((str(obs), str(new)))
    assert escaped == []


def test_all_figures_changed_at_once_fail_on_the_whole_graph(world):
    built, union, shapes = world
    g = Graph()
    g += union
    changed = set()
    for obs, prop, value in figures(union):
        g.remove((obs, prop, value))
        g.add((obs, prop, changes(value)[0]))
        changed.add(str(obs))
    report = validate_graph(g, shapes, built.ontology)
    assert not report.conforms
    assert changed <= focus_of_violations(report)


# --- evidence offsets ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def passages(world):
    built, union, _ = world
    return sorted(set(union.subjects(RDF.type, OA.SpecificResource)))


def passage_graph(union: Graph, passage: URIRef) -> Graph:
    """One passage, its two selectors and the source text: all that kgsh:PassageShape reads."""
    g = Graph()
    for node in (passage, *union.objects(passage, OA.hasSelector), *union.objects(passage, OA.hasSource)):
        for t in union.triples((node, None, None)):
            g.add(t)
    return g


def test_every_passage_conforms_before_mutation(world, passages, narrow):
    built, union, shapes = world
    assert len(passages) >= 150
    report = validate_graph(union, narrow(shapes, {"PassageShape": passages}), built.ontology)
    assert report.conforms, report.text()


@pytest.mark.parametrize("prop", [OA.start, OA.end], ids=["start", "end"])
def test_every_offset_moved_fails_on_its_passage(world, passages, narrow, prop):
    built, union, shapes = world
    escaped, tried = [], 0
    for passage in passages:
        g = passage_graph(union, passage)
        shape = narrow(shapes, {"PassageShape": [passage]})
        position = next(s for s in g.objects(passage, OA.hasSelector) if (s, RDF.type, OA.TextPositionSelector) in g)
        old = g.value(position, prop)
        for by in (1, -1):
            if int(old) + by < 0:
                continue
            g.set((position, prop, Literal(int(old) + by, datatype=XSD.nonNegativeInteger)))
            report = validate_graph(g, shape, built.ontology)
            g.set((position, prop, old))
            tried += 1
            if report.conforms or str(passage) not in focus_of_violations(report):
                escaped.append((str(passage), by))
    assert tried >= 2 * len(passages) - 1
    assert escaped == [], f"{len(escaped)} of {tried} moved offsets passed validation"


@pytest.mark.parametrize("prop", [OA.start, OA.end], ids=["start", "end"])
def test_all_offsets_moved_at_once_fail_on_the_whole_graph(world, passages, prop):
    built, union, shapes = world
    g = Graph()
    g += union
    for passage in passages:
        for position in union.objects(passage, OA.hasSelector):
            old = union.value(position, prop)
            if old is not None:
                g.set((position, prop, Literal(int(old) + 1, datatype=XSD.nonNegativeInteger)))
    report = validate_graph(g, shapes, built.ontology)
    assert not report.conforms
    assert {str(p) for p in passages} <= focus_of_violations(report)
