"""`kg validate` (issue 2): exit 0 on the build, 1 on violations, 2 on bad input with file and line; machine
formats that parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.namespace import RDF, SH, XSD

from kg.cli import main
from kg.iris import OA
from kg.store import read_build

# One observation with its figure typed as a string and no data set, area, period, population or evidence.
VIOLATING = Path(__file__).parents[1] / "fixtures" / "shapes" / "validate" / "violating-observation.ttl"
FOCUS = "https://kg.example.org/id/observation/example"


@pytest.fixture()
def kg_env(monkeypatch, settings):
    monkeypatch.setenv("KG_DIST", str(settings.dist_dir))
    monkeypatch.setenv("KG_ROOT", str(settings.root))
    monkeypatch.delenv("KG_BASE_IRI", raising=False)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_build_conforms(built, kg_env, capsys):
    code, out, err = run(capsys)
    assert code == 0, out + err
    assert out.startswith("Conforms")


def test_the_build_as_the_endpoint_gives_it_back_conforms(built, kg_env, settings, tmp_path, capsys):
    """Everything the SPARQL endpoint holds, CONSTRUCTed through a query worker (as a harvester or `kg query`
    gets it: Oxigraph gives the offsets back as xsd:integer), validated against the same shapes."""
    assert main(["query", "--format", "ntriples", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"]) == 0
    served = tmp_path / "served.nt"
    served.write_text(capsys.readouterr().out, encoding="utf-8")
    served_graph = Graph().parse(served, format="nt")
    assert len(served_graph) == read_build(settings.dist_dir).triples
    offsets = {o.datatype for o in served_graph.objects(None, OA.start)}
    assert offsets == {XSD.integer}  # what the store makes of xsd:nonNegativeInteger
    code, out, err = run(capsys, str(served))
    assert code == 0, out + err


def test_the_dumps_keep_the_web_annotation_datatype_of_offsets(built, settings):
    """The build itself says xsd:nonNegativeInteger, as the Web Annotation vocabulary's oa:start and oa:end do
    (the shapes accept xsd:integer too, for the same values given back by a store)."""
    dumped = Dataset()
    dumped.parse(read_build(settings.dist_dir).path("dataset.nq"), format="nquads")
    for prop in (OA.start, OA.end):
        assert {o.datatype for _, _, o, _ in dumped.quads((None, prop, None, None))} == {XSD.nonNegativeInteger}


def test_violating_file_exits_1_with_a_report_by_focus_node(kg_env, capsys):
    code, out, _ = run(capsys, str(VIOLATING))
    assert code == 1
    assert out.startswith("Does not conform")
    assert FOCUS in out


def test_json_format_parses(kg_env, capsys):
    code, out, _ = run(capsys, str(VIOLATING), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["conforms"] is False
    found = {(r["focus"], r["path"], r["component"].rsplit("#", 1)[-1]) for r in report["results"]}
    assert (FOCUS, "http://purl.org/linked-data/cube#dataSet", "MinCountConstraintComponent") in found
    assert (FOCUS, "https://kg.example.org/ontology/kg#persons", "DatatypeConstraintComponent") in found


def test_turtle_format_parses(kg_env, capsys):
    code, out, _ = run(capsys, str(VIOLATING), "--format", "turtle")
    assert code == 1
    g = Graph().parse(data=out, format="turtle")
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is False
    assert any(str(f) == FOCUS for f in g.objects(None, SH.focusNode))


@pytest.mark.parametrize("name,text,line", [
    ("broken.ttl", "@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c ;\n    ex:d .\n", 4),
    ("broken.nt", "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
                  "<http://example.org/a> <http://example.org/b> \"unterminated .\n", 2),
    ("broken.jsonld", '{\n  "@context": {"ex": "http://example.org/"},\n  "@id": "ex:a",\n  "ex:b": [1, 2,\n}\n', 5),
], ids=["turtle", "n-triples", "json-ld"])
def test_malformed_input_exits_2_with_file_and_line(tmp_path, kg_env, capsys, name, text, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, str(path))
    assert code == 2
    assert f"{path}:{line}" in err, err
    assert out == ""


def test_remote_json_ld_context_is_refused(tmp_path, kg_env, capsys):
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": "https://schema.org/", "@id": "http://example.org/a", "name": "x"}))
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "remote JSON-LD context" in err


def test_unknown_file_type_exits_2(tmp_path, kg_env, capsys):
    path = tmp_path / "data.rdf"
    path.write_text("<rdf:RDF/>")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "data.rdf" in err


def test_the_command_line_exits_2_on_bad_input(tmp_path, settings):
    """The installed entry point, in its own process, returns the same exit code."""
    path = tmp_path / "broken.ttl"
    path.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "validate", str(path)], capture_output=True, text=True,
                          env={"PATH": "", "KG_ROOT": str(settings.root), "KG_DIST": str(settings.dist_dir)})
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:1" in proc.stderr


WARNING_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:NamedThing a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Warning ] .
ex:Described a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:note ; sh:minCount 1 ; sh:severity sh:Info ] .
"""


@pytest.mark.parametrize("fail_on, code", [(None, 0), ("violation", 0), ("warning", 1), ("info", 1)])
def test_fail_on_sets_the_exit_code_and_the_report_follows_shacl(kg_env, capsys, tmp_path, fail_on, code):
    """A warning and an info only: SHACL's report does not conform (any result), the exit code is the user's
    choice, violations by default."""
    shapes = tmp_path / "warnings.ttl"
    shapes.write_text(WARNING_SHAPES, encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text("<http://example.org/a> a <http://example.org/Thing> .\n", encoding="utf-8")
    args = [str(data), "--shapes", str(shapes), "--format", "json"] + (["--fail-on", fail_on] if fail_on else [])
    got, out, _ = run(capsys, *args)
    report = json.loads(out)
    assert got == code
    assert report["conforms"] is False and report["counts"] == {"warning": 1, "info": 1}
    assert report["failOn"] == (fail_on or "violation") and report["fails"] is bool(code)
    got, out, _ = run(capsys, *args[:3], "--format", "turtle")
    g = Graph().parse(data=out, format="turtle")
    assert g.value(next(g.subjects(RDF.type, SH.ValidationReport)), SH.conforms).toPython() is False


def test_only_info_fails_only_at_info(kg_env, capsys, tmp_path):
    shapes = tmp_path / "info.ttl"
    shapes.write_text(WARNING_SHAPES.split("ex:Described")[0].replace("sh:Warning", "sh:Info"), encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text("<http://example.org/a> a <http://example.org/Thing> .\n", encoding="utf-8")
    assert run(capsys, str(data), "--shapes", str(shapes), "--fail-on", "warning")[0] == 0
    code, out, _ = run(capsys, str(data), "--shapes", str(shapes), "--fail-on", "info")
    assert code == 1 and out.startswith("Does not conform: 1 info on 1 node.")


def test_an_unknown_fail_on_level_exits_2_naming_the_choices(kg_env, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--fail-on", "error"])
    assert stop.value.code == 2
    assert "violation" in capsys.readouterr().err


def test_shapes_with_sparql_shacl_forbids_exit_2_naming_the_keyword(kg_env, capsys, tmp_path):
    """MINUS, VALUES and SERVICE are not allowed with pre-bound variables (SHACL 5.3.1): refused, not run."""
    shapes = tmp_path / "minus.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o . MINUS { $this ex:q ?o } }" ] .
""", encoding="utf-8")
    data = tmp_path / "data.ttl"
    data.write_text("<http://example.org/a> a <http://example.org/Thing> .\n", encoding="utf-8")
    code, out, err = run(capsys, str(data), "--shapes", str(shapes))
    assert code == 2 and out == ""
    assert "query of a constraint of <http://example.org/S> uses MINUS at line 1, column 36" in err and "5.3.1" in err
