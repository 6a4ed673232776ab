"""The SHACL-SPARQL constraints are standard: SPARQL that a second engine (Oxigraph) parses on its own, with the
prefixes the shapes declare, and none of what SHACL's pre-binding forbids (VALUES, MINUS, SERVICE, sub-selects,
re-binding $this)."""

from __future__ import annotations

import re

import pytest
from pyoxigraph import Store
from rdflib import Graph
from rdflib.namespace import RDF, SH

from kg.build.pipeline import assemble
from kg.validation.run import rebase_shapes

FORBIDDEN = re.compile(r"\b(VALUES|MINUS|SERVICE)\b", re.I)


@pytest.fixture(scope="module")
def shapes(settings) -> Graph:
    built = assemble(settings)
    return rebase_shapes(built.shapes, built.iris)


def constraints(shapes: Graph) -> list:
    return sorted(shapes.subjects(RDF.type, SH.SPARQLConstraint))


def header(shapes: Graph, constraint) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(ontology, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(lines)


def test_there_are_sparql_constraints(shapes):
    assert len(constraints(shapes)) >= 25


def test_every_constraint_is_portable_sparql(shapes):
    store = Store()
    problems = []
    for c in constraints(shapes):
        query = str(shapes.value(c, SH.select))
        if FORBIDDEN.search(query):
            problems.append((c, "uses a keyword SHACL forbids"))
        if len(re.findall(r"\bSELECT\b", query, re.I)) != 1:
            problems.append((c, "has a sub-select"))
        if re.search(r"AS\s+[?$]this\b", query):
            problems.append((c, "re-binds $this"))
        if not re.search(r"SELECT\s+\$this\b", query):
            problems.append((c, "does not select $this first"))
        if shapes.value(c, SH.message) is None:
            problems.append((c, "has no sh:message"))
        try:
            list(store.query(header(shapes, c) + "\n" + query.replace("$this", "?this")))
        except SyntaxError as err:
            problems.append((c, f"Oxigraph does not parse it: {err}"))
    assert problems == []
