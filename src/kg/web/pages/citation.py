"""How to cite: the dataset, one fact of it, and the source it models, as BibTeX and as CSL-JSON.

Pure functions over plain values (the web layer reads them from the graph's VoID/DCAT description).
The translation belongs to the Wilson Center Digital Archive: its entry names the archive and claims no
license; the license field appears only in the entries for kg's own modelling.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SOURCE_URL = "https://digitalarchive.wilsoncenter.org/document/114177"


@dataclass(frozen=True)
class DatasetInfo:
    iri: str
    title: str
    creator: str
    publisher: str
    version: str
    license: str  # an IRI, for kg's modelling only
    year: str | None = None  # dcterms:issued or dcterms:modified, when the description has one


@dataclass(frozen=True)
class FactInfo:
    iri: str
    label: str
    passages: tuple[tuple[int, int], ...] = ()  # character offsets in the source text


def _bib_escape(text: str) -> str:
    """BibTeX-safe text: braces balanced by escaping, TeX specials escaped, non-ASCII kept (biber reads UTF-8)."""
    out = []
    for ch in text:
        if ch in "{}&%$#_":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        elif ch in "~^":
            out.append("\\" + ch + "{}")
        else:
            out.append(ch)
    return "".join(out)


def bib_key(iri: str, prefix: str = "kg") -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", iri.split("://", 1)[-1].split("/", 1)[-1]).strip("-")
    return f"{prefix}:{slug}" if slug else prefix


def _entry(kind: str, key: str, fields: list[tuple[str, str | None]]) -> str:
    lines = [f"@{kind}{{{key},"]
    for name, value in fields:
        if value:
            # url is verbatim in biblatex; an author is a corporate name (double braces keep it whole)
            shown = value if name == "url" else _bib_escape(value)
            if name == "author":
                shown = "{" + shown + "}"
            lines.append(f"  {name} = {{{shown}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _passages_note(passages: tuple[tuple[int, int], ...]) -> str:
    if not passages:
        return ""
    spans = ", ".join(f"{s}–{e}" for s, e in passages)
    return f"Evidence: characters {spans} of the English translation (Wilson Center Digital Archive 114177)."


def dataset_bibtex(d: DatasetInfo) -> str:
    return _entry(
        "dataset",
        bib_key(d.iri),
        [
            ("author", d.creator),
            ("title", d.title),
            ("publisher", d.publisher),
            ("year", d.year),
            ("version", d.version),
            ("url", d.iri),
            ("note", f"Modelling licensed under {d.license}"),
        ],
    )


def fact_bibtex(f: FactInfo, d: DatasetInfo) -> str:
    note = " ".join(x for x in (_passages_note(f.passages), f"Modelling licensed under {d.license}") if x)
    return _entry(
        "misc",
        bib_key(f.iri),
        [
            ("title", f.label),
            ("howpublished", f"In: {d.title}, version {d.version}"),
            ("organization", d.creator),
            ("year", d.year),
            ("url", f.iri),
            ("note", note),
        ],
    )


def source_bibtex() -> str:
    """The report itself, as the archive publishes it (no license claimed)."""
    return _entry(
        "misc",
        "wcda:114177",
        [
            ("author", "Chinese Foreign Ministry"),
            ("title", "Summary Report on Organizing Ethnic Koreans and Mobilizing Korean Immigrants to go to Korea "
                      "to Take Part in Construction"),
            ("date", "1959-12-10"),
            ("howpublished", "Wilson Center Digital Archive, PRC FMA 118-00777-01, 43-48"),
            ("note", "Translated by Jeffrey Wang and Charles Kraus"),
            ("url", SOURCE_URL),
        ],
    )


def dataset_csl(d: DatasetInfo) -> dict:
    item = {
        "id": bib_key(d.iri),
        "type": "dataset",
        "title": d.title,
        "author": [{"literal": d.creator}],
        "publisher": d.publisher,
        "version": d.version,
        "URL": d.iri,
        "note": f"Modelling licensed under {d.license}",
    }
    if d.year:
        item["issued"] = {"date-parts": [[int(d.year)]]}
    return item


def fact_csl(f: FactInfo, d: DatasetInfo) -> dict:
    item = {
        "id": bib_key(f.iri),
        "type": "dataset",
        "title": f.label,
        "container-title": d.title,
        "author": [{"literal": d.creator}],
        "publisher": d.publisher,
        "version": d.version,
        "URL": f.iri,
        "note": " ".join(x for x in (_passages_note(f.passages), f"Modelling licensed under {d.license}") if x),
    }
    if d.year:
        item["issued"] = {"date-parts": [[int(d.year)]]}
    return item


def source_csl() -> dict:
    return {
        "id": "wcda:114177",
        "type": "document",
        "title": "Summary Report on Organizing Ethnic Koreans and Mobilizing Korean Immigrants to go to Korea to "
                 "Take Part in Construction",
        "author": [{"literal": "Chinese Foreign Ministry"}],
        "translator": [{"family": "Wang", "given": "Jeffrey"}, {"family": "Kraus", "given": "Charles"}],
        "issued": {"date-parts": [[1959, 12, 10]]},
        "archive": "Wilson Center Digital Archive",
        "archive_location": "PRC FMA 118-00777-01, 43-48",
        "URL": SOURCE_URL,
    }


def csl_text(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
