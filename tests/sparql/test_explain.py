"""Syntax errors in plain words (kg.sparql.explain): the mistakes people new to SPARQL make most, each sent
to the real parser (pyoxigraph) and the endpoint, and each answer must name the place (line, column, a
caret under it) and say what is wrong in words, not in the parser's token list."""

from __future__ import annotations

import pyoxigraph
import pytest

from kg.iris import Iris
from kg.sparql.explain import explain
from kg.web.app import prefixes as dataset_prefixes

PREFIXES = dataset_prefixes(Iris())

# (the query, the place the caret must point at, words the explanation must hold)
MISTAKES = {
    "missing object": ("SELECT * WHERE { ?s ?p }", " }", "has no object"),  # the caret where the object goes
    "undeclared prefix the dataset uses": (
        "SELECT ?s WHERE { ?s skos:prefLabel ?o }", "skos:prefLabel",
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"),
    "undeclared prefix it does not": ("SELECT ?s WHERE { ?s foo:bar ?o }", "foo:bar", "prefix foo: is not declared"),
    "missing closing brace": ("SELECT * WHERE {\n  ?s ?p ?o .\n", "{", "never closed: add }"),
    "missing dot between patterns": ("SELECT * WHERE { ?s a ?type ?s ?p ?o }", "?s ?p ?o }", "need a dot between them"),
    "misspelt keyword": ("SELECT * WEHRE { ?s ?p ?o }", "WEHRE", "did you mean WHERE?"),
    "string not closed": ('SELECT * WHERE { ?s ?p ?o FILTER (?o = "Jilin) }', '"Jilin', "string is not closed"),
    "commas between variables": ("SELECT ?a, ?b WHERE { ?a ?p ?b }", ", ?b", "separated by spaces, not commas"),
    "variable without ?": ("SELECT label WHERE { ?s ?p ?label }", "label WHERE", "write ?label"),
    "parenthesis not closed": ("SELECT * WHERE { ?s ?p ?o FILTER (STRLEN(?o) > 3 }", "(STRLEN", "( is never closed"),
    "IRI without brackets": ("SELECT * WHERE { ?s ?p http://example.org/x }", "http://", "<http://example.org/x>"),
    "ungrouped variable": ("SELECT ?p (COUNT(?s) AS ?n) WHERE { ?s ?p ?o }", "?p (COUNT", "add GROUP BY ?p"),
    "modifiers out of order": ("SELECT * WHERE { ?s ?p ?o } LIMIT 5 ORDER BY ?s", "ORDER BY", "the order is GROUP BY"),
    "GROUP without BY": ("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP ?p", "GROUP ?p", "write GROUP BY"),
    "SQL's FROM table": ("SELECT * FROM places WHERE { ?s ?p ?o }", "places", "not a table"),
}


def parser_message(query: str) -> str:
    with pytest.raises(SyntaxError) as err:
        pyoxigraph.Store().query(query)
    return str(err.value)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_is_explained_at_its_place(name):
    query, at, words = MISTAKES[name]
    text = explain(query, parser_message(query), PREFIXES)
    head, line, caret = text.split("\n")[:3] if "PREFIX" not in words else _without_hint(text)
    assert words in text, text
    offset = query.index(at)
    line_no = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    assert head.startswith(f"line {line_no}, column {column}: "), text
    assert caret.index("^") - 2 == column - 1, text  # the caret under the place, below the line shown
    assert line.strip() == query.split("\n")[line_no - 1].strip()
    assert "(the parser said: error at" in text  # the parser's own words stay, last
    assert "\\u{" not in text and "..=" not in text  # without its character classes


def _without_hint(text: str) -> list[str]:
    lines = text.split("\n")
    return [lines[0], lines[2], lines[3]]  # the PREFIX line to add sits between the message and the query


def test_an_error_nothing_recognises_still_names_the_place():
    query = "SELECT * WHERE { ?s ?p ?o } VALUES"
    text = explain(query, parser_message(query), PREFIXES)
    assert text.startswith("line 1, column") and "^" in text and "(the parser said:" in text


def test_the_caret_stays_under_the_place_after_chinese_text():
    query = 'SELECT * WHERE { ?s ?p "吉林省" . ?s }'
    text = explain(query, parser_message(query), PREFIXES)
    line, caret = text.split("\n")[1:3]
    assert "has no predicate and object" in text
    width = sum(2 if c in "吉林省" else 1 for c in line[: line.index(" }")])  # where the predicate goes
    assert sum(2 if c == "\u3000" else 1 for c in caret[: caret.index("^")]) == width


def test_a_long_line_shows_the_part_around_the_place():
    query = "SELECT * WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(40)) + " ?s ?p }"
    text = explain(query, parser_message(query), PREFIXES)
    line = text.split("\n")[1]
    assert len(line) < 110 and line.lstrip().startswith("…") and "has no object" in text


@pytest.mark.parametrize("lang, words", [
    ("ko", ("1행 22열: 접두어 skos:가 선언되지 않았습니다", "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>")),
    ("zh-Hans", ("第 1 行第 22 列：前缀 skos: 未声明", "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>")),
])
def test_the_explanation_in_chinese_and_korean(lang, words):
    query = "SELECT ?s WHERE { ?s skos:prefLabel ?o }"
    text = explain(query, parser_message(query), PREFIXES, lang)
    assert all(w in text for w in words), text
    assert text.split("\n")[2].strip() == query and "^" in text.split("\n")[3]  # the query and caret as in English


def test_a_language_not_offered_is_english():
    query = "SELECT * WEHRE { ?s ?p ?o }"
    assert explain(query, parser_message(query), PREFIXES, "fr") == explain(query, parser_message(query), PREFIXES)
