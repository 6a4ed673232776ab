"""The SPARQL route's own answers beyond the protocol suite: syntax errors in plain words
(kg.sparql.explain, tested mistake by mistake in tests/sparql/test_explain.py); named apart from tests/validation/test_sparql.py, as pytest needs."""

from __future__ import annotations

import pytest

MISTAKES = {
    "missing object": ("SELECT * WHERE { ?s ?p }", "has no object"),
    "undeclared prefix the dataset uses": ("SELECT ?s WHERE { ?s skos:prefLabel ?o }",
                                           "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"),
    "misspelt keyword": ("SELECT * WEHRE { ?s ?p ?o }", "did you mean WHERE?"),
}


@pytest.mark.parametrize("name", ["missing object", "undeclared prefix the dataset uses", "misspelt keyword"])
def test_the_endpoint_answers_with_the_explanation(client, name):
    query, words = MISTAKES[name]
    for r in (client.get("/sparql", params={"query": query}),
              client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})):
        assert r.status_code == 400
        assert r.text.startswith("syntax error: line ") and words in r.text and "^" in r.text, r.text


def test_the_explanation_follows_accept_language(client):
    r = client.get("/sparql", params={"query": "SELECT * WEHRE { ?s ?p ?o }"}, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert r.status_code == 400 and r.text.startswith("구문 오류: 1행 10열: WEHRE는 SPARQL 키워드가 아닙니다"), r.text
    assert "Accept-Language" in r.headers["vary"]
    english = client.get("/sparql", params={"query": "SELECT * WEHRE { ?s ?p ?o }"})
    assert english.text.startswith("syntax error: line 1, column 10: WEHRE is not a SPARQL keyword"), english.text
