"""What the server says when it refuses or fails a request (kg.messages, src/kg/messages.json): every
message in English, Chinese and Korean with the same fields, every one said somewhere, and the answers
in the reader's language with English as the default."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import kg
from kg.messages import LANGUAGES, Said, messages, said, say
from kg.sparql.guard import QueryRefused


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_in_three_languages_with_the_same_placeholders():
    for key, texts in messages().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(fields(texts[lang]) == fields(texts["en"]) for lang in LANGUAGES), key
    assert len(messages()) >= 50


def test_no_message_is_left_unsaid():
    """Each key is named by the code that says it (a key is a quoted word in kg's source)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(kg.__file__).parent.rglob("*.py"))
    named = set(re.findall(r"""["']([a-z_0-9]+)["']""", source))
    assert sorted(set(messages()) - named) == []


def test_an_error_is_english_to_str_and_in_the_readers_language_when_said():
    err = QueryRefused("service", line=3, column=5)
    assert str(err) == "SERVICE at line 3, column 5: federated queries are refused; this endpoint never fetches"
    assert err.said("ko") == "3행 5열의 SERVICE: 연합 쿼리는 거부됩니다. 이 엔드포인트는 외부에서 아무것도 가져오지 않습니다"
    assert said(err, "zh-Hans").startswith("第 3 行第 5 列处的 SERVICE")
    assert said(ValueError("plain words"), "ko") == "plain words"  # an error without a key stays as raised
    assert say("shutting_down", "fr") == say("shutting_down", "en")  # a language we do not offer: English


def test_an_unknown_key_is_a_bug_at_once():
    with pytest.raises(KeyError):
        Said("no_such_message")
