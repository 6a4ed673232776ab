"""The reader's language: ``?lang=`` first, then ``Accept-Language`` (q-values honoured), English when
nothing offered fits. Labels (skos:prefLabel, rdfs:label) follow the choice, a label missing in the chosen
language falling back to English, then to any label; so do the pages' own words (navigation, headings,
buttons, error pages), translated by ``translate`` from ``messages.json`` (English text as the key)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MESSAGES = Path(__file__).with_name("messages.json")

# The languages the data labels things in, with what the switch shows (each in its own language).
OFFERED: dict[str, str] = {"en": "English", "zh-Hans": "中文", "ko": "한국어"}
DEFAULT = "en"
# Language ranges a browser may send, mapped onto what we offer (primary subtag, or a full tag).
_ALIASES = {
    "en": "en",
    "zh": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "ko": "ko",
    "ko-kr": "ko",
    "ko-kp": "ko",
}


def _match(tag: str) -> str | None:
    tag = tag.strip().lower()
    if tag in _ALIASES:
        return _ALIASES[tag]
    primary = tag.split("-", 1)[0]
    if primary == "zh" and any(part in ("hant", "tw", "hk", "mo") for part in tag.split("-")[1:]):
        return None  # traditional script: we have no such labels, fall through to the next choice
    return _ALIASES.get(primary)


def parse_accept_language(header: str | None) -> list[str]:
    """Offered languages in the order the header prefers them (q=0 excluded, malformed q skipped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = -1.0
        if q <= 0:
            continue
        found = _match(pieces[0])
        if found:
            ranked.append((-q, index, found))
    out: list[str] = []
    for _, _, lang in sorted(ranked):
        if lang not in out:
            out.append(lang)
    return out


def choose_language(param: str | None, accept_language: str | None) -> str:
    """The language of labels for this request."""
    if param:
        found = _match(param)
        if found:
            return found
    preferred = parse_accept_language(accept_language)
    return preferred[0] if preferred else DEFAULT


def _same(label_lang: str, lang: str) -> bool:
    a, b = label_lang.lower(), lang.lower()
    return a == b or a.split("-", 1)[0] == b.split("-", 1)[0] and (b != "zh-hans" or a in ("zh", "zh-hans", "zh-cn"))


@dataclass(frozen=True)
class Label:
    text: str
    lang: str  # the label's own language tag ("" for a plain literal)


def pick_label(labels: list[tuple[str, str]], lang: str) -> Label | None:
    """The label to show for ``lang``: that language, else English, else an untagged label, else any."""
    if not labels:
        return None
    for wanted in (lang, DEFAULT):
        for text, tag in labels:
            if tag and _same(tag, wanted):
                return Label(text, tag)
    for text, tag in labels:
        if not tag:
            return Label(text, tag)
    text, tag = labels[0]
    return Label(text, tag)


def prefer(labels: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """The same labels, those in ``lang`` first, then English, then the rest in their order."""
    def rank(item: tuple[str, str]) -> int:
        tag = item[1]
        return 0 if tag and _same(tag, lang) else 1 if tag and _same(tag, DEFAULT) else 2
    return sorted(labels, key=rank)


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    """{English text: {language: translation}} of the pages' own words."""
    return json.loads(MESSAGES.read_text(encoding="utf-8"))


def translate(text: str, lang: str) -> str:
    """``text`` in ``lang``, or as written (English) when it has no translation there."""
    if lang == DEFAULT:
        return text
    return messages().get(text, {}).get(lang, text)
