"""The row cap written into a SELECT query as its own LIMIT, so that the engine stops at the cap and
serializes the answer itself.

A worker evaluates a SELECT query capped at ``KG_MAX_ROWS + 1`` solutions and lets pyoxigraph's own result
serializer write the answer, with no Python object per term (``evaluate.execute``); one solution past the
cap says that the cap cut the answer. The rewrite reads the guard's tokens: the outermost query's LIMIT is
the LIMIT keyword at bracket depth 0 (a sub-select's is inside braces), and the grammar puts solution
modifiers before a trailing VALUES clause, the only VALUES keyword at depth 0.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from .guard import CLOSE, FORMS, MEMO_CHARS, OPEN, QueryRefused, tokens

_INTEGER = re.compile(r"[0-9]+")


def capped(query: str, cap: int) -> str | None:
    """``query`` answering at most ``cap`` solutions: a LIMIT larger than ``cap`` lowered to it, a missing
    one added after the solution modifiers. None when the query is not a SELECT query, or when its LIMIT
    cannot be read (the parser then says what is wrong with the query as sent)."""
    if len(query) <= MEMO_CHARS:  # remembered like the guard's verdict (the catalog, repeated lookups)
        return _remembered(query, cap)
    return _capped(query, cap)


def _capped(query: str, cap: int) -> str | None:
    try:
        toks = tokens(query, sys.maxsize)  # the guard has refused deep nesting already
    except QueryRefused:
        return None
    depth = 0
    form = None
    limit = values = None
    for k, tok in enumerate(toks):
        if tok.kind == "punct":
            if tok.text in OPEN:
                depth += 1
            elif tok.text in CLOSE:
                depth = max(depth - 1, 0)
            continue
        if depth or tok.kind != "word":
            continue
        word = tok.text.upper()
        if form is None:
            if word in FORMS:
                form = word
        elif word == "LIMIT" and limit is None:
            limit = k
        elif word == "VALUES" and values is None:
            values = tok.start
    if form != "SELECT":
        return None
    if limit is not None:
        number = _INTEGER.match(query, toks[limit + 1].start) if limit + 1 < len(toks) else None
        if number is None:
            return None
        if int(number.group()) <= cap:
            return query
        return f"{query[:number.start()]}{cap}{query[number.end():]}"
    at = len(query) if values is None else values
    # on lines of its own: the query may end in a comment
    return f"{query[:at]}\nLIMIT {cap}\n{query[at:]}"


_remembered = lru_cache(maxsize=1024)(_capped)
