"""What the server says when it refuses or fails a request, in English, Simplified Chinese and Korean.

Each message has a key in ``messages.json`` with its text in the three languages, the same ``{fields}`` in
each. An error that knows its key is a ``Said`` error: ``str(err)`` is its English (logs, tests, clients that
ask for nothing else), ``err.said(lang)`` its words in the reader's language, which the web layer picks
(``kg.web.i18n.choose_language``). The syntax-error explanations (``kg.sparql.explain``) are said from the
same file. The pages' own words (headings, buttons) are not here: they are ``kg/web/messages.json``, keyed
by their English text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

MESSAGES = Path(__file__).with_name("messages.json")
LANGUAGES = ("en", "zh-Hans", "ko")


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    return json.loads(MESSAGES.read_text(encoding="utf-8"))


def say(key: str, lang: str = "en", **args) -> str:
    """The message ``key`` in ``lang`` (English when the language is not one of ``LANGUAGES``). Given a
    ``line`` and a ``column``, the message's ``{place}`` says them in that language too."""
    texts = messages()[key]
    if key != "place" and "line" in args and "column" in args and "place" not in args:
        args["place"] = say("place", lang, line=args["line"], column=args["column"])
    return texts.get(lang, texts["en"]).format(**args)


class Said(Exception):
    """An error whose words are the message ``key`` with ``args``; ``str()`` gives them in English."""

    def __init__(self, key: str, **args):
        self.key = key
        self.words = args
        super().__init__(say(key, "en", **args))

    def said(self, lang: str) -> str:
        return say(self.key, lang, **self.words)


def said(err: BaseException, lang: str) -> str:
    """An error's words in ``lang`` when it has them there, else as it was raised."""
    return err.said(lang) if isinstance(err, Said) else str(err)
