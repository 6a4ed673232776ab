"""The row cap as the query's own LIMIT (row_cap.capped), the solutions counted in pyoxigraph's serialized
answers (results.count_solutions), and execute() answering through pyoxigraph's serializer exactly what
the row-by-row writer answers."""

from __future__ import annotations

import io
import json
import random

import pytest
from pyoxigraph import QueryResultsFormat, Store

from kg.sparql.results import count_solutions
from kg.sparql.row_cap import capped
from kg.sparql.engine import Job
from kg.sparql.evaluate import execute, plan

CAP = 11


@pytest.mark.parametrize(
    "query, expected",
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o }\nLIMIT 11\n"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 5", "SELECT * WHERE { ?s ?p ?o } LIMIT 5"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 11", "SELECT * WHERE { ?s ?p ?o } LIMIT 11"),
        ("SELECT * WHERE { ?s ?p ?o } limit 500 OFFSET 3", "SELECT * WHERE { ?s ?p ?o } limit 11 OFFSET 3"),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 3 LIMIT\n# why\n 99", "SELECT * WHERE { ?s ?p ?o } OFFSET 3 LIMIT\n# why\n 11"),
        # a sub-select's LIMIT is its own; the outer query gets one
        ("SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 500 } }",
         "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 500 } }\nLIMIT 11\n"),
        # solution modifiers come before a trailing VALUES clause; inline VALUES are inside the pattern
        ("SELECT * { VALUES ?x { 1 } ?s ?p ?x } ORDER BY ?s VALUES ?s { <a:b> }",
         "SELECT * { VALUES ?x { 1 } ?s ?p ?x } ORDER BY ?s \nLIMIT 11\nVALUES ?s { <a:b> }"),
        # a trailing comment does not swallow the LIMIT
        ("SELECT * { ?s ?p ?o } # the end", "SELECT * { ?s ?p ?o } # the end\nLIMIT 11\n"),
        # words in strings, IRIs and prefixed names are not keywords
        ('PREFIX limit: <http://e/LIMIT> SELECT * { ?s limit:x "LIMIT 5" }',
         'PREFIX limit: <http://e/LIMIT> SELECT * { ?s limit:x "LIMIT 5" }\nLIMIT 11\n'),
    ],
)
def test_capped_select(query, expected):
    assert capped(query, CAP) == expected


@pytest.mark.parametrize(
    "query",
    [
        "ASK { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "DESCRIBE <http://e/x>",
        "SELECT * WHERE { ?s ?p ?o } LIMIT ?x",  # unreadable LIMIT: the parser reports the query as sent
        "SELECT * WHERE { ?s ?p ?o } LIMIT",
        "not a query",
    ],
)
def test_not_capped(query):
    assert capped(query, CAP) is None


def test_capped_queries_mean_what_they_meant():
    store = Store()
    store.update("INSERT DATA { " + " ".join(f"<http://e/s{i}> <http://e/p> {i} ." for i in range(30)) + " }")
    for query, rows in [
        ("SELECT ?s WHERE { ?s ?p ?o }", 11),
        ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 4", 4),
        ("SELECT ?s WHERE { ?s ?p ?o } OFFSET 25", 5),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", 1),
        ("SELECT ?s WHERE { ?s ?p ?o } VALUES ?o { 1 2 3 }", 3),
    ]:
        assert len(list(store.query(capped(query, CAP)))) == rows, query


ROWS = [
    '"line\\nbreak, \\"quoted\\" <result> {x}\\t"@en',
    "<http://example.org/a>",
    "42",
    "UNDEF",
    # strings that end like JSON structure, escapes next to quotes
    '"a},{"', '"},{\\"x\\":{"', '"ends in a backslash \\\\"', '"\\\\\\"\\\\"', '":[{"@de',
]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("n", [0, 1, 4, 40])
def test_count_solutions(fmt, n):
    store = Store()
    values = " ".join(f"({ROWS[i % len(ROWS)]})" for i in range(n))
    query = f"SELECT ?x ?b WHERE {{ VALUES (?x) {{ {values} }} BIND(BNODE() AS ?b) }}"
    body = store.query(query).serialize(format=getattr(QueryResultsFormat, fmt.upper()))
    assert count_solutions(body, fmt) == n


def test_json_count_of_triple_terms():
    body = Store().query("SELECT ?t WHERE { VALUES ?i { 1 2 } BIND(TRIPLE(<http://e/s>, <http://e/p>, ?i) AS ?t) }"
                         ).serialize(format=QueryResultsFormat.JSON)
    assert b'"triple"' in body and count_solutions(body, "json") == 2


def test_json_count_agrees_with_parsing_whatever_the_strings_hold():
    """The JSON count reads byte patterns; strings made of JSON's own punctuation (ending in ``},{`` before a
    language tag or the row's end, holding ``{}`` or escaped quotes) must not change it."""
    rng = random.Random(1959)
    alphabet = ['{', '}', '[', ']', ',', ':', '\\"', '\\\\', 'a', ' ', '},{', '\\"type\\":\\"']
    store = Store()
    for trial in range(300):
        rows = []
        for _ in range(rng.randrange(0, 6)):
            cells = []
            for _ in range(2):
                text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 8)))
                kind = rng.randrange(4)
                cells.append("UNDEF" if kind == 0 else f'"{text}"' + ("@en" if kind == 1 else "")
                             if kind < 3 else f"<http://e/{rng.randrange(9)}>")
            rows.append(f"({' '.join(cells)})")
        query = f"SELECT ?x ?y WHERE {{ VALUES (?x ?y) {{ {' '.join(rows)} }} }}"
        body = store.query(query).serialize(format=QueryResultsFormat.JSON)
        assert count_solutions(body, "json") == len(json.loads(body)["results"]["bindings"]) == len(rows), body


def test_count_solutions_without_variables():
    body = Store().query("SELECT * WHERE {}").serialize(format=QueryResultsFormat.CSV)
    assert count_solutions(body, "csv") == 1


def _written(write) -> bytes:
    out = io.BytesIO()
    write(out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_execute_answers_what_plan_answers(fmt):
    """pyoxigraph's serializer and the row-by-row writer give the same solutions, cut or not."""
    store = Store()
    store.update("INSERT DATA { " + " ".join(f'<http://e/s{i}> <http://e/p> "v{i}"@en .' for i in range(20)) + " }")
    for query, max_rows, truncated in [
        ("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s", 20, False),
        ("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s", 19, True),
        ("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3", 19, False),
    ]:
        job = Job(query, fmt, max_rows=max_rows, union_default=False)
        cut, rows, write = execute(store, job, {})
        slow = plan(store.query(query), job, {})
        assert (cut, rows) == slow[:2] == (truncated, min(max_rows, 3 if "LIMIT" in query else 20))
        fast_body, slow_body = _written(write), _written(slow[2])
        if fmt == "json":
            assert json.loads(fast_body) == json.loads(slow_body)
        elif fmt == "xml":  # the row-by-row writer breaks the line after the XML declaration and at the end
            assert fast_body.replace(b"\n", b"") == slow_body.replace(b"\n", b"")
        else:  # pyoxigraph abbreviates numbers in TSV; these are strings and IRIs
            assert fast_body == slow_body


def test_execute_reports_the_query_as_sent():
    """A syntax error names the place in the client's query, not in the capped one (where the added LIMIT
    would have moved it to line 2)."""
    query = "SELECT * WHERE { ?s ?p ?o } ORDER"
    assert capped(query, 10_001) != query
    with pytest.raises(SyntaxError) as err:
        execute(Store(), Job(query, "json"), {})
    assert "1:34" in str(err.value)
