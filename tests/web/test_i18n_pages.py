"""The pages' own words in the three languages (kg.web.i18n.translate, src/kg/web/messages.json): every
phrase a template marks for translation has its Chinese and Korean, the reader's language comes from
Accept-Language or the switch, and the switch and the navigation keep the choice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.web import i18n
from kg.web.pages.workbench import COUNT_LABELS, GROUPS, YASGUI_WORDS

TEMPLATES = Path(i18n.__file__).with_name("templates")
MARKED = re.compile(r"""_\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")


def marked_phrases() -> set[str]:
    found = {m.group(2).replace("\\'", "'") for path in TEMPLATES.glob("*.html") for m in MARKED.finditer(path.read_text())}
    # phrases the code hands to _(): the groups of an entity page, the landing page's counts, YASGUI's words
    return (found | {name for name, _ in GROUPS} | {"Other statements"} | {label for label, _ in COUNT_LABELS.values()}
            | set(YASGUI_WORDS))


def test_every_marked_phrase_is_translated():
    messages = i18n.messages()
    missing = sorted(p for p in marked_phrases() if set(messages.get(p, {})) != {"zh-Hans", "ko"})
    assert missing == []
    assert len(marked_phrases()) >= 30


def test_no_translation_is_left_unused():
    assert sorted(set(i18n.messages()) - marked_phrases()) == []


@pytest.mark.parametrize("headers, params, lang, home", [
    ({"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}, {}, "ko", "보고서 읽기"),
    ({"Accept-Language": "zh-CN"}, {}, "zh-Hans", "阅读报告"),
    ({"Accept-Language": "ko"}, {"lang": "zh-Hans"}, "zh-Hans", "阅读报告"),  # the switch wins
    ({}, {}, "en", ">Reader<"),
])
def test_pages_speak_the_readers_language(client, headers, params, lang, home):
    html = client.get("/examples", params=params, headers={"Accept": "text/html", **headers}).text
    assert f'<html lang="{lang}">' in html
    assert home in html
    if lang != "en":
        assert i18n.translate("Example queries", lang) in html


def test_the_switch_and_the_links_keep_the_choice(client):
    html = client.get("/examples", params={"lang": "ko", "x": "1"}, headers={"Accept": "text/html"}).text
    switch = html[html.index('id="language"'):]
    switch = switch[:switch.index("</p>")]
    assert 'href="/examples?x=1&amp;lang=zh-Hans"' in switch and "<strong lang=\"ko\">" in switch
    assert 'href="' in html and "/reader?lang=ko" in html  # the navigation carries the choice on


def test_an_error_page_in_korean(client):
    r = client.get("/no/such/page", headers={"Accept": "text/html", "Accept-Language": "ko"})
    assert r.status_code == 404 and '<html lang="ko">' in r.text and "처음으로" in r.text
    assert "이 주소에는 공개된 것이 없습니다." in r.text  # what the status means, before the server's details
    assert '<pre lang="ko">/no/such/page에는 게시된 것이 없습니다</pre>' in r.text  # and the details, in Korean too
    unkeyed = client.get("/reconcile/preview", params={"id": "nowhere"}, headers={"Accept": "text/html", "Accept-Language": "ko"})
    assert unkeyed.status_code == 404 and '<pre lang="en">no entity with this id' in unkeyed.text  # said as raised


def test_an_entity_page_in_korean(client):
    html = client.get("/doc/id/place/south-hwanghae", headers={"Accept": "text/html", "Accept-Language": "ko"},
                      follow_redirects=True).text
    for phrase in ("속성", "근거", "무엇인가", "언제, 어디서"):
        assert phrase in html, phrase
    assert "황해남도" in html
