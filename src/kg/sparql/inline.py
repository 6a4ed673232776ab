"""Lookups answered in the front-end process: queries whose evaluation cannot run long, recognised from the
guard's tokens, evaluated on the front end's own read-only handle of the store; every other query goes to
the killable workers (``workers.WorkerPool``).

A query is *bounded* when it is a SELECT or ASK over exactly one triple pattern whose terms are constants
or distinct variables (``<x> ?p ?o``, ``?s a <C>``, ``?s ?p ?o``), with at most a LIMIT after it: no
FILTER, OPTIONAL, property path, sub-query, DISTINCT, ORDER BY, GROUP BY, OFFSET, expression or FROM. Such a
pattern is one range of one of the store's indexes, every entry of which is a solution, and the
evaluation is lazy, so producing ``n`` solutions costs ``n`` index steps whatever the size of the data (a
variable repeated in the pattern, ``?x ?x ?o``, would filter the scan and could read the whole store
for nothing: not bounded). The front end asks for at most ``KG_INLINE_ROWS`` + 1 solutions; an answer
with more goes to a worker, as does any query the engine rejects (so errors are reported as before).
An answer evaluated here is byte for byte the worker's: the same function (``evaluate.execute``) over the
same kind of store (in memory or on disk, as ``prepare_serving`` chose), and only answers that neither the
budget nor ``KG_MAX_ROWS`` cut (a cut answer, with its truncation note, is the worker's to write).

Why: through a worker, an uncached lookup of one IRI paid the round trip to another process (two pipe
messages, two wake-ups) for about 0.1 ms of evaluation; answered here it costs the evaluation alone
(bench/results/2026-11-readme-runs.md). The time and memory limits hold by construction: at most ``KG_INLINE_ROWS`` + 1
index steps and solutions. ``KG_INLINE_ROWS=0`` sends every query to the workers.
"""

from __future__ import annotations

import io
from functools import lru_cache

from pyoxigraph import Store

from .guard import MEMO_CHARS, QueryRefused, Token, tokens
from .engine import Answer, Engine, Job, Streamed, Wrapping
from .evaluate import execute

TERM_KINDS = frozenset({"iri", "pname"})


def bounded(query: str) -> bool:
    """Whether ``query`` is a SELECT or ASK over one triple pattern of constants and distinct variables,
    with at most a LIMIT (module docstring). False for anything else, including anything malformed."""
    if len(query) > MEMO_CHARS:
        return False  # a lookup is short; a long query is never worth the scan
    return _bounded(query)


@lru_cache(maxsize=1024)
def _bounded(query: str) -> bool:
    try:
        toks = tokens(query, 8)
    except QueryRefused:
        return False
    k = _prologue(toks)
    if k >= len(toks) or toks[k].kind != "word":
        return False
    form = toks[k].text.upper()
    k += 1
    if form == "SELECT":
        if k < len(toks) and toks[k].kind == "other" and toks[k].text == "*":
            k += 1
        else:
            start = k
            while k < len(toks) and toks[k].kind == "var":
                k += 1
            if k == start:
                return False  # DISTINCT, REDUCED, an expression or nothing
    elif form != "ASK":
        return False
    if k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() == "WHERE":
        k += 1
    k = _pattern(toks, k)
    if k < 0:
        return False
    return _limit_only(toks, k)


def _prologue(toks: list[Token]) -> int:
    """The index of the first token after the BASE and PREFIX declarations."""
    k = 0
    while k < len(toks) and toks[k].kind == "word":
        word = toks[k].text.upper()
        if word == "BASE" and k + 1 < len(toks) and toks[k + 1].kind == "iri":
            k += 2
        elif word == "PREFIX" and k + 2 < len(toks) and toks[k + 1].kind == "pname" and toks[k + 2].kind == "iri":
            k += 3
        else:
            break
    return k


def _pattern(toks: list[Token], k: int) -> int:
    """The index after ``{ s p o [.] }`` starting at ``k``, or -1 when it is not one bounded pattern."""
    if k >= len(toks) or toks[k].text != "{" or toks[k].kind != "punct":
        return -1
    k += 1
    seen: set[str] = set()
    for position in ("subject", "predicate", "object"):
        if k >= len(toks):
            return -1
        tok = toks[k]
        name = _variable(tok)
        if name is not None:
            if name in seen:
                return -1  # a repeated variable filters the scan: not bounded
            seen.add(name)
            k += 1
        elif tok.kind in TERM_KINDS or (position == "predicate" and tok.kind == "word" and tok.text == "a"):
            k += 1
        elif position == "object" and tok.kind == "string":
            k = _literal_end(toks, k + 1)
        else:
            return -1  # a number, a collection, a blank-node property list, a path: left to the workers
        if k < 0:
            return -1
    if k < len(toks) and toks[k].kind == "other" and toks[k].text == ".":
        k += 1
    if k >= len(toks) or toks[k].kind != "punct" or toks[k].text != "}":
        return -1
    return k + 1


def _variable(tok: Token) -> str | None:
    """The name a variable or blank-node label stands for (``?x`` and ``$x`` are one variable)."""
    if tok.kind == "var" and len(tok.text) > 1:
        return "?" + tok.text[1:]
    if tok.kind == "other" and tok.text.startswith("_:") and len(tok.text) > 2:
        return tok.text
    return None


def _literal_end(toks: list[Token], k: int) -> int:
    """The index after a string literal's language tag or datatype, starting just after the string."""
    if k < len(toks) and toks[k].kind == "other" and toks[k].text.startswith("@") and len(toks[k].text) > 1:
        return k + 1
    if (k + 2 < len(toks) and toks[k].text == "^" and toks[k + 1].text == "^"
            and toks[k].start + 1 == toks[k + 1].start and toks[k + 2].kind in TERM_KINDS):
        return k + 3
    return k


def _limit_only(toks: list[Token], k: int) -> bool:
    """Nothing after the pattern, or LIMIT and a number (its digits are single tokens)."""
    if k == len(toks):
        return True
    if toks[k].kind != "word" or toks[k].text.upper() != "LIMIT" or k + 1 == len(toks):
        return False
    digits = toks[k + 1:]
    return all(t.kind == "other" and t.text.isdigit() for t in digits) and all(
        b.start == a.start + 1 for a, b in zip(digits, digits[1:])
    )


class InlineLookups(Wrapping):
    """``Engine`` answering bounded lookups (``bounded``) from ``store`` when asked to ``peek``, on the event
    loop, which asks it before anything else; ``stream`` and ``run``, asked after a peek came back empty,
    go to ``inner``, so a lookup with more than ``rows`` solutions or that the engine rejects is evaluated
    once here and then by a worker, never twice here."""

    def __init__(self, inner: Engine, store: Store, prefixes: dict[str, str], rows: int):
        if rows < 1:
            raise ValueError("inline lookups need a row budget of at least 1")
        self.inner = inner
        self.version = inner.version
        self.store = store
        self.prefixes = prefixes
        self.rows = rows
        self.answered = 0  # lookups answered here (for tests and the curious)

    def _inline(self, job: Job) -> Answer | None:
        if job.bindings or not bounded(job.query):
            return None
        try:
            truncated, rows, write = execute(self.store, job, self.prefixes, within=min(self.rows, job.max_rows))
            if truncated or write is None:
                return None  # more than the budget: a worker evaluates (and streams) the whole answer
            out = io.BytesIO()
            write(out)
        except Exception:  # a syntax error, a format that cannot carry the answer: the worker says so
            return None
        self.answered += 1
        return Answer(out.getvalue(), job.format, False, rows)

    def peek(self, job: Job) -> Answer | None:
        return self._inline(job) or self.inner.peek(job)

    def stream(self, job: Job) -> Answer | Streamed:
        return self.inner.stream(job)

    def run(self, job: Job) -> Answer:
        return self.inner.run(job)
