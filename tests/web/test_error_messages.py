"""Error answers in the reader's language (kg/messages.json): by Accept-Language, or by the switch's
?lang= on the pages; English when nothing else is asked for; the answer varies on Accept-Language."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("lang, words", [
    ("en", "query refused: SERVICE at line 1, column 18: federated queries are refused"),
    ("zh-Hans", "查询被拒绝：第 1 行第 18 列处的 SERVICE：联邦查询被拒绝"),
    ("ko", "쿼리가 거부되었습니다: 1행 18열의 SERVICE: 연합 쿼리는 거부됩니다"),
])
def test_a_refused_query_is_answered_in_the_readers_language(client, lang, words):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"},
                   headers={"Accept-Language": lang})
    assert r.status_code == 400 and words in r.text, r.text
    assert "Accept-Language" in r.headers["vary"]


def test_an_unknown_page_in_chinese_and_korean(client):
    r = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 404 and r.text == "/no/such/page 处没有发布任何内容\n"
    r = client.get("/doc/id/place/nowhere", params={"lang": "ko"})  # the switch's ?lang= counts too
    assert r.status_code == 404 and "이 데이터셋에는 <" in r.text and "/id/place/nowhere>에 대한 기술이 없습니다" in r.text
    assert client.get("/no/such/page").text == "nothing is published at /no/such/page\n"


def test_a_protocol_error_in_korean(client):
    r = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain", "Accept-Language": "ko"})
    assert r.status_code == 415
    assert r.text.startswith("Content-Type text/plain는 받지 않습니다. application/x-www-form-urlencoded 또는 "
                             "application/sparql-query로 보내십시오"), r.text
    english = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert english.text.startswith("Content-Type text/plain is not accepted; send application/x-www-form-urlencoded")
