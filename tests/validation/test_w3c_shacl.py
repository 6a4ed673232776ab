"""The W3C SHACL test suite (core and SPARQL manifests), read in place from ``../shared/w3c/shacl-test-suite/``.

Each ``sht:Validate`` case passes when ``sh:conforms`` and the multiset of results (focus node, path, value,
constraint component, severity, source shape; any blank node equal to any other) equal the expected report;
a case whose expected result is ``sht:Failure`` passes when validation refuses with an error. The ``kg``
engine (what ``kg validate`` and ``POST /validate`` use) must pass every case. The ``pyshacl`` engine runs
over the suite too, with its known failures listed in ``PYSHACL_FAILS``: a pyshacl upgrade that fixes one
turns its xfail into a failure here, so the list is kept true.

Outside CI, when the suite is absent, these tests skip saying why; under ``CI=true`` its absence fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from kg.inputs import lexical_forms_kept
from kg.validation.run import validate_graph

SUITE = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "shacl-test-suite" / "tests"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
IN_CI = os.environ.get("CI") == "true"

# pyshacl (as kg calls it: no inference, no advanced features) gets these wrong; see the module docstring
PYSHACL_FAILS: dict[str, str] = {
    "core/property/uniqueLang-002": 'sh:uniqueLang "1"^^xsd:boolean reads as true (pyshacl takes its value); '
                                    "only the literal true activates the constraint",
    "sparql/pre-binding/shapesGraph-001": "$shapesGraph is not supported",
}
# what kg's engine gets wrong: none (issue 23); a case listed here would be a strict xfail, so that fixing
# it shows here and its line goes
KG_FAILS: dict[str, str] = {}


def _cases() -> list[tuple[str, Path, URIRef]]:
    """(id, file, case IRI) of every case the root manifest reaches through mf:include and mf:entries."""
    if not SUITE.is_dir():
        return []
    found, seen, todo = [], set(), [SUITE / "manifest.ttl"]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        g = Graph().parse(path, format="turtle", publicID=path.as_uri())
        for manifest in g.subjects(RDF.type, URIRef(MF + "Manifest")):
            for inc in g.objects(manifest, URIRef(MF + "include")):
                todo.append(Path(str(inc).removeprefix("file://")))
            for entries in g.objects(manifest, URIRef(MF + "entries")):
                for case in Collection(g, entries):
                    rel = path.relative_to(SUITE).with_suffix("")
                    name = str(case).rsplit("/", 1)[-1]
                    found.append((f"{rel.parent}/{name}", path, case))
    return sorted(found)


CASES = _cases()


def test_the_suite_is_there():
    if not SUITE.is_dir():
        message = f"the W3C SHACL test suite is not at {SUITE}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert len(CASES) >= 120, f"only {len(CASES)} cases found under {SUITE}"


def _blank(term):
    return "_:b" if isinstance(term, BNode) else term


def _results(g: Graph, report) -> list[tuple]:
    out = []
    for r in g.objects(report, SH.result):
        out.append(tuple(_blank(g.value(r, p)) for p in (SH.focusNode, SH.resultPath, SH.value,
                                                          SH.sourceConstraintComponent, SH.resultSeverity,
                                                          SH.sourceShape)))
    return sorted(out, key=repr)


def _graph(ref, base: Path) -> Graph:
    """A data or shapes graph of a case, read as kg reads its inputs: every literal as written."""
    path = Path(str(ref).removeprefix("file://"))
    with lexical_forms_kept():
        return Graph().parse(path, format="turtle", publicID=path.as_uri())


def run_case(path: Path, case: URIRef, engine: str) -> None:
    with lexical_forms_kept():  # the expected report as written, like the graphs it is compared with
        g = Graph().parse(path, format="turtle", publicID=path.as_uri())
    action = g.value(case, URIRef(MF + "action"))
    data = _graph(g.value(action, URIRef(SHT + "dataGraph")), path)
    shapes = _graph(g.value(action, URIRef(SHT + "shapesGraph")), path)
    expected = g.value(case, URIRef(MF + "result"))
    if expected == URIRef(SHT + "Failure"):
        with pytest.raises(Exception):
            validate_graph(data, shapes, engine=engine)
        return
    report = validate_graph(data, shapes, engine=engine)
    ours = report.report_graph
    node = next(ours.subjects(RDF.type, SH.ValidationReport))
    assert ours.value(node, SH.conforms) == Literal(report.conforms)
    want = g.value(expected, SH.conforms).toPython()
    assert (report.conforms, _results(ours, node)) == (want, _results(g, expected))


def _params(known: dict[str, str]) -> list:
    return [pytest.param(*c, id=c[0], marks=[pytest.mark.xfail(reason=known[c[0]], strict=True)] if c[0] in known else [])
            for c in CASES]


def test_the_known_failures_are_cases_of_the_suite():
    ids = {c[0] for c in CASES}
    if not ids:
        pytest.skip(f"the W3C SHACL test suite is not at {SUITE}")
    assert set(KG_FAILS) <= ids and set(PYSHACL_FAILS) <= ids


@pytest.mark.engines_may_differ
@pytest.mark.parametrize("case_id, path, case", _params(KG_FAILS))
def test_kg_engine_passes(case_id, path, case):
    run_case(path, case, "kg")


@pytest.mark.engines_may_differ
@pytest.mark.parametrize("case_id, path, case", _params(PYSHACL_FAILS))
def test_pyshacl_engine(case_id, path, case):
    run_case(path, case, "pyshacl")
