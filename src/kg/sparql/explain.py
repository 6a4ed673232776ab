"""A SPARQL syntax error in plain words: where (line, column, the line itself with a caret under the place)
and what is wrong, for the mistakes people new to SPARQL make most, with the parser's own message after.

The parser (Oxigraph's) stops where the text stops making sense to it, often a token or two after the
mistake, and says which tokens it would have taken there. So the query is read again here, token by token
(``guard.tokens``), for mistakes that have a name: an undeclared prefix (with the ``PREFIX`` line to add
when the dataset uses that prefix), an IRI without angle brackets, a string not closed, brackets not
closed, commas or bare words in the SELECT list, a misspelt keyword, a triple pattern without its object,
two triple patterns without a dot between them, ``GROUP`` or ``ORDER`` without ``BY``, solution modifiers
out of order, SQL's ``FROM table``, and variables selected beside an aggregate without ``GROUP BY``. The
earliest of them in the text leads; when none is found, the parser's position is shown with its message.

The words are in English, Simplified Chinese or Korean (``kg/messages.json``; the endpoint picks by
``Accept-Language``); the query's own text, the caret and the parser's message stay as they are.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from ..messages import say
from .guard import QueryRefused, Token, tokens

_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)
_CHAR_CLASS = re.compile(r"\[[^\[\]]*(?:'\\u\{|\.\.=|'_')[^\[\]]*\]")  # the parser's character classes
KEYWORDS = (
    "SELECT", "CONSTRUCT", "DESCRIBE", "ASK", "WHERE", "PREFIX", "BASE", "FROM", "NAMED", "DISTINCT",
    "REDUCED", "OPTIONAL", "UNION", "MINUS", "GRAPH", "FILTER", "BIND", "AS", "VALUES", "GROUP", "BY",
    "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET", "NOT", "EXISTS", "IN", "UNDEF", "SERVICE",
    "SILENT", "LATERAL",
)
FUNCTIONS = (
    "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL",
    "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS",
    "STRENDS", "STRBEFORE", "STRAFTER", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE",
    "TZ", "NOW", "UUID", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "COALESCE", "IF",
    "STRLANG", "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX",
    "SUBSTR", "REPLACE", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR",
    "TRUE", "FALSE", "TRIPLE", "SUBJECT", "PREDICATE", "OBJECT", "ISTRIPLE", "ADJUST",
)
KNOWN = frozenset(KEYWORDS + FUNCTIONS)
AGGREGATES = frozenset(("COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"))
MODIFIERS = ("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET")
PAIRS = {"{": "}", "(": ")", "[": "]"}


@dataclass(frozen=True)
class Finding:
    start: int  # offset in the query: where the caret goes
    key: str  # of kg/messages.json
    args: dict = field(default_factory=dict, hash=False, compare=False)
    at: int | None = None  # an offset the message names by its place (line, column)
    suffix: str | None = None  # a key whose words follow the message's

    def message(self, query: str, lang: str) -> str:
        args = dict(self.args)
        if self.at is not None:
            args["place"] = _place(query, self.at, lang)
        return say(self.key, lang, **args) + (say(self.suffix, lang) if self.suffix else "")


def explain(query: str, parser_message: str, prefixes: dict[str, str], lang: str = "en") -> str:
    """The text of a syntax-error answer: the first finding (or the parser's place) with the line and a
    caret, up to two more findings, then the parser's message without its character classes; in ``lang``."""
    where = _POSITION.match(parser_message)
    parser_offset = _offset(query, int(where.group(1)), int(where.group(2))) if where else len(query)
    try:
        toks = tokens(query, 10_000)
    except QueryRefused:
        toks = []
    findings = sorted(_findings(query, toks, prefixes), key=lambda f: f.start)
    unique: list[tuple[Finding, str]] = []
    for f in findings:
        text = f.message(query, lang)
        if all(text != seen for _, seen in unique):
            unique.append((f, text))
    lines = []
    if unique:
        lines += _located(query, unique[0][0].start, unique[0][1], lang)
        lines += [say("also", lang, place=_place(query, f.start, lang), message=text) for f, text in unique[1:3]]
    else:
        lines += _located(query, parser_offset, say("unreadable", lang), lang)
    lines.append(say("parser", lang, message=_clean(parser_message)))
    return "\n".join(lines)


def _offset(query: str, line: int, column: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nl = query.find("\n", pos)
        if nl < 0:
            return len(query)
        pos = nl + 1
    return min(pos + max(column - 1, 0), len(query))


def _place(query: str, offset: int, lang: str) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return say("place", lang, line=line, column=column)


def _located(query: str, offset: int, message: str, lang: str) -> list[str]:
    start = query.rfind("\n", 0, offset) + 1
    end = query.find("\n", offset)
    text = query[start: end if end >= 0 else len(query)]
    column = offset - start
    shown, shift = text, 0
    if len(text) > 100:  # a long line: the part around the place
        left = max(0, column - 60)
        shown, shift = ("…" if left else "") + text[left: left + 100] + ("…" if left + 100 < len(text) else ""), left - (1 if left else 0)
    before = shown[: column - shift]
    pad = "".join("\u3000" if unicodedata.east_asian_width(c) in "WF" else " " for c in before)  # under wide characters, wide spaces
    return [say("located", lang, place=_place(query, offset, lang), message=message),
            "  " + shown.replace("\t", " "), "  " + pad + "^"]


def _clean(message: str) -> str:
    cleaned = _CHAR_CLASS.sub("", message.replace("\n", " "))
    cleaned = re.sub(r"(,\s*)+", ", ", cleaned)
    cleaned = re.sub(r",\s*$|\s{2,}", " ", cleaned).strip().rstrip(",")
    return cleaned[:400]


# --- what can be recognised ------------------------------------------------------------------------------

def _findings(query: str, toks: list[Token], prefixes: dict[str, str]) -> list[Finding]:
    strings = _strings(query, toks, prefixes)
    if strings:  # a string left open swallows the rest of its line: what follows is no finding
        return strings[:1]
    out: list[Finding] = []
    for check in (_bare_iris, _prefixes, _brackets, _select_list, _sql_from, _keywords, _by, _modifier_order,
                  _grouping, _triples):
        out += [f for f in check(query, toks, prefixes) if all(f.start != o.start for o in out)]
    return out


def _bare_iris(query, toks, prefixes):
    return [Finding(t.start, "bare_iri", {"iri": t.text})
            for t in toks if t.kind == "pname" and re.match(r"https?://", t.text)]


def _declared(toks: list[Token]) -> set[str]:
    out = set()
    for a, b in zip(toks, toks[1:]):
        if a.kind == "word" and a.text.upper() == "PREFIX" and b.kind == "pname" and b.text.endswith(":"):
            out.add(b.text[:-1])
    return out


def _prefixes(query, toks, prefixes):
    declared = _declared(toks)
    out, seen = [], set()
    for i, t in enumerate(toks):
        if t.kind != "pname" or re.match(r"https?://", t.text):
            continue
        prefix = t.text.split(":", 1)[0]
        after_prefix = i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "PREFIX"
        if prefix in declared or after_prefix or prefix in seen:
            continue
        seen.add(prefix)
        if prefix in prefixes:
            out.append(Finding(t.start, "prefix_known", {"prefix": prefix, "namespace": prefixes[prefix]}))
        else:
            out.append(Finding(t.start, "prefix_unknown", {"prefix": prefix, "known": ", ".join(sorted(prefixes)[:12])}))
    return out


def _strings(query, toks, prefixes):
    out = []
    for t in toks:
        if t.kind == "string":
            quote = t.text[0]
            long = t.text.startswith(quote * 3)
            delim = quote * 3 if long else quote
            if len(t.text) < 2 * len(delim) or not t.text.endswith(delim) or (not long and t.text.endswith("\\" + delim)):
                out.append(Finding(t.start, "string_open", {"delim": delim}))
    return out


def _brackets(query, toks, prefixes):
    stack: list[Token] = []
    out = []
    for t in toks:
        if t.kind != "punct":
            continue
        if t.text in PAIRS:
            stack.append(t)
        elif t.text in PAIRS.values():
            if stack and PAIRS[stack[-1].text] == t.text:
                stack.pop()
            elif any(PAIRS[o.text] == t.text for o in stack):  # what is open inside it was never closed
                while PAIRS[stack[-1].text] != t.text:
                    opened = stack.pop()
                    out.append(Finding(opened.start, "bracket_before",
                                       {"open": opened.text, "close": PAIRS[opened.text], "other": t.text}, at=t.start))
                stack.pop()
            else:
                out.append(Finding(t.start, "bracket_closes_nothing", {"close": t.text, "open": _opening(t.text)}))
    for opened in stack:
        out.append(Finding(opened.start, "brace_open" if opened.text == "{" else "bracket_open",
                           {"open": opened.text, "close": PAIRS[opened.text]}))
    return out


def _opening(close: str) -> str:
    return next(k for k, v in PAIRS.items() if v == close)


def _projection(toks: list[Token]) -> list[Token]:
    """The tokens between SELECT (and DISTINCT/REDUCED) and WHERE or the first {."""
    for i, t in enumerate(toks):
        if t.kind == "word" and t.text.upper() == "SELECT":
            out = []
            for u in toks[i + 1:]:
                if (u.kind == "word" and u.text.upper() in ("WHERE", "FROM")) or (u.kind == "punct" and u.text == "{"):
                    break
                out.append(u)
            return out
    return []


def _select_list(query, toks, prefixes):
    out = []
    depth = 0
    for t in _projection(toks):
        if t.kind == "punct":
            depth += 1 if t.text == "(" else -1 if t.text == ")" else 0
        elif depth == 0 and t.kind == "other" and t.text == ",":
            out.append(Finding(t.start, "select_commas"))
        elif depth == 0 and t.kind == "word" and t.text.upper() not in KNOWN:
            close = difflib.get_close_matches(t.text.upper(), KEYWORDS, n=1, cutoff=0.75)
            out.append(Finding(t.start, "misspelt_keyword", {"word": t.text, "keyword": close[0]}) if close
                       else Finding(t.start, "bare_variable", {"word": t.text}))
    return out


def _keywords(query, toks, prefixes):
    out = []
    projected = {p.start for p in _projection(toks)}
    for i, t in enumerate(toks):
        if t.kind != "word" or t.text == "a" or t.text.upper() in KNOWN or t.start in projected:
            continue
        if i > 0 and toks[i - 1].kind == "other" and toks[i - 1].text in ("^", "@"):
            continue
        close = difflib.get_close_matches(t.text.upper(), KNOWN, n=1, cutoff=0.75)
        if close:
            out.append(Finding(t.start, "misspelt_keyword", {"word": t.text, "keyword": close[0]}))
        else:
            out.append(Finding(t.start, "unknown_word", {"word": t.text}))
    return out


def _by(query, toks, prefixes):
    out = []
    for a, b in zip(toks, toks[1:] + [None]):
        if a.kind == "word" and a.text.upper() in ("GROUP", "ORDER") and not (b and b.kind == "word" and b.text.upper() == "BY"):
            out.append(Finding(a.start, "by_missing", {"word": a.text.upper()}))
    return out


def _top_level_words(toks: list[Token]) -> list[Token]:
    """Words outside every bracket (the solution modifiers after WHERE { … } are there)."""
    depth, out = 0, []
    for t in toks:
        if t.kind == "punct":
            depth += 1 if t.text in PAIRS else -1 if t.text in PAIRS.values() else 0
        elif depth == 0 and t.kind == "word":
            out.append(t)
    return out


def _modifier_order(query, toks, prefixes):
    seen: list[Token] = []
    for t in _top_level_words(toks):
        word = t.text.upper()
        if word not in MODIFIERS:
            continue
        later = [s for s in seen if MODIFIERS.index(s.text.upper()) > MODIFIERS.index(word)]
        if later:
            return [Finding(t.start, "modifier_order", {"word": word, "later": later[0].text.upper()})]
        seen.append(t)
    return []


def _sql_from(query, toks, prefixes):
    out = []
    for a, b in zip(toks, toks[1:]):
        if a.kind == "word" and a.text.upper() == "FROM" and b.kind == "word" and b.text.upper() != "NAMED":
            out.append(Finding(b.start, "sql_from", {"name": b.text.lower()}))
    return out


def _grouping(query, toks, prefixes):
    projection = _projection(toks)
    has_aggregate = any(t.kind == "word" and t.text.upper() in AGGREGATES for t in projection)
    words = [t.text.upper() for t in _top_level_words(toks)]
    if not has_aggregate and "GROUP" not in words:
        return []
    grouped: set[str] = set()
    after = False
    for t in toks:
        if t.kind == "word" and t.text.upper() == "GROUP":
            after = True
        elif after and t.kind == "word" and t.text.upper() in ("HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"):
            after = False
        elif after and t.kind == "var":
            grouped.add(t.text[1:])
    out, depth = [], 0
    for t in projection:
        if t.kind == "punct":
            depth += 1 if t.text == "(" else -1 if t.text == ")" else 0
        elif depth == 0 and t.kind == "var" and t.text[1:] not in grouped:
            out.append(Finding(t.start, "ungrouped", {"var": t.text}))
    return out


_BLOCK_WORDS = {"FILTER", "BIND", "OPTIONAL", "MINUS", "GRAPH", "SERVICE", "VALUES", "UNION", "EXISTS", "NOT",
                "SELECT", "WHERE"}


def _adjacent(a: Token, b: Token) -> bool:
    return b.start == a.start + len(a.text)


def _terms(group: list[Token]) -> list[list[Token]]:
    """Tokens of a group run together into RDF terms: a literal with its language tag or ``^^`` datatype, a
    number of several digits (``42``, ``3.5``, ``-1``)."""
    out: list[list[Token]] = []
    for i, t in enumerate(group):
        if out and _adjacent(out[-1][-1], t):
            last, first = out[-1][-1], out[-1][0]
            number = first.kind == "other" and (first.text.isdigit() or first.text in "+-")
            nxt = group[i + 1] if i + 1 < len(group) else None
            if (t.kind == "other" and t.text.startswith("@") and first.kind == "string") \
                    or (t.text == "^" and (last.text == "^" or first.kind == "string")) \
                    or (last.text == "^" and t.kind in ("iri", "pname")) \
                    or (number and t.kind == "other" and t.text.isdigit()) \
                    or (number and t.text == "." and nxt is not None and _adjacent(t, nxt) and nxt.text.isdigit()):
                out[-1].append(t)
                continue
        out.append([t])
    return out


def _has_paths_or_brackets(group: list[Token]) -> bool:
    for i, t in enumerate(group):
        if t.kind == "punct" and t.text in "[(":
            return True
        if t.kind == "other" and t.text in ("/", "|", "*", "+", "!"):
            return True
        if t.kind == "var" and t.text in ("?", "$"):  # a path's ? (zero or one)
            return True
        if t.kind == "other" and t.text == "^":
            before = group[i - 1].text if i else ""
            after = group[i + 1].text if i + 1 < len(group) else ""
            if "^" not in (before, after):  # ^p, an inverse path, not ^^ of a datatype
                return True
    return False


def _triples(query, toks, prefixes):
    """In each innermost { … } of triple patterns: a pattern of two terms (no object), or of four and more
    (a missing dot). Groups with expressions, blank-node brackets, collections or paths are left alone."""
    out = []
    start = None
    for i, t in enumerate(toks):
        if t.kind == "punct" and t.text == "{":
            start = i + 1
        elif t.kind == "punct" and t.text == "}" and start is not None:
            out += _patterns(toks[start:i])
            start = None
    return out


def _patterns(group: list[Token]) -> list[Finding]:
    if _has_paths_or_brackets(group) or any(t.kind == "word" and t.text.upper() in _BLOCK_WORDS for t in group):
        return []
    out = []
    part: list[list[Token]] = []
    need = 3
    for term in _terms(group) + [None]:
        text = term[0].text if term else "."
        if term is None or (len(term) == 1 and term[0].kind == "other" and text in ".;,"):
            if part and len(part) < need:
                key = "no_object" if need - len(part) == 1 else "no_predicate_object"
                last = part[-1][-1]
                out.append(Finding(last.start + len(last.text), key, suffix="after_semicolon" if need == 2 else None))
            part = []
            need = {";": 2, ",": 1}.get(text, 3)
            continue
        part.append(term)
        if len(part) == need + 1:
            out.append(Finding(term[0].start, "missing_dot", {"term": term[0].text}))
    return out
