"""Shared fixtures: the project settings with a temporary dist/, one validated build into it, a way to
validate against some shapes only, and the check that kg's SHACL engine reports what pyshacl reports on
every validation the tests run in this process (``engines_agree``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

import kg.validation.run
from graph_compare import same_graph

from kg.build.pipeline import BuildResult, build
from kg.config import Settings, project_root

KGSH = "https://kg.example.org/shapes#"
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """The repository's data and shapes, building into a temporary KG_DIST (never the repo's dist/)."""
    return Settings(root=project_root(), dist=tmp_path_factory.mktemp("kg") / "dist")


@pytest.fixture(scope="session")
def built(settings) -> BuildResult:
    """One full build (assembled, validated against the shapes and checks, written) for the session."""
    return build(settings)


def narrowed(shapes: Graph, targets: dict[str, Iterable[URIRef] | None]) -> Graph:
    """Only the named shapes (local names in kgsh:), with what they reference, targeting the given nodes
    (or keeping their own targets, given None).

    Constraints and the shapes they reference (sh:node, sh:or, sh:xone, property shapes, SPARQL constraints
    and their prefix declarations) are copied unchanged, so a node is checked exactly as in a full run.
    (pyshacl's own focus_nodes/use_shapes options do not check shapes reached through sh:node or sh:xone.)
    """
    keep = {URIRef(KGSH + name): nodes for name, nodes in targets.items()}
    defined = set(shapes.subjects())
    out = Graph()
    todo, seen = list(keep), set(keep)
    while todo:
        node = todo.pop()
        for p, o in shapes.predicate_objects(node):
            if p in TARGETS and (node not in keep or keep[node] is not None):
                continue
            out.add((node, p, o))
            if p != RDF.type and o in defined and o not in seen:
                seen.add(o)
                todo.append(o)
    for shape, nodes in keep.items():
        for node in nodes or ():
            out.add((shape, SH.targetNode, node))
    return out


@pytest.fixture(scope="session")
def narrow() -> Callable[[Graph, dict], Graph]:
    """``narrow(shapes, {"ObservationShape": [node, ...]})``: see ``narrowed``."""
    return narrowed


def report_results(report: Graph) -> list[tuple]:
    """Every sh:ValidationResult of a report graph (sh:detail ones too) as comparable text: focus, path,
    component, severity, shape, value, source constraint, its messages, and its details' count."""
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        def v(p):
            x = report.value(r, p)
            return "" if x is None else x.n3()
        out.append((v(SH.focusNode), v(SH.resultPath), v(SH.sourceConstraintComponent), v(SH.resultSeverity),
                    v(SH.sourceShape), v(SH.value), v(SH.sourceConstraint),
                    tuple(sorted(m.n3() for m in report.objects(r, SH.resultMessage))),
                    len(list(report.objects(r, SH.detail)))))
    return sorted(out)


def assert_same_report(ours: tuple[bool, Graph], theirs: tuple[bool, Graph]) -> None:
    assert report_results(ours[1]) == report_results(theirs[1])
    assert ours[0] == theirs[0]
    assert same_graph(ours[1], theirs[1])


COMPARED: list[int] = [0]


def pytest_terminal_summary(terminalreporter):
    if COMPARED[0]:
        terminalreporter.write_line(f"kg's engine and pyshacl gave the same report on {COMPARED[0]} validations")


def pytest_configure(config):
    config.addinivalue_line("markers", "engines_may_differ: kg's engine is not compared with pyshacl here "
                            "(the W3C suite, where pyshacl has known failures)")


@pytest.fixture(autouse=True)
def engines_agree(monkeypatch, request):
    """Every validation by kg's engine (kg.validation) in this process is run again by
    pyshacl alone and must give the same report graph and conformance (issue 7: "identical reports"),
    except in tests marked ``engines_may_differ``."""
    if request.node.get_closest_marker("engines_may_differ"):
        yield
        return
    original = kg.validation.run._shacl_kg

    def compared(data, shapes, ontology, store):
        ours = original(data, shapes, ontology, store)
        theirs = kg.validation.run._shacl_pyshacl(data, shapes, ontology, "pyshacl", None, None)
        assert_same_report(ours, theirs)
        COMPARED[0] += 1
        return ours

    monkeypatch.setattr(kg.validation.run, "_shacl_kg", compared)
    yield
