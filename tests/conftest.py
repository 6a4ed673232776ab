"""Shared fixtures: the project settings with a temporary dist/, one validated build into it, and a way to
validate against some shapes only."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.build import BuildResult, build
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
