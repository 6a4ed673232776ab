"""Every input the guard refuses before a parser sees it, and look-alikes it must let through."""

from __future__ import annotations

import time

import pytest

from kg.sparql.guard import QueryRefused, QueryTooLarge, form_of, guard, tokens

BASE = "https://kg.example.org/"
OWN = frozenset({BASE + "graph/assertions", BASE + "graph/editorial", BASE + "graph/metadata"})
ENDPOINT = "http://127.0.0.1:8000/sparql"


def check(query: str, **kw):
    options = {"max_bytes": 65536, "max_nesting": 64, "base": ENDPOINT, "allowed_graphs": OWN}
    options.update(kw)
    return guard(query, **options)


@pytest.mark.parametrize(
    "query, message",
    [
        ("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * { ?x ?y ?svc . SERVICE ?svc { ?s ?p ?o } }", "SERVICE"),
        ("select * { service <file:///etc/passwd> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * { \\u0053ERVICE <http://example.org/> { ?s ?p ?o } }", "SERVICE"),
        ("LOAD <http://example.org/data.ttl>", "LOAD"),
        ("LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://x/>", "LOAD"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE"),
        ("DELETE DATA { <http://a> <http://b> <http://c> }", "DELETE"),
        ("CLEAR ALL", "CLEAR"),
        ("DROP GRAPH <https://kg.example.org/graph/assertions>", "DROP"),
        ("CREATE GRAPH <http://x/>", "CREATE"),
        ("ADD DEFAULT TO <http://x/>", "ADD"),
        ("MOVE DEFAULT TO <http://x/>", "MOVE"),
        ("COPY DEFAULT TO <http://x/>", "COPY"),
        ("WITH <http://x/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("ASK {} ; INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
        ("SELECT * FROM <http://example.org/data.rdf> { ?s ?p ?o }", "FROM <http://example.org/data.rdf>"),
        ("SELECT * FROM NAMED <file:///etc/passwd> { GRAPH ?g { ?s ?p ?o } }", "FROM NAMED <file:///etc/passwd>"),
        ("PREFIX ex: <http://evil.example/> SELECT * FROM ex:g { ?s ?p ?o }", "FROM <http://evil.example/g>"),
        ("SELECT * FROM <data.rdf> { ?s ?p ?o }", "FROM <http://127.0.0.1:8000/data.rdf>"),
        ("BASE <file:///etc/> SELECT * FROM <passwd> { ?s ?p ?o }", "FROM <file:///etc/passwd>"),
        ("SELECT * FROM nope:g { ?s ?p ?o }", "undeclared prefix"),
    ],
)
def test_refused(query, message):
    with pytest.raises(QueryRefused) as err:
        check(query)
    assert message in str(err.value)


def test_nesting_deeper_than_limit_refused_with_position():
    query = "SELECT * WHERE " + "{" * 65 + " ?s ?p ?o " + "}" * 65
    with pytest.raises(QueryRefused) as err:
        check(query)
    assert "nesting deeper than 64" in str(err.value)
    assert "line 1, column 80" in str(err.value)


def test_nesting_at_the_limit_passes():
    query = "SELECT * WHERE " + "{" * 64 + " ?s ?p ?o " + "}" * 64
    assert check(query).depth == 64


def test_pyoxigraph_crashing_nesting_refused_fast():
    """About 2,000 nested groups abort pyoxigraph's process; the guard stops them cheaply."""
    query = "SELECT * WHERE " + "{" * 100_000 + "}" * 100_000
    started = time.monotonic()
    with pytest.raises(QueryRefused):
        check(query, max_bytes=10**6)
    assert time.monotonic() - started < 0.5


def test_nested_parentheses_count_too():
    query = "SELECT * WHERE { FILTER(" + "(" * 70 + "1" + ")" * 70 + ") }"
    with pytest.raises(QueryRefused):
        check(query)


def test_too_large():
    with pytest.raises(QueryTooLarge) as err:
        check("ASK {}" + " " * 70_000)
    assert "65536" in str(err.value)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?s ?p "SERVICE <http://x/> LOAD" }',
        "SELECT * { ?s ?p ?o } # SERVICE <http://x/> and INSERT in a comment",
        "SELECT ?service ?load ?insert { ?service ?load ?insert }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:service ex:delete }",
        "SELECT * { <http://example.org/SERVICE/LOAD> ?p ?o }",
        'SELECT * { ?s ?p """multi\nline SERVICE""" }',
        "SELECT * { ?s ?p 'it''s' }",
        "SELECT * FROM <https://kg.example.org/graph/assertions> { ?s ?p ?o }",
        "PREFIX g: <https://kg.example.org/graph/> SELECT * FROM NAMED g:editorial { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * { GRAPH <http://elsewhere.example/> { ?s ?p ?o } }",  # names a graph, fetches nothing
        "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
    ],
)
def test_allowed(query):
    assert check(query).text == query


@pytest.mark.parametrize(
    "query, form",
    [
        ("PREFIX a: <http://a/> SELECT * {}", "SELECT"),
        ("ask {}", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("BASE <http://x/> DESCRIBE <y>", "DESCRIBE"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o { ?s ?p ?o } } }", "CONSTRUCT"),
        ("# only a comment", None),
    ],
)
def test_form(query, form):
    assert check(query).form == form


def test_declared_dataset():
    g = check("SELECT * FROM <https://kg.example.org/graph/assertions> FROM NAMED "
              "<https://kg.example.org/graph/metadata> {}")
    assert g.from_graphs == ("https://kg.example.org/graph/assertions",)
    assert g.from_named_graphs == ("https://kg.example.org/graph/metadata",)
    assert g.declares_dataset
    assert not check("SELECT * {}").declares_dataset


def test_token_positions_are_line_and_column_of_their_offset():
    """Positions are counted in one pass; each is still the line and column of the token's offset."""
    query = 'PREFIX ex: <http://e/>\n# a comment { "\nSELECT * WHERE {\n  ?s ex:p """two\nlines""" ;\n\tex:q 1 .\n}\n' * 40
    found = tokens(query, 64)
    assert len(found) > 400
    for tok in found:
        before = query[:tok.start]
        assert (tok.line, tok.column) == (before.count("\n") + 1, tok.start - (before.rfind("\n") + 1) + 1)


@pytest.mark.parametrize("text,form", [
    ("# do the provinces add up?\nPREFIX ex: <http://example.org/insert#>\nSELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("BASE <http://example.org/>\n# insert nothing\nASK { ?s ?p 'DELETE' }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("describe <http://example.org/x>", "DESCRIBE"),
    ("SELECT * WHERE " + "{ " * 100 + "?s ?p ?o" + " }" * 100, "SELECT"),  # nesting is the guard's to limit
])
def test_form_of_a_guarded_query_ignores_comments_strings_and_iris(text, form):
    assert form_of(text) == form
