"""Hostile inputs to `kg validate` (issue 5), run as a user runs it (a separate process, with an address-space
limit and a time limit): malformed files in every format, JSON-LD with remote, file: and @import contexts,
RDF/XML (also with external entities), gzip bombs, a huge file, deeply nested collections and objects,
owl:imports. Each is a clear error (exit 2 naming the file) or a validation report, within the limits, and
nothing is fetched or read beyond the named files."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import resource
import subprocess
import sys
import time

import pytest

KG = [sys.executable, "-m", "kg.cli", "validate"]
MEMORY = 3 * 2**30  # address space the validating process may use
SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    path = tmp_path_factory.mktemp("shapes") / "tiny.ttl"
    path.write_text(SHAPES)
    return path


def validate(path, shapes, timeout: float = 60) -> tuple[int, str, float]:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    started = time.monotonic()
    r = subprocess.run(KG + [str(path), "--shapes", str(shapes)], capture_output=True, text=True,
                       timeout=timeout, preexec_fn=limit)
    return r.returncode, r.stderr + r.stdout, time.monotonic() - started


def bad_input(path, shapes, *words):
    """`kg validate` in this process (fast) on a file refused before parsing or by the parser."""
    from kg.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["validate", str(path), "--shapes", str(shapes)])
    out = err.getvalue()
    assert code == 2, (code, out[-800:])
    assert str(path) in out and "Traceback" not in out, out[-800:]
    for word in words:
        assert word in out, out[-800:]
    return out


MALFORMED = {
    "bad.ttl": "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n",
    "bad.trig": "<http://example.org/g> { <http://example.org/a> <http://example.org/b> }\n",
    "bad.nt": "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n<a> <b>\n",
    "bad.nq": "<http://example.org/a> <http://example.org/b> <http://example.org/c> <g> <h> .\n",
    "bad.jsonld": '{"@id": "http://example.org/a", "http://example.org/b": [1, 2,]}\n',
    "bad.json": '[{"@id": "http://example.org/a"}\n',
    "empty-prefix.ttl": "ex:a ex:b ex:c .\n",
    "binary.ttl": "\x00\x01\x02\x03",
    "bom-in-middle.nt": "<http://example.org/a> \ufeff<http://example.org/b> <http://example.org/c> .\n",
    "control-in-iri.nt": "<http://example.org/a\x01> <http://example.org/b> <http://example.org/c> .\n",
    "bad-literal.ttl": '@prefix ex: <http://example.org/> . ex:a ex:b "unterminated .\n',
    "bad-lang.ttl": '@prefix ex: <http://example.org/> . ex:a ex:b "x"@<script> .\n',
    "jsonld-not-object.jsonld": '"just a string"',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_file(tmp_path, shapes, capsys, name):
    """In this process (fast): the same command line, its exit status and its message."""
    from kg.cli import main

    path = tmp_path / name
    path.write_text(MALFORMED[name], encoding="utf-8")
    code = main(["validate", str(path), "--shapes", str(shapes)])
    out = capsys.readouterr().err
    assert code == 2 and str(path) in out, (code, out[-800:])
    assert any(w in out for w in ("syntax", "UTF-8", "JSON", "not a valid IRI")), out


@pytest.mark.parametrize("context", ["remote", "file", "import", "list", "nested"])
def test_jsonld_contexts_are_never_fetched(tmp_path, shapes, listener, canary, context):
    ctx = {"remote": listener.url + "context.jsonld", "file": canary.iri,
           "import": {"@import": listener.url + "c.jsonld"},
           "list": [{"ex": "http://example.org/"}, listener.url + "c.jsonld"]}.get(context)
    doc = {"@context": ctx, "@id": "http://example.org/a", "ex:b": "c"}
    if context == "nested":
        doc = {"@context": {"ex": "http://example.org/"}, "@graph": [
            {"@id": "ex:a", "ex:b": {"@context": canary.iri, "@id": "ex:c"}}]}
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps(doc))
    bad_input(path, shapes, "not fetched")


@pytest.mark.parametrize("name", ["data.rdf", "data.owl", "data.xml", "data.ttl.gz", "data.n3", "data"])
def test_unsupported_formats_are_refused(tmp_path, shapes, name):
    path = tmp_path / name
    path.write_text('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    bad_input(path, shapes, "unknown file type")


@pytest.mark.parametrize("suffix", [".ttl", ".jsonld", ".trig"])
def test_rdfxml_with_external_entities_is_not_expanded(tmp_path, shapes, listener, canary, suffix):
    """RDF/XML with external entities and the billion laughs, disguised under an accepted suffix."""
    path = tmp_path / ("xxe" + suffix)
    path.write_text(f'''<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY file SYSTEM "{canary.iri}"> <!ENTITY web SYSTEM "{listener.url}xxe">
  <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:b>&file;&web;&c;</ex:b></rdf:Description>
</rdf:RDF>
''')
    bad_input(path, shapes)


def test_gzip_bomb_is_not_decompressed(tmp_path, shapes):
    path = tmp_path / "bomb.ttl"
    path.write_bytes(gzip.compress(b"\x00" * (256 * 2**20), 9))  # 256 MiB of zeros in about 250 KB
    code, out, took = validate(path, shapes)
    assert code == 2 and "UTF-8" in out and took < 30, (code, out[-500:], took)


def test_huge_file_is_refused_unread(tmp_path, shapes):
    """A 200 MB file: refused at the size limit (only that much is read), fast and within the memory limit."""
    path = tmp_path / "huge.nt"
    with path.open("w") as f:
        f.write("<http://example.org/a> <http://example.org/b> \"")
        block = "x" * 2**20
        for _ in range(200):
            f.write(block)
        f.write("\"\n")
    code, out, took = validate(path, shapes)
    assert code == 2 and str(path) in out and "limit" in out and "Traceback" not in out, (code, out[-500:])
    assert took < 30


@pytest.mark.parametrize("kind", ["turtle-collection", "turtle-blank-nodes", "jsonld-objects", "jsonld-lists"])
def test_deep_nesting(tmp_path, shapes, kind):
    depth = 100_000
    if kind == "turtle-collection":
        path, text = tmp_path / "deep.ttl", "<http://example.org/a> <http://example.org/b> " + "(" * depth + ")" * depth + " .\n"
    elif kind == "turtle-blank-nodes":
        path, text = tmp_path / "deep.ttl", ("<http://example.org/a> " + "<http://example.org/b> [ " * depth
                                             + "<http://example.org/b> 1" + " ]" * depth + " .\n")
    elif kind == "jsonld-objects":
        path, text = tmp_path / "deep.jsonld", '{"@id": "http://example.org/a", "http://example.org/b": ' * depth + "1" + "}" * depth
    else:
        path, text = tmp_path / "deep.jsonld", '{"@id": "http://example.org/a", "http://example.org/b": {"@list": ' + "[" * depth + "]" * depth + "}}"
    path.write_text(text)
    code, out, took = validate(path, shapes)
    assert code in (0, 1, 2) and "Traceback" not in out, (code, out[-800:])
    assert took < 60


def test_owl_imports_are_not_followed(tmp_path, shapes, listener, canary):
    path = tmp_path / "imports.ttl"
    path.write_text(f"""@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix ex: <http://example.org/> .
<http://example.org/onto> a owl:Ontology ; owl:imports <{listener.url}onto.ttl> , <{canary.iri}> .
ex:a a ex:Thing .
""")
    code, out, _ = validate(path, shapes)
    assert code == 1 and "minCount" in out.replace("MinCount", "minCount"), (code, out[-800:])
